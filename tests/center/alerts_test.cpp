// SPDX-License-Identifier: Apache-2.0
// Fleet health (issue 19): the alert rules and the toner-out forecast as pure
// functions; alerts raised and cleared by readings, by the timer and by hand
// on both engines (CenterTest: SQLite, and pg.* on PostgreSQL); the API; the
// dealer site's alerts page with CSRF.

#include <gtest/gtest.h>

#include "center_fixture.hpp"
#include "fleetreg/center/alerts.hpp"
#include "fleetreg/center/web_site.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::center::test_support {
namespace {

using std::chrono::hours;

supply toner(std::int32_t index, std::int32_t level, std::int32_t max = 100, const std::string& name = "Black") {
  supply s;
  s.index = index;
  s.type = supply_type::toner;
  s.description = name;
  s.colorant = "black";
  s.level = level;
  s.max_capacity = max;
  return s;
}

device_alert device(const std::string& severity, const std::string& code, const std::string& words = "") {
  return {severity, "input", code, words, "prtAlertTable"};
}

// --- The rules, pure ---

TEST(AlertRules, SuppliesLowAndEmptyWithSentinels) {
  reading r;
  r.supplies = {toner(1, 14),
                toner(2, 15),
                toner(3, 0),
                toner(4, supply_unknown),
                toner(5, supply_some_remaining),
                toner(6, 5, supply_unknown),
                toner(7, 3, 1000)};
  const auto c = reading_conditions(r, alert_settings{});
  std::vector<std::string> keys;
  for (const auto& x : c) keys.push_back(x.key() + "/" + x.severity);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"supply_empty|3|/critical", "supply_low|1|/warning", "supply_low|7|/warning"}));
  alert_settings s;
  s.supply_low = 20;
  s.supply_empty = 14;
  const auto d = reading_conditions(r, s);
  EXPECT_EQ(conditions_signature(d), "supply_empty|1|;supply_empty|3|;supply_empty|7|;supply_low|2|");
}

TEST(AlertRules, DeviceAlertsAndStatus) {
  reading r;
  r.alerts = {device("critical", "jam", "Paper jam in tray 2"), device("info", "energySaving"),
              device("warning", "jam"), device("warning", "coverOpen")};
  r.device_status = "down";
  const auto c = reading_conditions(r, alert_settings{});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].key(), "device_alert|-1|coverOpen");
  EXPECT_EQ(c[1].key(), "device_alert|-1|down");
  EXPECT_EQ(c[2].key(), "device_alert|-1|jam");
  EXPECT_EQ(c[2].severity, "critical");
  EXPECT_EQ(c[2].detail, "Paper jam in tray 2");
  // The signature names each condition and reads back.
  const auto back = parse_signature(conditions_signature(c));
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[2].key(), c[2].key());
  EXPECT_TRUE(parse_signature("nonsense;supply_low|x|;bogus|1|").empty());
}

