// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/center/records.hpp"
#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/json.hpp"

/// Billing from stored readings: pure functions, no I/O.
namespace fleetreg::center {

/// How a dealer bills clicks: a factor per counter cell ("copy.impressions-mono")
/// or extras key ("copy.impressions-mono.a3"), in thousandths (1000 = 1×).
/// Only weighted cells make up the billed total; none configured means
/// total.impressions at 1×.
struct billing_weights {
  std::map<std::string, std::uint32_t> milli;
  /// The factor of `key` in thousandths, or nullopt when it is not billed.
  std::optional<std::uint32_t> of(const std::string& key) const;
};

/// Limits of a weights text: at most 64 entries, factors 0–1000 with at most
/// three decimals, the whole text at most 4,096 bytes.
inline constexpr std::size_t max_billing_weights = 64;

/// Parses "copy.impressions-mono.a3=2, copy.impressions-mono.a4=1" (commas
/// or newlines between entries; '' for the default). nullopt with `why`.
std::optional<billing_weights> parse_billing_weights(std::string_view text, std::string& why);
/// The canonical text of `w` ("key=2,key=1.5"), '' for the default.
std::string to_string(const billing_weights& w);
/// A factor in thousandths as text: 2000 → "2", 1500 → "1.5".
std::string format_milli(std::uint64_t milli);

/// The clicks of one terminal, service and kind (or extras key) over a period.
struct billing_line {
  std::string customer;
  std::string site_id;
  std::string terminal_key;
  std::string model;
  service svc = service::total;
  counter_kind kind = counter_kind::impressions;
  std::optional<time_point> start_at, end_at;
  std::optional<std::uint64_t> start, end;  ///< the first and last reading used
  std::uint64_t clicks = 0;                 ///< sum of increases; after a reset, counted from zero
  int resets = 0;                           ///< counter went down (reset, board or device swap)
  std::string extra;                        ///< an extras key; then svc and kind say nothing
  std::optional<std::uint32_t> weight;      ///< thousandths, when this cell is billed

  /// "copy.impressions-mono", or the extras key.
  std::string cell() const;
  /// clicks × weight in thousandths (0 when not billed).
  std::uint64_t weighted_milli() const { return weight ? clicks * *weight : 0; }
};

/// A day written YYYY-MM-DD as the time point of its UTC midnight; nullopt
/// when it is not such a day.
std::optional<time_point> parse_billing_day(const std::string& day);

/// Bills one terminal. `readings` (oldest first): the last reading before
/// the period (the start, when there is one) then those inside it. One line
/// per service and kind that has values.
/// per service and kind that has values, then one per extras key; each with
/// its weight from `weights`.
std::vector<billing_line> bill_terminal(const std::vector<stored_reading>& readings,
                                        const billing_weights& weights = {});

/// A terminal's printed volume over a period, from its billing lines
/// (bill_terminal): mono and colour impressions from total.impressions-mono
/// and -color when the terminal counts them, else the sum over the services
/// that print (copy, print, fax-in); `unsplit` holds the impressions of a
/// terminal that counts neither (total.impressions, else the same sum).
struct print_volume {
  std::uint64_t mono = 0, colour = 0, unsplit = 0;
};
print_volume volume_of(const std::vector<billing_line>& lines);

/// One RFC 4180 CSV cell, quoted when needed; a cell a spreadsheet would
/// take for a formula (=, +, -, @) is prefixed with ' .
std::string csv_cell(const std::string& v);
/// RFC 4180 CSV with a header; cells that a spreadsheet would take for a
/// formula (=, +, -, @) are prefixed with ' .
std::string billing_csv(const std::vector<billing_line>& lines);
/// One row per terminal, one column per cell and extras key that has clicks,
/// and the billed (weighted) total; the same CSV rules.
std::string billing_wide_csv(const std::vector<billing_line>& lines);
/// The JSON body of GET /api/v1/billing: {"lines": [...], "terminals": [...]}
/// (per terminal: its cells' clicks and the billed total).
json::value billing_json(const std::vector<billing_line>& lines, const billing_weights& weights = {});

}  // namespace fleetreg::center
