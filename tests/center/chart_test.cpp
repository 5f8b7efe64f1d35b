// SPDX-License-Identifier: Apache-2.0
// The dealer site's SVG chart of a terminal's counters (center/src/web/chart.hpp).

#include <gtest/gtest.h>

#include "chart.hpp"

namespace fleetreg::center::web {
namespace {

stored_reading at(std::int64_t t, std::uint64_t copies, std::uint64_t prints) {
  stored_reading s;
  s.site_id = "s1";
  s.r.terminal_key = "ricoh:X";
  s.r.taken = from_unix(t);
  s.r.counters.set(service::copy, counter_kind::impressions, copies);
  s.r.counters.set(service::print, counter_kind::impressions, prints);
  return s;
}

TEST(Chart, IsSvgWithResetsMarked) {
  const auto svg = counters_chart({at(0, 100, 10), at(100, 150, 20), at(200, 20, 25)});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("class=\"reset\""), std::string::npos);
  EXPECT_NE(svg.find(">copy<"), std::string::npos);
  EXPECT_NE(counters_chart({}).find("No counters yet"), std::string::npos);
}

}  // namespace
}  // namespace fleetreg::center::web
