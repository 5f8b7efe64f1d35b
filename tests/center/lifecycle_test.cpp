// SPDX-License-Identifier: Apache-2.0
// Issue 14: a fleet's lifetime. Each test walks transitions of
// docs/LIFECYCLE.md and names the case it fixes (each failed before).
#include <algorithm>

#include "center_fixture.hpp"
#include "fleetreg/center/billing.hpp"
#include "fleetreg/center/refusal.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::center {
namespace {

using test_support::CenterTest;

class LifecycleTest : public CenterTest {
 protected:
  // A reading of `key` taken now.
  json::value reading_now(const std::string& terminal_key, std::uint64_t copies) {
    auto r = reading_json(make_uuid(), terminal_key, copies);
    r["taken_at"] = format_utc(clock.now());
    return r;
  }
  http::response upload(const std::string& credential, json::value list) {
    return call(post("/api/v1/readings", {{"readings", std::move(list)}}, credential));
  }
  // The entries of a long-poll answer (none when 204).
  json::value poll(const std::string& credential) {
    const auto r = call(get("/api/v1/requests", credential));
    if (r.status == 204) return json::value::array();
    EXPECT_EQ(r.status, 200) << r.body;
    return body_of(r)["requests"];
  }
  account dealer(const std::string& name) { return svc->require_account(name); }
};

// Found: after `revoke`, a new code for the same customer was refused with
// 409 terminal_registered_elsewhere ("use that site's credential" — the one
// just revoked). Now the new code takes the customer's terminals over.
TEST_F(LifecycleTest, ANewCodeForTheSameCustomerTakesOverFromARevokedSite) {
  const auto [old_site, old_cred] =
      register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1"), terminal("HP", "A2")});
  ASSERT_EQ(upload(old_cred, {reading_now("hp:A1", 100)}).status, 200);
  svc->revoke(dealer("dealer-a"), old_site);
  clock.advance(std::chrono::hours(1));
  const auto r = call(post("/api/v1/registrations",
                           registration(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1"), terminal("HP", "A2")})));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto b = body_of(r);
  for (const auto& a : b["results"]) EXPECT_EQ(a["status"], "registered") << r.body;
  const std::string site = b["site_id"], cred = b["credential"];
  EXPECT_EQ(store->find_terminal("hp:A1")->site_id, site);
  EXPECT_EQ(store->list_terminals(old_site).size(), 0u);
  // Audited, and the counters go on (same customer: the reset check too).
  bool audited = false;
  for (const auto& e : store->list_audit(std::nullopt, 50)) audited |= e.action == "terminal.takeover";
  EXPECT_TRUE(audited);
  const auto lower = upload(cred, {reading_now("hp:A1", 50)});
  EXPECT_EQ(body_of(lower)["resets"], 1) << "the new site knows the old site's last counters";
  // Readings the collector kept from before the revoke are still stored.
  auto kept = reading_json(make_uuid(), "hp:A2", 7);
  kept["taken_at"] = format_utc(clock.now() - std::chrono::minutes(90));
  EXPECT_EQ(body_of(upload(cred, {kept}))["results"][0]["status"], "stored");
}

// Another dealer's customer's revoked site is never taken over: a claim.
TEST_F(LifecycleTest, ARevokedSiteOfAnotherCustomerIsClaimedNotTakenOver) {
  const auto [old_site, old_cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  svc->revoke(dealer("dealer-a"), old_site);
  const auto r =
      call(post("/api/v1/registrations", registration(issue("dealer-a", "Beta Inc"), {terminal("HP", "A1")})));
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(body_of(r)["results"][0]["status"], "pending_claim");
  EXPECT_EQ(store->find_terminal("hp:A1")->site_id, old_site);
}

// Found: anyone with any code or credential could claim any serial; the
// owner's registration failed whole, its dealer could not move the terminal
// back, the 409 named the holder. Now: a claim the holder's dealer decides.
TEST_F(LifecycleTest, SquattedKeysBecomeClaimsTheHoldersDealerDecides) {
  const auto [squat_site, squat_cred] = register_site(issue("dealer-b", "Squatter"), {terminal("HP", "REAL-1")});
  // The squatter also grabs through its credential: the same rules.
  const auto grab = call(post("/api/v1/sites/self/terminals", {{"terminals", {terminal("HP", "REAL-2")}}}, squat_cred));
  ASSERT_EQ(grab.status, 200);
  EXPECT_EQ(body_of(grab)["results"][0]["status"], "registered");

  const auto r =
      call(post("/api/v1/registrations",
                registration(issue("dealer-a", "Owner Ltd"),
                             {terminal("HP", "REAL-1"), terminal("HP", "REAL-2"), terminal("HP", "OWN-3")})));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto b = body_of(r);
  const std::string owner_site = b["site_id"], owner_cred = b["credential"];
  EXPECT_EQ(b["results"][0]["status"], "pending_claim");
  EXPECT_EQ(b["results"][1]["status"], "pending_claim");
  EXPECT_EQ(b["results"][2]["status"], "registered");
  EXPECT_EQ(b["results"][0]["message"], b["results"][1]["message"]) << "one generic text";
  EXPECT_EQ(r.body.find("Squatter"), std::string::npos);

  // The owner's collector asks again: still pending, one claim only.
  const auto again =
      call(post("/api/v1/sites/self/terminals", {{"terminals", {terminal("HP", "REAL-1")}}}, owner_cred));
  EXPECT_EQ(body_of(again)["results"][0]["status"], "pending_claim");
  auto pending = svc->claims(dealer("dealer-b"));
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].state, "pending");
  EXPECT_EQ(svc->claims(dealer("dealer-a")).size(), 2u) << "the claimant's dealer sees its claims too";

  // Only the holder's dealer (or an admin) decides.
  const auto id1 = pending[0].key == "hp:REAL-1" ? pending[0].id : pending[1].id;
  const auto id2 = pending[0].key == "hp:REAL-1" ? pending[1].id : pending[0].id;
  EXPECT_THROW(svc->accept_claim(dealer("dealer-a"), id1), error);
  svc->accept_claim(dealer("dealer-b"), id1);
  EXPECT_EQ(store->find_terminal("hp:REAL-1")->site_id, owner_site);
  svc->refuse_claim(svc->require_account("root"), id2);
  EXPECT_EQ(store->find_terminal("hp:REAL-2")->site_id, squat_site);
  EXPECT_THROW(svc->accept_claim(dealer("dealer-b"), id2), error) << "decided once";
  const auto mine = call(post("/api/v1/sites/self/terminals",
                              {{"terminals", {terminal("HP", "REAL-1"), terminal("HP", "REAL-2")}}}, owner_cred));
  EXPECT_EQ(body_of(mine)["results"][0]["status"], "already_yours");
  EXPECT_EQ(body_of(mine)["results"][1]["status"], "pending_claim") << "asking again opens a new claim";
}

// Found: rotate showed a new credential once and nothing installed it. Now
// it travels in the next long-poll answer and is confirmed by its first use.
TEST_F(LifecycleTest, RotationArrivesInTheLongPollAndIsConfirmedByUse) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  EXPECT_EQ(poll(cred).size(), 0u);
  svc->rotate(dealer("dealer-a"), site);
  auto list = poll(cred);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["kind"], "rotate_credential");
  // A lost answer: the next poll sends another one; the first never works.
  list = poll(cred);
  ASSERT_EQ(list.size(), 1u);
  const std::string lost = body_of(call(get("/api/v1/requests", cred)))["requests"][0]["credential"];
  list = poll(cred);
  const std::string fresh = list[0]["credential"];
  EXPECT_TRUE(fresh.starts_with("frc1_"));
  EXPECT_EQ(upload(cred, {reading_now("hp:A1", 1)}).status, 200) << "the old one works until confirmation";
  EXPECT_EQ(poll(fresh).size(), 0u) << "confirmed: no rotation pending any more";
  EXPECT_EQ(upload(cred, {reading_now("hp:A1", 2)}).status, 401) << "the old one stopped";
  EXPECT_EQ(upload(lost, {reading_now("hp:A1", 2)}).status, 401) << "so did the lost one";
  EXPECT_EQ(upload(fresh, {reading_now("hp:A1", 3)}).status, 200);
  EXPECT_FALSE(store->find_site(site)->rotation_requested_at);
}

TEST_F(LifecycleTest, AnUnconfirmedRotationEndsTheOldCredentialAfterTheOverlap) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  svc->rotate(dealer("dealer-a"), site);
  clock.advance(cfg.rotation_overlap - std::chrono::minutes(1));
  EXPECT_EQ(upload(cred, {reading_now("hp:A1", 1)}).status, 200);
  clock.advance(std::chrono::minutes(2));
  EXPECT_EQ(upload(cred, {reading_now("hp:A1", 1)}).status, 401);
}

