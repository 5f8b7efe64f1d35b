// SPDX-License-Identifier: Apache-2.0
// Billing: the pure arithmetic (bill_terminal, CSV), the period computed by
// operations::billing, and GET /api/v1/billing behind the API's
// authentication and rate limit (sessions, billing tokens, scopes).

#include <gtest/gtest.h>

#include "center_fixture.hpp"
#include "fleetreg/center/billing.hpp"
#include "fleetreg/center/refusal.hpp"

namespace fleetreg::center::test_support {
namespace {

stored_reading at(std::int64_t t, std::uint64_t copies, std::uint64_t prints, const std::string& site = "s1") {
  stored_reading s;
  s.site_id = site;
  s.r.terminal_key = "ricoh:X";
  s.r.taken = from_unix(t);
  s.r.counters.set(service::copy, counter_kind::impressions, copies);
  s.r.counters.set(service::print, counter_kind::impressions, prints);
  return s;
}

TEST(Billing, DifferencesWithResetsCountedFromZero) {
  // 100 → 150 → reset to 20 → 60: 50 + 20 + 40 = 110 copies; prints 10 → 30.
  const auto lines = bill_terminal({at(0, 100, 10), at(100, 150, 20), at(200, 20, 25), at(300, 60, 30)});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].svc, service::copy);
  EXPECT_EQ(lines[0].start, 100u);
  EXPECT_EQ(lines[0].end, 60u);
  EXPECT_EQ(lines[0].clicks, 110u);
  EXPECT_EQ(lines[0].resets, 1);
  EXPECT_EQ(lines[1].clicks, 20u);
  EXPECT_EQ(lines[1].resets, 0);
  EXPECT_TRUE(bill_terminal({}).empty());
  auto csv = billing_csv(lines);
  EXPECT_EQ(csv.substr(0, csv.find('\r')),
            "customer,site,terminal,model,service,kind,start_time,start,end_time,end,clicks,resets,cell,weight,"
            "weighted_clicks");
  billing_line evil;
  evil.customer = "=HYPERLINK(\"x\")";
  csv = billing_csv({evil});
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << csv;
}

// The fleet dashboard's volume (issue 19): mono and colour from the totals
// when counted, else from the services that print; else "not split".
TEST(Billing, VolumeSplitsMonoAndColour) {
  const auto two = [](auto set) {
    std::vector<stored_reading> rs(2);
    for (int i = 0; i < 2; ++i) {
      rs[static_cast<std::size_t>(i)].r.terminal_key = "t";
      rs[static_cast<std::size_t>(i)].r.taken = from_unix(1000 + i);
      set(rs[static_cast<std::size_t>(i)].r.counters, static_cast<std::uint64_t>(i));
    }
    return volume_of(bill_terminal(rs));
  };
  // Totals win over the services (never counted twice).
  auto v = two([](counter_set& c, std::uint64_t i) {
    c.set(service::total, counter_kind::impressions_mono, 100 + 10 * i);
    c.set(service::total, counter_kind::impressions_color, 50 + 3 * i);
    c.set(service::copy, counter_kind::impressions_mono, 60 + 7 * i);
    c.set(service::total, counter_kind::impressions, 150 + 13 * i);
  });
  EXPECT_EQ(v.mono, 10u);
  EXPECT_EQ(v.colour, 3u);
  EXPECT_EQ(v.unsplit, 0u);
  // No totals: copy + print + fax-in; scans and faxes sent print nothing.
  v = two([](counter_set& c, std::uint64_t i) {
    c.set(service::copy, counter_kind::impressions_mono, 60 + 7 * i);
    c.set(service::print, counter_kind::impressions_mono, 60 + 5 * i);
    c.set(service::print, counter_kind::impressions_color, 9 + 2 * i);
    c.set(service::fax_in, counter_kind::impressions_mono, 1 + i);
    c.set(service::scan, counter_kind::impressions_mono, 1 + 100 * i);
  });
  EXPECT_EQ(v.mono, 13u);
  EXPECT_EQ(v.colour, 2u);
  // Neither counted: the impressions are "not split".
  v = two([](counter_set& c, std::uint64_t i) { c.set(service::total, counter_kind::impressions, 10 + 4 * i); });
  EXPECT_EQ(v.mono + v.colour, 0u);
  EXPECT_EQ(v.unsplit, 4u);
}

