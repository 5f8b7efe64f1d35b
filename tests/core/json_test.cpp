// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/json.hpp"

#include <gtest/gtest.h>

namespace fleetreg::json {
namespace {

// Found by the json fuzzer: a refusal quoted the first 32 bytes of an unknown
// name, cutting a character in two; the reason then could not be written
// into the JSON error body (nlohmann::json::dump throws on invalid UTF-8).
TEST(Json, RefusalReasonsStayUtf8) {
  std::string why;
  const auto name = std::string(31, 'a') + "é";
  EXPECT_FALSE(counters_from(value{{name, value::object()}}, why));
  EXPECT_EQ(why, "unknown service '" + std::string(31, 'a') + "'");
  EXPECT_NO_THROW((void)value(why).dump());
  EXPECT_FALSE(counters_from(value{{"copy", {{std::string(31, 'k') + "€", 1}}}}, why));
  EXPECT_EQ(why, "unknown counter kind '" + std::string(31, 'k') + "'");
  EXPECT_NO_THROW((void)value(why).dump());
}

// Found by the json fuzzer: taken_at after 2262 overflowed the clock.
TEST(Json, ReadingTimeOutsideTheClockIsRefused) {
  std::string why;
  const value r = {{"id", "0b0e8a52-4c1f-4a55-9d57-3d2f9f6a1c01"},
                   {"terminal", "acme:1"},
                   {"taken_at", "4052-11-25T16:08:05Z"},
                   {"counters", value::object()}};
  EXPECT_FALSE(reading_from(r, why));
  EXPECT_EQ(why, "taken_at must be an RFC 3339 time");
}

}  // namespace
}  // namespace fleetreg::json