TEST(AlertRules, Settings) {
  std::string why;
  const auto s = parse_alert_settings("supply-low=20, terminal-silent=48h,lead-time=21d", alert_settings{}, why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->supply_low, 20);
  EXPECT_EQ(s->terminal_silent, hours(48));
  EXPECT_EQ(s->collector_silent, std::chrono::minutes(60));
  EXPECT_EQ(to_string(*s),
            "supply-low=20,supply-empty=0,terminal-silent=2d,collector-silent=1h,code-expiry=3d,lead-time=21d");
  EXPECT_EQ(parse_alert_settings(to_string(*s), alert_settings{}, why), s);
  EXPECT_EQ(parse_alert_settings("default", *s, why), alert_settings{});
  for (const char* bad : {"supply-low=101", "supply-low=x", "colour=3", "terminal-silent=1m", "lead-time=400d",
                          "supply-empty=20", "code-expiry=3w"}) {
    why.clear();
    EXPECT_FALSE(parse_alert_settings(bad, alert_settings{}, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

// --- The forecast, pure ---

std::vector<level_point> line(time_point start, double from, double per_day, int n, double step_days = 1) {
  std::vector<level_point> out;
  for (int i = 0; i < n; ++i)
    out.push_back({start + std::chrono::seconds(static_cast<std::int64_t>(i * step_days * 86400)),
                   from - per_day * i * step_days});
  return out;
}

const time_point t0 = from_unix(1790000000);

TEST(TonerForecast, SteadyUse) {
  const auto f = predict_empty(line(t0, 80, 2, 10));
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->percent_per_day, 2.0, 1e-9);
  EXPECT_EQ(f->points, 10u);
  // 80 % at 2 % a day: empty 40 days after the first point.
  EXPECT_LE(std::chrono::abs(f->empty_at - (t0 + hours(24 * 40))), std::chrono::seconds(1));
}

TEST(TonerForecast, ARefillStartsANewSeries) {
  // 60 % falling 5 a day for 6 days, then a new cartridge at 100 % falling 1 a day.
  auto h = line(t0, 60, 5, 6);
  const auto refill = line(t0 + hours(24 * 6), 100, 1, 5);
  h.insert(h.end(), refill.begin(), refill.end());
  const auto f = predict_empty(h);
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->percent_per_day, 1.0, 1e-9);
  EXPECT_EQ(f->points, 5u);
  EXPECT_LE(std::chrono::abs(f->empty_at - (t0 + hours(24 * 106))), std::chrono::seconds(1));
  // Right after a refill there are too few points of the new series.
  h.resize(8);
  EXPECT_FALSE(predict_empty(h));
}

TEST(TonerForecast, NoiseAndAnOutlier) {
  auto h = line(t0, 90, 3, 12);
  const double noise[] = {0.8, -0.6, 0.3, -0.9, 0.5, 0.0, -0.4, 0.7, -0.2, 0.6, -0.7, 0.1};
  for (std::size_t i = 0; i < h.size(); ++i) h[i].percent += noise[i];
  h[5].percent = 10;  // one wild reading (not a refill: it falls)
  const auto f = predict_empty(h);
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->percent_per_day, 3.0, 0.3);
  EXPECT_LE(std::chrono::abs(f->empty_at - (t0 + hours(24 * 30))), hours(48));
}

TEST(TonerForecast, TooFewPointsOrNotFalling) {
  EXPECT_FALSE(predict_empty(line(t0, 50, 2, 2)));
  EXPECT_FALSE(predict_empty(std::vector<level_point>{}));
  EXPECT_FALSE(predict_empty(line(t0, 50, 0, 10)));  // flat
  EXPECT_FALSE(predict_empty(line(t0, 50, -1, 4)));  // rising slowly (each step under a refill)
  // Points at one instant give no slope.
  EXPECT_FALSE(predict_empty(std::vector<level_point>{{t0, 50}, {t0, 40}, {t0, 30}}));
}

TEST(TonerForecast, OnlyTheNewestPoints) {
  // Fast use long ago, slow use in the newest forecast_points.
  auto h = line(t0, 100, 0.5, 20);
  const auto slow = line(t0 + hours(24 * 20), 90, 0.1, static_cast<int>(forecast_points));
  h.insert(h.end(), slow.begin(), slow.end());
  const auto f = predict_empty(h);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->points, forecast_points);
  EXPECT_NEAR(f->percent_per_day, 0.1, 1e-9);
}

TEST(TonerForecast, LevelHistorySkipsSentinels) {
  std::vector<reading> rs(5);
  for (int i = 0; i < 5; ++i) rs[static_cast<std::size_t>(i)].taken = t0 + hours(24 * i);
  rs[0].supplies = {toner(1, 500, 1000)};
  rs[1].supplies = {toner(1, supply_unknown, 1000)};
  rs[2].supplies = {toner(1, supply_some_remaining, 1000)};
  rs[3].supplies = {toner(2, 10), toner(1, 400, supply_unknown)};
  rs[4].supplies = {toner(2, 10), toner(1, 300, 1000)};
  const auto h = level_history(rs, 1);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_DOUBLE_EQ(h[0].percent, 50);
  EXPECT_DOUBLE_EQ(h[1].percent, 30);
  EXPECT_EQ(h[1].at, t0 + hours(96));
}

// --- At the center, both engines ---

