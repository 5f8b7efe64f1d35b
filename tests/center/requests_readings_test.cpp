// SPDX-License-Identifier: Apache-2.0
#include <map>

#include "center_fixture.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/test/postgres_cluster.hpp"

namespace fleetreg::center {
namespace {

using test_support::CenterTest;

class SiteTest : public CenterTest {
 protected:
  void SetUp() override {
    std::tie(site, cred) =
        register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1"), terminal("Ricoh", "R2")});
  }
  http::response send_readings(json::value list, const std::string& bearer) {
    return call(post("/api/v1/readings", {{"readings", std::move(list)}}, bearer));
  }
  std::string site, cred;
};

TEST_F(SiteTest, LongPollIsDeferredAndLeasesRequests) {
  auto waiting = api_->handle(get("/api/v1/requests", cred, {{"wait", "25"}}));
  auto* d = std::get_if<http::deferred>(&waiting);
  ASSERT_NE(d, nullptr) << "an idle long-poll is parked, not answered";
  EXPECT_EQ(d->key, site);
  EXPECT_EQ(d->wait, std::chrono::seconds(25));
  EXPECT_FALSE(d->poll());
  EXPECT_EQ(d->timeout.status, 204);
  const auto id = svc->request_reading(svc->require_account("dealer-a"), site);
  const auto answer = d->poll();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(body_of(*answer)["requests"][0]["id"], id);
  // Leased: not offered again within the lease...
  EXPECT_EQ(call(get("/api/v1/requests", cred)).status, 204);
  // ...but offered again when the lease ran out unanswered.
  clock.advance(cfg.lease + std::chrono::seconds(1));
  const auto again = call(get("/api/v1/requests", cred));
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(body_of(again)["requests"][0]["id"], id);
  // Answered by a reading: gone for good.
  EXPECT_EQ(send_readings({reading_json(make_uuid(), "hp:A1", 10, id)}, cred).status, 200);
  clock.advance(cfg.lease + std::chrono::seconds(1));
  EXPECT_EQ(call(get("/api/v1/requests", cred)).status, 204);
  EXPECT_TRUE(store->list_requests(site)[0].answered_at);
}

TEST_F(SiteTest, WaitIsValidated) {
  EXPECT_EQ(call(get("/api/v1/requests", cred, {{"wait", "-1"}})).status, 400);
  EXPECT_EQ(call(get("/api/v1/requests", cred, {{"wait", "abc"}})).status, 400);
  EXPECT_EQ(call(get("/api/v1/requests", cred, {{"wait", "100000"}})).status, 400);
}

TEST_F(SiteTest, ScheduleQueuesADailyRequestPerSite) {
  EXPECT_EQ(store->queue_due_requests(clock.now(), cfg.schedule_interval).size(), 1u);
  EXPECT_TRUE(store->queue_due_requests(clock.now(), cfg.schedule_interval).empty()) << "not twice a day";
  clock.advance(cfg.schedule_interval);
  EXPECT_EQ(store->queue_due_requests(clock.now(), cfg.schedule_interval).size(), 1u);
  EXPECT_EQ(store->list_requests(site).size(), 2u);
}

// The clock a day ahead, then right again (issue 18's drill): a lease taken
// in the future is over, and the schedule runs at once, instead of both
// waiting for the clock to catch up.
TEST_F(SiteTest, LeasesAndScheduleSurviveTheClockGoingBack) {
  EXPECT_EQ(store->queue_due_requests(clock.now(), cfg.schedule_interval).size(), 1u);
  const auto ahead = clock.now() + std::chrono::hours(24);
  EXPECT_EQ(store->queue_due_requests(ahead, cfg.schedule_interval).size(), 1u);
  EXPECT_EQ(store->lease_requests(site, ahead, cfg.lease).size(), 2u);
  // Back: offered again, then leased for the lease as usual.
  EXPECT_EQ(store->lease_requests(site, clock.now(), cfg.lease).size(), 2u);
  EXPECT_TRUE(store->lease_requests(site, clock.now(), cfg.lease).empty());
  // Scheduled again at once, then not twice within the interval.
  EXPECT_EQ(store->queue_due_requests(clock.now(), cfg.schedule_interval).size(), 1u);
  EXPECT_TRUE(store->queue_due_requests(clock.now() + std::chrono::hours(1), cfg.schedule_interval).empty());
}

TEST_F(SiteTest, ReadingsAreDeduplicatedByIdAndResetsFlagged) {
  const auto a = make_uuid(), b = make_uuid();
  auto r = send_readings({reading_json(a, "hp:A1", 100), reading_json(b, "ricoh:R2", 7)}, cred);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["accepted"], 2);
  r = send_readings({reading_json(a, "hp:A1", 100), reading_json(b, "ricoh:R2", 7)}, cred);
  EXPECT_EQ(body_of(r)["accepted"], 0);
  EXPECT_EQ(body_of(r)["duplicates"], 2);
  // A lower counter later is a reset or swap: stored as read, flagged.
  auto later = reading_json(make_uuid(), "hp:A1", 5);
  later["taken_at"] = format_utc(from_unix(1795622885 + 60));
  r = send_readings({later}, cred);
  EXPECT_EQ(body_of(r)["resets"], 1);
  const auto stored = store->list_readings(site, 100);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_TRUE(stored.back().counter_reset);
  EXPECT_EQ(stored.back().r.counters.get(service::copy, counter_kind::impressions), 5u);
}

// A batch is stored as if one reading at a time (issue 17 stores it with one
// multi-row INSERT): an id sent twice in a batch is stored once, and a
// reading already stored does not count as the terminal's latest for the
// reset check of the readings after it, even when it comes back changed.
TEST_F(SiteTest, ABatchIsStoredAsOneReadingAtATime) {
  const auto at = [](int seconds) { return format_utc(from_unix(1795622885 + seconds)); };
  const auto a = make_uuid(), twice = make_uuid(), c = make_uuid();
  auto r = send_readings({reading_json(a, "hp:A1", 100)}, cred);
  ASSERT_EQ(body_of(r)["accepted"], 1) << r.body;
  auto a_again = reading_json(a, "hp:A1", 10);  // its id, other counters, later
  a_again["taken_at"] = at(30);
  auto first = reading_json(twice, "ricoh:R2", 7), second = reading_json(twice, "ricoh:R2", 8);
  auto after = reading_json(c, "hp:A1", 50);  // below the stored 100: a reset
  after["taken_at"] = at(60);
  r = send_readings({a_again, first, second, after}, cred);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = body_of(r);
  EXPECT_EQ(b["accepted"], 2);
  EXPECT_EQ(b["duplicates"], 2);
  EXPECT_EQ(b["resets"], 1);
  ASSERT_EQ(b["results"].size(), 4u);
  EXPECT_EQ(b["results"][0]["status"], "duplicate");
  EXPECT_EQ(b["results"][1]["status"], "stored");
  EXPECT_EQ(b["results"][2]["status"], "duplicate");
  EXPECT_EQ(b["results"][3]["status"], "stored");
  std::map<std::string, stored_reading> by_id;
  for (auto& s : store->list_readings(site, 100)) by_id[s.r.id] = s;
  ASSERT_EQ(by_id.size(), 3u);
  EXPECT_EQ(by_id[a].r.counters.get(service::copy, counter_kind::impressions), 100u) << "the first one stays";
  EXPECT_EQ(by_id[twice].r.counters.get(service::copy, counter_kind::impressions), 7u);
  EXPECT_TRUE(by_id[c].counter_reset);
  EXPECT_FALSE(by_id[a].counter_reset);
  // The terminal's latest is the reset reading: 60 more is no reset.
  auto next = reading_json(make_uuid(), "hp:A1", 60);
  next["taken_at"] = at(90);
  EXPECT_EQ(body_of(send_readings({next}, cred))["resets"], 0);
}

// Before issue 14 one reading naming a terminal not at the site refused the
// whole batch, and the client sent it again forever.
TEST_F(SiteTest, BadReadingsAreRefusedAloneWithTheirReason) {
  const auto good = reading_json(make_uuid(), "hp:A1", 1);
  const auto stranger = reading_json(make_uuid(), "canon:NOT-HERE", 1);
  auto negative = reading_json(make_uuid(), "hp:A1", 1);
  negative["counters"]["copy"]["impressions"] = -5;
  auto unknown_kind = reading_json(make_uuid(), "hp:A1", 1);
  unknown_kind["counters"]["copy"]["clicks"] = 5;
  auto future = reading_json(make_uuid(), "hp:A1", 1);
  future["taken_at"] = format_utc(clock.now() + std::chrono::hours(2));
  auto ancient = reading_json(make_uuid(), "hp:A1", 1);
  ancient["taken_at"] = format_utc(clock.now() - cfg.max_reading_age - std::chrono::hours(1));
  const auto r = send_readings({good, stranger, negative, unknown_kind, future, ancient}, cred);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = body_of(r);
  EXPECT_EQ(b["accepted"], 1);
  EXPECT_EQ(b["refused"], 5);
  ASSERT_EQ(b["results"].size(), 6u);
  EXPECT_EQ(b["results"][0]["id"], good["id"]);
  EXPECT_EQ(b["results"][0]["status"], "stored");
  EXPECT_EQ(b["results"][1]["status"], "refused");
  EXPECT_EQ(b["results"][1]["reason"], "not_at_site");
  for (int i = 2; i <= 4; ++i) {
    EXPECT_EQ(b["results"][i]["status"], "refused") << i;
    EXPECT_TRUE(b["results"][i]["reason"].get<std::string>().starts_with("invalid")) << i;
  }
  EXPECT_EQ(b["results"][5]["reason"], "too_old");
  EXPECT_EQ(store->list_readings(site, 100).size(), 1u);
  // A reading without a usable id cannot be answered: the batch is refused.
  auto bad_id = reading_json("not-a-uuid", "hp:A1", 1);
  EXPECT_EQ(send_readings({reading_json(make_uuid(), "hp:A1", 2), bad_id}, cred).status, 422);
  json::value many = json::value::array();
  for (int i = 0; i <= cfg.max_readings_per_batch; ++i) many.push_back(good);
  const auto big = send_readings(many, cred);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(body_of(big)["error"]["max_readings_per_batch"], cfg.max_readings_per_batch) << "the limit to split by";
  EXPECT_EQ(store->list_readings(site, 100).size(), 1u);
}

TEST_F(SiteTest, RevokedOrWrongCredentialStoresNothing) {
  EXPECT_EQ(send_readings({reading_json(make_uuid(), "hp:A1", 1)}, "frc1_guess").status, 401);
  svc->revoke(svc->require_account("dealer-a"), site);
  const auto r = send_readings({reading_json(make_uuid(), "hp:A1", 1)}, cred);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "credential_invalid");
  EXPECT_TRUE(store->list_readings(site, 100).empty());
  // Revoked stays revoked: rotation has nothing to rotate (a new code does it).
  EXPECT_THROW(svc->rotate(svc->require_account("dealer-a"), site), error);
  EXPECT_EQ(send_readings({reading_json(make_uuid(), "hp:A1", 1)}, cred).status, 401);
}