// Found: codes could not be ended early; validity was one global setting.
TEST_F(LifecycleTest, CodesEndEarlyChooseTheirValidityAndMayRegisterOneSite) {
  const auto a = dealer("dealer-a");
  auto issued = svc->issue_code(a, "Acme Ltd", "", "");
  svc->revoke_code(a, issued.record.id);
  auto r = call(post("/api/v1/registrations", registration(issued.code, {terminal("HP", "A1")})));
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(error_code(r), "code_revoked");
  EXPECT_THROW(svc->revoke_code(a, issued.record.id), error) << "once";
  EXPECT_THROW(svc->revoke_code(dealer("dealer-b"), svc->issue_code(a, "X", "", "").record.id), error)
      << "another dealer's code is not found";
  EXPECT_EQ(store->purge_codes(clock.now()), 1) << "a revoked code's hash goes at the next purge";

  // Validity chosen at issue, within bounds; the dealer's default otherwise.
  const auto two_hours = svc->issue_code(a, "Acme Ltd", "", "", {std::chrono::hours(2), false});
  EXPECT_EQ(two_hours.record.expires_at - two_hours.record.issued_at, std::chrono::hours(2));
  EXPECT_THROW(svc->issue_code(a, "Acme Ltd", "", "", {std::chrono::minutes(10), false}), error);
  EXPECT_THROW(svc->issue_code(a, "Acme Ltd", "", "", {std::chrono::hours(24 * 365), false}), error);
  EXPECT_EQ(svc->parse_validity("36h"), std::chrono::hours(36));
  EXPECT_THROW(svc->parse_validity("3 days"), error);
  svc->set_code_validity("root", a, std::chrono::hours(24 * 30));
  const auto dflt = svc->issue_code(dealer("dealer-a"), "Acme Ltd", "", "");
  EXPECT_EQ(dflt.record.expires_at - dflt.record.issued_at, std::chrono::hours(24 * 30));
  clock.advance(std::chrono::hours(3));
  EXPECT_EQ(error_code(call(post("/api/v1/registrations", registration(two_hours.code, {terminal("HP", "A1")})))),
            "code_expired");

  // A single-site code: one site; its own retries still answer.
  const auto once = svc->issue_code(a, "Solo GmbH", "", "", {std::nullopt, true});
  const auto [site, cred] = register_site(once.code, {terminal("HP", "S1")}, "retry-key");
  const auto [site_again, cred_again] = register_site(once.code, {terminal("HP", "S1")}, "retry-key");
  EXPECT_EQ(site, site_again);
  r = call(post("/api/v1/registrations", registration(once.code, {terminal("HP", "S2")})));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "code_used");
  EXPECT_FALSE(store->find_terminal("hp:S2"));
}

