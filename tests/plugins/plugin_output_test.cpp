// SPDX-License-Identifier: Apache-2.0
// Threshold ranges and output as the Monitoring Plugins development
// guidelines define them, edge cases included.

#include "fleetreg/plugins/plugin_output.hpp"

#include <gtest/gtest.h>

namespace fleetreg::plugins {
namespace {

bool alerts(const char* text, double v) { return range::parse(text)->alerts(v); }

TEST(Range, TheGuidelinesTable) {
  // 10: alert outside 0..10 (endpoints inside).
  EXPECT_TRUE(alerts("10", -1));
  EXPECT_FALSE(alerts("10", 0));
  EXPECT_FALSE(alerts("10", 10));
  EXPECT_TRUE(alerts("10", 10.5));
  // 10: alert below 10.
  EXPECT_TRUE(alerts("10:", 9.99));
  EXPECT_FALSE(alerts("10:", 10));
  EXPECT_FALSE(alerts("10:", 1e12));
  // ~:10 alert above 10.
  EXPECT_FALSE(alerts("~:10", -1e12));
  EXPECT_FALSE(alerts("~:10", 10));
  EXPECT_TRUE(alerts("~:10", 10.01));
  // 10:20 alert outside, @10:20 inside (endpoints included).
  EXPECT_TRUE(alerts("10:20", 9));
  EXPECT_FALSE(alerts("10:20", 10));
  EXPECT_FALSE(alerts("10:20", 20));
  EXPECT_TRUE(alerts("10:20", 21));
  EXPECT_FALSE(alerts("@10:20", 9));
  EXPECT_TRUE(alerts("@10:20", 10));
  EXPECT_TRUE(alerts("@10:20", 20));
  EXPECT_FALSE(alerts("@10:20", 20.5));
  // Decimals and negatives.
  EXPECT_FALSE(alerts("-5:-1", -3));
  EXPECT_TRUE(alerts("0.5:1.5", 0.4));
}

TEST(Range, MalformedIsRefused) {
  for (const char* bad : {"", "@", "abc", "20:10", "1:2:3", "~", "10:x", "x:10", "nan", "inf", ":~"})
    EXPECT_FALSE(range::parse(bad)) << bad;
}

TEST(Check, CriticalBeforeWarning) {
  const auto w = range::parse("80"), c = range::parse("90");
  EXPECT_EQ(check(50, w, c), state::ok);
  EXPECT_EQ(check(85, w, c), state::warning);
  EXPECT_EQ(check(95, w, c), state::critical);
  EXPECT_EQ(check(95, std::nullopt, std::nullopt), state::ok);
  EXPECT_EQ(worse(state::ok, state::unknown), state::unknown);
  EXPECT_EQ(worse(state::warning, state::unknown), state::warning);
  EXPECT_EQ(worse(state::critical, state::warning), state::critical);
}

TEST(Output, FirstLineAndPerfdata) {
  std::vector<perfdata> perf = {{"copy impressions", 1234, "c", "", "", 0, std::nullopt},
                                {"black", 42, "%", "15:", "5:", 0, 100},
                                {"it's", 1.5, "s", "", "", std::nullopt, std::nullopt}};
  EXPECT_EQ(first_line("FLEETREG TERMINAL", state::warning, "toner low | evil\nsecond", perf),
            "FLEETREG TERMINAL WARNING: toner low   evil second | 'copy impressions'=1234c;;;0 black=42%;15:;5:;0;100 "
            "'it''s'=1.5s\n");
  EXPECT_EQ(first_line("FLEETREG CENTER", state::ok, "fine", {}), "FLEETREG CENTER OK: fine\n");
}

}  // namespace
}  // namespace fleetreg::plugins
