// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/reading.hpp"

/// Fleet health at the center (issue 19): the alert rules a reading is
/// judged by and the toner-out forecast, as pure functions (no I/O, no
/// database), so the storage, the pages and the tests share one rule.
namespace fleetreg::center {

/// A dealer's alert thresholds (accounts.alert_* columns; the defaults are
/// the center's).
struct alert_settings {
  int supply_low = 15;   ///< percent: a supply below it is low (warning)
  int supply_empty = 0;  ///< percent: a supply at or below it is empty (critical)
  std::chrono::seconds terminal_silent{std::chrono::hours(24)};     ///< no reading for this long
  std::chrono::seconds collector_silent{std::chrono::minutes(60)};  ///< no long-poll for this long
  std::chrono::seconds code_expiry{std::chrono::hours(72)};         ///< an unused code expires within
  std::chrono::seconds lead_time{std::chrono::hours(24 * 14)};      ///< order what runs out within
  friend bool operator==(const alert_settings&, const alert_settings&) = default;
};

/// The kinds of alert (alerts.kind).
inline constexpr std::string_view alert_supply_low = "supply_low";
inline constexpr std::string_view alert_supply_empty = "supply_empty";
inline constexpr std::string_view alert_device = "device_alert";
inline constexpr std::string_view alert_counter_reset = "counter_reset";
inline constexpr std::string_view alert_terminal_silent = "terminal_silent";
inline constexpr std::string_view alert_collector_silent = "collector_silent";
inline constexpr std::string_view alert_code_expiring = "code_expiring";
/// Every kind, in the order pages list them.
inline constexpr std::string_view alert_kinds[] = {alert_supply_empty,  alert_supply_low,      alert_device,
                                                   alert_counter_reset, alert_terminal_silent, alert_collector_silent,
                                                   alert_code_expiring};
bool is_alert_kind(std::string_view kind) noexcept;

/// A condition a terminal's newest reading shows: what an open alert stands
/// for. (kind, supply, code) names it; severity and detail describe it.
struct alert_condition {
  std::string kind;
  std::int32_t supply = -1;  ///< the supply's index, -1 for none
  std::string code;          ///< a device alert's condition ("jam"), else ""
  std::string severity;      ///< "warning" or "critical"
  std::string detail;        ///< for people: "Black Toner 12 %", the device's words
  /// "kind|supply|code": unique per terminal.
  std::string key() const;
};

/// The conditions `r` shows under `s`, sorted by key, each once: every
/// supply whose level is known (RFC 3805 sentinels -2 unknown and -3 "some
/// remaining" are never low) below supply_low (supply_low) or at or below
/// supply_empty (supply_empty); every critical or warning device alert
/// (device_alert, code = the alert's code; info is not an alert); status
/// "down" (device_alert "down"). A counter reset is an event, not a
/// condition: the storage raises it from the reading's flag.
std::vector<alert_condition> reading_conditions(const reading& r, const alert_settings& s);

/// The keys of `conditions` joined by ';' (what terminals.alert_conditions
/// keeps, so that an unchanged state costs no write).
std::string conditions_signature(const std::vector<alert_condition>& conditions);
/// A signature's (kind, supply, code) parts; malformed parts are skipped.
std::vector<alert_condition> parse_signature(std::string_view signature);

/// Reads "supply-low=10,terminal-silent=48h,…" over `base` (keys
/// supply-low and supply-empty in percent 0..100, low above empty;
/// terminal-silent, collector-silent, code-expiry and lead-time as 90m, 36h,
/// 7d, bounded 5 minutes..365 days). "default" gives the center's defaults.
/// nullopt and `why` otherwise.
std::optional<alert_settings> parse_alert_settings(std::string_view text, const alert_settings& base, std::string& why);
/// The settings as parse_alert_settings reads them (every key).
std::string to_string(const alert_settings& s);

// The toner-out forecast.

/// One level of one supply at one time, in percent of its capacity.
struct level_point {
  time_point at{};
  double percent = 0;
};

/// A forecast: when the supply reaches 0 %, how fast it goes, from how many points.
struct supply_forecast {
  time_point empty_at{};
  double percent_per_day = 0;  ///< how much is used a day (positive)
  std::size_t points = 0;      ///< of the series since the last refill
};

/// A refill: the level rising by more than this many percentage points
/// starts a new series.
inline constexpr double refill_rise = 5.0;
/// The most points a forecast looks at (the newest).
inline constexpr std::size_t forecast_points = 30;

/// The date a supply runs out, from its levels (oldest first): a Theil–Sen
/// fit (median of the pairwise slopes, median intercept) over the points
/// since the last refill, at most forecast_points. nullopt with fewer than 3
/// points there, or when the level does not fall (a flat or rising slope).
std::optional<supply_forecast> predict_empty(std::span<const level_point> history);

/// The levels of supply `index` in `readings` (oldest first), as percent;
/// readings where its level or capacity is a sentinel (-1, -2, -3) or where
/// it is absent are skipped.
std::vector<level_point> level_history(std::span<const reading> readings, std::int32_t index);

}  // namespace fleetreg::center