// Found: readings were selected by terminal key only: after a transfer or a
// retire and re-registration elsewhere, the new owner saw and billed the
// previous customer's readings.
TEST_F(LifecycleTest, EachOwnerSeesAndBillsOnlyItsOwnPeriods) {
  const auto [site_a, cred_a] = register_site(issue("dealer-a", "First"), {terminal("HP", "T1")});
  const auto [site_b, cred_b] = register_site(issue("dealer-a", "Second"), {terminal("HP", "X")});
  ASSERT_EQ(body_of(upload(cred_a, {reading_now("hp:T1", 1000)}))["accepted"], 1);
  clock.advance(std::chrono::hours(1));
  svc->transfer_terminal(dealer("dealer-a"), "hp:T1", site_b);
  clock.advance(std::chrono::hours(1));
  ASSERT_EQ(body_of(upload(cred_b, {reading_now("hp:T1", 1500)}))["accepted"], 1);
  const auto of_b = store->terminal_readings("hp:T1", site_b, std::nullopt, std::nullopt, 100);
  ASSERT_EQ(of_b.size(), 1u);
  EXPECT_EQ(of_b[0].r.counters.get(service::copy, counter_kind::impressions), 1500u);
  EXPECT_EQ(store->terminal_readings("hp:T1", site_a, std::nullopt, std::nullopt, 100).size(), 1u);
  EXPECT_FALSE(store->reading_before("hp:T1", site_b, clock.now() - std::chrono::minutes(90)))
      << "the new owner starts without the previous one's counters";
  const auto former = store->former_terminals(site_a);
  ASSERT_EQ(former.size(), 1u) << "the previous owner still bills its period";
  EXPECT_EQ(former[0].key, "hp:T1");

  // Retired and registered again with another dealer's customer.
  svc->retire_terminal(dealer("dealer-a"), "hp:T1");
  const auto [site_c, cred_c] = register_site(issue("dealer-b", "Third"), {terminal("HP", "T1")});
  EXPECT_EQ(store->terminal_readings("hp:T1", site_c, std::nullopt, std::nullopt, 100).size(), 0u);
  // A late upload by the previous holder, taken while it held the terminal,
  // is still its own; one taken after it left is refused.
  auto late = reading_json(make_uuid(), "hp:T1", 1400);
  late["taken_at"] = format_utc(clock.now() - std::chrono::minutes(30));
  EXPECT_EQ(body_of(upload(cred_b, {late}))["results"][0]["status"], "stored");
  EXPECT_EQ(body_of(upload(cred_b, {reading_now("hp:T1", 1600)}))["results"][0]["reason"], "not_at_site");
}

