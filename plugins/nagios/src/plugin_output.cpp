// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/plugins/plugin_output.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace fleetreg::plugins {
namespace {

std::optional<double> number(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string num(double v) {
  char b[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(b, sizeof b, "%.0f", v);
  else
    std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

}  // namespace

std::string_view to_string(state s) noexcept {
  switch (s) {
    case state::ok:
      return "OK";
    case state::warning:
      return "WARNING";
    case state::critical:
      return "CRITICAL";
    case state::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

state worse(state a, state b) noexcept {
  auto rank = [](state s) {
    switch (s) {
      case state::ok:
        return 0;
      case state::unknown:
        return 1;
      case state::warning:
        return 2;
      case state::critical:
        return 3;
    }
    return 1;
  };
  return rank(a) >= rank(b) ? a : b;
}

std::optional<range> range::parse(std::string_view text) {
  range r;
  r.text = std::string(text);
  if (!text.empty() && text.front() == '@') {
    r.inside = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    const auto end = number(text);
    if (!end) return std::nullopt;
    r.start = 0;
    r.end = *end;
  } else {
    const auto start = text.substr(0, colon), end = text.substr(colon + 1);
    if (start == "~") {
      r.start_infinite = true;
    } else if (start.empty()) {
      r.start = 0;
    } else if (const auto v = number(start)) {
      r.start = *v;
    } else {
      return std::nullopt;
    }
    if (end.empty()) {
      r.end_infinite = true;
    } else if (const auto v = number(end)) {
      r.end = *v;
    } else {
      return std::nullopt;
    }
  }
  if (!r.start_infinite && !r.end_infinite && r.start > r.end) return std::nullopt;
  return r;
}

bool range::alerts(double value) const noexcept {
  const bool in = (start_infinite || value >= start) && (end_infinite || value <= end);
  return inside ? in : !in;
}

state check(double value, const std::optional<range>& warning, const std::optional<range>& critical) noexcept {
  if (critical && critical->alerts(value)) return state::critical;
  if (warning && warning->alerts(value)) return state::warning;
  return state::ok;
}

std::string format(const perfdata& p) {
  std::string label = p.label;
  if (label.find_first_of(" ='") != std::string::npos) {
    std::string q = "'";
    for (char c : label) q += c == '\'' ? std::string("''") : std::string(1, c);
    label = q + "'";
  }
  std::string out = label + "=" + num(p.value) + p.uom + ";" + p.warning + ";" + p.critical + ";" +
                    (p.min ? num(*p.min) : "") + ";" + (p.max ? num(*p.max) : "");
  while (!out.empty() && out.back() == ';') out.pop_back();
  return out;
}

std::string first_line(std::string_view service, state s, std::string_view text, const std::vector<perfdata>& perf) {
  std::string clean;
  for (char c : text) clean += (c == '|' || c == '\n' || c == '\r') ? ' ' : c;
  std::string out = std::string(service) + " " + std::string(to_string(s)) + ": " + clean;
  if (!perf.empty()) {
    out += " |";
    for (const auto& p : perf) out += " " + format(p);
  }
  return out + "\n";
}

}  // namespace fleetreg::plugins