TEST(Billing, WeightsParseStrictlyAndPrintCanonically) {
  std::string why;
  const auto w =
      parse_billing_weights(" copy.impressions-mono.a3 = 2,\ncopy.impressions-mono.a4=1, print.impressions=0.125", why);
  ASSERT_TRUE(w) << why;
  EXPECT_EQ(to_string(*w), "copy.impressions-mono.a3=2,copy.impressions-mono.a4=1,print.impressions=0.125");
  EXPECT_EQ(w->of("copy.impressions-mono.a3"), 2000u);
  EXPECT_EQ(w->of("total.impressions"), std::nullopt) << "listed cells only";
  EXPECT_EQ(billing_weights{}.of("total.impressions"), 1000u) << "the default bills the total";
  EXPECT_EQ(billing_weights{}.of("copy.impressions"), std::nullopt);
  EXPECT_FALSE(parse_billing_weights("copy.impressions=-1", why));
  EXPECT_EQ(why, "the factor of copy.impressions must be a number from 0 to 1000 with at most three decimals");
  EXPECT_FALSE(parse_billing_weights("copy.impressions=1.2345", why));
  EXPECT_FALSE(parse_billing_weights("copy.impressions=1001", why));
  EXPECT_FALSE(parse_billing_weights("copy.impressions=1e3", why));
  EXPECT_FALSE(parse_billing_weights("copy.impressions=1.", why));
  EXPECT_FALSE(parse_billing_weights("Copy.A3=1", why));
  EXPECT_FALSE(parse_billing_weights("copy.impressions", why));
  EXPECT_FALSE(parse_billing_weights("a=1,a=2", why));
  EXPECT_EQ(why, "a is weighted twice");
  EXPECT_FALSE(parse_billing_weights(std::string(5000, 'a'), why));
  std::string many;
  for (int i = 0; i < 65; ++i) many += "k" + std::to_string(i) + "=1,";
  EXPECT_FALSE(parse_billing_weights(many, why));
  EXPECT_EQ(why, "at most 64 weighted cells");
  EXPECT_TRUE(parse_billing_weights("", why)->milli.empty());
}

TEST(Billing, ExtrasAreBilledAndWeightedPerTerminal) {
  auto r1 = at(0, 100, 10);
  r1.r.extras["copy.impressions-mono.a3"] = 40;
  r1.r.extras["copy.impressions-mono.a4"] = 60;
  auto r2 = at(100, 130, 10);
  r2.r.extras["copy.impressions-mono.a3"] = 50;  // +10 large
  r2.r.extras["copy.impressions-mono.a4"] = 80;  // +20 small
  std::string why;
  const auto w = parse_billing_weights("copy.impressions-mono.a3=2,copy.impressions-mono.a4=1", why);
  auto lines = bill_terminal({r1, r2}, *w);
  ASSERT_EQ(lines.size(), 4u);  // copy, print, two extras
  EXPECT_EQ(lines[2].cell(), "copy.impressions-mono.a3");
  EXPECT_EQ(lines[2].clicks, 10u);
  EXPECT_EQ(lines[2].weight, 2000u);
  EXPECT_EQ(lines[2].weighted_milli(), 20000u);
  EXPECT_EQ(lines[0].weight, std::nullopt) << "copy.impressions is not billed by these weights";
  for (auto& l : lines) l.model = "Ricoh X";
  const auto wide = billing_wide_csv(lines);
  EXPECT_EQ(wide,
            "customer,site,terminal,model,copy.impressions,print.impressions,copy.impressions-mono.a3,"
            "copy.impressions-mono.a4,billed\r\n"
            ",s1,ricoh:X,Ricoh X,30,0,10,20,40\r\n");
  const auto j = billing_json(lines, *w);
  EXPECT_EQ(j["terminals"][0]["billed"], "40");
  EXPECT_EQ(j["terminals"][0]["clicks"]["copy.impressions-mono.a3"], 10);
  EXPECT_EQ(j["lines"][2]["cell"], "copy.impressions-mono.a3");
  EXPECT_TRUE(j["lines"][2]["service"].is_null());
  EXPECT_EQ(j["weights"]["copy.impressions-mono.a3"], "2");
  const auto csv = billing_csv(lines);
  EXPECT_NE(csv.find(",,,1970-01-01T00:00:00Z,40,1970-01-01T00:01:40Z,50,10,0,copy.impressions-mono.a3,2,20\r\n"),
            std::string::npos)
      << csv;
}

