// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace fleetreg {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

// Both ends of a fresh pipe.
std::array<int, 2> make_pipe() {
  std::array<int, 2> fds{-1, -1};
  EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  return fds;
}

TEST(UniqueFd, ClosesOnDestruction) {
  const auto [r, w] = make_pipe();
  {
    const unique_fd a(r), b(w);
    EXPECT_TRUE(a);
    EXPECT_EQ(a.get(), r);
    EXPECT_TRUE(is_open(r));
  }
  EXPECT_FALSE(is_open(r));
  EXPECT_FALSE(is_open(w));
}

TEST(UniqueFd, ResetClosesTheOldAndHoldsTheNew) {
  const auto [r, w] = make_pipe();
  unique_fd fd(r);
  fd.reset(w);
  EXPECT_FALSE(is_open(r));
  EXPECT_TRUE(is_open(w));
  EXPECT_EQ(fd.get(), w);
  fd.reset(w);  // the same descriptor again: kept, not closed
  EXPECT_TRUE(is_open(w));
  fd.reset();
  EXPECT_FALSE(is_open(w));
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
}

TEST(UniqueFd, MoveHandsOverAndMoveAssignClosesTheTarget) {
  const auto [r, w] = make_pipe();
  unique_fd a(r);
  unique_fd b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from unique_fd holds nothing
  EXPECT_EQ(b.get(), r);
  unique_fd c(w);
  c = std::move(b);
  EXPECT_FALSE(is_open(w)) << "the descriptor moved over is closed";
  EXPECT_TRUE(is_open(r));
  EXPECT_EQ(c.get(), r);
}

TEST(UniqueFd, ReleaseGivesUpWithoutClosing) {
  const auto [r, w] = make_pipe();
  int raw = -1;
  {
    unique_fd fd(r);
    raw = fd.release();
    EXPECT_FALSE(fd);
  }
  EXPECT_EQ(raw, r);
  EXPECT_TRUE(is_open(r));
  const unique_fd cleanup_r(r), cleanup_w(w);
}

}  // namespace
}  // namespace fleetreg
