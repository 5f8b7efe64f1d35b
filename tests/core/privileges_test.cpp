// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/privileges.hpp"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "fleetreg/core/error.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg {
namespace {

// Runs `body` in a child process (a switch of user cannot be undone) and
// returns its exit status.
template <typename F>
int in_child(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(Privileges, RootBecomesTheOwnerOfAStateDirectoryForGood) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const struct passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  test::temp_dir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), uid, nobody->pw_gid), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0700), 0);

  const int status = in_child([&] {
    if (become_owner_of(dir.path()) != "nobody") return 1;
    if (::getuid() != uid || ::geteuid() != uid) return 2;
    if (::getgid() != gid || ::getegid() != gid) return 5;
    gid_t groups[64];
    const int n = ::getgroups(64, groups);
    for (int i = 0; i < n; ++i)
      if (groups[i] == 0) return 6;  // root's group list was not replaced
    if (::setuid(0) == 0) return 3;  // root cannot be regained
    std::ofstream(dir.file("db")) << "x";
    struct stat st {};
    if (::stat(dir.file("db").c_str(), &st) != 0 || st.st_uid != uid) return 4;
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(Privileges, NothingChangesForRootsOwnOrAMissingDirectory) {
  test::temp_dir dir;  // owned by whoever runs the test
  const uid_t before = ::geteuid();
  if (before == 0) {
    EXPECT_EQ(become_owner_of(dir.path()), "");
  }
  EXPECT_EQ(become_owner_of(dir.file("missing")), "");
  EXPECT_EQ(become_owner_of(""), "");
  EXPECT_EQ(::geteuid(), before);
}

TEST(Privileges, AnOwnerWithoutAUserEntryIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  test::temp_dir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), 54321, 54321), 0);  // no such user here
  ASSERT_EQ(::getpwuid(54321), nullptr);
  const int status = in_child([&] {
    try {
      become_owner_of(dir.path());
      return 1;
    } catch (const fleetreg::error& e) {
      return std::string(e.what()).find("uid 54321") != std::string::npos && ::geteuid() == 0 ? 0 : 2;
    }
  });
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace fleetreg