TEST_F(SiteTest, DealersSeeAndActOnTheirOwnCustomersOnly) {
  const auto other = svc->require_account("dealer-b");
  EXPECT_THROW(svc->request_reading(other, site), error);
  EXPECT_THROW(svc->revoke(other, site), error);
  EXPECT_THROW(svc->rotate(other, site), error);
  EXPECT_TRUE(store->list_sites(other.id).empty());
  EXPECT_EQ(store->list_sites(svc->require_account("dealer-a").id).size(), 1u);
  EXPECT_NO_THROW(svc->request_reading(svc->require_account("root"), site)) << "an admin sees all";
  EXPECT_EQ(send_readings({reading_json(make_uuid(), "hp:A1", 1)}, cred).status, 200) << "nothing was revoked";
}

TEST_F(SiteTest, MonitoringNeedsItsToken) {
  EXPECT_EQ(call(get("/api/v1/status")).status, 401);
  EXPECT_EQ(call(get("/api/v1/status", cred)).status, 401) << "a site credential is not a monitoring token";
  const auto token = svc->issue_monitoring_token("test", "nagios");
  const auto r = call(get("/api/v1/status", token));
  ASSERT_EQ(r.status, 200);
  const auto b = body_of(r);
  EXPECT_EQ(b["sites"], 1);
  EXPECT_EQ(b["terminals"], 2);
  const auto m = call(get("/metrics", token));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("fleetreg_terminals 2"), std::string::npos);
  EXPECT_NE(m.body.find("fleetreg_refusals_total{reason=\"token_invalid\"} 2"), std::string::npos) << m.body;
  EXPECT_EQ(call(get("/healthz")).status, 200);
}