class AlertTest : public CenterTest {
 protected:
  AlertTest() {
    std::tie(site_id, cred) = register_site(issue("dealer-a", "Acme <Corp>"), {terminal("HP", "SN1")});
    api_->set_fallback([this](const http::request& r) { return site.handle(r); });
  }

  // A reading of hp:SN1 taken `ago` before the clock.
  reading at(std::chrono::seconds ago = std::chrono::seconds(0)) {
    reading r;
    r.id = make_uuid();
    r.terminal_key = "hp:SN1";
    r.taken = clock.now() - ago;
    r.counters.set(service::total, counter_kind::impressions, ++copies);
    return r;
  }

  readings_result send(const reading& r) {
    const auto answer = call(post("/api/v1/readings", {{"readings", {json::to_json(r)}}}, cred));
    EXPECT_EQ(answer.status, 200) << answer.body;
    return {};
  }

  std::vector<alert> open_alerts() {
    alert_query q;
    return store->list_alerts(q);
  }

  std::string audit_actions() {
    std::string out;
    for (const auto& a : store->list_audit(std::nullopt, 50)) out += a.action + ";";
    return out;
  }

  std::string site_id, cred;
  std::uint64_t copies = 1000;
  web_site site{*svc, false};
};

TEST_F(AlertTest, AReadingRaisesOnceAndALaterOneClears) {
  auto low = at();
  low.supplies = {toner(1, 10)};
  send(low);
  auto list = open_alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, "supply_low");
  EXPECT_EQ(list[0].supply, 1);
  EXPECT_EQ(list[0].terminal_key, "hp:SN1");
  EXPECT_EQ(list[0].site_id, site_id);
  EXPECT_EQ(list[0].customer, "Acme <Corp>");
  EXPECT_EQ(list[0].severity, "warning");
  EXPECT_EQ(list[0].detail, "Black 10 %");
  EXPECT_EQ(list[0].dealer_id, store->find_account("dealer-a")->id);
  const auto first = list[0].id;

  // Still low, lower, and again: the same alert, never a second.
  for (int level : {9, 8, 8}) {
    clock.advance(std::chrono::minutes(5));
    auto again = at();
    again.supplies = {toner(1, level)};
    send(again);
  }
  list = open_alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, first);

  // Empty: low clears, empty is raised (critical).
  clock.advance(std::chrono::minutes(5));
  auto empty = at();
  empty.supplies = {toner(1, 0)};
  send(empty);
  list = open_alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, "supply_empty");
  EXPECT_EQ(list[0].severity, "critical");
  const auto cleared = store->find_alert(first);
  ASSERT_TRUE(cleared && cleared->cleared_at);
  EXPECT_EQ(cleared->cleared_by, "reading");

  // A new cartridge: cleared by the reading; history raised → cleared.
  clock.advance(std::chrono::minutes(5));
  auto full = at();
  full.supplies = {toner(1, 100)};
  send(full);
  EXPECT_TRUE(open_alerts().empty());
  const auto history = store->alert_history(list[0].id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].state, "raised");
  EXPECT_EQ(history[1].state, "cleared");
  EXPECT_EQ(history[1].actor, "reading");
  EXPECT_EQ(history[1].subject, "terminal:hp:SN1");

  // An older reading arriving late changes nothing.
  auto late = at(hours(1));
  late.supplies = {toner(1, 3)};
  send(late);
  EXPECT_TRUE(open_alerts().empty());
}

TEST_F(AlertTest, DeviceAlertsResetsAndTheirEnd) {
  auto jam = at();
  jam.alerts = {device("critical", "jam", "<b>Jam</b> in tray 2"), device("info", "energySaving")};
  send(jam);
  clock.advance(std::chrono::minutes(1));
  // The counter goes down: a reset alert beside the jam.
  auto reset = at();
  reset.counters.set(service::total, counter_kind::impressions, 1);
  reset.alerts = jam.alerts;
  send(reset);
  auto list = open_alerts();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].kind == "counter_reset" ? list[1].code : list[0].code, "jam");
  // The jam is gone; the reset stays until cleared by hand.
  clock.advance(std::chrono::minutes(1));
  send(at());
  list = open_alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, "counter_reset");
  svc->clear_alert(*store->find_account("dealer-a"), list[0].id);
  EXPECT_TRUE(open_alerts().empty());
  EXPECT_NE(audit_actions().find("alert.clear"), std::string::npos);
}

