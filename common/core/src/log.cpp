// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace fleetreg::log {
namespace {

struct state {
  std::mutex mutex;
  std::string program = "fleetreg";
  std::string topics;  // ",a,b," form; "*" = all
  std::atomic<int> threshold{static_cast<int>(level::info)};
};

state& the_state() noexcept {
  static state s;
  return s;
}

const char* level_name(level lvl) noexcept {
  switch (lvl) {
    case level::emerg:
      return "emergency";
    case level::alert:
      return "alert";
    case level::crit:
      return "critical";
    case level::err:
      return "error";
    case level::warning:
      return "warning";
    case level::notice:
      return "notice";
    case level::info:
      return "info";
    case level::debug:
      return "debug";
  }
  return "log";
}

}  // namespace

void set_program(std::string_view name) noexcept {
  auto& s = the_state();
  std::lock_guard lock(s.mutex);
  try {
    s.program.assign(name);
  } catch (...) {
  }
}

void set_threshold(level threshold) noexcept { the_state().threshold = static_cast<int>(threshold); }

void enable_debug(std::string_view topics) noexcept {
  auto& s = the_state();
  {
    std::lock_guard lock(s.mutex);
    try {
      if (topics.empty() || topics == "all")
        s.topics = "*";
      else
        s.topics = "," + std::string(topics) + ",";
    } catch (...) {
    }
  }
  set_threshold(level::debug);
}

bool debug_enabled(std::string_view topic) noexcept {
  auto& s = the_state();
  if (s.threshold.load() < static_cast<int>(level::debug)) return false;
  std::lock_guard lock(s.mutex);
  if (s.topics == "*") return true;
  try {
    return s.topics.find("," + std::string(topic) + ",") != std::string::npos;
  } catch (...) {
    return false;
  }
}

void write(level lvl, std::string_view message) noexcept {
  auto& s = the_state();
  if (static_cast<int>(lvl) > s.threshold.load()) return;
  // Build the whole line first so concurrent writers never interleave.
  char line[4096];
  std::size_t n = 0;
  std::lock_guard lock(s.mutex);
  int head;
  if (isatty(STDERR_FILENO))
    head = std::snprintf(line, sizeof line, "%s: %s: ", s.program.c_str(), level_name(lvl));
  else
    head = std::snprintf(line, sizeof line, "<%d>", static_cast<int>(lvl));
  if (head > 0) n = static_cast<std::size_t>(head);
  // A last line of defence: no control byte (a NUL from a decoded path, an
  // escape sequence for the operator's terminal) reaches the log raw.
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      if (n >= sizeof line - 2) break;
      line[n++] = c;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      if (n >= sizeof line - 2) break;
      line[n++] = ' ';
    } else {
      if (n >= sizeof line - 5) break;
      line[n++] = '\\';
      line[n++] = 'x';
      line[n++] = hex[u >> 4];
      line[n++] = hex[u & 0xf];
    }
  }
  line[n++] = '\n';
  (void)!::write(STDERR_FILENO, line, n);
}

void debug(std::string_view topic, std::string_view m) noexcept {
  if (debug_enabled(topic)) write(level::debug, m);
}

std::string quote(std::string_view value) noexcept {
  try {
    bool plain = !value.empty();
    for (unsigned char c : value)
      if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) plain = false;
    if (plain) return std::string(value);
    std::string out = "\"";
    for (unsigned char c : value) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < ' ' || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
    return out;
  } catch (...) {
    return {};
  }
}

}  // namespace fleetreg::log