// Found: readings dated years back were accepted and rewrote periods already
// billed. Now: too old ones are refused, ones inside a closed period are
// stored late and left out of billing.
TEST_F(LifecycleTest, ClosedBillingPeriodsAreNeverRewritten) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  ASSERT_EQ(body_of(upload(cred, {reading_now("hp:A1", 100)}))["accepted"], 1);
  clock.advance(std::chrono::hours(2));
  EXPECT_THROW(svc->close_billing(dealer("dealer-b"), dealer("dealer-a"), clock.now()), error) << "not its account";
  EXPECT_THROW(svc->close_billing(dealer("dealer-a"), dealer("dealer-a"), clock.now() + std::chrono::hours(1)), error);
  svc->close_billing(dealer("dealer-a"), dealer("dealer-a"), clock.now() - std::chrono::hours(1));
  auto inside = reading_json(make_uuid(), "hp:A1", 90);
  inside["taken_at"] = format_utc(clock.now() - std::chrono::minutes(90));
  const auto r = body_of(upload(cred, {inside}));
  EXPECT_EQ(r["late"], 1);
  EXPECT_EQ(r["results"][0]["late"], true);
  const auto billed = store->terminal_readings("hp:A1", site, std::nullopt, std::nullopt, 100, false, false);
  ASSERT_EQ(billed.size(), 1u) << "billing leaves the late reading out";
  EXPECT_EQ(store->terminal_readings("hp:A1", site, std::nullopt, std::nullopt, 100).size(), 2u) << "kept, flagged";
}