TEST_F(SiteTest, AccountsAndPasswords) {
  const auto a = svc->require_account("dealer-a");
  EXPECT_TRUE(a.password_hash.starts_with("$argon2id$"));
  EXPECT_TRUE(crypto::verify_password("password-a-123", a.password_hash));
  EXPECT_FALSE(crypto::verify_password("password-a-124", a.password_hash));
  EXPECT_THROW(svc->create_account("test", "dealer-a", role::dealer, "long-enough-1"), error);
  EXPECT_THROW(svc->create_account("test", "short", role::dealer, "short"), error);
  EXPECT_THROW(svc->issue_code(a, "", "", ""), error) << "customer name required";
  EXPECT_THROW(svc->issue_code(a, std::string(300, 'x'), "", ""), error);
}

}  // namespace
}  // namespace fleetreg::center

namespace fleetreg::center {
namespace {

using test_support::CenterTest;

TEST_F(CenterTest, TransferAndRetireTerminals) {
  const auto [site_a, cred_a] =
      register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1"), terminal("HP", "A2")});
  const auto [site_a2, cred_a2] = register_site(issue("dealer-a", "Beta Inc"), {terminal("HP", "B1")});
  const auto [site_b, cred_b] = register_site(issue("dealer-b", "Other GmbH"), {terminal("HP", "O1")});
  const auto dealer_a = svc->require_account("dealer-a");
  // A dealer cannot move a terminal into (or out of) another dealer's customer.
  EXPECT_THROW(svc->transfer_terminal(dealer_a, "hp:A1", site_b), error);
  EXPECT_THROW(svc->transfer_terminal(svc->require_account("dealer-b"), "hp:A1", site_b), error);
  svc->transfer_terminal(dealer_a, "hp:A1", site_a2);
  EXPECT_EQ(store->find_terminal("hp:A1")->site_id, site_a2);
  // Readings taken from now on belong with the new site's credential only.
  clock.advance(std::chrono::minutes(1));
  auto now_reading = [&] {
    auto r = reading_json(make_uuid(), "hp:A1", 1);
    r["taken_at"] = format_utc(clock.now());
    return r;
  };
  const auto old_site = call(post("/api/v1/readings", {{"readings", {now_reading()}}}, cred_a));
  EXPECT_EQ(old_site.status, 200);
  EXPECT_EQ(body_of(old_site)["results"][0]["reason"], "not_at_site");
  const auto new_site = call(post("/api/v1/readings", {{"readings", {now_reading()}}}, cred_a2));
  EXPECT_EQ(body_of(new_site)["results"][0]["status"], "stored");
  // Retired: gone from the site, its readings kept, registrable again.
  svc->retire_terminal(dealer_a, "hp:A1");
  EXPECT_FALSE(store->find_terminal("hp:A1"));
  EXPECT_EQ(store->list_readings(site_a2, 10).size(), 1u);
  register_site(issue("dealer-b", "Other GmbH"), {terminal("HP", "A1")});
  EXPECT_EQ(store->find_terminal("hp:A1")->site_id != site_a2, true);
  EXPECT_THROW(svc->retire_terminal(dealer_a, "hp:NOPE"), error);
}

}  // namespace
}  // namespace fleetreg::center

