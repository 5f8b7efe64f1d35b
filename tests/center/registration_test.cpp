// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <sstream>

#include "center_fixture.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/provisional_code.hpp"

namespace fleetreg::center {
namespace {

using test_support::CenterTest;

TEST_F(CenterTest, CodeIsStoredOnlyAsKeyedHash) {
  const auto code = issue("dealer-a", "Acme Ltd");
  EXPECT_EQ(provisional_code::normalize(code), code);
  store.reset();  // flush and close
  std::ifstream in(dir.file("center.db"), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto bytes = ss.str();
  const auto bare = code.substr(0, 4) + code.substr(5, 4) + code.substr(10, 4);
  EXPECT_EQ(bytes.find(code), std::string::npos);
  EXPECT_EQ(bytes.find(bare), std::string::npos);
  // The hash depends on the server key: a stolen database alone is useless.
  crypto::digest other{};
  other.fill(8);
  EXPECT_NE(crypto::code_hash(key, code), crypto::code_hash(other, code));
}

TEST_F(CenterTest, RegistrationCreatesSiteTerminalsAndCredential) {
  const auto code = issue("dealer-a", "Acme Ltd");
  const auto r =
      call(post("/api/v1/registrations", registration(code, {terminal("Hewlett-Packard", "cnb1"),
                                                             terminal("Ricoh", "R-2"), terminal("Canon Inc.", "C3")})));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto b = body_of(r);
  const std::string credential = b["credential"];
  EXPECT_GE(credential.size(), 5u + 43u) << "256 random bits in base64url";
  ASSERT_EQ(b["terminals"].size(), 3u);
  EXPECT_EQ(b["terminals"][0]["key"], "canon:C3");
  EXPECT_EQ(b["terminals"][1]["key"], "hp:CNB1");
  const auto sites = store->list_sites(std::nullopt);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].customer, "Acme Ltd");
  EXPECT_EQ(sites[0].side.kind, "collector");
  EXPECT_EQ(store->list_codes(std::nullopt)[0].terminals_registered, 3);
  // The credential works; the code is not a credential.
  EXPECT_EQ(call(get("/api/v1/requests", credential)).status, 204);
  EXPECT_EQ(call(get("/api/v1/requests", code)).status, 401);
}

TEST_F(CenterTest, OneCodeRegistersAnyNumberOfSitesAndASecondCodeTouchesNothing) {
  const auto code = issue("dealer-a", "Acme Ltd");
  register_site(code, {terminal("HP", "A1")});
  register_site(code, {terminal("HP", "A2")});
  const auto before = store->list_sites(std::nullopt).size();
  issue("dealer-a", "Acme Ltd");  // the first was lost
  EXPECT_EQ(store->list_sites(std::nullopt).size(), before);
  EXPECT_EQ(store->list_terminals(store->list_sites(std::nullopt)[0].id).size(), 1u);
}

TEST_F(CenterTest, RefusedCodesChangeNothing) {
  const auto code = issue("dealer-a", "Acme Ltd");
  auto typo = code;
  typo[0] = typo[0] == '7' ? '8' : '7';
  struct c {
    std::string code;
    int status;
    std::string reason;
  };
  const c cases[] = {{typo, 403, "code_malformed"},
                     {"ABCD", 403, "code_malformed"},
                     {provisional_code::generate(), 403, "code_unknown"}};
  for (const auto& x : cases) {
    const auto r = call(post("/api/v1/registrations", registration(x.code, {terminal("HP", "A1")}), "",
                             "198.51.100." + std::to_string(&x - cases)));
    EXPECT_EQ(r.status, x.status) << r.body;
    EXPECT_EQ(error_code(r), x.reason);
  }
  clock.advance(cfg.code_validity + std::chrono::seconds(1));
  const auto expired = call(post("/api/v1/registrations", registration(code, {terminal("HP", "A1")})));
  EXPECT_EQ(expired.status, 410);
  EXPECT_EQ(error_code(expired), "code_expired");
  EXPECT_TRUE(store->list_sites(std::nullopt).empty());
  EXPECT_EQ(store->counts(clock.now(), cfg.stale_after, cfg.expiring_within).terminals, 0);
}

TEST_F(CenterTest, PurgeDropsTheHashButKeepsTheRecord) {
  const auto code = issue("dealer-a", "Acme Ltd");
  EXPECT_EQ(svc->purge("test"), 0);
  clock.advance(cfg.code_validity);
  EXPECT_EQ(svc->purge("test"), 1);
  const auto codes = store->list_codes(std::nullopt);
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_TRUE(codes[0].purged_at);
  EXPECT_EQ(codes[0].customer, "Acme Ltd");
  EXPECT_EQ(codes[0].dealer_name, "dealer-a");
  clock.set(from_unix(1795622885));  // even back in time, a purged code is gone
  const auto r = call(post("/api/v1/registrations", registration(code, {terminal("HP", "A1")})));
  EXPECT_EQ(error_code(r), "code_unknown");
}

TEST_F(CenterTest, IdempotentRetryGivesSameSiteAndRevokesTheUnusedCredential) {
  const auto code = issue("dealer-a", "Acme Ltd");
  const auto [site1, cred1] = register_site(code, {terminal("HP", "A1")}, "key-1");
  const auto [site2, cred2] = register_site(code, {terminal("HP", "A1")}, "key-1");
  EXPECT_EQ(site1, site2);
  EXPECT_NE(cred1, cred2);
  EXPECT_EQ(call(get("/api/v1/requests", cred1)).status, 401) << "the never-used credential is revoked";
  EXPECT_EQ(call(get("/api/v1/requests", cred2)).status, 204);
  EXPECT_EQ(store->list_sites(std::nullopt).size(), 1u);
}

// Before issue 14 the whole registration was refused with 409, naming the
// customer holding the key: one squatted serial blocked a customer for good.
TEST_F(CenterTest, TerminalOfAnotherCustomerBecomesAPendingClaimAndTheRestRegisters) {
  const auto [holder, holder_cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  const auto r = call(post("/api/v1/registrations", registration(issue("dealer-b", "Other GmbH"),
                                                                 {terminal("HP", "B9"), terminal("HP", "a1")})));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto b = body_of(r);
  ASSERT_EQ(b["results"].size(), 2u);
  EXPECT_EQ(b["results"][0]["key"], "hp:B9");
  EXPECT_EQ(b["results"][0]["status"], "registered");
  EXPECT_EQ(b["results"][1]["key"], "hp:A1");
  EXPECT_EQ(b["results"][1]["status"], "pending_claim");
  EXPECT_EQ(r.body.find("Acme"), std::string::npos) << "nothing about the holder: " << r.body;
  EXPECT_EQ(r.body.find(holder), std::string::npos) << "nor its site: " << r.body;
  EXPECT_EQ(store->find_terminal("hp:A1")->site_id, holder) << "the holder keeps it until its dealer decides";
  EXPECT_EQ(b["terminals"].size(), 1u);
  EXPECT_EQ(store->list_claims(svc->require_account("dealer-a").id).size(), 1u) << "the holder's dealer sees it";
}

TEST_F(CenterTest, MalformedRegistrationsAreRefusedWithJson) {
  const auto code = issue("dealer-a", "Acme Ltd");
  auto raw = post("/api/v1/registrations", {});
  raw.body = "{not json";
  EXPECT_EQ(error_code(call(raw)), "invalid_json");
  EXPECT_EQ(call(post("/api/v1/registrations", registration(code, json::value::array()))).status, 422);
  EXPECT_EQ(call(post("/api/v1/registrations", registration(code, {{{"manufacturer", "HP"}, {"model", "X"}}}))).status,
            422)
      << "no serial, no UUID";
  EXPECT_EQ(
      call(post("/api/v1/registrations", registration(code, {terminal("HP", "A1"), terminal("hp", "a1")}))).status, 422)
      << "listed twice";
  auto big = post("/api/v1/registrations", registration(code, {terminal("HP", "A1")}));
  big.body.append(static_cast<std::size_t>(cfg.max_body_bytes), ' ');
  EXPECT_EQ(call(big).status, 413);
  json::value bad_side = registration(code, {terminal("HP", "A1")});
  bad_side["registering_side"]["kind"] = "printer";
  EXPECT_EQ(call(post("/api/v1/registrations", bad_side)).status, 400);
  EXPECT_TRUE(store->list_sites(std::nullopt).empty());
  EXPECT_EQ(call(get("/api/v1/nothing")).status, 404);
  EXPECT_EQ(call(get("/api/v1/registrations")).status, 405);
}

TEST_F(CenterTest, FailedCodeAttemptsAreRateLimitedPerSource) {
  const auto code = issue("dealer-a", "Acme Ltd");
  for (int i = 0; i < cfg.failed_attempts_per_minute; ++i)
    EXPECT_EQ(call(post("/api/v1/registrations", registration(provisional_code::generate(), {terminal("HP", "A1")}), "",
                        "203.0.113.9"))
                  .status,
              403);
  const auto limited =
      call(post("/api/v1/registrations", registration(code, {terminal("HP", "A1")}), "", "203.0.113.9"));
  EXPECT_EQ(limited.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : limited.headers) retry_after = retry_after || (k == "Retry-After" && std::stoi(v) > 0);
  EXPECT_TRUE(retry_after);
  // Another source is not affected; the limited one may retry after a minute.
  EXPECT_EQ(call(post("/api/v1/registrations", registration(code, {terminal("HP", "A1")}), "", "203.0.113.10")).status,
            201);
  clock.advance(std::chrono::minutes(1));
  EXPECT_EQ(call(post("/api/v1/registrations", registration(code, {terminal("HP", "A2")}), "", "203.0.113.9")).status,
            201);
}

TEST_F(CenterTest, TerminalsFoundLaterAreAddedWithTheCredential) {
  const auto [site, cred] = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")});
  const auto r = call(post("/api/v1/sites/self/terminals", {{"terminals", {terminal("Kyocera", "K7")}}}, cred));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store->list_terminals(site).size(), 2u);
  EXPECT_EQ(
      call(post("/api/v1/sites/self/terminals", {{"terminals", {terminal("Kyocera", "K8")}}}, "frc1_wrong")).status,
      401);
}

}  // namespace
}  // namespace fleetreg::center

namespace fleetreg::center {
namespace {

TEST(CenterSchema, MigratesAndRefusesNewerDatabases) {
  test::temp_dir dir;
  { sqlite_storage fresh(dir.file("c.db")); }
  {
    sqlite::database db(dir.file("c.db"), sqlite::open_mode::read_write);
    sqlite::statement v(db, "PRAGMA user_version");
    ASSERT_TRUE(v.step());
    EXPECT_EQ(v.column_int(0), sqlite_storage::schema_version());
    v.reset();
    db.exec("PRAGMA user_version = 999");
  }
  EXPECT_THROW(sqlite_storage again(dir.file("c.db")), error);
}

}  // namespace
}  // namespace fleetreg::center
