// SPDX-License-Identifier: Apache-2.0
// The pace of the reporting loops towards the center (no sockets): what a
// Retry-After and a center's max_wait are read as, how long each answer
// makes the loop wait, and what it logs, once.

#include "fleetreg/rest_client/pacing.hpp"

#include <gtest/gtest.h>

namespace fleetreg::rest_client {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Sun, 06 Nov 1994 08:49:37 GMT
const time_point rfc_example = from_unix(784111777);

TEST(RetryAfter, DeltaSecondsClampedToOneSecondAndOneHour) {
  const auto now = from_unix(1795622885);
  EXPECT_EQ(parse_retry_after("120", now), seconds(120));
  EXPECT_EQ(parse_retry_after(" 30\t", now), seconds(30)) << "whitespace around the value";
  EXPECT_EQ(parse_retry_after("0", now), seconds(1)) << "at once is not a busy loop either";
  EXPECT_EQ(parse_retry_after("3600", now), seconds(3600));
  EXPECT_EQ(parse_retry_after("3601", now), seconds(3600));
  EXPECT_EQ(parse_retry_after("99999999999999999999999999999", now), seconds(3600)) << "huge, no overflow";
  EXPECT_EQ(parse_retry_after("000000000000000000000000000007", now), seconds(7));
}

TEST(RetryAfter, GarbageIsNoRetryAfter) {
  const auto now = from_unix(1795622885);
  for (const char* bad :
       {"", "  ", "-5", "+5", "1.5", "5s", "5 s", "soon", "0x10", "1e3", "Sun, 06 Nov 1994",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 2026 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT junk", "Sunday, 06 Nov 1994 08:49:37 GMT", "Sun,06 Nov 1994 08:49:37 GMT"})
    EXPECT_FALSE(parse_retry_after(bad, now)) << '"' << bad << '"';
}

TEST(RetryAfter, HttpDateInAllThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), rfc_example);
  EXPECT_EQ(parse_http_date("Wed, 25 Nov 2026 16:08:05 GMT"), from_unix(1795622885));
  EXPECT_FALSE(parse_http_date("Sun Nov 6 08:49:37 1994")) << "asctime pads the day with a space";
  EXPECT_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT")) << "beyond a time_point";
}

TEST(RetryAfter, HttpDateCountsFromNowNeverSooner) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example - seconds(90)), seconds(90));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example - milliseconds(89'500)), seconds(90))
      << "rounded up";
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example + minutes(5)), seconds(1)) << "past";
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example - std::chrono::hours(48)), seconds(3600));
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", rfc_example), seconds(3600)) << "far future";
}

TEST(MaxWait, OnlyAWholeNumberInAnInvalidWaitError) {
  EXPECT_EQ(parse_max_wait(R"({"error": {"code": "invalid_wait", "message": "wait must be 0..60", "max_wait": 60}})"),
            seconds(60));
  EXPECT_EQ(parse_max_wait(R"({"error": {"code": "invalid_wait", "max_wait": 0}})"), seconds(0));
  for (const char* bad : {R"({"error": {"code": "invalid_wait", "message": "wait must be 0..60"}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": -1}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": 1.5}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": "60"}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": null}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": 1e30}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": 18446744073709551615}})",
                          R"({"error": {"code": "invalid_wait", "max_wait": 86401}})",
                          R"({"error": {"code": "bad_request", "max_wait": 60}})", R"({"max_wait": 60})",
                          R"({"error": "invalid_wait"})", "", "not json", "[]"})
    EXPECT_FALSE(parse_max_wait(bad)) << bad;
}

// Answers as center_client makes them.
center_client::poll answer(int status, std::string error = {}) {
  center_client::poll p;
  p.status = status;
  p.reachable = status != 0 && status < 500;
  p.error = std::move(error);
  p.revoked = status == 401;
  p.elapsed = milliseconds(5);
  return p;
}
center_client::poll asked_to_wait(int status, seconds retry_after) {
  auto p = answer(status, "try again later (too_many_attempts)");
  p.retry_after = retry_after;
  return p;
}
center_client::poll invalid_wait(std::optional<seconds> max_wait) {
  auto p = answer(400, "wait must be 0..60 seconds (invalid_wait)");
  p.max_wait = max_wait;
  return p;
}

// The logging facade writes to stderr; keep the test output quiet.
class Pacing : public ::testing::Test {
 protected:
  void SetUp() override { log::set_threshold(log::level::emerg); }
  void TearDown() override { log::set_threshold(log::level::info); }
};

