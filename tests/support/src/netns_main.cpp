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

#include <cstdio>

#include "fleetreg/test/harness.hpp"

int main(int argc, char** argv) {
  try {
    fleetreg::test::enter_private_namespace();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  fleetreg::test::clean_stale_leftovers();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