// Found: a monitoring token read every dealer's billing; tokens could not be
// revoked.
TEST_F(LifecycleTest, TokensAreScopedListedAndRevocable) {
  const auto monitoring = svc->issue_monitoring_token("root", "nagios");
  EXPECT_EQ(call(get("/api/v1/status", monitoring)).status, 200);
  const auto billing = svc->issue_billing_token("root", dealer("dealer-a"), "erp");
  const auto wrong = call(get("/api/v1/status", billing));
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(error_code(wrong), "token_scope");
  const auto tokens = store->list_tokens(std::nullopt);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens[1].last_used_at) << "last use is shown";
  EXPECT_THROW(svc->revoke_token(dealer("dealer-b"), tokens[0].id), error) << "not its token";
  svc->revoke_token(dealer("dealer-a"), tokens[0].id);  // its own billing token
  const auto monitoring_id = tokens[1].id;
  svc->revoke_token(svc->require_account("root"), monitoring_id);
  EXPECT_EQ(call(get("/api/v1/status", monitoring)).status, 401);
  EXPECT_THROW(svc->revoke_token(svc->require_account("root"), monitoring_id), error) << "once";
}

// Retention (step 10): old readings go, the months' bills stay the same.
TEST_F(LifecycleTest, RetentionPrunesOldReadingsAndKeepsMonthlyBillsExact) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  const auto start = from_unix(1796083200);  // 2026-12-01T00:00:00Z
  clock.set(start + std::chrono::hours(24 * 800));
  std::vector<reading> batch;
  std::uint64_t copies = 1000;
  for (int day = 0; day < 90; ++day) {
    for (int n = 0; n < 4; ++n) {
      reading r;
      r.id = make_uuid();
      r.terminal_key = "hp:A1";
      r.taken = start + std::chrono::hours(24 * day + 6 * n);
      copies = day == 45 && n == 2 ? 7 : copies + 13;  // a board swap in mid-January
      r.counters.set(service::copy, counter_kind::impressions, copies);
      batch.push_back(r);
    }
  }
  ASSERT_EQ(store->store_readings(site, batch, clock.now(), from_unix(0)).accepted, 360);
  const time_point months[] = {start, from_unix(1798761600), from_unix(1801440000), from_unix(1803859200)};
  auto bills = [&] {
    std::vector<std::uint64_t> out;
    for (int m = 0; m < 3; ++m) {
      std::vector<stored_reading> rs;
      if (auto b = store->reading_before("hp:A1", site, months[m])) rs.push_back(*b);
      for (auto& r : store->terminal_readings("hp:A1", site, months[m], months[m + 1], 100000, false, false))
        rs.push_back(std::move(r));
      const auto lines = bill_terminal(rs);
      out.push_back(lines.empty() ? 0 : lines[0].clicks);
    }
    return out;
  };
  const auto before = bills();
  EXPECT_GT(before[1], 0u);
  // Everything of the three months is old.
  cfg.reading_retention = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - months[3]);
  svc->purge("test");
  const auto left = store->list_readings(site, 100000).size();
  EXPECT_LE(left, 3u * 2u + 2u) << "first and last per month, the reset and the reading before it";
  EXPECT_GE(left, 6u);
  EXPECT_EQ(bills(), before) << "the monthly bills are unchanged";
  bool audited = false;
  for (const auto& e : store->list_audit(std::nullopt, 20)) audited |= e.action == "readings.prune";
  EXPECT_TRUE(audited);
}

