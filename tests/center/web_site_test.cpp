// SPDX-License-Identifier: Apache-2.0
// The dealer site at the HTTP level: pages behind login, sessions, CSRF,
// tenancy, escaping, billing numbers. Real SQLite storage, no socket.

#include <gtest/gtest.h>

#include "center_fixture.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/center/web_site.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/test/postgres_cluster.hpp"

namespace fleetreg::center::test_support {
namespace {

std::string header(const http::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

std::string cookie_value(const http::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie" && v.rfind(name + "=", 0) == 0)
      return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
  return "";
}

std::string between(const std::string& text, const std::string& before, const std::string& after) {
  const auto b = text.find(before);
  if (b == std::string::npos) return "";
  const auto s = b + before.size();
  return text.substr(s, text.find(after, s) - s);
}

class WebSiteTest : public CenterTest {
 protected:
  WebSiteTest() {
    api_->set_fallback([this](const http::request& r) { return site.handle(r); });
  }

  // `path` as a browser sends it (escapes kept); decoded as the server does.
  http::request page(const std::string& method, const std::string& path, const std::string& cookie = "",
                     const std::string& form = "", std::map<std::string, std::string> query = {}) {
    http::request r;
    r.method = method;
    r.raw_path = path;
    EXPECT_TRUE(http::percent_decode(path, r.path)) << path;
    r.query = std::move(query);
    r.body = form;
    r.peer = "192.0.2.9";
    if (!cookie.empty()) r.headers["cookie"] = cookie;
    return r;
  }

  // Logs in; returns the session cookie and the page's CSRF token.
  std::pair<std::string, std::string> login(const std::string& name, const std::string& password) {
    const auto form = call(page("GET", "/login"));
    const auto token = cookie_value(form, "fleetreg_login");
    const auto r = call(page("POST", "/login", "fleetreg_login=" + token,
                             "name=" + name + "&password=" + password + "&login_csrf=" + token));
    EXPECT_EQ(r.status, 303) << r.body;
    const auto session = "fleetreg_session=" + cookie_value(r, "fleetreg_session");
    const auto sites = call(page("GET", "/sites", session));
    return {session, between(sites.body, "name=\"csrf\" value=\"", "\"")};
  }

  web_site site{*svc, false};
};

TEST_F(WebSiteTest, PagesNeedALoginAndSessionsEnd) {
  for (const char* path : {"/sites", "/codes", "/codes/new", "/billing", "/audit", "/accounts", "/"}) {
    const auto r = call(page("GET", path));
    EXPECT_EQ(r.status, 303) << path;
    EXPECT_EQ(header(r, "Location"), "/login") << path;
  }
  const auto form = call(page("GET", "/login"));
  EXPECT_EQ(form.status, 200);
  EXPECT_NE(header(form, "Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  const auto token = cookie_value(form, "fleetreg_login");
  // Wrong password: refused, no session.
  auto r = call(
      page("POST", "/login", "fleetreg_login=" + token, "name=dealer-a&password=wrong-password&login_csrf=" + token));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(cookie_value(r, "fleetreg_session"), "");
  // Right password: a session cookie, HttpOnly and SameSite=Strict.
  r = call(
      page("POST", "/login", "fleetreg_login=" + token, "name=dealer-a&password=password-a-123&login_csrf=" + token));
  ASSERT_EQ(r.status, 303) << r.body;
  std::string set;
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie" && v.rfind("fleetreg_session=", 0) == 0) set = v;
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos) << "plain http in this test";
  const auto session = "fleetreg_session=" + cookie_value(r, "fleetreg_session");
  EXPECT_EQ(call(page("GET", "/sites", session)).status, 200);
  // Eight hours later the session is gone.
  clock.advance(std::chrono::hours(9));
  EXPECT_EQ(call(page("GET", "/sites", session)).status, 303);
}

TEST_F(WebSiteTest, FailedLoginsAreRateLimited) {
  const auto token = cookie_value(call(page("GET", "/login")), "fleetreg_login");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(call(page("POST", "/login", "fleetreg_login=" + token,
                        "name=dealer-a&password=nope-nope-1&login_csrf=" + token))
                  .status,
              401);
  const auto r = call(
      page("POST", "/login", "fleetreg_login=" + token, "name=dealer-a&password=password-a-123&login_csrf=" + token));
  EXPECT_EQ(r.status, 429) << "even the right password waits";
  EXPECT_FALSE(header(r, "Retry-After").empty());
}

TEST_F(WebSiteTest, OneAccountGuessedFromManyAddressesWaitsToo) {
  const auto token = cookie_value(call(page("GET", "/login")), "fleetreg_login");
  auto attempt = [&](const std::string& account, const std::string& password, int from) {
    auto r = page("POST", "/login", "fleetreg_login=" + token,
                  "name=" + account + "&password=" + password + "&login_csrf=" + token);
    r.peer = "198.51.100." + std::to_string(from);  // a new address each time: the per-source limit never trips
    return call(r);
  };
  for (int i = 0; i < cfg.login_failures_per_account; ++i) EXPECT_EQ(attempt("dealer-a", "guess-guess", i).status, 401);
  const auto r = attempt("dealer-a", "password-a-123", 100);
  EXPECT_EQ(r.status, 429) << "the account waits, from any address";
  EXPECT_FALSE(header(r, "Retry-After").empty());
  EXPECT_EQ(attempt("dealer-b", "password-b-123", 101).status, 303) << "other accounts are not affected";
  clock.advance(std::chrono::minutes(15));
  EXPECT_EQ(attempt("dealer-a", "password-a-123", 102).status, 303);
}

// PostgreSQL's disk_full (a trigger raises SQLSTATE 53100) on a form: a 507
// page that says so, nothing stored; the next code once there is room.
TEST_F(WebSiteTest, ADiskFullPageSaysSoAndChangesNothing) {
  if (!database.postgresql()) GTEST_SKIP() << "PostgreSQL only; SQLite's full disk is a drill";
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const auto codes_before = store->list_codes(std::nullopt).size();
  test::pg_connection(database.location)
      .query(
          "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$; CREATE TRIGGER full_disk BEFORE INSERT ON "
          "codes FOR EACH ROW EXECUTE FUNCTION disk_full();");
  const auto r = call(page("POST", "/codes", session, "customer=Acme+Ltd&csrf=" + csrf));
  EXPECT_EQ(r.status, 507);
  EXPECT_NE(r.body.find("no space left"), std::string::npos) << r.body;
  EXPECT_FALSE(header(r, "Retry-After").empty());
  EXPECT_EQ(store->list_codes(std::nullopt).size(), codes_before);
  test::pg_connection(database.location).query("DROP TRIGGER full_disk ON codes");
  EXPECT_EQ(call(page("POST", "/codes", session, "customer=Acme+Ltd&csrf=" + csrf)).status, 200);
}

TEST_F(WebSiteTest, FormsWithoutTheCsrfTokenAreRefused) {
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  ASSERT_FALSE(csrf.empty());
  const auto codes_before = store->list_codes(std::nullopt).size();
  EXPECT_EQ(call(page("POST", "/codes", session, "customer=Evil+Corp")).status, 403);
  EXPECT_EQ(call(page("POST", "/codes", session, "customer=Evil+Corp&csrf=forged")).status, 403);
  EXPECT_EQ(store->list_codes(std::nullopt).size(), codes_before) << "nothing stored";
  // Without a session at all.
  EXPECT_EQ(call(page("POST", "/codes", "", "customer=X&csrf=" + csrf)).status, 403);
  // With it: the code is shown once, grouped, with its expiry, in the answer itself.
  const auto r = call(page("POST", "/codes", session, "customer=Acme+Ltd&contact=Ms+Smith&csrf=" + csrf));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto shown = between(r.body, "<p class=\"code\">", "</p>");
  ASSERT_EQ(shown.size(), 14u) << r.body;
  std::string typed = shown;
  std::replace(typed.begin(), typed.end(), ' ', '-');
  std::string why_code, why;
  EXPECT_TRUE(svc->check_code(typed, why_code, why)) << why;
  EXPECT_EQ(store->list_codes(std::nullopt).size(), codes_before + 1);
  EXPECT_EQ(call(page("GET", "/codes", session)).body.find(typed), std::string::npos);
}

TEST_F(WebSiteTest, HostileNamesAreEscaped) {
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const auto customer = "<script>alert(1)</script> & \"Ünïcødé\" " + std::string(150, 'x');
  const auto code = issue("dealer-a", customer);
  register_site(code, json::value::array({terminal("Ricoh", "<b>S1</b>")}));
  const auto r = call(page("GET", "/sites", session));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Ünïcødé&quot;"), std::string::npos);
  const auto codes = call(page("GET", "/codes", session));
  EXPECT_EQ(codes.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(codes.body.find(code), std::string::npos) << "a code is never listed after issuing";
}

TEST_F(WebSiteTest, DealersSeeOnlyTheirCustomers) {
  const auto [site_a, cred_a] =
      register_site(issue("dealer-a", "Customer of A"), json::value::array({terminal("Ricoh", "A-1")}));
  const auto [b_session, b_csrf] = login("dealer-b", "password-b-123");
  const auto list = call(page("GET", "/sites", b_session));
  EXPECT_EQ(list.body.find("Customer of A"), std::string::npos);
  EXPECT_EQ(call(page("GET", "/sites/" + site_a, b_session)).status, 404);
  EXPECT_EQ(call(page("GET", "/terminals/ricoh:A-1", b_session)).status, 404);
  EXPECT_EQ(call(page("POST", "/sites/" + site_a + "/revoke", b_session, "confirm=yes&csrf=" + b_csrf)).status, 404);
  EXPECT_TRUE(store->find_site(site_a)->credential_active) << "nothing changed";
  const auto billing = call(
      page("GET", "/billing.csv", b_session, "", {{"site", site_a}, {"from", "2026-01-01"}, {"to", "2027-01-01"}}));
  EXPECT_EQ(billing.status, 404);
  // The admin sees it.
  const auto [r_session, r_csrf] = login("root", "password-r-123");
  EXPECT_EQ(call(page("GET", "/sites/" + site_a, r_session)).status, 200);
  // A revoke needs its confirmation box.
  const auto [a_session, a_csrf] = login("dealer-a", "password-a-123");
  EXPECT_EQ(call(page("POST", "/sites/" + site_a + "/revoke", a_session, "csrf=" + a_csrf)).status, 400);
  EXPECT_TRUE(store->find_site(site_a)->credential_active);
  EXPECT_EQ(call(page("POST", "/sites/" + site_a + "/revoke", a_session, "confirm=yes&csrf=" + a_csrf)).status, 303);
  EXPECT_FALSE(store->find_site(site_a)->credential_active);
  const auto audit = call(page("GET", "/audit", a_session));
  EXPECT_NE(audit.body.find("credential.revoke"), std::string::npos);
  EXPECT_EQ(call(page("GET", "/audit", b_session)).body.find("credential.revoke"), std::string::npos);
  EXPECT_EQ(call(page("GET", "/accounts", a_session)).status, 403);
}

TEST_F(WebSiteTest, TerminalAndAccountActions) {
  const auto [site1, cred1] = register_site(issue("dealer-a", "First Customer"),
                                            json::value::array({terminal("Ricoh", "T-1"), terminal("Ricoh", "T-2")}));
  const auto [site2, cred2] =
      register_site(issue("dealer-a", "Second Customer"), json::value::array({terminal("Ricoh", "T-3")}));
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  // The terminal page, then a transfer to the dealer's other customer.
  const auto t = call(page("GET", "/terminals/ricoh:T-1", session));
  ASSERT_EQ(t.status, 200);
  EXPECT_NE(t.body.find("<svg"), std::string::npos);
  EXPECT_NE(t.body.find("Second Customer"), std::string::npos) << "offered as a transfer target";
  EXPECT_EQ(call(page("POST", "/terminals/ricoh:T-1/transfer", session, "to_site=" + site2 + "&csrf=" + csrf)).status,
            303);
  EXPECT_EQ(store->find_terminal("ricoh:T-1")->site_id, site2);
  // Retire needs its confirmation.
  EXPECT_EQ(call(page("POST", "/terminals/ricoh:T-2/retire", session, "csrf=" + csrf)).status, 400);
  EXPECT_TRUE(store->find_terminal("ricoh:T-2"));
  EXPECT_EQ(call(page("POST", "/terminals/ricoh:T-2/retire", session, "confirm=yes&csrf=" + csrf)).status, 303);
  EXPECT_FALSE(store->find_terminal("ricoh:T-2"));
  // A new code for the same customer, shown at once.
  const auto code_page = call(page("POST", "/sites/" + site1 + "/code", session, "csrf=" + csrf));
  EXPECT_EQ(code_page.status, 200);
  EXPECT_NE(code_page.body.find("First Customer"), std::string::npos);
  // An on-demand read lands in the site's request queue.
  EXPECT_EQ(call(page("POST", "/sites/" + site1 + "/request", session, "csrf=" + csrf)).status, 303);
  EXPECT_EQ(store->list_requests(site1).size(), 1u);
  EXPECT_NE(call(page("GET", "/sites/" + site1, session)).body.find("waiting"), std::string::npos);
  // Search by serial.
  const auto found = call(page("GET", "/sites", session, "", {{"q", "t-3"}}));
  EXPECT_NE(found.body.find("Second Customer"), std::string::npos);
  EXPECT_EQ(found.body.find("First Customer"), std::string::npos);
  // The admin makes a dealer account and disables it; its sessions end.
  const auto [root, root_csrf] = login("root", "password-r-123");
  EXPECT_EQ(call(page("POST", "/accounts", root, "name=dealer-c&password=password-c-123&csrf=" + root_csrf)).status,
            303);
  const auto [c_session, c_csrf] = login("dealer-c", "password-c-123");
  EXPECT_EQ(call(page("GET", "/sites", c_session)).status, 200);
  EXPECT_EQ(call(page("POST", "/accounts/dealer-c/disable", root, "csrf=" + root_csrf)).status, 303);
  EXPECT_EQ(call(page("GET", "/sites", c_session)).status, 303) << "logged out";
  EXPECT_EQ(call(page("POST", "/accounts/root/disable", root, "csrf=" + root_csrf)).status, 400) << "not oneself";
  const auto weak = call(page("POST", "/accounts", root, "name=dealer-d&password=short&csrf=" + root_csrf));
  EXPECT_EQ(weak.status, 400);
  EXPECT_NE(weak.body.find("at least 10 characters"), std::string::npos);
}

// Issue 14 in the dealer site: claims decided by the holder's dealer, codes
// revoked and issued with a validity or for one site, tokens issued and
// revoked, billing periods closed.
TEST_F(WebSiteTest, ClaimsCodesTokensAndClosedPeriods) {
  const auto [held, held_cred] =
      register_site(issue("dealer-b", "Holder GmbH"), json::value::array({terminal("HP", "H1")}));
  const auto r = call(post("/api/v1/registrations", registration(issue("dealer-a", "Claimant Ltd"),
                                                                 json::value::array({terminal("HP", "H1")}))));
  ASSERT_EQ(r.status, 201);
  const std::string claimant = body_of(r)["site_id"];
  const auto [a, a_csrf] = login("dealer-a", "password-a-123");
  const auto [b, b_csrf] = login("dealer-b", "password-b-123");
  // The claimant's dealer sees its claim but not the holder's customer.
  const auto seen_by_a = call(page("GET", "/claims", a));
  EXPECT_NE(seen_by_a.body.find("hp:H1"), std::string::npos);
  EXPECT_EQ(seen_by_a.body.find("Holder GmbH"), std::string::npos);
  EXPECT_EQ(seen_by_a.body.find("/accept"), std::string::npos) << "only the holder's dealer decides";
  const auto id = std::to_string(store->list_claims(std::nullopt)[0].id);
  EXPECT_EQ(call(page("POST", "/claims/" + id + "/accept", a, "csrf=" + a_csrf)).status, 404);
  const auto seen_by_b = call(page("GET", "/claims", b));
  EXPECT_NE(seen_by_b.body.find("/claims/" + id + "/accept"), std::string::npos) << seen_by_b.body;
  EXPECT_EQ(call(page("POST", "/claims/" + id + "/accept", b, "csrf=" + b_csrf)).status, 303);
  EXPECT_EQ(store->find_terminal("hp:H1")->site_id, claimant);
  EXPECT_EQ(call(page("POST", "/claims/x/accept", b, "csrf=" + b_csrf)).status, 404);

  // Codes: issued for one site with a chosen validity, then revoked.
  const auto shown = call(page("POST", "/codes", a, "customer=Solo&validity=4h&single_site=yes&csrf=" + a_csrf));
  ASSERT_EQ(shown.status, 200) << shown.body;
  const auto code = store->list_codes(svc->require_account("dealer-a").id)[0];
  EXPECT_TRUE(code.single_site);
  EXPECT_EQ(code.expires_at - code.issued_at, std::chrono::hours(4));
  EXPECT_NE(call(page("GET", "/codes", a)).body.find("/codes/" + std::to_string(code.id) + "/revoke"),
            std::string::npos);
  EXPECT_EQ(call(page("POST", "/codes/" + std::to_string(code.id) + "/revoke", b, "csrf=" + b_csrf)).status, 404)
      << "another dealer's code";
  EXPECT_EQ(call(page("POST", "/codes/" + std::to_string(code.id) + "/revoke", a, "csrf=" + a_csrf)).status, 303);
  EXPECT_NE(call(page("GET", "/codes", a)).body.find("revoked"), std::string::npos);
  EXPECT_EQ(call(page("POST", "/codes", a, "customer=X&validity=99y&csrf=" + a_csrf)).status, 400);

  // Tokens: a dealer's billing token, listed, then revoked.
  const auto issued = call(page("POST", "/tokens", a, "name=erp&csrf=" + a_csrf));
  const auto token = between(issued.body, "<p class=\"secret\">", "</p>");
  ASSERT_TRUE(token.starts_with("frb1_")) << issued.body;
  const std::map<std::string, std::string> q = {{"site", claimant}, {"from", "2026-11-01"}, {"to", "2026-12-01"}};
  EXPECT_EQ(call(get("/api/v1/billing", token, q)).status, 200);
  const auto t = store->list_tokens(svc->require_account("dealer-a").id);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(call(page("POST", "/tokens/" + std::to_string(t[0].id) + "/revoke", b, "csrf=" + b_csrf)).status, 404);
  EXPECT_EQ(call(page("POST", "/tokens/" + std::to_string(t[0].id) + "/revoke", a, "csrf=" + a_csrf)).status, 303);
  EXPECT_EQ(call(get("/api/v1/billing", token, q)).status, 401);

  // Closing a period.
  EXPECT_EQ(call(page("POST", "/billing/close", a, "before=2026-11-01&csrf=" + a_csrf)).status, 303);
  EXPECT_EQ(store->billing_closed_until(svc->require_account("dealer-a").id), from_unix(1793491200));
  EXPECT_NE(call(page("GET", "/billing", a)).body.find("Closed before"), std::string::npos);
}

TEST_F(WebSiteTest, DisabledAccountsCanBeEnabledAgain) {
  const auto [root, root_csrf] = login("root", "password-r-123");
  ASSERT_EQ(call(page("POST", "/accounts/dealer-b/disable", root, "csrf=" + root_csrf)).status, 303);
  EXPECT_TRUE(store->find_account("dealer-b")->disabled);
  // The accounts page offers to enable it, and that works.
  const auto accounts = call(page("GET", "/accounts", root));
  EXPECT_NE(accounts.body.find("action=\"/accounts/dealer-b/enable\""), std::string::npos) << accounts.body;
  const auto enabled = call(page("POST", "/accounts/dealer-b/enable", root, "csrf=" + root_csrf));
  EXPECT_EQ(enabled.status, 303) << enabled.body;
  EXPECT_FALSE(store->find_account("dealer-b")->disabled);
  const auto [b_session, b_csrf] = login("dealer-b", "password-b-123");
  EXPECT_EQ(call(page("GET", "/sites", b_session)).status, 200) << "it logs in again";
  const auto audit = call(page("GET", "/audit", root)).body;
  EXPECT_NE(audit.find("account.disable"), std::string::npos);
  EXPECT_NE(audit.find("account.enable"), std::string::npos);
  // The operations layer does the same for fleetreg-centerctl.
  svc->set_account_enabled("centerctl", "dealer-a", false);
  EXPECT_TRUE(store->find_account("dealer-a")->disabled);
  svc->set_account_enabled("centerctl", "dealer-a", true);
  EXPECT_FALSE(store->find_account("dealer-a")->disabled);
  EXPECT_THROW(svc->set_account_enabled("centerctl", "nobody-here", true), fleetreg::error);
  EXPECT_THROW(svc->set_account_enabled("root", "root", false), fleetreg::error) << "not oneself";
  // Only admins manage accounts.
  const auto [a_session, a_csrf] = login("dealer-a", "password-a-123");
  EXPECT_EQ(call(page("POST", "/accounts/dealer-b/disable", a_session, "csrf=" + a_csrf)).status, 403);
  EXPECT_FALSE(store->find_account("dealer-b")->disabled);
}

TEST_F(WebSiteTest, KeysAndNamesWithSlashesAreLinkedEncodedAndOpened) {
  const auto [site1, cred1] = register_site(issue("dealer-a", "A/B"),
                                            json::value::array({terminal("ACME", "SN/42"), terminal("ACME", "SN/43")}));
  const auto [site2, cred2] = register_site(issue("dealer-a", "C/D"), json::value::array({terminal("ACME", "X")}));
  ASSERT_TRUE(store->find_terminal("acme:SN/42"));
  const auto [session, csrf] = login("dealer-a", "password-a-123");

  // The customer "A/B" is listed and opened; its terminals are linked with their keys encoded.
  const auto sites = call(page("GET", "/sites", session));
  EXPECT_NE(sites.body.find("href=\"/sites/" + site1 + "\">A/B</a>"), std::string::npos) << sites.body;
  const auto site_page = call(page("GET", "/sites/" + site1, session));
  ASSERT_EQ(site_page.status, 200);
  EXPECT_NE(site_page.body.find("href=\"/terminals/acme%3ASN%2F42\""), std::string::npos) << site_page.body;

  // The link opens the terminal, whose actions are encoded the same way.
  const auto t = call(page("GET", "/terminals/acme%3ASN%2F42", session));
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_NE(t.body.find("acme:SN/42"), std::string::npos);
  EXPECT_NE(t.body.find("action=\"/terminals/acme%3ASN%2F42/retire\""), std::string::npos) << t.body;
  const auto moved =
      call(page("POST", "/terminals/acme%3ASN%2F42/transfer", session, "to_site=" + site2 + "&csrf=" + csrf));
  EXPECT_EQ(moved.status, 303) << moved.body;
  EXPECT_EQ(header(moved, "Location"), "/terminals/acme%3ASN%2F42");
  EXPECT_EQ(store->find_terminal("acme:SN/42")->site_id, site2);
  EXPECT_EQ(call(page("POST", "/terminals/acme%3ASN%2F43/retire", session, "confirm=yes&csrf=" + csrf)).status, 303);
  EXPECT_FALSE(store->find_terminal("acme:SN/43"));
  // The decoded form of the key is not a route to it: "/" separates.
  EXPECT_EQ(call(page("GET", "/terminals/acme:SN/42", session)).status, 404);

  // An account named with a '/' is managed from the accounts page.
  const auto [root, root_csrf] = login("root", "password-r-123");
  ASSERT_EQ(call(page("POST", "/accounts", root, "name=dealer%2Fx&password=password-x-123&csrf=" + root_csrf)).status,
            303);
  const auto accounts = call(page("GET", "/accounts", root));
  EXPECT_NE(accounts.body.find("action=\"/accounts/dealer%2Fx/disable\""), std::string::npos) << accounts.body;
  EXPECT_EQ(call(page("POST", "/accounts/dealer%2Fx/disable", root, "csrf=" + root_csrf)).status, 303);
  EXPECT_TRUE(store->find_account("dealer/x")->disabled);
  EXPECT_EQ(call(page("POST", "/accounts/dealer%2Fx/enable", root, "csrf=" + root_csrf)).status, 303);
  EXPECT_FALSE(store->find_account("dealer/x")->disabled);
}

TEST_F(WebSiteTest, UnknownAndForeignObjectsGetTheSame404) {
  const auto [site_a, cred_a] =
      register_site(issue("dealer-a", "Customer of A"), json::value::array({terminal("Ricoh", "A-1")}));
  const auto [session, csrf] = login("dealer-b", "password-b-123");
  auto same = [&](const http::request& foreign, const http::request& unknown) {
    const auto f = call(foreign), u = call(unknown);
    EXPECT_EQ(f.status, 404) << foreign.raw_path;
    EXPECT_EQ(u.status, 404) << unknown.raw_path;
    EXPECT_EQ(f.body, u.body) << foreign.raw_path;
    EXPECT_EQ(f.body.find(site_a), std::string::npos) << "the foreign site's id: " << f.body;
    EXPECT_EQ(f.body.find("Customer of A"), std::string::npos);
  };
  // Terminals: the page and its actions.
  same(page("GET", "/terminals/ricoh%3AA-1", session), page("GET", "/terminals/ricoh%3ANOPE", session));
  same(page("POST", "/terminals/ricoh%3AA-1/retire", session, "confirm=yes&csrf=" + csrf),
       page("POST", "/terminals/ricoh%3ANOPE/retire", session, "confirm=yes&csrf=" + csrf));
  same(page("POST", "/terminals/ricoh%3AA-1/transfer", session, "to_site=" + site_a + "&csrf=" + csrf),
       page("POST", "/terminals/ricoh%3ANOPE/transfer", session, "to_site=" + site_a + "&csrf=" + csrf));
  EXPECT_TRUE(store->find_terminal("ricoh:A-1")) << "nothing changed";
  // Sites: the page, its actions, billing.
  const std::string nowhere = "00000000-0000-4000-8000-000000000000";
  same(page("GET", "/sites/" + site_a, session), page("GET", "/sites/" + nowhere, session));
  same(page("POST", "/sites/" + site_a + "/revoke", session, "confirm=yes&csrf=" + csrf),
       page("POST", "/sites/" + nowhere + "/revoke", session, "confirm=yes&csrf=" + csrf));
  same(page("GET", "/billing", session, "", {{"site", site_a}, {"from", "2026-01-01"}, {"to", "2027-01-01"}}),
       page("GET", "/billing", session, "", {{"site", nowhere}, {"from", "2026-01-01"}, {"to", "2027-01-01"}}));
  same(page("GET", "/api/v1/billing", session, "", {{"site", site_a}, {"from", "2026-01-01"}, {"to", "2027-01-01"}}),
       page("GET", "/api/v1/billing", session, "", {{"site", nowhere}, {"from", "2026-01-01"}, {"to", "2027-01-01"}}));
  EXPECT_TRUE(store->find_site(site_a)->credential_active) << "nothing changed";
}

TEST_F(WebSiteTest, TheTerminalPageShowsStateAlertsAndWhereEachCounterCameFrom) {
  const auto [site_id, credential] =
      register_site(issue("dealer-a", "Copy Shop"), json::value::array({terminal("Ricoh", "D-1")}));
  auto r = json::value::parse(reading_json("66666666-6666-4666-8666-666666666666", "ricoh:D-1", 321).dump());
  r["extras"] = {{"copy.impressions-mono.a3", 12u}};
  r["provenance"] = {{"copy.impressions", "ricoh-engcounter/1 1.3.6.1.4.1.367.3.2.1.2.19.5.1.9.3"},
                     {"extra:copy.impressions-mono.a3", "kyocera/1 <b>1.3.6.1.4.1.1347</b>"}};
  r["device_status"] = "down";
  r["alerts"] = json::value::array({{{"severity", "critical"},
                                     {"group", "mediaPath"},
                                     {"code", "jam"},
                                     {"description", "Jam in <tray 2>"},
                                     {"source", "prtAlertTable"}}});
  ASSERT_EQ(call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential)).status, 200);
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const auto t = call(page("GET", "/terminals/ricoh:D-1", session));
  ASSERT_EQ(t.status, 200);
  for (const char* text : {"Device state", "Status down", "Jam in &lt;tray 2&gt;", "ricoh-engcounter/1 1.3.6.1.4.1.367",
                           "copy.impressions-mono.a3", "kyocera/1 &lt;b&gt;"})
    EXPECT_NE(t.body.find(text), std::string::npos) << text << "\n" << t.body;
  EXPECT_EQ(t.body.find("<tray 2>"), std::string::npos) << "device text is escaped";
  // The dealer's weights, from the billing page.
  EXPECT_EQ(call(page("POST", "/billing/weights", session,
                      "weights=copy.impressions-mono.a3%3D2%0Acopy.impressions%3D1&csrf=" + csrf))
                .status,
            303);
  EXPECT_EQ(store->find_account("dealer-a")->billing_weights, "copy.impressions=1,copy.impressions-mono.a3=2");
  EXPECT_EQ(call(page("POST", "/billing/weights", session, "weights=nonsense&csrf=" + csrf)).status, 400);
  EXPECT_EQ(store->find_account("dealer-a")->billing_weights, "copy.impressions=1,copy.impressions-mono.a3=2");
  const auto billing = call(page("GET", "/billing", session));
  EXPECT_NE(billing.body.find("copy.impressions-mono.a3=2"), std::string::npos) << billing.body;
}

TEST_F(WebSiteTest, BillingExportMatchesTheReadings) {
  const auto [site_id, credential] =
      register_site(issue("dealer-a", "Billing GmbH"), json::value::array({terminal("Ricoh", "B-1")}));
  auto upload = [&](const std::string& id, std::int64_t t, std::uint64_t copies) {
    auto r = json::value::parse(reading_json(id, "ricoh:B-1", copies).dump());
    r["taken_at"] = format_utc(from_unix(t));
    const auto resp = call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential));
    ASSERT_EQ(resp.status, 200) << resp.body;
  };
  const auto day = 1795564800;                                       // 2026-11-25T00:00:00Z
  clock.advance(std::chrono::hours(48));                             // every reading below is in the past
  upload("11111111-1111-4111-8111-111111111111", day - 3600, 1000);  // before the period: the start
  upload("22222222-2222-4222-8222-222222222222", day + 3600, 1200);
  upload("33333333-3333-4333-8333-333333333333", day + 7200, 50);         // board swap
  upload("44444444-4444-4444-8444-444444444444", day + 86400 + 10, 999);  // after the period
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const auto r =
      call(page("GET", "/billing.csv", session, "", {{"site", site_id}, {"from", "2026-11-25"}, {"to", "2026-11-26"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(r.body.find("Billing GmbH," + site_id + ",ricoh:B-1,Ricoh Model B-1,copy,impressions,"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(",1000,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(",50,250,1,copy.impressions,,\r\n"), std::string::npos)
      << "200 before the swap + 50 after; " << r.body;
  EXPECT_NE(r.body.find(",50,250,1,total.impressions,1,250\r\n"), std::string::npos) << "billed by default" << r.body;
  const auto wide = call(page("GET", "/billing.csv", session, "",
                              {{"site", site_id}, {"from", "2026-11-25"}, {"to", "2026-11-26"}, {"layout", "wide"}}));
  ASSERT_EQ(wide.status, 200) << wide.body;
  EXPECT_EQ(wide.body, "customer,site,terminal,model,copy.impressions,total.impressions,billed\r\nBilling GmbH," +
                           site_id + ",ricoh:B-1,Ricoh Model B-1,250,250,250\r\n");
  // The storage gives the first or the newest readings of a period.
  const auto first = store->terminal_readings("ricoh:B-1", site_id, std::nullopt, std::nullopt, 2);
  const auto newest = store->terminal_readings("ricoh:B-1", site_id, std::nullopt, std::nullopt, 2, true);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(first[0].r.counters.get(service::copy, counter_kind::impressions), 1000u);
  EXPECT_EQ(newest[0].r.counters.get(service::copy, counter_kind::impressions), 50u) << "oldest first";
  EXPECT_EQ(newest[1].r.counters.get(service::copy, counter_kind::impressions), 999u);
  // The same for an ERP system, with the dealer's billing token; a
  // monitoring token reads status and metrics only (before issue 14 it read
  // every dealer's billing), another dealer's token finds no such site.
  const std::map<std::string, std::string> q = {{"site", site_id}, {"from", "2026-11-25"}, {"to", "2026-11-26"}};
  const auto monitoring = call(get("/api/v1/billing", svc->issue_monitoring_token("root", "nagios"), q));
  EXPECT_EQ(monitoring.status, 403);
  EXPECT_EQ(error_code(monitoring), "token_scope");
  EXPECT_EQ(
      call(get("/api/v1/billing", svc->issue_billing_token("root", svc->require_account("dealer-b"), "b"), q)).status,
      404);
  const auto token = svc->issue_billing_token("root", svc->require_account("dealer-a"), "erp");
  auto req = get("/api/v1/billing", token, q);
  const auto j = call(req);
  ASSERT_EQ(j.status, 200) << j.body;
  bool found = false;
  const auto answer = body_of(j);
  for (const auto& l : answer["lines"])
    if (l["service"] == "copy" && l["kind"] == "impressions") {
      EXPECT_EQ(l["clicks"], 250);
      found = true;
    }
  EXPECT_TRUE(found) << j.body;
  EXPECT_EQ(call(get("/api/v1/billing", "", {{"site", site_id}})).status, 401);
}

// Issue 17: without a customer, /billing.csv is the dealer's whole period,
// every site one after the other (its invoice run), and nobody else's.
TEST_F(WebSiteTest, ADealersBillingExportHasAllItsCustomers) {
  const auto [one, cred_one] =
      register_site(issue("dealer-a", "One GmbH"), json::value::array({terminal("Ricoh", "O-1")}));
  const auto [two, cred_two] =
      register_site(issue("dealer-a", "Two AG"), json::value::array({terminal("Ricoh", "T-1")}));
  const auto [other, cred_other] =
      register_site(issue("dealer-b", "Other Ltd"), json::value::array({terminal("Ricoh", "X-1")}));
  const auto day = 1795564800;  // 2026-11-25T00:00:00Z
  clock.advance(std::chrono::hours(48));
  auto upload = [&](const std::string& credential, const std::string& terminal_key, std::int64_t t,
                    std::uint64_t copies) {
    auto r = json::value::parse(reading_json(make_uuid(), terminal_key, copies).dump());
    r["taken_at"] = format_utc(from_unix(t));
    const auto resp = call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential));
    ASSERT_EQ(resp.status, 200) << resp.body;
  };
  upload(cred_one, "ricoh:O-1", day - 60, 100);
  upload(cred_one, "ricoh:O-1", day + 60, 130);
  upload(cred_two, "ricoh:T-1", day + 60, 500);
  upload(cred_two, "ricoh:T-1", day + 120, 570);
  upload(cred_other, "ricoh:X-1", day + 60, 1);
  upload(cred_other, "ricoh:X-1", day + 120, 2);
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const std::map<std::string, std::string> period = {{"from", "2026-11-25"}, {"to", "2026-11-26"}};
  const auto all = call(page("GET", "/billing.csv", session, "", period));
  ASSERT_EQ(all.status, 200) << all.body;
  std::string expected = "customer,site,terminal,model,copy.impressions,total.impressions,billed\r\n";
  const std::pair<std::string, std::string> rows[] = {
      {one, "One GmbH," + one + ",ricoh:O-1,Ricoh Model O-1,30,30,30\r\n"},
      {two, "Two AG," + two + ",ricoh:T-1,Ricoh Model T-1,70,70,70\r\n"}};
  for (const auto& [id, row] : rows)
    if (id == std::min(one, two)) expected += row;
  for (const auto& [id, row] : rows)
    if (id != std::min(one, two)) expected += row;
  auto wide = period;
  wide["layout"] = "wide";
  EXPECT_EQ(call(page("GET", "/billing.csv", session, "", wide)).body, expected);
  EXPECT_NE(all.body.find("One GmbH"), std::string::npos) << all.body;
  EXPECT_EQ(all.body.find("Other Ltd"), std::string::npos) << "another dealer's customer";
  EXPECT_NE(call(page("GET", "/billing", session)).body.find("All customers as CSV"), std::string::npos);
  // A period that is not two days in order; an admin chooses a customer.
  EXPECT_EQ(call(page("GET", "/billing.csv", session, "", {{"from", "2026-11-26"}, {"to", "2026-11-25"}})).status, 400);
  const auto [root, root_csrf] = login("root", "password-r-123");
  EXPECT_EQ(call(page("GET", "/billing.csv", root, "", period)).status, 400);
}

// Issue 17: a dealer with thousands of sites gets its list 100 at a time;
// the search still looks at every site.
TEST_F(WebSiteTest, TheSiteListComesInPagesAndTheSearchSeesEverySite) {
  for (int n = 0; n < 105; ++n, clock.advance(std::chrono::seconds(1)))
    register_site(issue("dealer-a", "Customer " + std::to_string(1000 + n)),
                  json::value::array({terminal("Ricoh", "P-" + std::to_string(n))}));
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  // How often `needle` occurs in `body`.
  auto count_of = [](const std::string& body, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1)) ++count;
    return count;
  };
  auto rows = [&](const std::string& body) { return count_of(body, "<tr><td><a href=\"/sites/"); };
  const auto first = call(page("GET", "/sites", session));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(rows(first.body), 100u);
  EXPECT_NE(first.body.find("Sites 1–100 of 105"), std::string::npos);
  EXPECT_NE(first.body.find("Customer 1000"), std::string::npos) << "oldest first";
  EXPECT_NE(first.body.find("href=\"/sites?page=2\""), std::string::npos);
  const auto second = call(page("GET", "/sites", session, "", {{"page", "2"}}));
  EXPECT_EQ(rows(second.body), 5u);
  EXPECT_NE(second.body.find("Customer 1104"), std::string::npos);
  EXPECT_NE(second.body.find("Sites 101–105 of 105"), std::string::npos);
  EXPECT_EQ(rows(call(page("GET", "/sites", session, "", {{"page", "nonsense"}})).body), 100u);
  const auto found = call(page("GET", "/sites", session, "", {{"q", "p-104"}}));
  EXPECT_EQ(rows(found.body), 1u);
  EXPECT_NE(found.body.find("Customer 1104"), std::string::npos) << "found by serial beyond the first page";
  // By customer in any case; LIKE's wildcards are plain characters; a
  // search that matches every site says there are more than it shows.
  EXPECT_EQ(rows(call(page("GET", "/sites", session, "", {{"q", "CUSTOMER 1010"}})).body), 1u);
  EXPECT_EQ(rows(call(page("GET", "/sites", session, "", {{"q", "%"}})).body), 0u);
  EXPECT_EQ(rows(call(page("GET", "/sites", session, "", {{"q", "p_1"}})).body), 0u);
  const auto all = call(page("GET", "/sites", session, "", {{"q", "customer"}}));
  EXPECT_EQ(rows(all.body), 105u);
  EXPECT_EQ(all.body.find("more match"), std::string::npos);
  // The terminal page does not list 104 transfer targets: it searches.
  auto options = [&](const std::string& body) { return count_of(body, "<option value=\""); };
  const auto terminal_page = call(page("GET", "/terminals/ricoh:P-0", session));
  ASSERT_EQ(terminal_page.status, 200);
  EXPECT_EQ(options(terminal_page.body), 0u);
  EXPECT_NE(terminal_page.body.find("name=\"to\""), std::string::npos);
  const auto one = call(page("GET", "/terminals/ricoh:P-0", session, "", {{"to", "customer 1104"}}));
  EXPECT_EQ(options(one.body), 1u);
  EXPECT_NE(one.body.find("Customer 1104</option>"), std::string::npos);
  const auto many = call(page("GET", "/terminals/ricoh:P-0", session, "", {{"to", "customer"}}));
  EXPECT_EQ(options(many.body), 50u);
  EXPECT_NE(many.body.find("The first 50 that match"), std::string::npos);
  EXPECT_EQ(many.body.find("Customer 1000</option>"), std::string::npos) << "not its own site";
  const auto nothing = call(page("GET", "/terminals/ricoh:P-0", session, "", {{"to", "Customer 1000"}}));
  EXPECT_EQ(options(nothing.body), 0u);
  EXPECT_NE(nothing.body.find("No other site matches."), std::string::npos);
  // Another dealer's search finds none of them.
  register_site(issue("dealer-b", "Other"), json::value::array({terminal("Ricoh", "P-104x")}));
  const auto [b_session, b_csrf] = login("dealer-b", "password-b-123");
  const auto other = call(page("GET", "/sites", b_session, "", {{"q", "p-104"}}));
  EXPECT_EQ(rows(other.body), 1u);
  EXPECT_EQ(other.body.find("Customer 1104"), std::string::npos);
}

// A refusal of the operations layer or of a handler becomes a page with
// its kind's status (one mapping); a not_found one never echoes the object.
TEST_F(WebSiteTest, RefusalsArePagesWithTheirKindsStatus) {
  const auto [a, a_csrf] = login("dealer-a", "password-a-123");
  const auto [root, root_csrf] = login("root", "password-r-123");
  const auto code = svc->issue_code(svc->require_account("dealer-a"), "Acme", "", "").record.id;
  const auto revoke = "/codes/" + std::to_string(code) + "/revoke";
  ASSERT_EQ(call(page("POST", revoke, a, "csrf=" + a_csrf)).status, 303);
  const auto again = call(page("POST", revoke, a, "csrf=" + a_csrf));
  EXPECT_EQ(again.status, 409) << "conflict: revoked already";
  EXPECT_NE(again.body.find("cannot register any more already"), std::string::npos) << again.body;
  const auto exists = call(page("POST", "/accounts", root, "name=dealer-b&password=password-x-123&csrf=" + root_csrf));
  EXPECT_EQ(exists.status, 409) << "conflict: the account exists";
  const auto invalid = call(page("POST", "/codes", a, "customer=&csrf=" + a_csrf));
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("Could not do that"), std::string::npos);
  const auto forbidden = call(page("POST", "/codes", root, "customer=X&csrf=" + root_csrf));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_NE(forbidden.body.find("Not allowed"), std::string::npos);
  const auto missing = call(page("POST", "/tokens/987654/revoke", a, "csrf=" + a_csrf));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("There is no such token."), std::string::npos) << missing.body;
  EXPECT_EQ(missing.body.find("987654"), std::string::npos) << "what was asked is not echoed";
  const auto no_page = call(page("GET", "/codes/new/extra", a));
  EXPECT_EQ(no_page.status, 404);
  EXPECT_NE(no_page.body.find("There is no such page."), std::string::npos);
}

// --- The fleet dashboard (issue 19) ---

// A reading of `key` taken at `t` with total mono and colour impressions,
// supplies and device alerts as given.
json::value fleet_reading(const std::string& key, std::int64_t t, std::uint64_t mono, std::uint64_t colour,
                          std::vector<supply> supplies = {}, std::vector<device_alert> alerts = {}) {
  reading r;
  r.id = make_uuid();
  r.terminal_key = key;
  r.taken = from_unix(t);
  r.counters.set(service::total, counter_kind::impressions_mono, mono);
  r.counters.set(service::total, counter_kind::impressions_color, colour);
  r.supplies = std::move(supplies);
  r.alerts = std::move(alerts);
  return json::to_json(r);
}

supply black_toner(std::int32_t level) {
  supply s;
  s.index = 1;
  s.type = supply_type::toner;
  s.description = "Black <Toner>";
  s.colorant = "black";
  s.level = level;
  s.max_capacity = 100;
  return s;
}

class DashboardTest : public WebSiteTest {
 protected:
  void upload(const std::string& credential, const json::value& r) {
    // The center's clock just after the reading was taken (never backwards).
    const auto taken = from_unix(to_unix(*parse_utc(r.at("taken_at").get<std::string>())) + 3600);
    if (taken > clock.now()) clock.set(taken);
    const auto resp = call(post("/api/v1/readings", {{"readings", json::value::array({r})}}, credential));
    ASSERT_EQ(resp.status, 200) << resp.body;
    ASSERT_EQ(body_of(resp)["results"][0]["status"], "stored") << resp.body;
  }
  std::int64_t now() const { return to_unix(clock.now()); }

