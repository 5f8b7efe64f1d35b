// SPDX-License-Identifier: Apache-2.0
// The zero-loss outbox of the reporting sides (no sockets): a reading stays
// until the center acknowledged it, retries back off, the caps drop the
// oldest, and what leaves unstored is counted.

#include "fleetreg/rest_client/outbox.hpp"

#include <gtest/gtest.h>

#include "fleetreg/core/json.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/rest_client/pacing.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::rest_client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

reading sample(const std::string& key) {
  auto r = make_reading(key, from_unix(1795622885), reading_source::fleetreg_mib);
  r.counters.set(service::copy, counter_kind::impressions, 5);
  return r;
}

TEST(Outbox, CommittedUntilAcknowledged) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  std::string id;
  {
    sqlite::database db(dir.file("o.db"), sqlite::open_mode::create);
    outbox box(db, clock);
    const auto r = sample("hp:A1");
    id = r.id;
    box.add(r);
    box.add(r);  // the same reading twice is one entry
  }
  sqlite::database db(dir.file("o.db"), sqlite::open_mode::read_write);  // "after a crash"
  outbox box(db, clock);
  auto due = box.due(100);
  ASSERT_EQ(due.size(), 1u);
  std::string why;
  EXPECT_EQ((*json::parse(due[0].body, why))["id"], id);
  box.retry_later({id});
  EXPECT_TRUE(box.due(100).empty()) << "backing off";
  clock.advance(seconds(2));
  ASSERT_EQ(box.due(100).size(), 1u);
  EXPECT_EQ(box.due(100)[0].attempts, 1);
  box.acknowledged({id});
  EXPECT_TRUE(box.due(100).empty());
  EXPECT_EQ(box.backlog().first, 0);
}

TEST(Outbox, BackoffGrowsAndStaysBounded) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  sqlite::database db(dir.file("o.db"), sqlite::open_mode::create);
  outbox box(db, clock);
  const auto r = sample("hp:A1");
  box.add(r);
  for (int i = 0; i < 20; ++i) box.retry_later({r.id});
  clock.advance(seconds(299));
  EXPECT_TRUE(box.due(1).empty());
  clock.advance(seconds(80));  // 300 s + at most 25 % jitter
  EXPECT_EQ(box.due(1).size(), 1u);
}

// The center is back: what waited out a backoff is due at once, the rest
// (due anyway) is untouched, and the attempts stay counted.
TEST(Outbox, DueNowEndsTheBackoffsButKeepsTheAttempts) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  sqlite::database db(dir.file("o.db"), sqlite::open_mode::create);
  outbox box(db, clock);
  const auto a = sample("hp:A1"), b = sample("hp:B2");
  box.add(a);
  box.add(b);
  for (int i = 0; i < 9; ++i) box.retry_later({a.id});
  ASSERT_EQ(box.due(10).size(), 1u) << "a backs off, b is due";
  EXPECT_EQ(box.due_now(), 1) << "only a was waiting";
  const auto due = box.due(10);
  ASSERT_EQ(due.size(), 2u);
  for (const auto& e : due) EXPECT_EQ(e.attempts, e.id == a.id ? 9 : 0);
  EXPECT_EQ(box.due_now(), 0);
}

// Issue 14: an outbox the center cannot drain never grows without limit;
// what leaves it unstored is counted (status shows it).
TEST(Outbox, CapsDropTheOldestAndRefusalsAreCounted) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  sqlite::database db(dir.file("o.db"), sqlite::open_mode::create);
  outbox box(db, clock, {5, std::chrono::hours(24)});
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    const auto r = sample("hp:A1");
    ids.push_back(r.id);
    box.add(r);
    clock.advance(seconds(1));
  }
  EXPECT_EQ(box.enforce_caps(), 3);
  EXPECT_EQ(box.backlog().first, 5);
  const auto due = box.due(100);
  ASSERT_EQ(due.size(), 5u);
  EXPECT_EQ(due[0].id, ids[3]) << "the oldest went first";
  EXPECT_EQ(due[0].terminal_key, "hp:A1");
  box.refused({ids[3], ids[4], "not-in-the-outbox"});
  EXPECT_EQ(box.stats().refused, 2);
  clock.advance(std::chrono::hours(25));
  EXPECT_EQ(box.enforce_caps(), 3) << "older than max_age";
  EXPECT_EQ(box.backlog().first, 0);
  EXPECT_EQ(box.stats().dropped, 6);
  EXPECT_EQ(box.enforce_caps(), 0);
}

TEST(Outbox, NotBeforeTheRetryAfter) {
  test::temp_dir dir;
  sqlite::database db(dir.file("o.db"), sqlite::open_mode::create);
  manual_clock clock(from_unix(1795622885) + milliseconds(300));
  outbox box(db, clock);
  const auto r = make_reading("hp:A1", clock.now(), reading_source::fleetreg_mib);
  box.add(r);
  box.retry_later({r.id}, seconds(120));
  clock.advance(milliseconds(119'700));
  EXPECT_TRUE(box.due(10).empty()) << "120 s after the refusal, not 119.7";
  clock.advance(seconds(1));
  EXPECT_EQ(box.due(10).size(), 1u);
  // A refusal's schedule: 10 s doubling (the second attempt: 20 s, plus up to 5 s).
  box.retry_later({r.id}, seconds(0), center_pacing::refusing_backoff);
  clock.advance(seconds(19));
  EXPECT_TRUE(box.due(10).empty());
  clock.advance(seconds(7));
  EXPECT_EQ(box.due(10).size(), 1u);
}

}  // namespace
}  // namespace fleetreg::rest_client