TEST_F(AlertTest, AcknowledgeAndClearByHandWithTenancy) {
  auto low = at();
  low.supplies = {toner(1, 5)};
  send(low);
  const auto id = open_alerts().at(0).id;
  const auto a = *store->find_account("dealer-a");
  const auto b = *store->find_account("dealer-b");
  // Another dealer: no such alert, nothing changed.
  try {
    svc->acknowledge_alert(b, id);
    FAIL() << "dealer-b acknowledged dealer-a's alert";
  } catch (const refusal& why) {
    EXPECT_EQ(why.kind(), refusal_kind::not_found);
  }
  EXPECT_TRUE(svc->alerts(b, {}).empty());
  svc->acknowledge_alert(a, id);
  auto now = store->find_alert(id);
  ASSERT_TRUE(now && now->acknowledged_at && !now->cleared_at);
  EXPECT_EQ(now->acknowledged_by, "dealer-a");
  EXPECT_THROW(svc->acknowledge_alert(a, id), refusal);
  svc->clear_alert(a, id);
  EXPECT_THROW(svc->clear_alert(a, id), refusal);
  const auto history = svc->alert_history(a, id);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].state, "acknowledged");
  EXPECT_EQ(history[2].actor, "dealer-a");
  const auto audit = audit_actions();
  EXPECT_NE(audit.find("alert.acknowledge"), std::string::npos);
  EXPECT_NE(audit.find("alert.clear"), std::string::npos);

  // Cleared by hand while still low: not raised again by the next low
  // reading; only after the condition went and came back.
  for (int level : {4, 100, 3}) {
    clock.advance(std::chrono::minutes(1));
    auto r = at();
    r.supplies = {toner(1, level)};
    send(r);
    EXPECT_EQ(open_alerts().size(), level == 3 ? 1u : 0u) << level;
  }
}

TEST_F(AlertTest, TheDatabaseRefusesASecondOpenAlert) {
  auto low = at();
  low.supplies = {toner(1, 5)};
  send(low);
  const auto open = open_alerts().at(0);
  {
    auto held = store->database().acquire();
    sql::statement dup(*held,
                       "INSERT INTO alerts (dealer_id, site_id, terminal_key, subject, kind, supply, severity, "
                       "raised_at) VALUES (?1, ?2, 'hp:SN1', 'terminal:hp:SN1', 'supply_low', 1, 'warning', 1)");
    dup.bind(1, open.dealer_id).bind(2, site_id);
    EXPECT_THROW(dup.run(), std::exception);
  }
  // A second center on the same database storing the same state raises nothing.
  auto other = open_storage(parse_database_location(cfg.database));
  operations svc2(*other, clock, cfg, key);
  auto again = at();
  again.supplies = {toner(1, 4)};
  svc2.store_readings(site_id, {again});
  EXPECT_EQ(open_alerts().size(), 1u);
}

