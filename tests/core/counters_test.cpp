// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/counters.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace fleetreg {
namespace {

TEST(Counters, NamesRoundTrip) {
  for (auto s : all_services) EXPECT_EQ(parse_service(to_string(s)), s);
  for (auto k : all_counter_kinds) EXPECT_EQ(parse_counter_kind(to_string(k)), k);
  EXPECT_EQ(to_string(service::fax_in), "fax-in");
  EXPECT_EQ(to_string(counter_kind::impressions_color), "impressions-color");
  EXPECT_FALSE(parse_service("Copy"));
  EXPECT_FALSE(parse_counter_kind("pages"));
}

TEST(Counters, PwgServiceTypes) {
  EXPECT_EQ(pwg_service_type(service::total), 3);
  EXPECT_EQ(pwg_service_type(service::copy), 4);
  EXPECT_EQ(pwg_service_type(service::fax_in), 7);
  EXPECT_EQ(pwg_service_type(service::fax_out), 8);
  EXPECT_EQ(pwg_service_type(service::print), 11);
  EXPECT_EQ(pwg_service_type(service::scan), 12);
  for (auto s : all_services) EXPECT_EQ(service_from_pwg(pwg_service_type(s)), s);
  EXPECT_FALSE(service_from_pwg(5)) << "emailIn is not a fleetreg service";
}

TEST(Counters, UnknownIsNotZero) {
  counter_set c;
  EXPECT_TRUE(c.empty());
  EXPECT_FALSE(c.get(service::copy, counter_kind::sheets));
  c.set(service::copy, counter_kind::sheets, 0);
  EXPECT_EQ(c.get(service::copy, counter_kind::sheets), 0u);
  EXPECT_FALSE(c.empty());
}

TEST(Counters, Full64BitRange) {
  counter_set c;
  const auto big = std::numeric_limits<std::uint64_t>::max() - 1;
  c.set(service::total, counter_kind::impressions, big);
  c.add(service::total, counter_kind::impressions, 1);
  EXPECT_EQ(c.get(service::total, counter_kind::impressions), big + 1);
}

TEST(Counters, WentDownFlagsResets) {
  counter_set before, after;
  before.set(service::copy, counter_kind::impressions, 100);
  after.set(service::copy, counter_kind::impressions, 150);
  EXPECT_FALSE(went_down(before, after));
  after.set(service::copy, counter_kind::impressions, 20);
  EXPECT_TRUE(went_down(before, after));
  // A counter that became unknown is not a reset.
  after.clear(service::copy, counter_kind::impressions);
  EXPECT_FALSE(went_down(before, after));
}

}  // namespace
}  // namespace fleetreg