// Issue 17 (a big center): the site list, a site's page and billing read
// with a few aggregated queries instead of one or two per site and terminal.
// Each agrees with the one-by-one reads it replaced, over transfers (a former
// terminal), a counter reset, late readings and two dealers; a dealer's
// billing is its sites' billings one after the other, and only its own.
TEST_F(LifecycleTest, AggregatedReadsAgreeWithTheOneByOneReadsTheyReplace) {
  const auto base = clock.now();
  const auto [s1, c1] =
      register_site(issue("dealer-a", "First"), json::value::array({terminal("HP", "A1"), terminal("HP", "A2")}));
  const auto [s2, c2] = register_site(issue("dealer-a", "Second"), json::value::array({terminal("HP", "B1")}));
  const auto [s3, c3] = register_site(issue("dealer-b", "Third"), json::value::array({terminal("HP", "C1")}));
  std::uint64_t copies = 100;
  auto read = [&](const std::string& site, const std::string& terminal_key, time_point taken, std::uint64_t value) {
    reading r;
    r.id = make_uuid();
    r.terminal_key = terminal_key;
    r.taken = taken;
    r.counters.set(service::copy, counter_kind::impressions, value);
    r.counters.set(service::total, counter_kind::impressions, value * 2);
    ASSERT_EQ(store->store_readings(site, {r}, clock.now(), from_unix(0)).accepted, 1) << terminal_key;
  };
  for (int day = 0; day < 10; ++day) {
    clock.set(base + std::chrono::hours(24 * day + 1));
    if (day == 5) svc->transfer_terminal(dealer("dealer-a"), "hp:A2", s2);
    copies += 37;
    read(s1, "hp:A1", clock.now(), copies);
    read(day < 5 ? s1 : s2, "hp:A2", clock.now(), copies * 3);
    read(s2, "hp:B1", clock.now(), day == 7 ? 5 : copies + 1000);  // a reset on day 7
    read(s3, "hp:C1", clock.now(), copies);
  }
  // Closed before day 8: a reading of day 3 arriving now is late, never billed.
  svc->close_billing(dealer("dealer-a"), dealer("dealer-a"), base + std::chrono::hours(24 * 8));
  read(s2, "hp:B1", base + std::chrono::hours(24 * 3 + 2), 999999);

  // The site list: list_sites and list_terminals per site.
  for (const std::optional<std::int64_t> scope :
       {std::optional(dealer("dealer-a").id), std::optional<std::int64_t>()}) {
    const auto joined = store->list_sites_with_terminals(scope);
    const auto sites = store->list_sites(scope);
    ASSERT_EQ(joined.size(), sites.size());
    for (std::size_t n = 0; n < sites.size(); ++n) {
      EXPECT_EQ(joined[n].first.id, sites[n].id);
      EXPECT_EQ(joined[n].first.customer, sites[n].customer);
      const auto terminals = store->list_terminals(sites[n].id);
      ASSERT_EQ(joined[n].second.size(), terminals.size()) << sites[n].customer;
      for (std::size_t k = 0; k < terminals.size(); ++k) EXPECT_EQ(joined[n].second[k].key, terminals[k].key);
    }
  }
  EXPECT_EQ(store->list_sites_with_terminals(dealer("dealer-a").id).size(), 2u);
  // Its pages: the same order, each site with its number of terminals.
  const auto all_a = store->list_sites(dealer("dealer-a").id);
  const auto first_page = store->list_sites_page(dealer("dealer-a").id, 0, 10);
  EXPECT_EQ(first_page.second, 2);
  ASSERT_EQ(first_page.first.size(), 2u);
  for (std::size_t n = 0; n < 2; ++n) {
    EXPECT_EQ(first_page.first[n].first.id, all_a[n].id);
    EXPECT_EQ(first_page.first[n].second, static_cast<std::int64_t>(store->list_terminals(all_a[n].id).size()));
  }
  const auto second_page = store->list_sites_page(dealer("dealer-a").id, 1, 1);
  ASSERT_EQ(second_page.first.size(), 1u);
  EXPECT_EQ(second_page.first[0].first.id, all_a[1].id);
  EXPECT_EQ(store->list_sites_page(std::nullopt, 0, 100).second, 3) << "an admin's list has every dealer's";

  // A site's page: its terminals, each with the newest reading before a time.
  for (const auto& site : {s1, s2, s3})
    for (const auto at : {base, base + std::chrono::hours(24 * 3), clock.now() + std::chrono::seconds(1)}) {
      const auto joined = store->terminals_with_reading_before(site, at);
      const auto terminals = store->list_terminals(site);
      ASSERT_EQ(joined.size(), terminals.size());
      for (std::size_t k = 0; k < terminals.size(); ++k) {
        EXPECT_EQ(joined[k].first.key, terminals[k].key);
        const auto one = store->reading_before(terminals[k].key, site, at);
        ASSERT_EQ(joined[k].second.has_value(), one.has_value()) << terminals[k].key;
        if (one) {
          EXPECT_EQ(joined[k].second->r.id, one->r.id);
          EXPECT_EQ(joined[k].second->r.counters, one->r.counters);
          EXPECT_EQ(joined[k].second->r.supplies.size(), one->r.supplies.size());
        }
      }
    }
  EXPECT_TRUE(store->terminals_with_reading_before(s1, clock.now())[0].second) << "A1 has readings";

  // Billing: per terminal the reading before the period and those in it, the
  // way operations::billing read them before (current terminals, then former).
  const auto from = base + std::chrono::hours(24 * 2), to = base + std::chrono::hours(24 * 9);
  auto one_by_one = [&](const std::string& site_id) {
    const auto s = *store->find_site(site_id);
    auto terminals = store->list_terminals(s.id);
    for (auto& t : store->former_terminals(s.id)) terminals.push_back(std::move(t));
    std::vector<billing_line> lines;
    for (const auto& t : terminals) {
      std::vector<stored_reading> rs;
      if (auto before = store->reading_before(t.key, s.id, from)) rs.push_back(*before);
      for (auto& r : store->terminal_readings(t.key, s.id, from, to, 100000, false, false)) rs.push_back(std::move(r));
      for (auto& l : bill_terminal(rs)) {
        l.customer = s.customer;
        l.site_id = s.id;
        l.model = t.id.manufacturer + " " + t.id.model;
        lines.push_back(std::move(l));
      }
    }
    return billing_csv(lines);
  };
  const auto a = dealer("dealer-a");
  std::vector<std::string> ids{s1, s2};
  std::sort(ids.begin(), ids.end());
  std::string whole;
  for (const auto& id : ids) {
    const auto expected = one_by_one(id);
    EXPECT_EQ(billing_csv(svc->billing(a, id, from, to)), expected) << id;
    whole += expected.substr(expected.find('\n') + 1);  // without its header
  }
  const auto lines = svc->dealer_billing(a, a, from, to);
  const auto csv = billing_csv(lines);
  EXPECT_EQ(csv.substr(csv.find('\n') + 1), whole);
  EXPECT_NE(csv.find("hp:A2"), std::string::npos);
  EXPECT_EQ(csv.find("hp:C1"), std::string::npos) << "another dealer's terminal";
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [&](const billing_line& l) { return l.terminal_key == "hp:A2"; }),
            4)
      << "A2 billed at both sites, copy and total each";
  EXPECT_THROW(svc->dealer_billing(dealer("dealer-b"), a, from, to), refusal);
  EXPECT_THROW(svc->dealer_billing(a, a, to, from), refusal);
  EXPECT_THROW(svc->dealer_billing(a, a, from, from + std::chrono::hours(24 * 367)), refusal);
}