#include <thread>

namespace fleetreg::center {
namespace {

using test_support::CenterTest;

// Concurrent uploads share commits (group commit); each stays atomic.
// Three readings of hp:A1 with fresh ids, taken at `t`.
std::vector<reading> three_readings(time_point t) {
  std::vector<reading> batch(3);
  for (auto& r : batch) {
    r.id = make_uuid();
    r.terminal_key = "hp:A1";
    r.taken = t;
    r.counters.set(service::copy, counter_kind::impressions, 1);
  }
  return batch;
}

TEST_F(CenterTest, ConcurrentUploadsAreEachAtomic) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  constexpr int threads = 8, rounds = 20;
  std::atomic<int> refused{0};
  std::atomic<int> partial{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        auto batch = three_readings(clock.now());
        // Every odd thread's every fifth upload names a stranger: that
        // reading alone is refused.
        if (t % 2 == 1 && i % 5 == 0) batch[2].terminal_key = "hp:STRANGER";
        const auto res = store->store_readings(site, batch, clock.now(), clock.now() - std::chrono::hours(24));
        refused += static_cast<int>(res.refused);
        if (res.refused > 0) ++partial;
        EXPECT_EQ(res.accepted + res.refused, 3);
        EXPECT_EQ(res.answers.size(), 3u);
      }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(refused.load(), 4 * 4);
  EXPECT_EQ(partial.load(), 4 * 4);
  EXPECT_EQ(store->list_readings(site, 10000).size(), static_cast<std::size_t>(threads * rounds * 3 - 16));
}

// An upload the database engine itself refuses (here a trigger; in life a
// value the engine will not take) fails alone: the uploads committed in the
// same group are stored, each once (the group runs again without it).
TEST_F(CenterTest, AnUploadTheEngineRefusesFailsAloneInItsGroup) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  const std::string poison = "00000000-dead-4bad-8bad-0000000000";  // + two digits
  if (database.postgresql()) {
    test::pg_connection(database.location)
        .query(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.id LIKE '00000000-dead-%' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
            "RETURN NEW; END $$; CREATE TRIGGER poison BEFORE INSERT ON readings FOR EACH ROW "
            "EXECUTE FUNCTION refuse_poison();");
  } else {
    sqlite::database(database.location, sqlite::open_mode::read_write)
        .exec(
            "CREATE TRIGGER poison BEFORE INSERT ON readings WHEN NEW.id LIKE '00000000-dead-%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
  }
  constexpr int threads = 8, rounds = 20;
  std::atomic<int> failed{0}, stored{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        auto batch = three_readings(clock.now());
        // Every odd thread's every fifth upload carries one poisoned reading.
        if (t % 2 == 1 && i % 5 == 0) batch[1].id = poison + std::to_string(10 + t * rounds / 5 + i / 5);
        try {
          const auto res = store->store_readings(site, batch, clock.now(), clock.now() - std::chrono::hours(24));
          EXPECT_EQ(res.accepted, 3);
          stored += static_cast<int>(res.accepted);
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(failed.load(), 4 * 4);
  EXPECT_EQ(stored.load(), threads * rounds * 3 - 16 * 3);
  const auto all = store->list_readings(site, 10000);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * rounds * 3 - 16 * 3)) << "nothing of a failed upload";
  std::set<std::string> ids;
  for (const auto& r : all) EXPECT_TRUE(ids.insert(r.r.id).second) << "stored twice: " << r.r.id;
}

// PostgreSQL's disk_full (SQLSTATE 53100, raised here by a trigger) is the
// seam's storage_full: the upload is refused with 507 storage_full and
// Retry-After, nothing of it is stored, and the next one that fits is.
// (SQLite's SQLITE_FULL comes from a real full tmpfs in the drill suite,
// tests/it/drill_test.cpp: a trigger cannot raise it.)
TEST_F(SiteTest, DiskFullIsA507AndNothingIsStored) {
  if (!database.postgresql()) GTEST_SKIP() << "PostgreSQL only; SQLite's full disk is a drill";
  test::pg_connection(database.location)
      .query(
          "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "IF NEW.id LIKE '00000000-f000-%' THEN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END IF; "
          "RETURN NEW; END $$; CREATE TRIGGER full_disk BEFORE INSERT ON readings FOR EACH ROW "
          "EXECUTE FUNCTION disk_full();");
  const auto refused = send_readings(
      {reading_json(make_uuid(), "hp:A1", 5, ""), reading_json("00000000-f000-4000-8000-000000000001", "hp:A1", 6, "")},
      cred);
  EXPECT_EQ(refused.status, 507);
  EXPECT_EQ(body_of(refused)["error"]["code"], "storage_full");
  bool retry_after = false;
  for (const auto& [name, value] : refused.headers) retry_after = retry_after || name == "Retry-After";
  EXPECT_TRUE(retry_after);
  EXPECT_TRUE(store->list_readings(site, 100).empty());
  EXPECT_EQ(send_readings({reading_json(make_uuid(), "hp:A1", 7, "")}, cred).status, 200);
  EXPECT_EQ(store->list_readings(site, 100).size(), 1u);
}

}  // namespace
}  // namespace fleetreg::center
