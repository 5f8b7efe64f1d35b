// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// The one command-line skeleton of every fleetreg program: the shared
/// options (-c/--config, -t/--test-config, -d/--debug[=TOPICS], -h/--help,
/// -V/--version) and a program's own on getopt_long, and one parser for the
/// options of a sub-command (`fleetreg-terminal copy --sheets 3`). Errors are
/// fleetreg::usage_error (exit code 64, one line); the text of `--help` and
/// `--version` is the program's own, so help2man keeps working.
namespace fleetreg::command_line {

/// Whether an option takes a value.
enum class argument { none, required, optional };

/// One option of a program: `-x` and/or `--long`; `apply` gets the value
/// (nullptr for argument::none, and for an optional value left out). It may
/// throw usage_error for a bad value.
struct option {
  char short_name = 0;    ///< 'x', or 0 for a long option only
  std::string long_name;  ///< "state-dir", or "" for a short option only
  argument takes = argument::none;
  std::function<void(const char* value)> apply;
};

/// The program's options: the shared ones it asks for, plus its own.
class parser {
 public:
  /// `program` ("fleetreg-collector") for --version; `usage` is printed for --help as is.
  parser(std::string program, std::string usage);

  /// -c, --config=FILE into `*path`.
  parser& config(std::string* path);
  /// -t, --test-config sets `*flag`.
  parser& test_config(bool* flag);
  /// -d, --debug[=TOPICS]: fleetreg::log::enable_debug.
  parser& debug();
  /// Another option of the program.
  parser& add(option o);
  /// Stop at the first operand (a sub-command): what follows it is the
  /// sub-command's (getopt's '+').
  parser& sub_commands();
  /// The exit code after --help and --version (0; the Monitoring Plugins
  /// guidelines want 3).
  parser& info_exit_code(int code);

  /// Parses `argv`. -h/--help prints the usage to stdout and -V/--version
  /// "PROGRAM VERSION"; both return the exit code to end with. Otherwise
  /// returns nullopt and the operands (at most `most_operands` without
  /// sub_commands(); with them, the sub-command and its arguments) in
  /// `*operands`. Throws usage_error for an unknown option, a missing
  /// value, a value given to a flag, an unexpected operand, or what an
  /// option's `apply` throws. May be called once per process (getopt's state).
  std::optional<int> parse(int argc, char** argv, std::vector<std::string>* operands = nullptr,
                           std::size_t most_operands = 0);

 private:
  std::string program_;
  std::string usage_;
  std::vector<option> options_;
  bool sub_commands_ = false;
  int info_exit_code_ = 0;
};

/// The options and operands of a sub-command, from one parse_arguments.
struct arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  ///< long name → value ("" for a flag)

  bool has(const std::string& name) const { return values.count(name) != 0; }
  /// The value, or nullptr when the option was not given.
  const std::string* get(const std::string& name) const;
  /// The value, or `fallback`.
  std::string get_or(const std::string& name, const std::string& fallback) const;
  /// The value; throws usage_error "missing --NAME (see --help)" when not given.
  std::string require(const std::string& name) const;
};

/// What a sub-command takes: long options with a value (`--name V` or
/// `--name=V`), flags (`--name`), and up to `most_positional` operands.
struct argument_spec {
  std::vector<std::string> with_value;
  std::vector<std::string> flags;
  std::size_t most_positional = 0;
};

/// Parses `args[from..]` (a sub-command's words) by `spec`. Throws
/// usage_error: unknown option, missing value, a value given to a flag, an
/// option given twice, more operands than allowed.
arguments parse_arguments(const std::vector<std::string>& args, std::size_t from, const argument_spec& spec);

/// One sub-command: its name (one word, or two: "key init") and what runs it
/// with the whole word list (the name included).
struct sub_command {
  std::string name;
  std::function<int(const std::vector<std::string>& args)> run;
};

/// Runs the sub-command `args` names (the longest name that matches) and
/// returns its exit code. Throws usage_error "no command given" or "unknown
/// command 'X' (see --help)".
int dispatch(const std::vector<sub_command>& commands, const std::vector<std::string>& args);

}  // namespace fleetreg::command_line
