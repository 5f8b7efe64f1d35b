// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>

namespace fleetreg {
namespace {

// What log::write puts on stderr for `message`.
std::string logged(std::string_view message) {
  std::array<int, 2> fds{};
  if (::pipe(fds.data()) != 0) return "<pipe failed>";
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  log::write(log::level::notice, message);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fds[1]);
  std::string out;
  char buf[8192];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  return out;
}

TEST(Log, ControlBytesNeverReachTheLogRaw) {
  const std::string nul_path = std::string("refused path=/a") + '\0' + "b\x1b[31m\x7f";
  const auto line = logged(nul_path);
  EXPECT_EQ(line.find('\0'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_NE(line.find("/a\\x00b\\x1b[31m\\x7f"), std::string::npos) << line;
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per message";
  EXPECT_EQ(logged("two\nlines\r\there"), "<5>two lines  here\n");
}

TEST(Log, QuotedFieldsCannotForgeOthers) {
  EXPECT_EQ(log::quote("/plain"), "/plain");
  EXPECT_EQ(log::quote("/a b status=200"), "\"/a b status=200\"");
  EXPECT_EQ(log::quote("x\" peer=\"1.2.3.4"), "\"x\\\" peer=\\\"1.2.3.4\"");
  EXPECT_EQ(log::quote(std::string("a\0b", 3)), "\"a\\x00b\"");
  EXPECT_EQ(log::quote(""), "\"\"");
}

}  // namespace
}  // namespace fleetreg