TEST_F(AlertTest, SilenceAndCodesByTheTimer) {
  send(at());
  const auto a = *store->find_account("dealer-a");
  // A code nobody used, expiring in 2 days (default warning: 3 days).
  svc->issue_code(a, "Later Ltd", "", "", {std::chrono::hours(48), false});
  EXPECT_EQ(svc->check_alerts(), 1u);
  auto list = open_alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, "code_expiring");
  EXPECT_EQ(list[0].customer, "Later Ltd");
  EXPECT_EQ(svc->check_alerts(), 0u);  // once

  // 61 minutes without a long-poll: the collector is silent; contact ends it.
  clock.advance(std::chrono::minutes(61));
  svc->check_alerts();
  alert_query q;
  q.kind = "collector_silent";
  ASSERT_EQ(store->list_alerts(q).size(), 1u);
  EXPECT_EQ(store->list_alerts(q)[0].severity, "critical");
  svc->lease_requests(site_id);
  EXPECT_TRUE(store->list_alerts(q).empty());
  q.open_only = false;
  EXPECT_EQ(store->list_alerts(q).at(0).cleared_by, "contact");

  // 25 hours without a reading: the terminal is silent; a dealer's own
  // threshold of 48 h would not have raised it.
  clock.advance(hours(24));
  svc->lease_requests(site_id);
  svc->check_alerts();
  q = {};
  q.kind = "terminal_silent";
  ASSERT_EQ(store->list_alerts(q).size(), 1u);
  svc->check_alerts();
  EXPECT_EQ(store->list_alerts(q).size(), 1u);
  // Cleared by hand, not raised again until the terminal was heard from.
  svc->clear_alert(a, store->list_alerts(q)[0].id);
  svc->check_alerts();
  EXPECT_TRUE(store->list_alerts(q).empty());
  // A reading ends the silence.
  send(at());
  clock.advance(hours(25));
  svc->lease_requests(site_id);
  svc->check_alerts();
  ASSERT_EQ(store->list_alerts(q).size(), 1u);
  send(at());
  EXPECT_TRUE(store->list_alerts(q).empty());

  // The code expired: its alert ends.
  q = {};
  q.kind = "code_expiring";
  EXPECT_TRUE(store->list_alerts(q).empty());

  // Per-dealer settings, validated and audited.
  svc->set_alert_settings(a, a, "terminal-silent=48h,supply-low=30");
  EXPECT_EQ(store->find_account("dealer-a")->alerts.terminal_silent, hours(48));
  EXPECT_EQ(store->find_account("dealer-a")->alerts.supply_low, 30);
  EXPECT_THROW(svc->set_alert_settings(a, a, "supply-low=banana"), refusal);
  EXPECT_THROW(svc->set_alert_settings(*store->find_account("dealer-b"), a, "supply-low=20"), refusal);
  EXPECT_NE(audit_actions().find("alerts.settings"), std::string::npos);
  auto twenty = at();
  twenty.supplies = {toner(1, 20)};
  send(twenty);
  q = {};
  q.kind = "supply_low";
  EXPECT_EQ(store->list_alerts(q).size(), 1u);
}

TEST_F(AlertTest, TheApi) {
  auto low = at();
  low.supplies = {toner(1, 5)};
  low.alerts = {device("critical", "doorOpen", "Front door \"open\"")};
  send(low);
  const auto token = svc->issue_billing_token("root", *store->find_account("dealer-a"), "erp");
  auto r = call(get("/api/v1/alerts", token));
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = body_of(r);
  ASSERT_EQ(body["alerts"].size(), 2u);
  EXPECT_EQ(body["truncated"], false);
  r = call(get("/api/v1/alerts", token, {{"kind", "supply_low"}}));
  body = body_of(r);
  ASSERT_EQ(body["alerts"].size(), 1u);
  EXPECT_EQ(body["alerts"][0]["supply"], 1);
  EXPECT_EQ(body["alerts"][0]["terminal"], "hp:SN1");
  EXPECT_EQ(body["alerts"][0]["state"], "open");
  EXPECT_EQ(error_code(call(get("/api/v1/alerts", token, {{"kind", "nonsense"}}))), "invalid_request");
  EXPECT_EQ(call(get("/api/v1/alerts", token, {{"state", "closed"}})).status, 400);
  EXPECT_EQ(call(get("/api/v1/alerts")).status, 401);
  // Another dealer's token sees none of them.
  const auto other = svc->issue_billing_token("root", *store->find_account("dealer-b"), "erp-b");
  EXPECT_EQ(body_of(call(get("/api/v1/alerts", other)))["alerts"].size(), 0u);
  // A monitoring token reads no alerts.
  const auto monitoring = svc->issue_monitoring_token("root", "nagios");
  EXPECT_EQ(error_code(call(get("/api/v1/alerts", monitoring))), "token_scope");
  EXPECT_EQ(call(post("/api/v1/alerts", json::value::object(), token)).status, 405);
}

