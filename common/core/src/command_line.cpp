// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/command_line.hpp"

#include <getopt.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::command_line {

namespace {
// getopt_long's value for the long-only option at index i.
constexpr int long_only_base = 256;
}  // namespace

parser::parser(std::string program, std::string usage) : program_(std::move(program)), usage_(std::move(usage)) {}

parser& parser::config(std::string* path) {
  return add({'c', "config", argument::required, [path](const char* v) { *path = v; }});
}

parser& parser::test_config(bool* flag) {
  return add({'t', "test-config", argument::none, [flag](const char*) { *flag = true; }});
}

parser& parser::debug() {
  return add({'d', "debug", argument::optional, [](const char* v) { log::enable_debug(v ? v : ""); }});
}

parser& parser::add(option o) {
  options_.push_back(std::move(o));
  return *this;
}

parser& parser::sub_commands() {
  sub_commands_ = true;
  return *this;
}

parser& parser::info_exit_code(int code) {
  info_exit_code_ = code;
  return *this;
}

std::optional<int> parser::parse(int argc, char** argv, std::vector<std::string>* operands, std::size_t most_operands) {
  // The table getopt_long wants: -h and -V first, then the program's options.
  std::vector<option> all = {{'h', "help", argument::none, {}}, {'V', "version", argument::none, {}}};
  all.insert(all.end(), options_.begin(), options_.end());
  std::string shorts = sub_commands_ ? "+:" : ":";
  std::vector<::option> longs;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& o = all[i];
    const int has_arg = o.takes == argument::none       ? no_argument
                        : o.takes == argument::required ? required_argument
                                                        : optional_argument;
    if (o.short_name) {
      shorts += o.short_name;
      if (o.takes != argument::none) shorts += ':';
      if (o.takes == argument::optional) shorts += ':';
    }
    if (!o.long_name.empty())
      longs.push_back(
          {o.long_name.c_str(), has_arg, nullptr, o.short_name ? o.short_name : long_only_base + static_cast<int>(i)});
  }
  longs.push_back({nullptr, 0, nullptr, 0});

  optind = 0;  // a full reset of getopt's state (GNU), so that a parser may run again (tests)
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, shorts.c_str(), longs.data(), nullptr)) != -1) {
    if (c == ':') throw usage_error(std::string("option '") + argv[optind - 1] + "' needs a value (see --help)");
    const auto it = std::find_if(all.begin(), all.end(), [&](const option& o) {
      return c >= long_only_base ? &o == &all[static_cast<std::size_t>(c - long_only_base)] : o.short_name == c;
    });
    if (c == '?' || it == all.end()) {
      // An unknown option, or a value given to one that takes none (--help=x).
      const std::string typed = optopt && optopt < long_only_base && optind > 0 && argv[optind - 1][1] != '-'
                                    ? std::string("-") + static_cast<char>(optopt)
                                    : std::string(argv[optind - 1]);
      throw usage_error("unknown option '" + typed + "' (see --help)");
    }
    if (c == 'h') {
      std::fputs(usage_.c_str(), stdout);
      return info_exit_code_;
    }
    if (c == 'V') {
      std::printf("%s %s\n", program_.c_str(), FLEETREG_VERSION);
      return info_exit_code_;
    }
    it->apply(optarg);
  }
  std::vector<std::string> rest(argv + optind, argv + argc);
  if (!sub_commands_ && rest.size() > most_operands)
    throw usage_error("unexpected argument '" + rest[most_operands] + "' (see --help)");
  if (operands) *operands = std::move(rest);
  return std::nullopt;
}

const std::string* arguments::get(const std::string& name) const {
  const auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

std::string arguments::get_or(const std::string& name, const std::string& fallback) const {
  const auto* v = get(name);
  return v ? *v : fallback;
}

std::string arguments::require(const std::string& name) const {
  if (const auto* v = get(name)) return *v;
  throw usage_error("missing --" + name + " (see --help)");
}

arguments parse_arguments(const std::vector<std::string>& args, std::size_t from, const argument_spec& spec) {
  arguments out;
  const auto listed = [](const std::vector<std::string>& names, const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (std::size_t i = from; i < args.size(); ++i) {
    const auto& a = args[i];
    if (!a.starts_with("--")) {
      if (out.positional.size() >= spec.most_positional)
        throw usage_error("unexpected argument '" + a + "' (see --help)");
      out.positional.push_back(a);
      continue;
    }
    auto name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const bool takes_value = listed(spec.with_value, name);
    if (!takes_value && !listed(spec.flags, name)) throw usage_error("unknown option '--" + name + "' (see --help)");
    if (!takes_value && value) throw usage_error("option --" + name + " takes no value");
    if (takes_value && !value) {
      if (i + 1 >= args.size()) throw usage_error("option --" + name + " needs a value");
      value = args[++i];
    }
    if (out.has(name)) throw usage_error("option --" + name + " given twice");
    out.values[name] = value.value_or("");
  }
  return out;
}

int dispatch(const std::vector<sub_command>& commands, const std::vector<std::string>& args) {
  if (args.empty()) throw usage_error("no command given (see --help)");
  const sub_command* found = nullptr;
  std::size_t found_words = 0;
  for (const auto& c : commands) {
    // "key init" matches the first two words, "run" the first.
    const auto words = static_cast<std::size_t>(std::count(c.name.begin(), c.name.end(), ' ')) + 1;
    if (words > args.size() || words <= found_words) continue;
    std::string name = args[0];
    for (std::size_t w = 1; w < words; ++w) name += " " + args[w];
    if (name == c.name) {
      found = &c;
      found_words = words;
    }
  }
  if (!found) {
    const auto second = args.size() > 1 && !args[1].starts_with("-") ? " " + args[1] : std::string();
    throw usage_error("unknown command '" + args[0] + second + "' (see --help)");
  }
  return found->run(args);
}

}  // namespace fleetreg::command_line
