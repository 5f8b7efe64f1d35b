// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "fleetreg/center/records.hpp"

namespace fleetreg::center::web {

/// An SVG line chart of a terminal's counters over time: one line per
/// service (mono and colour apart where known), resets and swaps marked.
/// Text is escaped; the result is a complete <svg> element.
std::string counters_chart(const std::vector<stored_reading>& readings, int width = 720, int height = 300);

}  // namespace fleetreg::center::web