// Monitoring (step 5): per-dealer figures from storage (both engines), the
// /metrics gauges with escaped labels, one dealer's counts for a monitoring
// token and nothing for others.
TEST_F(AlertTest, MonitoringFiguresPerDealer) {
  svc->create_account("test", "Dealer \"Q\" \\ 1", role::dealer, "password-q-123");
  auto low = at();
  low.supplies = {toner(1, 5)};
  low.alerts = {device("critical", "doorOpen", "Front door open")};
  send(low);
  const auto monitoring = svc->issue_monitoring_token("root", "prometheus");
  const auto m = call(get("/metrics", monitoring));
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("# TYPE fleetreg_alerts_open gauge\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\nfleetreg_alerts_open{dealer=\"dealer-a\",kind=\"supply_low\",severity=\"warning\"} 1\n"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("\nfleetreg_alerts_open{dealer=\"dealer-a\",kind=\"device_alert\",severity=\"critical\"} 1\n"),
            std::string::npos)
      << m.body;
  EXPECT_EQ(m.body.find("fleetreg_alerts_open{dealer=\"dealer-b\""), std::string::npos) << "counts only: none";
  EXPECT_NE(m.body.find("\nfleetreg_terminals_silent{dealer=\"dealer-a\"} 0\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\nfleetreg_terminals_silent{dealer=\"dealer-b\"} 0\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\nfleetreg_terminals_silent{dealer=\"Dealer \\\"Q\\\" \\\\ 1\"} 0\n"), std::string::npos)
      << m.body;
  EXPECT_EQ(m.body.find("dealer=\"root\""), std::string::npos) << "an admin is no dealer";
  // Computed at most every 5 s of the center's clock: a dealer added now
  // shows in the scrape after that, not in the next one.
  svc->create_account("test", "dealer-c", role::dealer, "password-c-123");
  EXPECT_EQ(call(get("/metrics", monitoring)).body, m.body);
  clock.advance(std::chrono::seconds(5));
  EXPECT_NE(call(get("/metrics", monitoring)).body.find("\nfleetreg_terminals_silent{dealer=\"dealer-c\"} 0\n"),
            std::string::npos);

  // The storage's figures: silent after the dealer's terminal_silent, only
  // while the site can report.
  clock.advance(hours(25));
  auto all = store->dealer_monitoring(clock.now(), std::nullopt);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].dealer, "Dealer \"Q\" \\ 1");
  EXPECT_EQ(all[1].dealer, "dealer-a");
  EXPECT_EQ(all[1].terminals_silent, 1);
  ASSERT_EQ(all[1].alerts_open.size(), 2u);
  EXPECT_EQ(all[1].alerts_open[0].kind, "device_alert");
  EXPECT_EQ(all[1].alerts_open[0].severity, "critical");
  EXPECT_EQ(all[1].alerts_open[1].kind, "supply_low");
  EXPECT_EQ(all[1].alerts_open[1].count, 1);
  EXPECT_EQ(all[2].terminals_silent, 0);
  EXPECT_TRUE(all[2].alerts_open.empty());
  const auto b = *store->find_account("dealer-b");
  const auto only_b = store->dealer_monitoring(clock.now(), b.id);
  ASSERT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b[0].dealer, "dealer-b");
  EXPECT_TRUE(store->dealer_monitoring(clock.now(), store->find_account("root")->id).empty());
  svc->check_alerts();  // raises terminal_silent (and collector_silent)

  // One dealer's counts through the status endpoint, every kind listed.
  auto r = call(get("/api/v1/status", monitoring, {{"dealer", "dealer-a"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = body_of(r);
  EXPECT_EQ(body["dealer"], "dealer-a");
  EXPECT_EQ(body["terminals_silent"], 1);
  EXPECT_EQ(body["alerts_open"]["critical"], 2) << body.dump();  // the door and the collector
  EXPECT_EQ(body["alerts_open"]["warning"], 2) << body.dump();   // the toner and the terminal
  EXPECT_EQ(body["alerts_open_by_kind"]["supply_low"]["warning"], 1);
  EXPECT_EQ(body["alerts_open_by_kind"]["terminal_silent"]["warning"], 1);
  EXPECT_EQ(body["alerts_open_by_kind"]["supply_empty"]["critical"], 0);
  EXPECT_EQ(body["alerts_open_by_kind"].size(), std::size(alert_kinds));
  EXPECT_FALSE(body.contains("sites")) << "the dealer's counts only";
  EXPECT_NE(call(get("/metrics", monitoring)).body.find("\nfleetreg_terminals_silent{dealer=\"dealer-a\"} 1\n"),
            std::string::npos);
  // Unknown dealers, an admin, no name: refused, nothing leaked.
  r = call(get("/api/v1/status", monitoring, {{"dealer", "nobody"}}));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "unknown_dealer");
  EXPECT_EQ(error_code(call(get("/api/v1/status", monitoring, {{"dealer", "root"}}))), "unknown_dealer");
  EXPECT_EQ(call(get("/api/v1/status", monitoring, {{"dealer", ""}})).status, 400);
  EXPECT_EQ(call(get("/api/v1/status", monitoring, {{"dealer", std::string(65, 'x')}})).status, 400);
  // A billing token reads its alerts in /api/v1/alerts, not the monitoring counts.
  const auto billing = svc->issue_billing_token("root", *store->find_account("dealer-a"), "erp");
  EXPECT_EQ(error_code(call(get("/api/v1/status", billing, {{"dealer", "dealer-a"}}))), "token_scope");
  EXPECT_EQ(call(get("/api/v1/status", "", {{"dealer", "dealer-a"}})).status, 401);
}

TEST_F(AlertTest, ForecastAndTheToOrderList) {
  // Ten days of 3 % a day from 60 % (33 % a day ago): empty in about 10
  // more days, within the default lead time of 14 days. A second supply is
  // steady.
  for (int d = 0; d < 10; ++d) {
    auto r = at();
    r.supplies = {toner(1, 60 - 3 * d), toner(2, 80, 100, "Cyan")};
    send(r);
    clock.advance(hours(24));
  }
  const auto a = *store->find_account("dealer-a");
  const auto list = svc->to_order(a);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].now.index, 1);
  ASSERT_TRUE(list[0].forecast);
  EXPECT_NEAR(list[0].forecast->percent_per_day, 3.0, 1e-6);
  EXPECT_LE(std::chrono::abs(list[0].forecast->empty_at - (clock.now() + hours(24 * 10))), hours(1));
  EXPECT_TRUE(svc->to_order(*store->find_account("dealer-b")).empty());
  // A lead time of 7 days leaves it out.
  svc->set_alert_settings(a, a, "lead-time=7d");
  EXPECT_TRUE(svc->to_order(*store->find_account("dealer-a")).empty());
  svc->set_alert_settings(a, a, "lead-time=14d");
  // The site's supplies: both, one with a forecast.
  const auto outlooks = svc->supply_outlooks(a, site_id);
  ASSERT_EQ(outlooks.size(), 2u);
  EXPECT_FALSE(outlooks[1].forecast);

  const auto token = svc->issue_billing_token("root", a, "erp");
  auto r = call(get("/api/v1/supplies/to-order", token));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = body_of(r);
  ASSERT_EQ(body["supplies"].size(), 1u);
  EXPECT_EQ(body["supplies"][0]["terminal"], "hp:SN1");
  EXPECT_EQ(body["supplies"][0]["level_percent"], 33);
  EXPECT_EQ(body["lead_time_days"], 14);
  r = call(get("/api/v1/supplies/to-order", token, {{"format", "csv"}}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(r.body.find("Acme <Corp>," + site_id + ",hp:SN1,"), std::string::npos) << r.body;
  EXPECT_EQ(call(get("/api/v1/supplies/to-order", token, {{"format", "xml"}})).status, 400);
  EXPECT_EQ(call(get("/api/v1/supplies/to-order")).status, 401);
}

// The dealer site: login, the page, its buttons with and without CSRF.
class AlertPageTest : public AlertTest {
 protected:
  http::request page(const std::string& method, const std::string& path, const std::string& cookie = "",
                     const std::string& form = "", std::map<std::string, std::string> query = {}) {
    http::request r;
    r.method = method;
    r.raw_path = path;
    r.path = path;
    r.query = std::move(query);
    r.body = form;
    r.peer = "192.0.2.9";
    if (!cookie.empty()) r.headers["cookie"] = cookie;
    return r;
  }

  // A session cookie of `name` and its CSRF token.
  std::pair<std::string, std::string> session_of(const std::string& name) {
    const auto secret = svc->start_session(*store->find_account(name), "192.0.2.9");
    const auto me = svc->find_session(secret);
    return {std::string(session_cookie) + "=" + secret, me->session.csrf};
  }
};

TEST_F(AlertPageTest, ListAcknowledgeClearWithCsrf) {
  auto r = at();
  r.supplies = {toner(1, 5, 100, "<script>alert(1)</script>")};
  r.alerts = {device("critical", "jam", "<img src=x onerror=alert(2)>")};
  send(r);
  const auto [cookie, csrf] = session_of("dealer-a");
  auto p = call(page("GET", "/alerts", cookie));
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_NE(p.body.find("supply 1</small>"), std::string::npos);
  EXPECT_NE(p.body.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(p.body.find("<script>"), std::string::npos);
  EXPECT_EQ(p.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(p.body.find("Acme &lt;Corp&gt;"), std::string::npos);
  // The filter.
  p = call(page("GET", "/alerts", cookie, "", {{"kind", "device_alert"}}));
  EXPECT_EQ(p.body.find("supply 1</small>"), std::string::npos);
  EXPECT_NE(p.body.find("jam</small>"), std::string::npos);
  EXPECT_EQ(call(page("GET", "/alerts", cookie, "", {{"severity", "bogus"}})).status, 400);
  // The site and terminal pages show them, with the forecast section.
  EXPECT_NE(call(page("GET", "/sites/" + site_id, cookie)).body.find("/alerts/"), std::string::npos);
  const auto t = call(page("GET", "/terminals/hp%3ASN1", cookie));
  EXPECT_NE(t.body.find("Supplies and forecasts"), std::string::npos);
  EXPECT_NE(t.body.find("/alerts/"), std::string::npos);

  const auto id = std::to_string(open_alerts().at(0).id);
  // Without the CSRF token: refused, nothing changed.
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/ack", cookie, "csrf=wrong")).status, 403);
  EXPECT_FALSE(store->find_alert(std::stoll(id))->acknowledged_at);
  // Another dealer: no such alert.
  const auto [other, other_csrf] = session_of("dealer-b");
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/clear", other, "csrf=" + other_csrf)).status, 404);
  EXPECT_EQ(call(page("GET", "/alerts", other)).body.find("supply 1</small>"), std::string::npos);
  // With it: acknowledged, then cleared.
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/ack", cookie, "csrf=" + csrf)).status, 303);
  EXPECT_TRUE(store->find_alert(std::stoll(id))->acknowledged_at);
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/ack", cookie, "csrf=" + csrf)).status, 409);
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/clear", cookie, "csrf=" + csrf)).status, 303);
  EXPECT_TRUE(store->find_alert(std::stoll(id))->cleared_at);
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/nonsense", cookie, "csrf=" + csrf)).status, 404);
  // The thresholds form: validated, CSRF-checked, audited.
  EXPECT_EQ(call(page("POST", "/alerts/settings", cookie, "settings=supply-low%3D25&csrf=wrong")).status, 403);
  EXPECT_EQ(call(page("POST", "/alerts/settings", cookie, "settings=supply-low%3D250&csrf=" + csrf)).status, 400);
  EXPECT_EQ(store->find_account("dealer-a")->alerts.supply_low, 15);
  EXPECT_EQ(call(page("POST", "/alerts/settings", cookie, "settings=supply-low%3D25&csrf=" + csrf)).status, 303);
  EXPECT_EQ(store->find_account("dealer-a")->alerts.supply_low, 25);
  EXPECT_NE(call(page("GET", "/alerts", cookie)).body.find("supply-low=25,"), std::string::npos);
  // The to-order page and its CSV.
  EXPECT_EQ(call(page("GET", "/to-order", cookie)).status, 200);
  const auto csv = call(page("GET", "/to-order.csv", cookie));
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.rfind("customer,site_id,terminal,", 0), 0u);
}

}  // namespace
}  // namespace fleetreg::center::test_support
