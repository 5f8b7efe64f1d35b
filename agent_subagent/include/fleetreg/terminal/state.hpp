// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/supply.hpp"

/// The state of one terminal, as its store holds it.
namespace fleetreg::terminal {

/// What the terminal is doing (frtStatusState).
enum class device_state { idle, busy, error, unknown };
std::string_view to_string(device_state s) noexcept;
std::optional<device_state> parse_device_state(std::string_view name) noexcept;

/// The terminal's own registration with a center (terminal mode).
enum class registration_state { unregistered, pending, registering, registered, failed, revoked };
std::string_view to_string(registration_state s) noexcept;
std::optional<registration_state> parse_registration_state(std::string_view name) noexcept;

struct device_status {
  device_state state = device_state::idle;
  std::string message;  ///< why, for a serviceperson; empty when idle
};

struct registration_info {
  registration_state state = registration_state::unregistered;
  std::string center_url;
  bool code_pending = false;  ///< a provisional code waits for `fleetreg-terminal run`
  std::string site_id;
  std::optional<time_point> last_report;
  std::string last_error;
  std::optional<time_point> last_error_time;
};

/// Everything the subagent serves, read in one transaction.
struct terminal_state {
  identity id;
  counter_set counters;
  std::vector<supply> supplies;
  device_status status;
  registration_info registration;
};

}  // namespace fleetreg::terminal