  // The count on the dashboard's tile of `state`.
  static std::string tile(const std::string& body, const std::string& state) {
    return between(body,
                   "<li class=\"tile " + state + "\"><a href=\"/terminals?state=" + state + "\"><span class=\"count\">",
                   "</span>");
  }
};

TEST_F(DashboardTest, EachTerminalIsInOneStateAndOnlyTheDealersOwnCount) {
  const auto customer = "<i>Fleet</i> & \"Co\"";
  const auto [site_a, cred_a] =
      register_site(issue("dealer-a", customer),
                    json::value::array({terminal("Ricoh", "H-1"), terminal("Ricoh", "W-1"), terminal("Ricoh", "C-1"),
                                        terminal("Ricoh", "S-1"), terminal("Ricoh", "S-2")}));
  const auto [site_b, cred_b] =
      register_site(issue("dealer-b", "Other Dealer's Customer"), json::value::array({terminal("Ricoh", "X-9")}));
  const device_alert jam{"critical", "mediaPath", "jam", "Jam in <tray 2>", "prtAlertTable"};
  // S-2 read a day and more ago (and jammed then): silent wins over critical.
  upload(cred_a, fleet_reading("ricoh:S-2", now() - 60, 10, 0, {}, {jam}));
  clock.advance(std::chrono::hours(25));
  upload(cred_a, fleet_reading("ricoh:H-1", now() - 60, 10, 0, {black_toner(80)}));
  upload(cred_a, fleet_reading("ricoh:W-1", now() - 60, 10, 0, {black_toner(10)}));
  upload(cred_a, fleet_reading("ricoh:C-1", now() - 60, 10, 0, {black_toner(10)}, {jam}));  // critical over warning
  upload(cred_b, fleet_reading("ricoh:X-9", now() - 60, 10, 0, {}, {jam}));
  // S-1 never sent a reading.

  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const auto d = call(page("GET", "/", session));
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(tile(d.body, "healthy"), "1") << d.body;
  EXPECT_EQ(tile(d.body, "warning"), "1");
  EXPECT_EQ(tile(d.body, "critical"), "1");
  EXPECT_EQ(tile(d.body, "silent"), "2");
  EXPECT_NE(d.body.find("5 terminals"), std::string::npos);
  // The other dealer's terminal and alert never show.
  EXPECT_EQ(d.body.find("X-9"), std::string::npos);
  EXPECT_EQ(d.body.find("Other Dealer"), std::string::npos);
  // Client text is escaped: the customer, the device's words, the supply's name.
  EXPECT_EQ(d.body.find("<i>Fleet"), std::string::npos);
  EXPECT_NE(d.body.find("&lt;i&gt;Fleet&lt;/i&gt; &amp; &quot;Co&quot;"), std::string::npos) << d.body;
  EXPECT_EQ(d.body.find("<tray 2>"), std::string::npos);
  EXPECT_NE(d.body.find("Jam in &lt;tray 2&gt;"), std::string::npos);
  EXPECT_EQ(d.body.find("<Toner>"), std::string::npos);
  // Each count links to the list of exactly those terminals.
  const auto lists = std::map<std::string, std::vector<std::string>>{
      {"healthy", {"H-1"}}, {"warning", {"W-1"}}, {"critical", {"C-1"}}, {"silent", {"S-1", "S-2"}}};
  for (const auto& [state, serials] : lists) {
    const auto l = call(page("GET", "/terminals", session, "", {{"state", state}}));
    ASSERT_EQ(l.status, 200) << state << l.body;
    for (const auto* serial : {"H-1", "W-1", "C-1", "S-1", "S-2", "X-9"}) {
      const bool listed = l.body.find(std::string("<td>") + serial + "</td>") != std::string::npos;
      EXPECT_EQ(listed, std::find(serials.begin(), serials.end(), serial) != serials.end()) << state << " " << serial;
    }
    EXPECT_EQ(l.body.find("<i>Fleet"), std::string::npos);
  }
  EXPECT_EQ(call(page("GET", "/terminals", session, "", {{"state", "<b>"}})).status, 400);
  // An admin counts every dealer's terminals.
  const auto [root, root_csrf] = login("root", "password-r-123");
  const auto all = call(page("GET", "/", root));
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(tile(all.body, "critical"), "2") << all.body;

  // Acknowledging from the dashboard: only with the session's CSRF token,
  // then back to the dashboard.
  alert_query q;
  q.dealer_id = store->find_account("dealer-a")->id;
  q.kind = "device_alert";
  q.site_id = site_a;
  q.terminal_key = "ricoh:C-1";
  const auto open = store->list_alerts(q);
  ASSERT_EQ(open.size(), 1u);
  const auto id = std::to_string(open[0].id);
  EXPECT_NE(d.body.find("action=\"/alerts/" + id + "/ack\""), std::string::npos);
  EXPECT_NE(d.body.find("name=\"back\" value=\"/\""), std::string::npos);
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/ack", session, "back=%2F")).status, 403);
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/ack", session, "back=%2F&csrf=forged")).status, 403);
  EXPECT_FALSE(store->find_alert(open[0].id)->acknowledged_at) << "nothing changed";
  const auto ack = call(page("POST", "/alerts/" + id + "/ack", session, "back=%2F&csrf=" + csrf));
  EXPECT_EQ(ack.status, 303) << ack.body;
  EXPECT_EQ(header(ack, "Location"), "/");
  EXPECT_TRUE(store->find_alert(open[0].id)->acknowledged_at);
  // Acknowledged is still open: the terminal stays critical.
  EXPECT_EQ(tile(call(page("GET", "/", session)).body, "critical"), "1");
  // Another dealer cannot acknowledge it (the same answer as none).
  const auto [session_b, csrf_b] = login("dealer-b", "password-b-123");
  EXPECT_EQ(call(page("POST", "/alerts/" + id + "/clear", session_b, "back=%2F&csrf=" + csrf_b)).status, 404);
  EXPECT_FALSE(store->find_alert(open[0].id)->cleared_at);
}

TEST_F(DashboardTest, TheVolumeChartSumsTheReadingsIncreasesPerMonth) {
  // The sites registered on 2026-08-01, readings since; then the clock at
  // 2026-11-26: the chart's months are 2025-12 .. 2026-11.
  const auto day = [](const char* d) { return to_unix(*parse_utc(std::string(d) + "T12:00:00Z")); };
  const auto today = clock.now();
  clock.set(from_unix(day("2026-08-01")));
  const auto [site_a, cred_a] = register_site(issue("dealer-a", "Volume <AG>"),
                                              json::value::array({terminal("Ricoh", "V-1"), terminal("Ricoh", "V-2")}));
  const auto [site_a2, cred_a2] =
      register_site(issue("dealer-a", "Second Customer"), json::value::array({terminal("Canon", "V-3")}));
  const auto [site_b, cred_b] =
      register_site(issue("dealer-b", "Not Ours"), json::value::array({terminal("Ricoh", "B-1")}));
  // Another dealer's terminal counts for that dealer only.
  upload(cred_b, fleet_reading("ricoh:B-1", day("2026-08-02"), 0, 0));
  upload(cred_b, fleet_reading("ricoh:B-1", day("2026-08-29"), 90000, 90000));
  // V-2: read in September, then moved to the second customer's site, where
  // it goes on from the same counter: the gap between the sites is nobody's.
  upload(cred_a, fleet_reading("ricoh:V-2", day("2026-09-05"), 5000, 0));
  upload(cred_a, fleet_reading("ricoh:V-2", day("2026-09-25"), 5400, 0));
  clock.set(from_unix(day("2026-10-01")));
  svc->transfer_terminal(svc->require_account("dealer-a"), "ricoh:V-2", site_a2);
  // V-1: a steady counter with a board swap in October (counted from zero after it).
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-08-31"), 1000, 500));
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-09-10"), 1100, 520));
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-09-30"), 1300, 600));
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-10-15"), 1350, 650));
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-10-20"), 30, 5));  // swap: flagged counter_reset
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-10-31"), 80, 25));
  upload(cred_a, fleet_reading("ricoh:V-1", day("2026-11-20"), 200, 60));
  upload(cred_a2, fleet_reading("ricoh:V-2", day("2026-11-06"), 6000, 0));
  upload(cred_a2, fleet_reading("ricoh:V-2", day("2026-11-25"), 6250, 0));
  // V-3: one reading only: no increase yet.
  upload(cred_a2, fleet_reading("canon:V-3", day("2026-11-01"), 777, 7));
  clock.set(today);

  const auto months = svc->fleet_volume(svc->require_account("dealer-a"), svc->require_account("dealer-a"));
  ASSERT_EQ(months.size(), 12u);
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> got;
  for (const auto& m : months) {
    got[format_utc(m.month).substr(0, 7)] = {m.v.mono, m.v.colour};
    EXPECT_EQ(m.v.unsplit, 0u);
  }
  EXPECT_EQ(format_utc(months.front().month), "2025-12-01T00:00:00Z");
  EXPECT_EQ(format_utc(months.back().month), "2026-11-01T00:00:00Z");
  const std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> want = {
      {"2026-08", {0, 0}},
      {"2026-09", {300 + 400, 100}},             // V-1 1000→1300, 500→600; V-2 5000→5400
      {"2026-10", {50 + 30 + 50, 50 + 5 + 20}},  // V-1 1300→1350, swap: +30, 30→80
      {"2026-11", {120 + 250, 35}},              // V-1 80→200, 25→60; V-2 at the new site 6000→6250
  };
  for (const auto& [month, v] : got) {
    const auto it = want.find(month);
    const auto expected = it == want.end() ? std::make_pair(std::uint64_t{0}, std::uint64_t{0}) : it->second;
    EXPECT_EQ(v, expected) << month;
  }
  // The same as billing each month of the dealer's whole fleet.
  // (The current month is left out: billing's period would end in the future.)
  for (std::size_t i = 0; i + 1 < months.size(); ++i) {
    const auto& m = months[i];
    const auto next = months[i + 1].month;
    std::map<std::pair<std::string, std::string>, std::vector<billing_line>> per;
    for (auto& l :
         svc->dealer_billing(svc->require_account("dealer-a"), svc->require_account("dealer-a"), m.month, next))
      per[{l.site_id, l.terminal_key}].push_back(l);
    std::uint64_t mono = 0, colour = 0;
    for (const auto& [who, lines] : per) {
      mono += volume_of(lines).mono;
      colour += volume_of(lines).colour;
    }
    EXPECT_EQ(m.v.mono, mono) << format_utc(m.month);
    EXPECT_EQ(m.v.colour, colour) << format_utc(m.month);
  }
  // The page: the chart (an SVG with a title and a description) and the figures as a table.
  const auto [session, csrf] = login("dealer-a", "password-a-123");
  const auto d = call(page("GET", "/", session));
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_NE(d.body.find("<svg"), std::string::npos);
  EXPECT_NE(d.body.find("<title id=\"volume-title\">"), std::string::npos);
  EXPECT_NE(d.body.find("<desc id=\"volume-desc\">"), std::string::npos);
  EXPECT_NE(d.body.find("<tr><td>2026-09</td><td class=\"num\">700</td><td class=\"num\">100</td>"), std::string::npos)
      << d.body;
  EXPECT_NE(d.body.find("<tr><td>2026-10</td><td class=\"num\">130</td><td class=\"num\">75</td>"), std::string::npos);
  EXPECT_NE(d.body.find("<title>2026-11 mono: 370</title>"), std::string::npos);
  EXPECT_EQ(d.body.find("90000"), std::string::npos) << "dealer-b's volume is not dealer-a's";
  // Another dealer's volume is not for dealer-b to ask for.
  EXPECT_THROW(svc->fleet_volume(svc->require_account("dealer-b"), svc->require_account("dealer-a")), refusal);
}

}  // namespace
}  // namespace fleetreg::center::test_support
