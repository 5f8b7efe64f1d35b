// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/alerts.hpp"

#include "fleetreg/center/records.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace fleetreg::center {
namespace {

// "12 %" for people; the description (or colorant) names the supply.
std::string supply_detail(const supply& s) {
  std::string name = s.description.empty() ? s.colorant : s.description;
  if (name.empty()) name = "supply " + std::to_string(s.index);
  const auto p = s.percent();
  return name + " " + (p ? std::to_string(*p) : std::string("0")) + " %";
}

std::optional<std::chrono::seconds> parse_duration(std::string_view v) {
  std::int64_t n = 0;
  if (v.size() < 2) return std::nullopt;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size() - 1, n);
  if (ec != std::errc{} || p != v.data() + v.size() - 1 || n < 0 || n > 100000) return std::nullopt;
  switch (v.back()) {
    case 'm':
      return std::chrono::minutes(n);
    case 'h':
      return std::chrono::hours(n);
    case 'd':
      return std::chrono::hours(24 * n);
    default:
      return std::nullopt;
  }
}

std::string duration_text(std::chrono::seconds s) {
  const auto n = s.count();
  if (n % 86400 == 0) return std::to_string(n / 86400) + "d";
  if (n % 3600 == 0) return std::to_string(n / 3600) + "h";
  return std::to_string(n / 60) + "m";
}

double median(std::vector<double>& v) {
  const auto mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

}  // namespace

bool is_alert_kind(std::string_view kind) noexcept {
  return std::find(std::begin(alert_kinds), std::end(alert_kinds), kind) != std::end(alert_kinds);
}

std::string alert_condition::key() const { return kind + "|" + std::to_string(supply) + "|" + code; }

std::vector<alert_condition> reading_conditions(const reading& r, const alert_settings& s) {
  std::map<std::string, alert_condition> found;
  const auto add = [&found](alert_condition c) {
    auto k = c.key();
    found.try_emplace(std::move(k), std::move(c));
  };
  for (const auto& sup : r.supplies) {
    // Sentinels (-1 other, -2 unknown, -3 some remaining) and an unknown or
    // unlimited capacity say nothing about running out.
    if (sup.level < 0 || sup.max_capacity <= 0) continue;
    const auto level = static_cast<std::int64_t>(sup.level) * 100;
    const auto cap = static_cast<std::int64_t>(sup.max_capacity);
    if (level <= s.supply_empty * cap)
      add({std::string(alert_supply_empty), sup.index, "", "critical", supply_detail(sup)});
    else if (level < s.supply_low * cap)
      add({std::string(alert_supply_low), sup.index, "", "warning", supply_detail(sup)});
  }
  for (const auto& a : r.alerts) {
    if (a.severity != "critical" && a.severity != "warning") continue;
    if (a.code.empty()) continue;
    // One alert per condition: the worst severity the reading gives it.
    auto c = alert_condition{std::string(alert_device), -1, a.code, a.severity,
                             a.description.empty() ? a.group + " " + a.code : a.description};
    const auto k = c.key();
    if (auto it = found.find(k); it != found.end()) {
      if (c.severity == "critical") it->second.severity = "critical";
      continue;
    }
    add(std::move(c));
  }
  if (r.device_status == "down") add({std::string(alert_device), -1, "down", "critical", "device status down"});
  std::vector<alert_condition> out;
  out.reserve(found.size());
  for (auto& [k, c] : found) out.push_back(std::move(c));
  return out;
}

std::string conditions_signature(const std::vector<alert_condition>& conditions) {
  std::string out;
  for (const auto& c : conditions) {
    if (!out.empty()) out += ';';
    out += c.key();
  }
  return out;
}

