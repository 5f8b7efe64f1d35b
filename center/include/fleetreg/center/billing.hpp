// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fleetreg/center/records.hpp"
#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/json.hpp"

/// Billing from stored readings: pure functions, no I/O.
namespace fleetreg::center {

/// The clicks of one terminal, service and kind over a period.
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
};

/// A day written YYYY-MM-DD as the time point of its UTC midnight; nullopt
/// when it is not such a day.
std::optional<time_point> parse_billing_day(const std::string& day);

/// Bills one terminal. `readings` (oldest first): the last reading before
/// the period (the start, when there is one) then those inside it. One line
/// per service and kind that has values.
std::vector<billing_line> bill_terminal(const std::vector<stored_reading>& readings);

/// RFC 4180 CSV with a header; cells that a spreadsheet would take for a
/// formula (=, +, -, @) are prefixed with ' .
std::string billing_csv(const std::vector<billing_line>& lines);
/// The JSON body of GET /api/v1/billing: {"lines": [...]}.
json::value billing_json(const std::vector<billing_line>& lines);

}  // namespace fleetreg::center
