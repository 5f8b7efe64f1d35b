// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/clock.hpp"

#include <gtest/gtest.h>

#include "fleetreg/core/random.hpp"
#include "fleetreg/core/reading.hpp"

namespace fleetreg {
namespace {

TEST(Clock, FormatAndParseRoundTrip) {
  const auto t = from_unix(1795622885);
  EXPECT_EQ(format_utc(t), "2026-11-25T16:08:05Z");
  EXPECT_EQ(parse_utc("2026-11-25T16:08:05Z"), t);
  EXPECT_EQ(parse_utc("2026-11-25T17:08:05+01:00"), t);
  EXPECT_EQ(parse_utc("2026-11-25T16:08:05.250Z"), t + std::chrono::milliseconds(250));
}

TEST(Clock, ParseRejectsMalformed) {
  for (const char* bad : {"", "2026-11-25", "2026-11-25 16:08:05Z", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-25T16:08:05", "2026-11-25T16:08:05Zjunk", "1969-12-31T23:59:59Z"})
    EXPECT_FALSE(parse_utc(bad)) << bad;
}

// Found by the json fuzzer: a year past 2262 overflowed system_clock's
// nanoseconds (undefined behaviour) instead of being refused.
TEST(Clock, ParseRefusesTimesOutsideTheClock) {
  for (const char* bad :
       {"2262-04-12T00:00:00Z", "4052-11-25T16:08:05Z", "9999-12-31T23:59:59.999-23:59", "1970-01-01T00:30:00+01:00"})
    EXPECT_FALSE(parse_utc(bad)) << bad;
  EXPECT_EQ(parse_utc("2262-04-10T23:59:59Z"), from_unix(9223286399));
  EXPECT_EQ(parse_utc("1970-01-01T01:00:00+01:00"), from_unix(0));
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  manual_clock c(from_unix(1000));
  EXPECT_EQ(to_unix(c.now()), 1000);
  c.advance(std::chrono::hours(24 * 7));
  EXPECT_EQ(to_unix(c.now()), 1000 + 7 * 86400);
}

TEST(Backoff, DoublesFromFirstUpToMost) {
  using std::chrono::seconds;
  const backoff_policy p{seconds(2), seconds(60), false};
  EXPECT_EQ(retry_backoff(0, p), seconds(2)) << "no failure counts as the first";
  EXPECT_EQ(retry_backoff(1, p), seconds(2));
  EXPECT_EQ(retry_backoff(2, p), seconds(4));
  EXPECT_EQ(retry_backoff(5, p), seconds(32));
  EXPECT_EQ(retry_backoff(6, p), seconds(60)) << "64 s capped";
  EXPECT_EQ(retry_backoff(1'000'000, p), seconds(60)) << "no overflow";
  EXPECT_EQ(retry_backoff(3, {seconds(10), std::chrono::minutes(5), false}), seconds(40));
  EXPECT_EQ(retry_backoff(9, {seconds(10), std::chrono::minutes(5), false}), std::chrono::minutes(5));
  EXPECT_EQ(retry_backoff(7, {seconds(0), seconds(0), false}), seconds(0));
  EXPECT_EQ(retry_backoff(7, {seconds(30), seconds(5), false}), seconds(30)) << "most below first: first";
}

TEST(Backoff, JitterAddsUpToAQuarter) {
  using std::chrono::milliseconds;
  const backoff_policy p{std::chrono::seconds(10), std::chrono::minutes(5), true};
  bool varied = false;
  for (int i = 0; i < 200; ++i) {
    const auto d = retry_backoff(2, p);
    EXPECT_GE(d, milliseconds(20'000));
    EXPECT_LT(d, milliseconds(25'000));
    varied = varied || d != retry_backoff(2, p);
    EXPECT_LT(retry_backoff(100, p), milliseconds(375'000));
  }
  EXPECT_TRUE(varied);
}

TEST(Random, UuidsAreVersion4AndDistinct) {
  const auto a = make_uuid();
  const auto b = make_uuid();
  EXPECT_TRUE(is_uuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  EXPECT_FALSE(is_uuid("0f0e0d0c-0b0a-4908-8706-05040302010"));
  EXPECT_FALSE(is_uuid("0f0e0d0c+0b0a-4908-8706-050403020100"));
}

TEST(Reading, FreshIdEachTime) {
  manual_clock c(from_unix(2000));
  const auto a = make_reading("hp:X1", c.now(), reading_source::fleetreg_mib);
  const auto b = make_reading("hp:X1", c.now(), reading_source::fleetreg_mib);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.terminal_key, "hp:X1");
  EXPECT_EQ(to_string(reading_source::printer_mib), "printer-mib");
  EXPECT_EQ(parse_reading_source("ipp"), reading_source::ipp);
}

}  // namespace
}  // namespace fleetreg
