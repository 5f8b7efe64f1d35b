// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/config.hpp"

#include <gtest/gtest.h>

#include <array>

#include "fleetreg/core/error.hpp"

namespace fleetreg::config {
namespace {

using namespace std::chrono_literals;

struct sample {
  std::string name = "default";
  std::int64_t port = 161;
  bool verbose = false;
  std::chrono::milliseconds every{30s};
};

sample bind_text(std::string_view text) {
  sample s;
  const auto f = ini_file::parse(text, "test.conf");
  const std::array<option, 4> table = {{
      {"main", "name", string_target{&s.name, 16}},
      {"main", "port", integer_target{&s.port, 1, 65535}},
      {"main", "verbose", bool_target{&s.verbose}},
      {"timers", "every", duration_target{&s.every, 1s, 1h}},
  }};
  apply_options(f, table);
  return s;
}

std::string error_of(std::string_view text) {
  try {
    bind_text(text);
  } catch (const configuration_error& e) {
    EXPECT_EQ(e.code(), exit_code::config);
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsWhenKeysAbsent) {
  const auto s = bind_text("# nothing set\n[main]\n");
  EXPECT_EQ(s.name, "default");
  EXPECT_EQ(s.port, 161);
  EXPECT_EQ(s.every, 30s);
}

TEST(Config, ValuesBound) {
  const auto s = bind_text("[main]\nname = \"two words\"\nport=1161\nverbose = yes\n; c\n[timers]\nevery = 15m\n");
  EXPECT_EQ(s.name, "two words");
  EXPECT_EQ(s.port, 1161);
  EXPECT_TRUE(s.verbose);
  EXPECT_EQ(s.every, 15min);
}

TEST(Config, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("[main]\nport = 70000\n"), "test.conf:2: [main] port: 70000 is out of range 1..65535");
  EXPECT_NE(error_of("[main]\nprot = 1\n").find("test.conf:2: unknown key 'prot'"), std::string::npos);
  EXPECT_NE(error_of("[main]\nport = 1\nport = 2\n").find("duplicate key"), std::string::npos);
  EXPECT_NE(error_of("port = 1\n").find("outside of a [section]"), std::string::npos);
  EXPECT_NE(error_of("[main\n").find("test.conf:1:"), std::string::npos);
  EXPECT_NE(error_of("[main]\nverbose = maybe\n").find("not yes/no"), std::string::npos);
  EXPECT_NE(error_of("[main]\nname = seventeen-chars-x\n").find("longer than 16"), std::string::npos);
  EXPECT_NE(error_of("[timers]\nevery = 10\n").find("not a duration"), std::string::npos);
  EXPECT_NE(error_of("[timers]\nevery = 2h\n").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("[main]\nname = a\x01b\n").find("control character"), std::string::npos);
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("7d"), std::chrono::milliseconds(7 * 86400 * 1000LL));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1 s"));
  EXPECT_FALSE(parse_duration("s"));
}

TEST(Config, MissingFileIsAConfigError) {
  EXPECT_THROW(ini_file::load("/nonexistent/fleetreg.conf"), configuration_error);
}

}  // namespace
}  // namespace fleetreg::config
