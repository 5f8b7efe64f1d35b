// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/job.hpp"

#include <gtest/gtest.h>

namespace fleetreg::terminal {
namespace {

std::int32_t level_of(const std::vector<supply>& s, std::string_view colorant, supply_type t = supply_type::toner) {
  for (const auto& x : s)
    if (x.type == t && (t != supply_type::toner || x.colorant == colorant)) return x.level;
  return -100;
}

TEST(Job, CopyMovesServiceAndTotalAndUsesBlackToner) {
  auto c = zero_counters();
  auto s = default_supplies(true, 100);
  apply({service::copy, 5, false, false}, c, s);
  for (auto svc : {service::copy, service::total}) {
    EXPECT_EQ(c.get(svc, counter_kind::impressions), 5u);
    EXPECT_EQ(c.get(svc, counter_kind::impressions_mono), 5u);
    EXPECT_EQ(c.get(svc, counter_kind::impressions_color), 0u);
    EXPECT_EQ(c.get(svc, counter_kind::sheets), 5u);
  }
  EXPECT_EQ(c.get(service::print, counter_kind::impressions), 0u);
  EXPECT_EQ(level_of(s, "black"), 20000 - 5);
  EXPECT_EQ(level_of(s, "cyan"), 20000);
  EXPECT_EQ(level_of(s, "", supply_type::opc), 60000 - 5);
}

TEST(Job, DuplexColourPrint) {
  auto c = zero_counters();
  auto s = default_supplies(true, 100);
  apply({service::print, 10, true, true}, c, s);
  EXPECT_EQ(c.get(service::print, counter_kind::impressions), 20u);
  EXPECT_EQ(c.get(service::print, counter_kind::impressions_color), 20u);
  EXPECT_EQ(c.get(service::print, counter_kind::sheets), 10u);
  EXPECT_EQ(level_of(s, "cyan"), 20000 - 20);
  EXPECT_EQ(level_of(s, "black"), 20000 - 20);
}

TEST(Job, ScanAndFaxOutMarkNoPaper) {
  auto c = zero_counters();
  auto s = default_supplies(false, 100);
  apply({service::scan, 7, false, false}, c, s);
  apply({service::fax_out, 3, false, false}, c, s);
  EXPECT_EQ(c.get(service::scan, counter_kind::impressions), 7u);
  EXPECT_EQ(c.get(service::fax_out, counter_kind::impressions), 3u);
  EXPECT_EQ(c.get(service::total, counter_kind::impressions), 0u);
  EXPECT_EQ(level_of(s, "black"), 20000);
}

TEST(Job, TonerNeverBelowZero) {
  auto c = zero_counters();
  auto s = default_supplies(false, 0);
  apply({service::copy, 10, false, false}, c, s);
  EXPECT_EQ(level_of(s, "black"), 0);
  EXPECT_EQ(level_of(s, "", supply_type::waste_toner), supply_some_remaining);
}

TEST(Job, Validation) {
  EXPECT_FALSE(validate(job{service::copy, 1, false, false}, false));
  EXPECT_TRUE(validate(job{service::copy, 0, false, false}, false));
  EXPECT_TRUE(validate(job{service::copy, max_job_units + 1, false, false}, false));
  EXPECT_TRUE(validate(job{service::copy, 1, true, false}, false)) << "colour on a mono device";
  EXPECT_FALSE(validate(job{service::copy, 1, true, false}, true));
  EXPECT_TRUE(validate(job{service::scan, 1, false, true}, true)) << "duplex scan is not a marking job";
  EXPECT_TRUE(validate(job{service::total, 1, false, false}, true));
}

TEST(Job, DefaultSupplies) {
  const auto mono = default_supplies(false, 50);
  ASSERT_EQ(mono.size(), 3u);  // black, drum, waste
  EXPECT_EQ(mono[0].percent(), 50);
  const auto color = default_supplies(true, 100);
  ASSERT_EQ(color.size(), 6u);
  for (std::size_t i = 0; i < color.size(); ++i) {
    EXPECT_EQ(color[i].index, static_cast<std::int32_t>(i + 1));
    EXPECT_FALSE(validate(color[i]));
  }
}

}  // namespace
}  // namespace fleetreg::terminal
