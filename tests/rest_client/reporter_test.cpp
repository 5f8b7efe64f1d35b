// SPDX-License-Identifier: Apache-2.0
// The one reporting loop (rest_client::reporter) against the real center,
// in this process: its storage, service, API and HTTP server on a free
// loopback port. A small reporting side answers each request with one
// reading; what the center stored is read back from its storage.

#include "fleetreg/rest_client/reporter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/test/harness.hpp"
#include "http/server.hpp"

namespace fleetreg::rest_client {
namespace {

using namespace std::chrono_literals;

// The real center without its daemon's main: plain HTTP on 127.0.0.1.
struct in_process_center {
  explicit in_process_center(const test::temp_dir& dir) {
    center::crypto::init();
    cfg.listen = "http://127.0.0.1:" + std::to_string(test::free_port(false));
    cfg.allow_plain_http = true;
    cfg.database = dir.file("center.db");
    key.fill(7);
    store = std::make_unique<center::sqlite_storage>(cfg.database);
    svc = std::make_unique<center::operations>(*store, system_clock_source::instance(), cfg, key);
    api = std::make_unique<center::api>(*svc);
    http = std::make_unique<center::server>(*api, *store, cfg);
    svc->create_account("test", "dealer-a", center::role::dealer, "password-a-123");
  }
  center::account dealer() { return svc->require_account("dealer-a"); }
  center_options where() const { return {cfg.listen, "", "", true}; }
  std::size_t readings(const std::string& site) { return store->list_readings(site, 100).size(); }

  center::config cfg;
  center::crypto::digest key{};
  std::unique_ptr<center::sqlite_storage> store;
  std::unique_ptr<center::operations> svc;
  std::unique_ptr<center::api> api;
  std::unique_ptr<center::server> http;
};

// A terminal reporting for itself, its credential in memory.
class test_side final : public reporting_side {
 public:
  test_side(center_options where, std::string credential, outbox& box)
      : where_(std::move(where)), credential_(std::move(credential)), box_(box) {}

  round begin_round() override {
    ++rounds;
    if (revocations > 0) return {round::action::pause, 20ms, {}, {}};  // waits for a new code
    std::lock_guard lock(mutex_);
    return {round::action::report, {}, where_, credential_};
  }
  void revoked(const std::string&) override { ++revocations; }
  void store_credential(const std::string& credential) override {
    std::lock_guard lock(mutex_);
    credential_ = credential;
    ++rotations;
  }
  void answer(const std::string& request_id, center_client&) override {
    auto r = make_reading("hp:PHB1234", std::chrono::system_clock::now(), reading_source::terminal);
    r.counters.set(service::copy, counter_kind::impressions, 5);
    r.request_id = request_id;
    box_.add(r);
    ++answered;
  }

  std::atomic<int> rounds{0}, answered{0}, rotations{0}, revocations{0};

 private:
  std::mutex mutex_;
  center_options where_;
  std::string credential_;
  outbox& box_;
};

class Reporter : public ::testing::Test {
 protected:
  Reporter() : center(dir), db(dir.file("terminal.db"), sqlite::open_mode::create), box(db, clock) {
    // Registered the way the reporting sides register: with a code.
    center_client client(center.where(), 10s);
    const auto code = center.svc->issue_code(center.dealer(), "customer", "", "").code;
    const json::value terminal = {{"manufacturer", "HP"}, {"model", "LaserJet M404"}, {"serial", "PHB1234"}};
    const auto r = client.register_terminals(code, {{"kind", "terminal"}, {"name", "test"}},
                                             json::value::array({terminal}), "idem-1");
    site = r.site_id;
    side = std::make_unique<test_side>(center.where(), r.credential, box);
  }
  ~Reporter() override {
    stop.request();
    if (loop.joinable()) loop.join();
  }
  // Readings waiting in the outbox, seen through a connection of the test's
  // own (the reporter's thread owns `db` while it runs).
  std::int64_t backlog() {
    sqlite::database own(dir.file("terminal.db"), sqlite::open_mode::read_write);
    return outbox(own, clock).backlog().first;
  }
  // Runs the reporter on a thread of its own, long-polling with `wait`.
  void start(std::chrono::seconds wait) {
    loop = std::thread([this, wait] { reporter(*side, box, wait, stop).run(); });
  }

  test::temp_dir dir;
  in_process_center center;
  sqlite::database db;
  const system_clock_source& clock = system_clock_source::instance();
  outbox box;
  std::string site;
  std::unique_ptr<test_side> side;
  stop_signal stop;
  std::thread loop;
};

TEST_F(Reporter, AnswersRequestsTakesARotatedCredentialAndStopsDuringALongPoll) {
  start(20s);
  center.svc->request_reading(center.dealer(), site);
  ASSERT_TRUE(test::wait_until([&] { return center.readings(site) == 1; }, 20s)) << "answered, delivered";
  EXPECT_EQ(side->answered, 1);
  // Stored at the center, then acknowledged: out of the outbox.
  EXPECT_TRUE(test::wait_until([&] { return backlog() == 0; }, 20s));

  // Rotation: the new credential reaches the side, and the next exchange,
  // made with it, works.
  center.svc->rotate(center.dealer(), site);
  center.svc->request_reading(center.dealer(), site);
  ASSERT_TRUE(test::wait_until([&] { return center.readings(site) == 2; }, 20s));
  EXPECT_EQ(side->rotations, 1);
  EXPECT_EQ(side->revocations, 0);

  // Now in a long-poll of 20 s: a stop ends it at once.
  std::this_thread::sleep_for(500ms);
  const auto asked = std::chrono::steady_clock::now();
  stop.request();
  loop.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
  EXPECT_LE(side->rounds, 10) << "an idle center is long-polled, not asked in a loop";
}

TEST_F(Reporter, RevocationIsTheSidesAndTheLoopGoesOn) {
  start(3s);
  center.svc->revoke(center.dealer(), site);
  ASSERT_TRUE(test::wait_until([&] { return side->revocations >= 1; }, 30s));
  const int rounds = side->rounds;
  ASSERT_TRUE(test::wait_until([&] { return side->rounds > rounds + 2; }, 10s)) << "the side decides: here, wait";
  EXPECT_EQ(side->revocations, 1) << "nothing is sent while the side waits";
}

TEST_F(Reporter, ReadingsTakenOfflineWaitInTheOutboxUntilTheCenterAcknowledges) {
  // Readings taken before the loop starts are delivered in its first round.
  for (int i = 0; i < 3; ++i) {
    auto r = make_reading("hp:PHB1234", std::chrono::system_clock::now(), reading_source::terminal);
    r.counters.set(service::copy, counter_kind::impressions, static_cast<std::uint64_t>(i));
    box.add(r);
  }
  start(20s);
  ASSERT_TRUE(test::wait_until([&] { return center.readings(site) == 3; }, 20s));
  EXPECT_TRUE(test::wait_until([&] { return backlog() == 0; }, 20s));
}

}  // namespace
}  // namespace fleetreg::rest_client