TEST(Billing, DaysAreUtcMidnights) {
  EXPECT_EQ(parse_billing_day("2026-11-25"), from_unix(1795564800));
  EXPECT_FALSE(parse_billing_day(""));
  EXPECT_FALSE(parse_billing_day("2026-11-25T00:00:00Z"));
  EXPECT_FALSE(parse_billing_day("25.11.2026"));
}

class BillingTest : public CenterTest {
 protected:
  BillingTest() {
    std::tie(site_id, credential) =
        register_site(issue("dealer-a", "Billing GmbH"), json::value::array({terminal("Ricoh", "B-1")}));
    clock.advance(std::chrono::hours(48));                             // the readings below are in the past
    upload("11111111-1111-4111-8111-111111111111", day - 3600, 1000);  // before the period: the start
    upload("22222222-2222-4222-8222-222222222222", day + 3600, 1200);
    upload("33333333-3333-4333-8333-333333333333", day + 7200, 50);  // board swap
  }

  void upload(const std::string& id, std::int64_t t, std::uint64_t copies) {
    auto r = json::value::parse(reading_json(id, "ricoh:B-1", copies).dump());
    r["taken_at"] = format_utc(from_unix(t));
    const auto resp = call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential));
    ASSERT_EQ(resp.status, 200) << resp.body;
  }

  std::map<std::string, std::string> period() const {
    return {{"site", site_id}, {"from", "2026-11-25"}, {"to", "2026-11-26"}};
  }

  static constexpr std::int64_t day = 1795564800;  // 2026-11-25T00:00:00Z
  std::string site_id, credential;
};

TEST_F(BillingTest, OperationsBillTheSitesOwnReadingsForItsDealerOnly) {
  const auto lines = svc->billing(*store->find_account("dealer-a"), site_id, from_unix(day), from_unix(day + 86400));
  const auto copy = std::find_if(lines.begin(), lines.end(), [](const billing_line& l) {
    return l.svc == service::copy && l.kind == counter_kind::impressions;
  });
  ASSERT_NE(copy, lines.end());
  EXPECT_EQ(copy->clicks, 250u) << "200 before the swap + 50 after";
  EXPECT_EQ(copy->customer, "Billing GmbH");
  EXPECT_EQ(copy->model, "Ricoh Model B-1");
  EXPECT_EQ(svc->billing(*store->find_account("root"), site_id, from_unix(day), from_unix(day + 86400)).size(),
            lines.size())
      << "an admin reads every dealer's";
  try {
    svc->billing(*store->find_account("dealer-b"), site_id, from_unix(day), from_unix(day + 86400));
    ADD_FAILURE() << "another dealer's site";
  } catch (const refusal& e) {
    EXPECT_EQ(e.kind(), refusal_kind::not_found);
    EXPECT_EQ(e.object(), "site");
  }
  try {
    svc->billing(*store->find_account("dealer-a"), site_id, from_unix(day), from_unix(day));
    ADD_FAILURE() << "an empty period";
  } catch (const refusal& e) {
    EXPECT_EQ(e.kind(), refusal_kind::invalid);
  }
}

