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

value base_reading() {
  return {{"id", "0b0e8a52-4c1f-4a55-9d57-3d2f9f6a1c01"},
          {"terminal", "acme:1"},
          {"taken_at", "2026-11-25T16:08:05Z"},
          {"counters", {{"copy", {{"impressions-mono", 5u}}}}}};
}

TEST(Json, ExtrasProvenanceStatusAndAlertsRoundTrip) {
  std::string why;
  auto r = reading_from(base_reading(), why);
  ASSERT_TRUE(r) << why;
  r->extras["copy.impressions-mono.a3"] = 0;  // 0 is a value
  r->extras["total.impressions.two-color"] = 17;
  r->provenance["copy.impressions-mono"] = "ricoh-engcounter/1 1.3.6.1.4.1.367.3.2.1.2.19.5.1.9.4";
  r->provenance["extra:copy.impressions-mono.a3"] = "kyocera/1 1.3.6.1.4.1.1347.42.2.1.1.1.7.1.1";
  r->device_status = "warning";
  r->alerts.push_back({"critical", "mediaPath", "jam", "Paper jam in tray 2", "prtAlertTable"});
  r->alerts.push_back({"warning", "markerSupplies", "markerSupplyLow", "", "hrPrinterDetectedErrorState"});
  const auto back = reading_from(to_json(*r), why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->extras, r->extras);
  EXPECT_EQ(back->provenance, r->provenance);
  EXPECT_EQ(back->device_status, "warning");
  EXPECT_EQ(back->alerts, r->alerts);
  // A reading without them (an older collector) still reads, with none.
  const auto plain = reading_from(base_reading(), why);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->extras.empty() && plain->provenance.empty() && plain->alerts.empty());
}

TEST(Json, HostileExtrasAndAlertsAreRefusedWithTheReason) {
  std::string why;
  auto with = [](const char* key, value v) {
    auto r = base_reading();
    r[key] = std::move(v);
    return r;
  };
  EXPECT_FALSE(reading_from(with("extras", {{"Copy.A3", 1u}}), why));
  EXPECT_EQ(why, "extras key 'Copy.A3' is not 1-64 of [a-z0-9._-]");
  EXPECT_FALSE(reading_from(with("extras", {{"copy.a3", -1}}), why));
  EXPECT_EQ(why, "extras copy.a3 must be an unsigned 64-bit integer");
  value many = value::object();
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = static_cast<unsigned>(i);
  EXPECT_FALSE(reading_from(with("extras", many), why));
  EXPECT_FALSE(reading_from(with("provenance", {{"copy.nonsense", "x"}}), why));
  EXPECT_EQ(why, "provenance key 'copy.nonsense' names no counter, extra or field");
  EXPECT_FALSE(reading_from(with("provenance", {{"total.impressions", "a\nb"}}), why));
  EXPECT_FALSE(reading_from(with("device_status", "on fire"), why));
  EXPECT_FALSE(reading_from(
      with("alerts", value::array({{{"severity", "fatal"}, {"group", "cover"}, {"code", "x"}, {"source", "s"}}})),
      why));
  EXPECT_EQ(why, "alert severity must be critical, warning or info");
  EXPECT_FALSE(reading_from(
      with("alerts",
           value::array({{{"severity", "info"}, {"group", "co ver"}, {"code", "x"}, {"source", "prtAlertTable"}}})),
      why));
  value alerts = value::array();
  for (int i = 0; i < 33; ++i)
    alerts.push_back({{"severity", "info"}, {"group", "cover"}, {"code", "doorOpen"}, {"source", "prtAlertTable"}});
  EXPECT_FALSE(reading_from(with("alerts", alerts), why));
  EXPECT_EQ(why, "alerts must be an array of at most 32");
}

}  // namespace
}  // namespace fleetreg::json
