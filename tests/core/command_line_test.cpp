// SPDX-License-Identifier: Apache-2.0
// The one command-line skeleton of the programs: the shared options, a
// program's own, usage errors (exit code 64), the sub-command parser and
// dispatch.

#include "fleetreg/core/command_line.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::command_line {
namespace {

// argv as getopt wants it (mutable, null-terminated), from words.
class argv_of {
 public:
  argv_of(std::initializer_list<std::string> words) : words_(words) {
    for (auto& w : words_) pointers_.push_back(w.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(words_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> pointers_;
};

// The exit code of the usage error parsing `words` throws ("" when none).
int usage_exit(parser& p, std::initializer_list<std::string> words, std::size_t most_operands = 0) {
  argv_of a(words);
  try {
    std::vector<std::string> operands;
    p.parse(a.argc(), a.argv(), &operands, most_operands);
  } catch (const error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    return static_cast<int>(e.code());
  }
  return 0;
}

TEST(CommandLine, SharedOptions) {
  for (const auto& words : std::vector<std::vector<std::string>>{{"prog", "-c", "/x.conf", "-t"},
                                                                 {"prog", "--config=/x.conf", "--test-config"},
                                                                 {"prog", "--config", "/x.conf", "-t"}}) {
    std::string config;
    bool test_only = false;
    parser p("prog", "Usage: prog\n");
    p.config(&config).test_config(&test_only).debug();
    std::vector<char*> argv;
    auto copy = words;
    for (auto& w : copy) argv.push_back(w.data());
    argv.push_back(nullptr);
    EXPECT_EQ(p.parse(static_cast<int>(copy.size()), argv.data()), std::nullopt) << words[1];
    EXPECT_EQ(config, "/x.conf") << words[1];
    EXPECT_TRUE(test_only) << words[1];
  }
}

TEST(CommandLine, DebugTakesOptionalTopics) {
  parser p("prog", "");
  p.debug();
  argv_of a{"prog", "--debug=cmdline-test-topic"};
  EXPECT_EQ(p.parse(a.argc(), a.argv()), std::nullopt);
  EXPECT_TRUE(log::debug_enabled("cmdline-test-topic"));
  log::set_threshold(log::level::info);  // the other tests' log as before
  parser bare("prog", "");
  bare.debug();
  argv_of b{"prog", "-d"};
  EXPECT_EQ(bare.parse(b.argc(), b.argv()), std::nullopt);
  log::set_threshold(log::level::info);
}

TEST(CommandLine, HelpAndVersionPrintAndEnd) {
  parser p("prog", "Usage: prog [OPTION]...\n  -h, --help  show this help\n");
  argv_of help{"prog", "--help", "--bogus"};
  testing::internal::CaptureStdout();
  EXPECT_EQ(p.parse(help.argc(), help.argv()), 0);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "Usage: prog [OPTION]...\n  -h, --help  show this help\n");

  argv_of version{"prog", "-V"};
  testing::internal::CaptureStdout();
  EXPECT_EQ(p.parse(version.argc(), version.argv()), 0);
  const auto out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(out.starts_with("prog ")) << out;  // help2man reads "PROGRAM VERSION"
  EXPECT_TRUE(out.ends_with("\n"));

  parser plugin("check_x", "usage\n");
  plugin.info_exit_code(3);
  argv_of h{"check_x", "-h"};
  testing::internal::CaptureStdout();
  EXPECT_EQ(plugin.parse(h.argc(), h.argv()), 3);
  testing::internal::GetCapturedStdout();
}

TEST(CommandLine, UsageErrorsAreExitCode64) {
  std::string config;
  parser p("prog", "");
  p.config(&config);
  EXPECT_EQ(usage_exit(p, {"prog", "--bogus"}), 64) << "unknown long option";
  EXPECT_EQ(usage_exit(p, {"prog", "-q"}), 64) << "unknown short option";
  EXPECT_EQ(usage_exit(p, {"prog", "-c"}), 64) << "missing value";
  EXPECT_EQ(usage_exit(p, {"prog", "--config"}), 64) << "missing value";
  EXPECT_EQ(usage_exit(p, {"prog", "--help=x"}), 64) << "a value to a flag";
  EXPECT_EQ(usage_exit(p, {"prog", "stray"}), 64) << "an operand the program takes none of";
  EXPECT_EQ(usage_exit(p, {"prog", "one"}, 1), 0);
  EXPECT_EQ(usage_exit(p, {"prog", "one", "two"}, 1), 64);
}

TEST(CommandLine, OwnOptionsAndTheirErrors) {
  std::string state;
  int verbose = 0;
  parser p("prog", "");
  p.add({'s', "state-dir", argument::required, [&](const char* v) { state = v; }})
      .add({'v', "", argument::none, [&](const char*) { ++verbose; }})
      .add({0, "level", argument::required, [](const char* v) {
              if (std::string(v) != "high") throw usage_error("--level is high");
            }});
  argv_of a{"prog", "-vv", "--state-dir", "/s", "--level=high"};
  EXPECT_EQ(p.parse(a.argc(), a.argv()), std::nullopt);
  EXPECT_EQ(state, "/s");
  EXPECT_EQ(verbose, 2);
  EXPECT_EQ(usage_exit(p, {"prog", "--level", "low"}), 64) << "what apply throws";
}

TEST(CommandLine, SubCommandsKeepTheirOwnOptions) {
  std::string config;
  parser p("prog", "");
  p.config(&config).sub_commands();
  argv_of a{"prog", "-c", "/x.conf", "register", "--code", "C", "-c", "not-ours"};
  std::vector<std::string> operands;
  EXPECT_EQ(p.parse(a.argc(), a.argv(), &operands), std::nullopt);
  EXPECT_EQ(config, "/x.conf");
  EXPECT_EQ(operands, (std::vector<std::string>{"register", "--code", "C", "-c", "not-ours"}));
}

TEST(SubCommandArguments, ValuesFlagsAndOperands) {
  const std::vector<std::string> words = {"copy", "--sheets", "3", "--color", "--tray=2", "A4"};
  const auto o = parse_arguments(words, 1, {{"sheets", "tray"}, {"color", "duplex"}, 1});
  EXPECT_EQ(o.require("sheets"), "3");
  EXPECT_EQ(*o.get("tray"), "2");
  EXPECT_TRUE(o.has("color"));
  EXPECT_FALSE(o.has("duplex"));
  EXPECT_EQ(o.get("duplex"), nullptr);
  EXPECT_EQ(o.get_or("duplex", "no"), "no");
  EXPECT_EQ(o.positional, std::vector<std::string>{"A4"});
}

TEST(SubCommandArguments, RefusalsAreUsageErrors) {
  const argument_spec spec{{"sheets"}, {"color"}, 0};
  const auto refused = [&](std::vector<std::string> words) {
    try {
      parse_arguments(words, 1, spec);
    } catch (const usage_error& e) {
      return static_cast<int>(e.code());
    }
    return 0;
  };
  EXPECT_EQ(refused({"copy", "--bogus"}), 64);
  EXPECT_EQ(refused({"copy", "--sheets"}), 64) << "missing value";
  EXPECT_EQ(refused({"copy", "--color=yes"}), 64) << "a flag takes no value";
  EXPECT_EQ(refused({"copy", "--sheets", "1", "--sheets=2"}), 64) << "given twice";
  EXPECT_EQ(refused({"copy", "stray"}), 64) << "no operand allowed";
  EXPECT_EQ(refused({"copy", "--sheets", "1"}), 0);
  try {
    parse_arguments({"copy"}, 1, spec).require("sheets");
    ADD_FAILURE() << "a missing option is refused";
  } catch (const usage_error& e) {
    EXPECT_EQ(std::string(e.what()), "missing --sheets (see --help)");
  }
}

TEST(SubCommandDispatch, LongestNameWins) {
  std::vector<std::string> ran;
  const std::vector<sub_command> commands = {{"key",
                                              [&](const std::vector<std::string>& a) {
                                                ran.push_back("key:" + a.back());
                                                return 1;
                                              }},
                                             {"key init",
                                              [&](const std::vector<std::string>& a) {
                                                ran.push_back("key init:" + a.back());
                                                return 0;
                                              }},
                                             {"run", [&](const std::vector<std::string>& a) {
                                                ran.push_back("run:" + std::to_string(a.size()));
                                                return 2;
                                              }}};
  EXPECT_EQ(dispatch(commands, {"key", "init", "--force"}), 0);
  EXPECT_EQ(dispatch(commands, {"key", "list"}), 1);
  EXPECT_EQ(dispatch(commands, {"run"}), 2);
  EXPECT_EQ(ran, (std::vector<std::string>{"key init:--force", "key:list", "run:1"}));
  for (const auto& words : std::vector<std::vector<std::string>>{{}, {"frobnicate"}, {"ke"}}) {
    try {
      dispatch(commands, words);
      ADD_FAILURE() << "no such command";
    } catch (const usage_error& e) {
      EXPECT_EQ(e.code(), exit_code::usage);
    }
  }
}

}  // namespace
}  // namespace fleetreg::command_line