// Issue 17: the lists and lookups the dealer site and fleetreg-centerctl show
// come from operations, which applies tenancy: a dealer sees its own objects
// only (asking for another dealer's gets nothing, or the answer of an unknown
// one), an admin every dealer's or one dealer's.
TEST_F(LifecycleTest, OperationsShowADealerOnlyItsOwnObjects) {
  const auto a = dealer("dealer-a"), b = dealer("dealer-b"), root = svc->require_account("root");
  const auto [site_a, cred_a] = register_site(issue("dealer-a", "A Ltd"), {terminal("HP", "TEN-A")});
  const auto [site_b, cred_b] = register_site(issue("dealer-b", "B Ltd"), {terminal("HP", "TEN-B")});
  ASSERT_EQ(upload(cred_b, {reading_now("hp:TEN-B", 10)}).status, 200);
  const auto ids = [](const std::vector<site>& list) {
    std::vector<std::string> out;
    for (const auto& s : list) out.push_back(s.id);
    return out;
  };
  EXPECT_EQ(ids(svc->sites(a)), std::vector<std::string>{site_a});
  EXPECT_TRUE(svc->sites(a, b.id).empty()) << "another dealer's sites: none";
  EXPECT_EQ(ids(svc->sites(root, b.id)), std::vector<std::string>{site_b});
  EXPECT_EQ(svc->sites(root).size(), 2u);
  EXPECT_EQ(svc->codes(a).size(), 1u);
  EXPECT_TRUE(svc->codes(a, b.id).empty());
  EXPECT_EQ(svc->codes(root).size(), 2u);
  const auto listed = svc->sites_with_terminals(b);
  ASSERT_EQ(listed.size(), 1u);
  ASSERT_EQ(listed[0].terminals.size(), 1u);
  EXPECT_EQ(listed[0].terminals[0].key, "hp:TEN-B");

  // Another dealer's site or terminal is answered like an unknown one.
  const auto refused = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const refusal& r) {
      return std::string(r.kind() == refusal_kind::not_found ? "not_found " : "other ") + r.object();
    }
    return "allowed";
  };
  EXPECT_EQ(refused([&] { svc->site_overview_of(a, site_b); }), "not_found site");
  EXPECT_EQ(refused([&] { svc->terminals(a, site_b); }), "not_found site");
  EXPECT_EQ(refused([&] { svc->requests(a, site_b); }), "not_found site");
  EXPECT_EQ(refused([&] { svc->readings(a, site_b, 10); }), "not_found site");
  EXPECT_EQ(refused([&] { svc->require_terminal(a, "hp:TEN-B"); }), "not_found terminal");
  EXPECT_EQ(refused([&] { svc->require_terminal(a, "hp:NOWHERE"); }), "not_found terminal");
  EXPECT_EQ(refused([&] { svc->latest_readings(a, "hp:TEN-B", clock.now() - std::chrono::hours(1), 10); }),
            "not_found terminal");
  EXPECT_EQ(refused([&] { svc->billing_closed_until(a, b); }), "not_found account");
  EXPECT_EQ(refused([&] { svc->accounts(a); }), "other ") << "accounts are an admin's";

  // Its own: the page's data, the newest reading per terminal.
  const auto view = svc->site_overview_of(b, site_b);
  ASSERT_EQ(view.terminals.size(), 1u);
  ASSERT_TRUE(view.terminals[0].last);
  EXPECT_EQ(view.terminals[0].last->r.counters.get(service::copy, counter_kind::impressions), 10u);
  EXPECT_EQ(svc->latest_readings(b, "hp:TEN-B", clock.now() - std::chrono::hours(1), 10).size(), 1u);
  EXPECT_EQ(svc->accounts(root).size(), 3u);

  // The audit log: a dealer's own lines only.
  svc->request_reading(a, site_a);
  for (const auto& line : svc->audit_log(a, 100)) EXPECT_EQ(line.actor, "dealer-a");
  EXPECT_FALSE(svc->audit_log(a, 100).empty());
  EXPECT_GT(svc->audit_log(root, 100).size(), svc->audit_log(a, 100).size());
}

}  // namespace
}  // namespace fleetreg::center