TEST_F(BillingTest, ADealersWeightsAreStoredAuditedAndApplied) {
  const auto dealer = *store->find_account("dealer-a");
  svc->set_billing_weights(dealer, dealer, "copy.impressions=0.5");
  const auto lines = svc->billing(*store->find_account("dealer-a"), site_id, from_unix(day), from_unix(day + 86400));
  const auto copy = std::find_if(lines.begin(), lines.end(), [](const billing_line& l) {
    return l.svc == service::copy && l.kind == counter_kind::impressions;
  });
  ASSERT_NE(copy, lines.end());
  EXPECT_EQ(copy->weighted_milli(), 125000u) << "250 clicks at 0.5";
  EXPECT_EQ(store->find_account("dealer-a")->billing_weights, "copy.impressions=0.5");
  EXPECT_EQ(store->list_audit(std::string("dealer-a"), 10).front().action, "billing.weights");
  // Refused: a bad text changes nothing; another dealer cannot set them.
  EXPECT_THROW(svc->set_billing_weights(dealer, dealer, "copy.impressions=lots"), refusal);
  EXPECT_EQ(store->find_account("dealer-a")->billing_weights, "copy.impressions=0.5");
  EXPECT_THROW(svc->set_billing_weights(*store->find_account("dealer-b"), dealer, ""), refusal);
  svc->set_billing_weights(dealer, dealer, "");
  EXPECT_EQ(store->find_account("dealer-a")->billing_weights, "");
}

TEST_F(BillingTest, ReadingDetailsAreStoredAndReadBack) {
  auto r = json::value::parse(reading_json("44444444-4444-4444-8444-444444444444", "ricoh:B-1", 1300).dump());
  r["taken_at"] = format_utc(from_unix(day + 9000));
  r["extras"] = {{"copy.impressions-mono.a3", 7u}};
  r["provenance"] = {{"copy.impressions", "ricoh-engcounter/1 1.3.6.1.4.1.367.3.2.1.2.19.5.1.9.3"}};
  r["device_status"] = "warning";
  r["alerts"] = json::value::array(
      {{{"severity", "critical"}, {"group", "mediaPath"}, {"code", "jam"}, {"source", "prtAlertTable"}}});
  const auto resp = call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential));
  ASSERT_EQ(resp.status, 200) << resp.body;
  const auto stored = store->terminal_readings("ricoh:B-1", site_id, std::nullopt, std::nullopt, 10, true);
  ASSERT_FALSE(stored.empty());
  const auto& newest = stored.back().r;
  EXPECT_EQ(newest.extras.at("copy.impressions-mono.a3"), 7u);
  EXPECT_EQ(newest.provenance.at("copy.impressions"), "ricoh-engcounter/1 1.3.6.1.4.1.367.3.2.1.2.19.5.1.9.3");
  EXPECT_EQ(newest.device_status, "warning");
  ASSERT_EQ(newest.alerts.size(), 1u);
  EXPECT_EQ(newest.alerts[0].code, "jam");
  // A hostile detail refuses the upload and stores nothing.
  r["id"] = "55555555-5555-4555-8555-555555555555";
  r["extras"] = {{"<script>", 1u}};
  const auto bad = call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential));
  ASSERT_EQ(bad.status, 200) << bad.body;  // answered per reading
  const auto answer = json::value::parse(bad.body);
  EXPECT_EQ(answer["refused"], 1);
  EXPECT_EQ(answer["results"][0]["reason"], "invalid: extras key '<script>' is not 1-64 of [a-z0-9._-]");
  EXPECT_EQ(store->terminal_readings("ricoh:B-1", site_id, std::nullopt, std::nullopt, 10, true).size(), stored.size());
}

TEST_F(BillingTest, TheApiAnswersABillingTokenWithTheSameLines) {
  const auto token = svc->issue_billing_token("root", *store->find_account("dealer-a"), "erp");
  const auto r = call(get("/api/v1/billing", token, period()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, billing_json(
                        svc->billing(*store->find_account("dealer-a"), site_id, from_unix(day), from_unix(day + 86400)),
                        billing_weights{})
                        .dump());
  // Another dealer's token: the same 404 as for a site that does not exist.
  const auto other = svc->issue_billing_token("root", *store->find_account("dealer-b"), "erp-b");
  const auto foreign = call(get("/api/v1/billing", other, period()));
  auto unknown_period = period();
  unknown_period["site"] = "00000000-0000-4000-8000-000000000000";
  const auto unknown = call(get("/api/v1/billing", other, unknown_period));
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(error_code(foreign), "unknown_site");
  EXPECT_EQ(foreign.body, unknown.body);
  // A period that is not two days in order.
  auto bad = period();
  bad["to"] = "2026-11-25";
  EXPECT_EQ(call(get("/api/v1/billing", token, bad)).status, 400);
  EXPECT_EQ(error_code(call(get("/api/v1/billing", token, {{"site", site_id}}))), "invalid_request");
  // Without a site: every customer of the token's dealer, as the dealer
  // site's "all customers" export; another dealer's token gets its own
  // (none here), never dealer-a's.
  auto everyone = period();
  everyone.erase("site");
  const auto all = call(get("/api/v1/billing", token, everyone));
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.body, r.body) << "dealer-a has one site";
  const auto none_of_a = call(get("/api/v1/billing", other, everyone));
  ASSERT_EQ(none_of_a.status, 200) << none_of_a.body;
  EXPECT_TRUE(json::value::parse(none_of_a.body)["lines"].empty()) << none_of_a.body;
  // Only GET.
  EXPECT_EQ(call(post("/api/v1/billing", json::value::object(), token)).status, 405);
}