std::vector<alert_condition> parse_signature(std::string_view signature) {
  std::vector<alert_condition> out;
  while (!signature.empty()) {
    const auto end = signature.find(';');
    const auto part = signature.substr(0, end);
    signature = end == std::string_view::npos ? std::string_view() : signature.substr(end + 1);
    const auto a = part.find('|');
    const auto b = a == std::string_view::npos ? a : part.find('|', a + 1);
    if (b == std::string_view::npos) continue;
    alert_condition c;
    c.kind = std::string(part.substr(0, a));
    const auto num = part.substr(a + 1, b - a - 1);
    const auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), c.supply);
    if (ec != std::errc{} || p != num.data() + num.size() || !is_alert_kind(c.kind)) continue;
    c.code = std::string(part.substr(b + 1));
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<alert_settings> parse_alert_settings(std::string_view text, const alert_settings& base,
                                                   std::string& why) {
  if (text == "default") return alert_settings{};
  alert_settings s = base;
  if (text.size() > 512) {
    why = "alert settings are at most 512 characters";
    return std::nullopt;
  }
  while (!text.empty()) {
    const auto end = text.find(',');
    auto item = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const auto key = item.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "supply-low" || key == "supply-empty") {
      int n = -1;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || p != value.data() + value.size() || n < 0 || n > 100) {
        why = std::string(key) + " is a percentage 0..100";
        return std::nullopt;
      }
      (key == "supply-low" ? s.supply_low : s.supply_empty) = n;
      continue;
    }
    std::chrono::seconds* target = key == "terminal-silent"    ? &s.terminal_silent
                                   : key == "collector-silent" ? &s.collector_silent
                                   : key == "code-expiry"      ? &s.code_expiry
                                   : key == "lead-time"        ? &s.lead_time
                                                               : nullptr;
    if (!target) {
      why = "unknown alert setting '" + std::string(key.substr(0, 40)) +
            "' (supply-low, supply-empty, terminal-silent, collector-silent, code-expiry, lead-time)";
      return std::nullopt;
    }
    const auto d = parse_duration(value);
    if (!d || *d < std::chrono::minutes(5) || *d > std::chrono::hours(24 * 365)) {
      why = std::string(key) + " is a duration 5m..365d, written like 90m, 36h or 7d";
      return std::nullopt;
    }
    *target = *d;
  }
  if (s.supply_empty >= s.supply_low) {
    why = "supply-empty must be below supply-low";
    return std::nullopt;
  }
  return s;
}

std::string to_string(const alert_settings& s) {
  return "supply-low=" + std::to_string(s.supply_low) + ",supply-empty=" + std::to_string(s.supply_empty) +
         ",terminal-silent=" + duration_text(s.terminal_silent) +
         ",collector-silent=" + duration_text(s.collector_silent) + ",code-expiry=" + duration_text(s.code_expiry) +
         ",lead-time=" + duration_text(s.lead_time);
}

std::optional<supply_forecast> predict_empty(std::span<const level_point> history) {
  // The series since the last refill, at most forecast_points of it.
  std::size_t start = 0;
  for (std::size_t i = 1; i < history.size(); ++i)
    if (history[i].percent - history[i - 1].percent > refill_rise) start = i;
  if (history.size() - start > forecast_points) start = history.size() - forecast_points;
  const auto series = history.subspan(start);
  if (series.size() < 3) return std::nullopt;
  // Days since the series' first point.
  const auto origin = series.front().at;
  const auto day = [&](time_point t) { return std::chrono::duration<double>(t - origin).count() / 86400.0; };
  std::vector<double> slopes;
  for (std::size_t i = 0; i < series.size(); ++i)
    for (std::size_t j = i + 1; j < series.size(); ++j) {
      const double dt = day(series[j].at) - day(series[i].at);
      if (dt > 0) slopes.push_back((series[j].percent - series[i].percent) / dt);
    }
  if (slopes.size() < 2) return std::nullopt;
  const double slope = median(slopes);
  // Less than 0.01 % a day is flat: ten thousand days and more.
  if (!(slope < -0.01)) return std::nullopt;
  std::vector<double> intercepts;
  for (const auto& p : series) intercepts.push_back(p.percent - slope * day(p.at));
  const double intercept = median(intercepts);
  const double days = -intercept / slope;
  // Beyond about 27 years is no forecast.
  if (!std::isfinite(days) || days > 10000) return std::nullopt;
  supply_forecast f;
  f.empty_at = origin + std::chrono::duration_cast<std::chrono::seconds>(std::chrono::duration<double>(days * 86400));
  f.percent_per_day = -slope;
  f.points = series.size();
  return f;
}

std::vector<level_point> level_history(std::span<const reading> readings, std::int32_t index) {
  std::vector<level_point> out;
  for (const auto& r : readings)
    for (const auto& s : r.supplies) {
      if (s.index != index) continue;
      if (s.level >= 0 && s.max_capacity > 0)
        out.push_back({r.taken, std::min(100.0, 100.0 * s.level / s.max_capacity)});
      break;
    }
  return out;
}

namespace {
constexpr std::string_view fleet_state_names[] = {"healthy", "warning", "critical", "silent"};
}  // namespace

std::string_view to_string(fleet_state s) noexcept { return fleet_state_names[static_cast<int>(s)]; }

std::optional<fleet_state> parse_fleet_state(std::string_view name) noexcept {
  for (int i = 0; i < 4; ++i)
    if (fleet_state_names[i] == name) return static_cast<fleet_state>(i);
  return std::nullopt;
}

std::int64_t fleet_counts::of(fleet_state s) const noexcept {
  switch (s) {
    case fleet_state::healthy:
      return healthy;
    case fleet_state::warning:
      return warning;
    case fleet_state::critical:
      return critical;
    case fleet_state::silent:
      return silent;
  }
  return 0;
}

}  // namespace fleetreg::center
