// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/supply.hpp"

namespace fleetreg {

/// Where a reading's values came from, in order of preference.
enum class reading_source { fleetreg_mib, printer_mib, ipp, terminal };

std::string_view to_string(reading_source s) noexcept;
std::optional<reading_source> parse_reading_source(std::string_view name) noexcept;

/// One reading of a terminal's running status. `id` is unique (a UUID made
/// when the reading is taken) so that a re-sent reading is never counted twice.
struct reading {
  std::string id;
  std::string terminal_key;
  time_point taken{};
  counter_set counters;
  std::vector<supply> supplies;
  reading_source source = reading_source::fleetreg_mib;
  std::string request_id;  ///< the center request it answers, or empty
};

/// Makes a reading with a fresh id taken at `now`. Throws as make_uuid().
reading make_reading(std::string terminal_key, time_point now, reading_source source);

}  // namespace fleetreg
