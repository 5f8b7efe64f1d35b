// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/supply.hpp"

#include <gtest/gtest.h>

namespace fleetreg {
namespace {

supply toner(std::int32_t level, std::int32_t max) {
  supply s;
  s.description = "Black Toner";
  s.colorant = "black";
  s.level = level;
  s.max_capacity = max;
  return s;
}

TEST(Supply, PercentOnlyWhenBothKnown) {
  EXPECT_EQ(toner(5000, 20000).percent(), 25);
  EXPECT_EQ(toner(0, 20000).percent(), 0);
  EXPECT_FALSE(toner(supply_some_remaining, 20000).percent());
  EXPECT_FALSE(toner(supply_unknown, 20000).percent());
  EXPECT_FALSE(toner(10, supply_unknown).percent());
  EXPECT_FALSE(toner(10, supply_other).percent());
}

TEST(Supply, ValidationFollowsRfc3805Sentinels) {
  EXPECT_FALSE(validate(toner(supply_some_remaining, supply_unknown)));
  EXPECT_FALSE(validate(toner(supply_other, supply_other)));
  EXPECT_TRUE(validate(toner(-4, 100)));
  EXPECT_TRUE(validate(toner(10, -3)));
  EXPECT_TRUE(validate(toner(101, 100))) << "level above capacity";
  auto s = toner(1, 1);
  s.description = std::string(256, 'x');
  EXPECT_TRUE(validate(s));
  s = toner(1, 1);
  s.index = 0;
  EXPECT_TRUE(validate(s));
}

TEST(Supply, TypeNames) {
  EXPECT_EQ(to_string(supply_type::opc), "drum");
  EXPECT_EQ(parse_supply_type("waste-toner"), supply_type::waste_toner);
  EXPECT_FALSE(parse_supply_type("paper"));
}

// The whole IANA-PRINTER-MIB PrtMarkerSuppliesTypeTC (issue 16): every number
// has a name that parses back, the names centers already store are unchanged.
TEST(Supply, EveryPrtMarkerSuppliesType) {
  for (std::int64_t code = 1; code <= 36; ++code) {
    const auto t = supply_type_from_code(code);
    EXPECT_EQ(static_cast<std::int64_t>(t), code);
    const auto name = to_string(t);
    EXPECT_EQ(parse_supply_type(name), t) << name;
    EXPECT_TRUE(code == 2 || name != "unknown") << code;
  }
  EXPECT_EQ(to_string(supply_type_from_code(21)), "toner-cartridge");
  EXPECT_EQ(to_string(supply_type_from_code(6)), "ink-cartridge");
  EXPECT_EQ(to_string(supply_type_from_code(36)), "matte-ink");
  for (const auto code : {0L, 37L, -1L, 1L << 40}) EXPECT_EQ(supply_type_from_code(code), supply_type::unknown);
  const std::pair<supply_type, const char*> stored[] = {{supply_type::other, "other"},
                                                        {supply_type::unknown, "unknown"},
                                                        {supply_type::toner, "toner"},
                                                        {supply_type::ink, "ink"},
                                                        {supply_type::waste_toner, "waste-toner"},
                                                        {supply_type::opc, "drum"},
                                                        {supply_type::developer, "developer"},
                                                        {supply_type::fuser, "fuser"}};
  for (const auto& [t, name] : stored) EXPECT_EQ(to_string(t), name);
}

}  // namespace
}  // namespace fleetreg