TEST_F(Pacing, RetryAfterIsHonouredAndLoggedOnce) {
  center_pacing pacing(seconds(25));
  auto d = pacing.after(asked_to_wait(429, seconds(30)));
  EXPECT_EQ(d.state, center_state::asks_to_wait);
  EXPECT_EQ(d.pause, seconds(30));
  EXPECT_EQ(d.level, log::level::warning);
  EXPECT_NE(d.message.find("too_many_attempts"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("HTTP 429"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("30 s"), std::string::npos) << d.message;
  EXPECT_GT(pacing.until_next_poll(), seconds(29));
  for (int i = 0; i < 5; ++i) {
    d = pacing.after(asked_to_wait(429, seconds(30)));
    EXPECT_EQ(d.pause, seconds(30)) << "the center's word, not a growing backoff";
    EXPECT_EQ(d.message, "") << "logged once";
  }
  d = pacing.after(asked_to_wait(503, seconds(3600)));
  EXPECT_EQ(d.pause, std::chrono::hours(1));
  EXPECT_NE(d.message.find("HTTP 503"), std::string::npos) << "another answer: logged again";
  d = pacing.after(answer(204));
  EXPECT_EQ(d.state, center_state::accepting);
  EXPECT_EQ(d.message, "center accepts requests again");
  EXPECT_EQ(d.level, log::level::notice);
  EXPECT_EQ(pacing.after(answer(204)).message, "");
}

TEST_F(Pacing, TooManyRequestsWithoutRetryAfterBacksOffLikeARefusal) {
  center_pacing pacing(seconds(25));
  auto d = pacing.after(answer(429, "try again later (too_many_attempts)"));
  EXPECT_EQ(d.state, center_state::asks_to_wait);
  EXPECT_GE(d.pause, seconds(10));
  EXPECT_LT(d.pause, milliseconds(12'500));
  d = pacing.after(answer(429, "try again later (too_many_attempts)"));
  EXPECT_GE(d.pause, seconds(20));
  EXPECT_EQ(d.message, "");
}

TEST_F(Pacing, OtherClientErrorsBackOffToFiveMinutesAndLogOncePerChange) {
  center_pacing pacing(seconds(25));
  auto d = pacing.after(answer(403, "this credential may not do that (forbidden)"));
  EXPECT_EQ(d.state, center_state::refusing);
  EXPECT_EQ(d.level, log::level::err);
  EXPECT_NE(d.message.find("forbidden"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("HTTP 403"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("configuration"), std::string::npos) << d.message;
  // 10 s, 20 s, 40 s ... up to 5 min, each plus up to a quarter; logged once.
  auto base = seconds(10);
  for (int i = 0; i < 12; ++i) {
    if (i > 0) {
      d = pacing.after(answer(403, "this credential may not do that (forbidden)"));
      EXPECT_EQ(d.message, "") << "attempt " << i;
    }
    EXPECT_GE(d.pause, base) << "attempt " << i;
    EXPECT_LE(d.pause, milliseconds(base) * 5 / 4) << "attempt " << i;
    base = std::min<seconds>(base * 2, minutes(5));
  }
  // Another refusal: logged again; still refusing, so the backoff goes on.
  d = pacing.after(answer(404, "no such endpoint: /api/v1/requests (not_found)"));
  EXPECT_NE(d.message.find("not_found"), std::string::npos);
  EXPECT_GE(d.pause, minutes(5));
  // Another kind of trouble starts its own backoff.
  d = pacing.after(answer(0, "timeout"));
  EXPECT_LT(d.pause, seconds(3));
  d = pacing.after(answer(404, "no such endpoint: /api/v1/requests (not_found)"));
  EXPECT_NE(d.message, "") << "back to a refusal: logged";
  EXPECT_LT(d.pause, milliseconds(12'500));
  // Answered: said once, no pause but the long-poll's own.
  d = pacing.after(answer(204));
  EXPECT_EQ(d.message, "center accepts requests again");
  EXPECT_LT(d.pause, seconds(26));
}

TEST_F(Pacing, RedirectsAndSenselessAnswersAreRefusals) {
  center_pacing pacing(seconds(25));
  EXPECT_EQ(pacing.after(answer(301, "HTTP 301")).state, center_state::refusing);
  EXPECT_EQ(pacing.after(answer(200, "the center's answer has no requests list")).state, center_state::refusing);
  EXPECT_EQ(pacing.after(answer(202, "HTTP 202")).state, center_state::refusing);
}

TEST_F(Pacing, UnreachableBacksOffToAMinuteAndLogsOnce) {
  center_pacing pacing(seconds(25));
  auto d = pacing.after(answer(0, "Failed to connect to any resolved endpoint"));
  EXPECT_EQ(d.state, center_state::unreachable);
  EXPECT_EQ(d.message.rfind("center unreachable: Failed to connect", 0), 0u) << d.message;
  EXPECT_GE(d.pause, seconds(2));
  for (int i = 0; i < 10; ++i) d = pacing.after(answer(0, "Failed to connect to any resolved endpoint"));
  EXPECT_EQ(d.message, "");
  EXPECT_GE(d.pause, seconds(60));
  EXPECT_LE(d.pause, seconds(75));
  // A 503 without Retry-After and a 502 are the center being down, too.
  EXPECT_EQ(pacing.after(answer(503, "HTTP 503")).state, center_state::unreachable);
  EXPECT_EQ(pacing.after(answer(502, "HTTP 502")).state, center_state::unreachable);
}

TEST_F(Pacing, WaitIsClampedToTheCentersMaximumOnce) {
  center_pacing pacing(seconds(120));
  EXPECT_EQ(pacing.wait(), seconds(120));
  auto d = pacing.after(invalid_wait(seconds(60)));
  EXPECT_EQ(pacing.wait(), seconds(60));
  EXPECT_EQ(d.pause, milliseconds(0)) << "polls again at once, with a wait the center takes";
  EXPECT_EQ(d.level, log::level::notice);
  EXPECT_NE(d.message.find("at most 60 s"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("120 s is clamped to 60 s"), std::string::npos) << d.message;
  EXPECT_EQ(pacing.after(answer(204)).message, "") << "clamping is no refusal";
  EXPECT_EQ(pacing.wait(), seconds(60)) << "from then on";
  // The center refuses even the wait it named: a plain refusal, backed off.
  d = pacing.after(invalid_wait(seconds(60)));
  EXPECT_EQ(d.state, center_state::refusing);
  EXPECT_GE(d.pause, seconds(10));
  EXPECT_EQ(pacing.wait(), seconds(60));
}

TEST_F(Pacing, InvalidWaitWithoutAUsableMaximumIsARefusal) {
  center_pacing pacing(seconds(120));
  const auto d = pacing.after(invalid_wait(std::nullopt));
  EXPECT_EQ(d.state, center_state::refusing);
  EXPECT_GE(d.pause, seconds(10));
  EXPECT_NE(d.message.find("invalid_wait"), std::string::npos);
  EXPECT_EQ(pacing.wait(), seconds(120));
}

TEST_F(Pacing, EmptyAnswersNeverComeFasterThanTheWait) {
  center_pacing zero(seconds(0));
  auto d = zero.after(answer(204));
  EXPECT_EQ(d.pause, center_pacing::short_poll_interval - milliseconds(5)) << "wait 0: one poll per 30 s";
  EXPECT_EQ(d.message, "");
  center_pacing held(seconds(25));
  auto p = answer(204);
  p.elapsed = seconds(25);
  EXPECT_EQ(held.after(p).pause, milliseconds(0)) << "the center held it: poll again";
  p.elapsed = milliseconds(40);
  EXPECT_EQ(held.after(p).pause, milliseconds(24'960)) << "an early empty answer";
  p = answer(200);
  p.request_ids = {"r-1"};
  EXPECT_EQ(held.after(p).pause, milliseconds(0)) << "requests answered: poll again at once";
  EXPECT_EQ(zero.after(p).pause, milliseconds(0));
}

TEST_F(Pacing, RevocationIsTheLoopsToHandle) {
  center_pacing pacing(seconds(25));
  const auto d = pacing.after(answer(401, "the credential was revoked (revoked)"));
  EXPECT_EQ(d.pause, milliseconds(0));
  EXPECT_EQ(d.message, "");
}

TEST_F(Pacing, UploadsAreLoggedOncePerChange) {
  center_pacing pacing(seconds(25));
  center_client::delivery u;
  EXPECT_EQ(pacing.after(u).message, "") << "nothing was due";
  u.status = 400;
  u.error = "the reading is malformed (invalid_reading)";
  auto d = pacing.after(u);
  EXPECT_EQ(d.state, center_state::refusing);
  EXPECT_NE(d.message.find("invalid_reading"), std::string::npos);
  EXPECT_EQ(pacing.after(u).message, "");
  EXPECT_EQ(pacing.after(center_client::delivery{}).message, "") << "nothing due is no news";
  u.status = 0;
  u.error = "cannot reach the center: timeout";
  EXPECT_EQ(pacing.after(u).message, "") << "reachability is the polls' to say";
  u.status = 429;
  u.error = "try again later (too_many_attempts)";
  u.retry_after = seconds(90);
  d = pacing.after(u);
  EXPECT_EQ(d.state, center_state::asks_to_wait);
  EXPECT_NE(d.message.find("90 s"), std::string::npos) << d.message;
  EXPECT_EQ(pacing.after(u).message, "");
  u = {};
  u.status = 200;
  u.acknowledged = 3;
  EXPECT_EQ(pacing.after(u).message, "center accepts readings again");
  EXPECT_EQ(pacing.after(u).message, "");
  // Uploads do not hold the polls back (the outbox keeps each reading's time).
  EXPECT_EQ(pacing.until_next_poll(), milliseconds(0));
}

}  // namespace
}  // namespace fleetreg::rest_client
