// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/records.hpp"

namespace fleetreg::center::web {

/// An SVG line chart of a terminal's counters over time: one line per
/// service (mono and colour apart where known), resets and swaps marked.
/// Text is escaped; the result is a complete <svg> element.
std::string counters_chart(const std::vector<stored_reading>& readings, int width = 720, int height = 300);

/// An SVG bar chart of a fleet's monthly volume (one stacked bar per month:
/// mono, colour and, when any, impressions not split), with a <title> and
/// <desc> (and a <title> per bar segment) for screen readers. A complete
/// <svg> element; pair it with volume_table for the figures as text.
std::string volume_chart(const std::vector<month_volume>& months, int width = 720, int height = 260);

/// The same figures as an HTML table (month, mono, colour, not split, total).
std::string volume_table(const std::vector<month_volume>& months);

/// "YYYY-MM" of a month's first day.
std::string month_label(time_point month);

}  // namespace fleetreg::center::web