TEST_F(BillingTest, TheApiRefusesOtherScopesAndUnknownTokensAndLimitsGuessing) {
  // A monitoring token reads status and metrics, not billing; a billing
  // token reads billing, not status.
  const auto monitoring = svc->issue_monitoring_token("root", "nagios");
  const auto wrong_scope = call(get("/api/v1/billing", monitoring, period()));
  EXPECT_EQ(wrong_scope.status, 403);
  EXPECT_EQ(error_code(wrong_scope), "token_scope");
  const auto billing = svc->issue_billing_token("root", *store->find_account("dealer-a"), "erp");
  EXPECT_EQ(call(get("/api/v1/status", billing)).status, 403);
  EXPECT_EQ(call(get("/api/v1/requests", billing)).status, 401) << "not a site credential";
  // Without a token, or with an unknown one: 401, each counted against the
  // source; past the API's budget (5 a minute here) 429 with Retry-After.
  const auto none = call(get("/api/v1/billing", "", period()));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(error_code(none), "unauthorized");
  for (int i = 1; i < cfg.failed_attempts_per_minute; ++i)
    EXPECT_EQ(call(get("/api/v1/billing", "frb1_guess" + std::to_string(i), period())).status, 401);
  const auto limited = call(get("/api/v1/billing", "frb1_guess-again", period()));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(error_code(limited), "too_many_attempts");
  bool retry_after = false;
  for (const auto& [k, v] : limited.headers) retry_after = retry_after || k == "Retry-After";
  EXPECT_TRUE(retry_after);
  // A valid token is served whatever its source's failures.
  EXPECT_EQ(call(get("/api/v1/billing", billing, period())).status, 200);
  // The failures are the API's: its other token endpoints wait too.
  EXPECT_EQ(call(get("/api/v1/status", "frm1_guess")).status, 429);
  clock.advance(std::chrono::minutes(1));
  EXPECT_EQ(call(get("/api/v1/billing", "frb1_guess-later", period())).status, 401);
}

TEST_F(BillingTest, TheApiAnswersADealerSiteSession) {
  // A session of the dealer site (the cookie only) reads what its account sees.
  const auto secret = "session-secret-of-dealer-a";
  store->add_session(crypto::secret_hash(secret), store->find_account("dealer-a")->id, "csrf", clock.now(),
                     clock.now() + std::chrono::hours(1));
  auto req = get("/api/v1/billing", "", period());
  req.headers["cookie"] = std::string("other=1; ") + session_cookie + "=" + secret;
  EXPECT_EQ(call(req).status, 200);
  req.headers["cookie"] = std::string(session_cookie) + "=expired-or-unknown";
  EXPECT_EQ(call(req).status, 401);
  // An admin's session reads any site, but must name one: it has no fleet.
  const auto admin_secret = "session-secret-of-root";
  store->add_session(crypto::secret_hash(admin_secret), store->find_account("root")->id, "csrf", clock.now(),
                     clock.now() + std::chrono::hours(1));
  req.headers["cookie"] = std::string(session_cookie) + "=" + admin_secret;
  EXPECT_EQ(call(req).status, 200);
  auto everyone = period();
  everyone.erase("site");
  auto all = get("/api/v1/billing", "", everyone);
  all.headers["cookie"] = req.headers["cookie"];
  const auto refused = call(all);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_code(refused), "invalid_request");
}

}  // namespace
}  // namespace fleetreg::center::test_support
