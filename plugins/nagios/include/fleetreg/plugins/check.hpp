// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/plugins/plugin_output.hpp"
#include "fleetreg/snmp/client.hpp"

/// check_fleetreg's three checks. Each returns the state and the plugin's
/// first line; transport and usage problems are UNKNOWN with one clear line.
namespace fleetreg::plugins {

struct result {
  plugins::state state = state::unknown;
  std::string output;                ///< the first line, newline-terminated
  std::vector<std::string> details;  ///< more lines for -v
};

struct terminal_options {
  snmp::session_options snmp;              ///< peer, version, credentials, timeout
  std::optional<range> warning, critical;  ///< on the lowest supply level, percent
};
/// SNMP to one terminal: identity, every counter as a `c` perfdata item,
/// supplies in percent against the thresholds, the terminal status (error is
/// CRITICAL). Devices without the fleetreg MIB are read from RFC 3805.
result check_terminal(const terminal_options& o);

struct center_options {
  std::string url;  ///< https://host:port
  std::string ca_file;
  std::string token;  ///< monitoring token
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::optional<range> warning, critical;  ///< on the number of stale terminals
  std::optional<range> unanswered_warning, unanswered_critical;
  std::optional<range> expiring_warning, expiring_critical;
  /// With a dealer's name: that dealer's open alerts in place of the
  /// center's counts; `warning` applies to the open warning alerts and
  /// `critical` to the open critical ones (default for both: 0, any open
  /// alert of that severity alerts).
  std::string dealer;
};
/// GET /api/v1/status (?dealer=NAME) with the monitoring token.
result check_center(const center_options& o);
/// The body of GET /api/v1/status?dealer= as check_center judges it for
/// o.dealer: the state and the one line with its perfdata; UNKNOWN (one
/// line) for a body that is not a dealer's counts. Never throws.
result check_dealer_answer(const center_options& o, std::string_view body);

struct collector_options {
  std::string status_file = "/var/lib/fleetreg-collector/status.json";
  std::optional<range> warning, critical;          ///< on the outbox backlog (readings)
  std::optional<range> age_warning, age_critical;  ///< on the seconds since the last upload
};
/// The collector's world-readable status file.
result check_collector(const collector_options& o);

}  // namespace fleetreg::plugins
