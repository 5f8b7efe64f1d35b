// SPDX-License-Identifier: Apache-2.0
// The main of test binaries that run whole in a private network namespace:
// before anything else (no threads yet), the process moves into a new
// network namespace with only loopback, up, and a private mount namespace
// with its own /run/avahi-daemon and /run/dbus (so the private system bus of
// the mDNS tests sits at the standard address, the one libdbus caches for the
// whole process, and avahi-daemon's pid file is private). Every daemon the tests start inherits
// both, so nothing they send (mDNS multicast included) leaves this process
// tree, and nothing remains when it exits.

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fleetreg/test/harness.hpp"

namespace {

bool fail(const char* what) {
  std::fprintf(stderr, "cannot make the test's private namespace: %s: %s (run as root)\n", what, std::strerror(errno));
  return false;
}

bool enter_private_namespace() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return fail("unshare");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail("mount --make-rprivate /");
  for (const char* dir : {"/run/avahi-daemon", "/run/dbus"}) {
    ::mkdir(dir, 0755);
    if (::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return fail(dir);
  }
  const auto r = fleetreg::test::run({"ip", "link", "set", "lo", "up"});
  if (r.exit_code != 0) {
    std::fprintf(stderr, "cannot bring loopback up: %s", r.err.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (!enter_private_namespace()) return 1;
  fleetreg::test::clean_stale_leftovers();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
