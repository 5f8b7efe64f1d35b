// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/supply.hpp"

namespace fleetreg::collector {

/// What the collector learned about one device, and where each part came from.
struct device_info {
  std::string address;  ///< how it was reached ("udp:127.0.0.11:161")
  identity id;
  counter_set counters;
  std::vector<supply> supplies;
  reading_source source = reading_source::fleetreg_mib;  ///< where identity and counters came from
  /// The terminal registered itself with a center (terminal mode): the
  /// collector lists it and leaves it alone.
  bool registered_in_terminal_mode = false;

  /// The terminal key, or nullopt with `why_not` when it cannot be registered.
  std::optional<std::string> key() const { return terminal_key(id); }
  std::string why_not_registrable() const;
};

}  // namespace fleetreg::collector
