// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/oid.hpp"

#include <gtest/gtest.h>

#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/snmp/value.hpp"

namespace fleetreg::snmp {
namespace {

TEST(Oid, ParseAndFormat) {
  EXPECT_EQ(parse_oid(".1.3.6.1.2.1.1.3.0"), (oid_vector{1, 3, 6, 1, 2, 1, 1, 3, 0}));
  EXPECT_EQ(to_string(*parse_oid("1.3.6.1.4294967295")), "1.3.6.1.4294967295");
  for (const char* bad : {"", ".", "1..3", "1.3.", "1.a", "1.4294967296", "-1.3"}) EXPECT_FALSE(parse_oid(bad)) << bad;
  std::string long_oid = "1";
  for (int i = 0; i < 128; ++i) long_oid += ".1";
  EXPECT_FALSE(parse_oid(long_oid)) << "more than 128 sub-identifiers";
}

TEST(Oid, Prefix) {
  EXPECT_TRUE(starts_with(terminal_mib::manufacturer, terminal_mib::root));
  EXPECT_FALSE(starts_with(terminal_mib::root, terminal_mib::manufacturer));
  EXPECT_EQ(to_string(terminal_mib::root), "1.3.6.1.4.1.8072.9999.9999.3737");
}

TEST(Value, DateAndTime) {
  const auto d = date_and_time(1795622885);  // 2026-11-25 16:08:05 UTC
  ASSERT_EQ(d.size(), 11u);
  EXPECT_EQ(static_cast<unsigned char>(d[0]) * 256 + static_cast<unsigned char>(d[1]), 2026);
  EXPECT_EQ(d[2], 11);
  EXPECT_EQ(d[3], 25);
  EXPECT_EQ(d[4], 16);
  EXPECT_EQ(d[8], '+');
  EXPECT_EQ(date_and_time(0), std::string(8, '\0')) << "never";
}

}  // namespace
}  // namespace fleetreg::snmp
