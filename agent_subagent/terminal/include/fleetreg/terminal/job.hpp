// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/supply.hpp"

namespace fleetreg::terminal {

/// The most a single simulated job may move a counter (keeps a typo from
/// putting a meter years ahead).
inline constexpr std::uint64_t max_job_units = 1'000'000;

/// One job on the simulated terminal.
struct job {
  service kind = service::copy;  ///< copy, print, scan, fax_in or fax_out (not total)
  std::uint64_t units = 0;       ///< sheets (copy, print, fax-in), images (scan), pages (fax-out)
  bool color = false;
  bool duplex = false;
};

/// Checks a job (known service, units 1..max_job_units, colour only on a
/// colour terminal, duplex only where paper is marked); the problem, or nullopt.
std::optional<std::string> validate(const job& j, bool color_capable);

/// Applies a job to counters and supplies, as the terminal's firmware would:
/// marking services (copy, print, fax-in) add impressions and sheets to their
/// service and to total, and use toner and drum; scan and fax-out add
/// impressions (images, pages) to their service only. Levels never drop below
/// zero. Pure: no I/O.
void apply(const job& j, counter_set& counters, std::vector<supply>& supplies);

/// The supplies of a new simulated terminal: black toner (and CMY toner when
/// colour), a drum and a waste toner box; toner at `toner_percent` of capacity.
std::vector<supply> default_supplies(bool color, int toner_percent);

/// Counters of a new terminal: every service and kind known, all zero.
counter_set zero_counters();

}  // namespace fleetreg::terminal
