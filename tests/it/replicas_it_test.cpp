// SPDX-License-Identifier: Apache-2.0
// Two fleetreg-center replicas on one PostgreSQL database behind Debian's
// nginx (issue 17): a session made on one replica works on the other, a
// request queued through one wakes a long-poll parked on the other, and a
// collector registering and delivering 10,000 readings through the balancer
// carries on through the survivor when a replica is SIGKILLed mid-ingest:
// every reading stored once, none lost.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/rest_client/outbox.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/dealer_site_client.hpp"
#include "fleetreg/test/nginx_balancer.hpp"
#include "fleetreg/test/postgres_cluster.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"
#include "fleetreg/test/test_database.hpp"

namespace fleetreg::test {
namespace {

using namespace std::chrono_literals;

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    code = a.dealer_and_code("dealer", "Acme Ltd");
    a.start();
    b.start();
    lb = std::make_unique<nginx_balancer>(dir, std::vector<std::uint16_t>{port_of(a.url()), port_of(b.url())});
  }

  rest_client::client client_of(const std::string& url) {
    rest_client::options o;
    o.base_url = url;
    return rest_client::client(o);
  }

  // Logs `dealer` in on the replica at `url`; returns the session cookie.
  std::string log_in(const std::string& url) {
    dealer_site_client browser(url);
    const auto r = browser.log_in("dealer", "a-long-password-1");
    EXPECT_EQ(r.status, 303) << r.head << r.body;
    return browser.session();
  }

  std::int64_t stored_readings() {
    pg_connection c(db.uri());
    return std::stoll(c.query("SELECT count(*) FROM readings"));
  }

  // Registers a site with one terminal through the balancer and leases away
  // what the schedule queued for it; returns {site id, credential}.
  std::pair<std::string, std::string> registered_site(const std::string& serial) {
    auto through = client_of(lb->url());
    std::error_code ec;
    const json::value body = {{"code", code},
                              {"registering_side", {{"kind", "collector"}, {"name", "replica-test"}}},
                              {"terminals", {{{"manufacturer", "RICOH"}, {"model", "IM 430F"}, {"serial", serial}}}}};
    const auto registered = through.request("POST", "/api/v1/registrations", body.dump(), {}, ec);
    EXPECT_EQ(registered.status, 201) << registered.body;
    if (registered.status != 201) return {};
    const auto answer = json::value::parse(registered.body);
    const std::string site = answer["site_id"], credential = answer["credential"];
    auto on_a = client_of(a.url());
    for (int i = 0; i < 3; ++i) {
      const auto r =
          on_a.request("GET", "/api/v1/requests?wait=0", "", {{"Authorization", "Bearer " + credential}}, ec);
      EXPECT_TRUE(r.status == 200 || r.status == 204) << r.status << r.body;  // 204: nothing waits
    }
    return {site, credential};
  }

  temp_dir dir;
  test_database db;
  center_daemon a{dir, {.tls = false, .extra_config = "", .database = db.uri(), .name = "center-a"}};
  center_daemon b{dir,
                  {.tls = false,
                   .extra_config = "",
                   .create_key = false,
                   .database = db.uri(),
                   .name = "center-b",
                   .key_file = a.key_file()}};
  std::unique_ptr<nginx_balancer> lb;
  std::string code;
};

TEST_F(ReplicasTest, ASessionAndAWakeUpCrossReplicas) {
  // A site registered through the balancer (one replica or the other); its
  // next long-poll parks on replica A.
  const auto [site, credential] = registered_site("R-1");
  ASSERT_FALSE(site.empty());
  std::promise<std::chrono::steady_clock::time_point> woke;
  std::string woke_body;
  std::jthread poll([&] {  // joined even when an assertion returns early
    auto c = client_of(a.url());
    std::error_code e;
    const auto r = c.request("GET", "/api/v1/requests?wait=30", "", {{"Authorization", "Bearer " + credential}}, e);
    woke_body = r.body;
    woke.set_value(std::chrono::steady_clock::now());
  });
  std::this_thread::sleep_for(500ms);  // parked

  // Logged in on B, the session works on A (sessions live in the database);
  // the form's CSRF token read on A is posted to B.
  const auto session = log_in(b.url());
  ASSERT_FALSE(session.empty());
  const dealer_site_client browser_on_a(a.url(), session), browser_on_b(b.url(), session);
  const auto page = browser_on_a.get("/sites/" + site);
  ASSERT_EQ(page.status, 200) << page.head;
  const auto csrf = hidden_field(page.body, "csrf");
  ASSERT_FALSE(csrf.empty());
  const auto queued_at = std::chrono::steady_clock::now();
  const auto queued = browser_on_b.post_form("/sites/" + site + "/request", "csrf=" + form_encode(csrf));
  ASSERT_EQ(queued.status, 303) << queued.body.substr(0, 400);

  auto done = woke.get_future();
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready) << "the long-poll on A was not woken";
  poll.join();
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(done.get() - queued_at);
  const auto requests = json::value::parse(woke_body);
  ASSERT_EQ(requests["requests"].size(), 1u) << woke_body;
  EXPECT_EQ(requests["requests"][0]["kind"], "on-demand");
  // Generous: a wake-up is a NOTIFY away (the benchmark measures it); a
  // missed one would wait out the 30 s.
  EXPECT_LT(latency, 3s) << latency.count() << " ms";
}

