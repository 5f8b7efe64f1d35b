// SPDX-License-Identifier: Apache-2.0
// The real fleetreg-center over HTTPS (a CA made for the test) and HTTP.

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "fleetreg/core/random.hpp"
#include "fleetreg/test/center_fixture.hpp"

namespace fleetreg::test {
namespace {

json::value terminal(const std::string& maker, const std::string& serial) {
  return {{"manufacturer", maker}, {"model", "Model " + serial}, {"serial", serial}};
}

json::value reading_for(const std::string& key, std::uint64_t copies, const std::string& request_id) {
  return {{"id", make_uuid()},
          {"terminal", key},
          {"taken_at", format_utc(std::chrono::system_clock::now())},
          {"source", "fleetreg-mib"},
          {"request_id", request_id},
          {"counters", {{"copy", {{"impressions", copies}}}, {"total", {{"impressions", copies}}}}}};
}

// The database's contents, without the record a backup carries about itself
// (table fleetreg_backup: its key's fingerprint; dropped by a restore).
std::string sqlite_dump(const std::string& db) {
  const auto r = run({"sqlite3", db, ".dump"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (line.find("fleetreg_backup") == std::string::npos) out += line + "\n";
  return out;
}

TEST(CenterIt, WholeFlowOverHttps) {
  temp_dir dir;
  center_daemon center(dir, {.tls = true, .extra_config = "[requests]\nlease = 2s\n"});
  const auto code = center.dealer_and_code("acme-dealer", "Müller GmbH");
  center.start();

  // Register three terminals with the code.
  const json::value reg = {{"code", code},
                           {"registering_side", {{"kind", "collector"}, {"name", "collector-1"}}},
                           {"terminals", {terminal("HP", "CNB1"), terminal("Ricoh", "R2"), terminal("Kyocera", "K3")}}};
  auto [status, body] = center.call("POST", "/api/v1/registrations", reg, "", {{"Idempotency-Key", "run-1"}});
  ASSERT_EQ(status, 201) << body.dump();
  const std::string site = body["site_id"], cred = body["credential"];
  EXPECT_EQ(body["terminals"].size(), 3u);

  // A long-poll waits; an on-demand request from centerctl (another process) wakes it.
  auto poll = std::async(std::launch::async, [&] { return center.call("GET", "/api/v1/requests?wait=30", {}, cred); });
  EXPECT_EQ(poll.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout) << "nothing queued yet";
  const auto queued = center.ctl({"request", "--site", site});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  ASSERT_EQ(poll.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto [pstatus, pbody] = poll.get();
  ASSERT_EQ(pstatus, 200) << pbody.dump();
  const std::string request_id = pbody["requests"][0]["id"];

  // Readings stored once, even when sent twice.
  const json::value batch = {{"readings",
                              {reading_for("hp:CNB1", 10, request_id), reading_for("ricoh:R2", 20, request_id),
                               reading_for("kyocera:K3", 30, request_id)}}};
  auto [rstatus, rbody] = center.call("POST", "/api/v1/readings", batch, cred);
  ASSERT_EQ(rstatus, 200) << rbody.dump();
  EXPECT_EQ(rbody["accepted"], 3);
  std::tie(rstatus, rbody) = center.call("POST", "/api/v1/readings", batch, cred);
  EXPECT_EQ(rbody["accepted"], 0);
  EXPECT_EQ(rbody["duplicates"], 3);
  const auto listed = center.ctl({"readings", "--site", site});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 3) << listed.out;
  EXPECT_NE(center.ctl({"requests", "--site", site}).out.find("answered 20"), std::string::npos);

  // An unanswered request is offered again when its lease (2 s) runs out.
  ASSERT_EQ(center.ctl({"request", "--site", site}).exit_code, 0);
  std::tie(pstatus, pbody) = center.call("GET", "/api/v1/requests?wait=0", {}, cred);
  ASSERT_EQ(pstatus, 200);
  const std::string unanswered = pbody["requests"][0]["id"];
  EXPECT_EQ(center.call("GET", "/api/v1/requests?wait=0", {}, cred).first, 204);
  EXPECT_TRUE(wait_until(
      [&] {
        auto [s, b] = center.call("GET", "/api/v1/requests?wait=0", {}, cred);
        return s == 200 && b["requests"][0]["id"] == unanswered;
      },
      20s));

  // Backup while running restores to an identical database.
  ASSERT_EQ(center.ctl({"backup", dir.file("backup.db")}).exit_code, 0);
  EXPECT_EQ(sqlite_dump(dir.file("backup.db")), sqlite_dump(center.database()));

  // A revoked credential is refused and stores nothing.
  ASSERT_EQ(center.ctl({"revoke", "--site", site}).exit_code, 0);
  std::tie(rstatus, rbody) =
      center.call("POST", "/api/v1/readings", {{"readings", {reading_for("hp:CNB1", 11, "")}}}, cred);
  EXPECT_EQ(rstatus, 401);
  EXPECT_EQ(rbody["error"]["code"], "credential_invalid");

  // Restarted eight days later: everything kept, the code expired.
  center.stop();
  center.start({{"FLEETREG_TEST_CLOCK_OFFSET", std::to_string(8 * 86400)}});
  EXPECT_NE(center.ctl({"site", "list"}).out.find(site), std::string::npos);
  const auto kept = center.ctl({"readings", "--site", site}).out;
  EXPECT_EQ(std::count(kept.begin(), kept.end(), '\n'), 3) << kept;
  // The purge job ran at start: the expired code's hash is gone (the record
  // stays), so the code is now unknown. (Expired-but-not-yet-purged gives
  // 410 code_expired: unit test RefusedCodesChangeNothing.)
  EXPECT_NE(center.ctl({"code", "list"}).out.find("(purged)"), std::string::npos);
  json::value again = reg;
  again["terminals"] = {terminal("Canon", "C9")};
  std::tie(status, body) = center.call("POST", "/api/v1/registrations", again);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(body["error"]["code"], "code_unknown");
  EXPECT_EQ(center.ctl({"site", "list"}).out.find("Canon"), std::string::npos);

  // The restored copy is the database as it was at backup time.
  center.stop();
  ASSERT_EQ(center.ctl({"backup", dir.file("final.db")}).exit_code, 0);
  std::ofstream(dir.file("restore.conf"))
      << "[center]\nlisten = http://127.0.0.1:1\nallow_plain_http = yes\n"
      << "database = " << dir.file("restored.db") << "\nsecret_file = " << dir.file("secret/center.secret") << "\n";
  const auto restored =
      run({built_program("fleetreg-centerctl"), "-c", dir.file("restore.conf"), "restore", dir.file("backup.db")});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(sqlite_dump(dir.file("restored.db")), sqlite_dump(dir.file("backup.db")));
}

TEST(CenterIt, PlainHttpOnlyWhenAllowedAndTlsVerified) {
  temp_dir dir;
  std::ofstream(dir.file("plain.conf")) << "[center]\nlisten = http://127.0.0.1:1\n";
  const auto refused = run({built_program("fleetreg-center"), "-t", "-c", dir.file("plain.conf")});
  EXPECT_EQ(refused.exit_code, 78);
  EXPECT_NE(refused.err.find("allow_plain_http"), std::string::npos);

  center_daemon tls(dir, {.tls = true, .extra_config = ""});
  tls.start();
  // A client that does not trust the test CA refuses the center.
  rest_client::options o;
  o.base_url = tls.url();
  rest_client::client untrusting(o);
  std::error_code ec;
  untrusting.request("GET", "/healthz", "", {}, ec);
  EXPECT_TRUE(ec) << "certificate must be verified";
  EXPECT_EQ(tls.call("GET", "/healthz", {}).first, 200);
}

TEST(CenterIt, ShippedConfigChecksClean) {
  const auto r = run({built_program("fleetreg-center"), "-t", "-c", FLEETREG_SHIPPED_CENTER_CONF});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("https://0.0.0.0:8443"), std::string::npos) << r.out;
}

TEST(CenterIt, PlainHttpWhenConfigured) {
  temp_dir dir;
  center_daemon center(dir, {.tls = false, .extra_config = ""});
  const auto code = center.dealer_and_code("d", "Customer");
  center.start();
  const json::value reg = {{"code", code},
                           {"registering_side", {{"kind", "terminal"}, {"name", "hp:Z1"}}},
                           {"terminals", {terminal("HP", "Z1")}}};
  EXPECT_EQ(center.call("POST", "/api/v1/registrations", reg).first, 201);
  auto [s, b] = center.call("POST", "/api/v1/registrations", json::value::object());
  EXPECT_EQ(s, 400);
  EXPECT_TRUE(b["error"].contains("code"));
  EXPECT_EQ(center.daemon()->stop(), 0) << "SIGTERM stops the center cleanly";
}

}  // namespace
}  // namespace fleetreg::test
