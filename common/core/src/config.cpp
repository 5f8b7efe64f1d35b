// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/config.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include "fleetreg/core/error.hpp"

namespace fleetreg::config {
namespace {

constexpr std::size_t max_file_size = 1 << 20;
constexpr std::size_t max_line_length = 4096;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.'))
      return false;
  return true;
}

[[noreturn]] void fail(const std::string& source, int line, const std::string& what) {
  throw configuration_error(source + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

ini_file ini_file::parse(std::string_view text, std::string source) {
  ini_file f;
  f.source_ = std::move(source);
  if (text.size() > max_file_size) fail(f.source_, 0, "file is larger than 1 MiB");
  std::string section;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (raw.size() > max_line_length) fail(f.source_, line_no, "line longer than 4096 characters");
    for (char c : raw)
      if ((static_cast<unsigned char>(c) < ' ' && c != '\t' && c != '\r') || c == 0x7f)
        fail(f.source_, line_no, "control character in line");
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') fail(f.source_, line_no, "section header must end with ']'");
      const auto name = trim(line.substr(1, line.size() - 2));
      if (!valid_name(name)) fail(f.source_, line_no, "invalid section name");
      section.assign(name);
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) fail(f.source_, line_no, "expected 'key = value'");
    const auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (!valid_name(key)) fail(f.source_, line_no, "invalid key name");
    if (section.empty()) fail(f.source_, line_no, "key outside of a [section]");
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    auto [it, inserted] = f.entries_.try_emplace({section, std::string(key)}, entry{std::string(value), line_no});
    if (!inserted)
      fail(f.source_, line_no,
           "duplicate key '" + std::string(key) + "' (first set on line " + std::to_string(it->second.line) + ")");
  }
  return f;
}

ini_file ini_file::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw configuration_error("cannot read configuration file " + path);
  std::string text;
  text.resize(max_file_size + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw configuration_error("cannot read configuration file " + path);
  return parse(text, path);
}

const ini_file::entry* ini_file::find(std::string_view section, std::string_view key) const {
  const auto it = entries_.find(std::pair<std::string, std::string>(section, key));
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t n = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || ptr == text.data() || n < 0) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  std::int64_t factor;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return std::nullopt;
  if (n > INT64_MAX / factor) return std::nullopt;
  return std::chrono::milliseconds{n * factor};
}

namespace {

struct binder {
  const ini_file& file;
  const option& opt;
  const ini_file::entry& e;

  [[noreturn]] void bad(const std::string& why) const {
    fail(file.source(), e.line, "[" + std::string(opt.section) + "] " + std::string(opt.key) + ": " + why);
  }
  void operator()(const string_target& t) const {
    if (e.value.size() > t.max_length) bad("longer than " + std::to_string(t.max_length) + " characters");
    *t.value = e.value;
  }
  void operator()(const integer_target& t) const {
    std::int64_t v = 0;
    const auto* end = e.value.data() + e.value.size();
    const auto [ptr, ec] = std::from_chars(e.value.data(), end, v);
    if (ec != std::errc{} || ptr != end || e.value.empty()) bad("'" + e.value + "' is not an integer");
    if (v < t.min || v > t.max)
      bad(std::to_string(v) + " is out of range " + std::to_string(t.min) + ".." + std::to_string(t.max));
    *t.value = v;
  }
  void operator()(const bool_target& t) const {
    const auto& v = e.value;
    if (v == "yes" || v == "true" || v == "on" || v == "1")
      *t.value = true;
    else if (v == "no" || v == "false" || v == "off" || v == "0")
      *t.value = false;
    else
      bad("'" + v + "' is not yes/no");
  }
  void operator()(const duration_target& t) const {
    const auto d = parse_duration(e.value);
    if (!d) bad("'" + e.value + "' is not a duration (e.g. 500ms, 30s, 15m, 24h, 7d)");
    if (*d < t.min || *d > t.max)
      bad("'" + e.value + "' is out of range " + std::to_string(t.min.count()) + "ms.." +
          std::to_string(t.max.count()) + "ms");
    *t.value = *d;
  }
};

}  // namespace

void apply_options(const ini_file& file, std::span<const option> table) {
  for (const auto& [where, e] : file.entries()) {
    const option* match = nullptr;
    for (const auto& o : table)
      if (o.section == where.first && o.key == where.second) match = &o;
    if (!match) fail(file.source(), e.line, "unknown key '" + where.second + "' in section [" + where.first + "]");
    std::visit(binder{file, *match, e}, match->target);
  }
}

}  // namespace fleetreg::config