// Notifications are not replayed: a request whose NOTIFY never reached a
// center (here: a row written without one) is found by the re-check every
// parked long-poll makes once the center's LISTEN connection is back.
TEST_F(ReplicasTest, AMissedNotificationIsCaughtWhenTheListenerReconnects) {
  const auto [site, credential] = registered_site("R-2");
  ASSERT_FALSE(site.empty());
  std::promise<std::string> woke;
  auto done = woke.get_future();
  std::jthread poll([&] {
    auto c = client_of(a.url());
    std::error_code e;
    woke.set_value(
        c.request("GET", "/api/v1/requests?wait=30", "", {{"Authorization", "Bearer " + credential}}, e).body);
  });
  std::this_thread::sleep_for(500ms);  // parked
  pg_connection sql(db.uri());
  const auto id = make_uuid();
  sql.query("INSERT INTO requests (id, site_id, kind, created_at) VALUES ('" + id + "', '" + site +
            "', 'on-demand', extract(epoch FROM now())::bigint)");
  EXPECT_EQ(done.wait_for(1500ms), std::future_status::timeout) << "woken without a notification?";
  // Both centers lose their LISTEN connection and open it again.
  EXPECT_EQ(sql.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
                      "AND datname = current_database()"),
            "2");
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready) << "the re-check after the reconnect did not come";
  EXPECT_NE(done.get().find(id), std::string::npos);
}

TEST_F(ReplicasTest, ACollectorCarriesOnThroughTheOtherReplicaWhenOneIsKilled) {
  sim_terminal mfp{dir, "mfp1", "RICOH", "IM 430F", "3110R820014"};
  snmpd_daemon snmpd(dir, "snmpd-0");
  mfp.start_subagent(snmpd.agentx_socket());
  ASSERT_TRUE(wait_until(
      [&] { return get_one(snmpd.v2c(), snmp::append(snmp::terminal_mib::serial_number, {0})).has_value(); }));
  std::ofstream(dir.file("collector.conf"))
      << "[collector]\nstate_dir = " << dir.file("collector-state") << "\nname = replica-collector\n"
      << "[center]\nurl = " << lb->url() << "\nallow_plain_http = yes\n"
      << "[snmp]\ntargets = " << snmpd.peer() << "\ntimeout = 1s\nretries = 1\n"
      << "[run]\nwait = 2s\n";
  const auto collector = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {built_program("fleetreg-collector"), "-c", dir.file("collector.conf")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  };
  // Registrable once the subagent serves every table (it registers them one by one).
  ASSERT_TRUE(wait_until([&] { return collector({"discover"}).out.find("3110R820014") != std::string::npos; }, 30s));
  const auto registered = collector({"register", "--code", code});
  ASSERT_EQ(registered.exit_code, 0) << registered.err << registered.out;

  // 10,000 readings of the terminal wait in the collector's outbox (as after
  // a long outage), each with its own id.
  std::set<std::string> ids;
  {
    sqlite::database state(dir.file("collector-state/collector.db"), sqlite::open_mode::read_write);
    rest_client::outbox box(state, system_clock_source::instance());
    const auto now = system_clock_source::instance().now();
    for (int i = 0; i < 10000; ++i) {
      reading r;
      r.id = make_uuid();
      r.terminal_key = "ricoh:3110R820014";
      r.taken = now - std::chrono::seconds(10000 - i);
      r.counters.set(service::total, counter_kind::impressions, static_cast<std::uint64_t>(1000 + i));
      box.add(r);
      ids.insert(r.id);
    }
  }
  const auto before = stored_readings();

  process run_proc({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir,
                   "collector-run");
  // Mid-ingest, replica A dies without a word.
  ASSERT_TRUE(wait_until([&] { return stored_readings() > before; }, 60s)) << run_proc.log();
  ASSERT_EQ(::kill(a.daemon()->pid(), SIGKILL), 0);
  const auto at_kill = stored_readings() - before;
  EXPECT_LT(at_kill, 10000) << "the kill came after the ingest: it proves nothing";

  ASSERT_TRUE(
      wait_until([&] { return collector({"status"}).out.find("outbox        0 readings") != std::string::npos; }, 120s))
      << run_proc.log() << collector({"status"}).out;
  pg_connection c(db.uri());
  // Every reading once: the primary key (site, id) forbids twice, and all
  // 10,000 ids are there.
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "'" : ",'") + id + "'";
  EXPECT_EQ(c.query("SELECT count(*) FROM readings WHERE id IN (" + list + ")"), "10000");
  EXPECT_EQ(c.query("SELECT count(*) - count(DISTINCT id) FROM readings"), "0");
  EXPECT_EQ(run_proc.stop(), 0);
  std::printf("readings stored before replica A was killed: %lld of 10000\n", static_cast<long long>(at_kill));
  EXPECT_NE(lb->access_log().find("/api/v1/readings"), std::string::npos);
}

}  // namespace
}  // namespace fleetreg::test
