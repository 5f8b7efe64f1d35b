// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The Monitoring Plugins development guidelines, as check_fleetreg uses
/// them: threshold ranges, states, performance data and the one-line output.
/// Pure functions: no I/O.
namespace fleetreg::plugins {

enum class state : int { ok = 0, warning = 1, critical = 2, unknown = 3 };
std::string_view to_string(state s) noexcept;
/// The worse of two states (CRITICAL > WARNING > UNKNOWN > OK, as in the guidelines' order for services).
state worse(state a, state b) noexcept;

/// A threshold range: `10` (alert outside 0..10), `10:` (below 10), `~:10`
/// (above 10), `10:20` (outside 10..20), `@10:20` (inside 10..20).
struct range {
  double start = 0;
  double end = 0;
  bool start_infinite = false;
  bool end_infinite = false;
  bool inside = false;  ///< '@': alert when inside
  std::string text;     ///< as given (for perfdata)

  /// nullopt when `text` is not a range of the guidelines.
  static std::optional<range> parse(std::string_view text);
  /// True when `value` raises the alert.
  bool alerts(double value) const noexcept;
};

/// OK, WARNING or CRITICAL for `value` against optional ranges.
state check(double value, const std::optional<range>& warning, const std::optional<range>& critical) noexcept;

/// One performance data item: 'label'=value[uom];warn;crit;min;max
struct perfdata {
  std::string label;
  double value = 0;
  std::string uom;  ///< "", "%", "s", "c" (continuous counter), "B"
  std::string warning, critical;
  std::optional<double> min, max;
};
/// The label is quoted when it holds a space, '=' or a quote (quotes doubled).
std::string format(const perfdata& p);

/// "SERVICE STATUS: text | perfdata..." (newline-terminated); the text loses
/// any '|' and line breaks (they would break the format).
std::string first_line(std::string_view service, state s, std::string_view text, const std::vector<perfdata>& perf);

}  // namespace fleetreg::plugins
