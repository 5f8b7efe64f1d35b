// SPDX-License-Identifier: Apache-2.0
// IPP attribute values that carry identity and supplies, parsed (no I/O).
#include "fleetreg/ipp/printer_attributes.hpp"

#include <gtest/gtest.h>

namespace fleetreg::ipp {
namespace {

TEST(IppAttributes, DeviceIdAndSupplyStrings) {
  const auto id = parse_device_id("MFG:Acme Corp; MDL:Laser 9000 ;CMD:PDF,PCL;SN:X-1;garbage;:nokey;");
  EXPECT_EQ(id.at("MFG"), "Acme Corp");
  EXPECT_EQ(id.at("MDL"), "Laser 9000");
  EXPECT_EQ(id.at("SN"), "X-1");
  EXPECT_EQ(id.count(""), 0u);
  EXPECT_EQ(id.size(), 4u);
  const auto s = parse_supply("index=2;class=supplyThatIsConsumed;type=toner;unit=percent;Level=15;");
  EXPECT_EQ(s.at("index"), "2");
  EXPECT_EQ(s.at("level"), "15") << "keys are case-folded";
  EXPECT_TRUE(parse_device_id("").empty());
}

}  // namespace
}  // namespace fleetreg::ipp
