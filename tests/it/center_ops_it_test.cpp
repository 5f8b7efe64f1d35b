// SPDX-License-Identifier: Apache-2.0
// Operating the real center with the real fleetreg-centerctl: the server key
// is made only by `key init`, backups are private and name their key,
// restores refuse while a center runs or under another key.

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fleetreg/test/center_fixture.hpp"

namespace fleetreg::test {
namespace {

// The operator's umask under sudo; restored afterwards.
class operator_umask {
 public:
  explicit operator_umask(mode_t m) : old_(::umask(m)) {}
  ~operator_umask() { ::umask(old_); }

 private:
  mode_t old_;
};

struct stat_result {
  mode_t mode = 0;
  uid_t uid = 0;
};
stat_result stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return {static_cast<mode_t>(st.st_mode & 07777), st.st_uid};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string sql(const std::string& db, const std::string& query) {
  const auto r = run({"sqlite3", db, query});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// One line on stderr (the log's "<N>" priority prefix aside).
void expect_one_line(const std::string& err) {
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
}

TEST(CenterOpsIt, NoKeyNoStartUntilKeyInit) {
  temp_dir dir;
  center_daemon center(dir, {.tls = false, .extra_config = "", .create_key = false});

  // The center refuses to start (exit 78, one line naming the remedy) and makes no key.
  const auto refused = run({built_program("fleetreg-center"), "-c", center.config_path()}, {}, 30s);
  EXPECT_EQ(refused.exit_code, 78) << refused.err;
  expect_one_line(refused.err);
  EXPECT_NE(refused.err.find("fleetreg-centerctl key init"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(center.key_file()), std::string::npos) << refused.err;
  EXPECT_NE(::access(center.key_file().c_str(), F_OK), 0) << "no key made behind the operator's back";

  // Commands that need no key work; issuing a code refuses the same way.
  const auto account = center.ctl({"account", "add", "dealer"}, "a-long-password-1\n");
  EXPECT_EQ(account.exit_code, 0) << account.err;
  const auto code = center.ctl({"code", "issue", "--dealer", "dealer", "--customer", "C"});
  EXPECT_EQ(code.exit_code, 78) << code.err;
  expect_one_line(code.err);
  EXPECT_NE(code.err.find("fleetreg-centerctl key init"), std::string::npos) << code.err;
  EXPECT_NE(::access(center.key_file().c_str(), F_OK), 0);

  // key init: 0600 under a loose umask, 64 hex digits; never a second time.
  {
    const operator_umask loose(022);
    const auto init = center.ctl({"key", "init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    EXPECT_NE(init.out.find("fingerprint"), std::string::npos) << init.out;
  }
  EXPECT_EQ(stat_of(center.key_file()).mode, 0600u);
  const auto key = read_file(center.key_file());
  EXPECT_EQ(key.size(), 65u) << key;
  const auto again = center.ctl({"key", "init"});
  EXPECT_EQ(again.exit_code, 1);
  expect_one_line(again.err);
  EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(center.key_file()), key) << "an existing key is never replaced";

  // Now the center starts and codes are issued.
  center.start();
  EXPECT_EQ(center.ctl({"code", "issue", "--dealer", "dealer", "--customer", "C"}).exit_code, 0);
  EXPECT_EQ(read_file(center.key_file()), key);
}

TEST(CenterOpsIt, BackupIsPrivateAndNamesItsKey_RestoreRefusedWhileTheCenterRuns) {
  temp_dir dir;
  center_daemon center(dir, {.tls = false, .extra_config = ""});
  const auto code = center.dealer_and_code("dealer", "Customer");
  center.start();
  const json::value reg = {{"code", code},
                           {"registering_side", {{"kind", "collector"}, {"name", "c1"}}},
                           {"terminals", {{{"manufacturer", "Ricoh"}, {"model", "M"}, {"serial", "S1"}}}}};
  ASSERT_EQ(center.call("POST", "/api/v1/registrations", reg).first, 201);

  // The backup: 0600 although the operator's umask would give 0644, and it
  // records the fingerprint of the key it needs (not the key).
  const auto backup = dir.file("backup.db");
  std::ofstream(backup) << "an older backup, replaced whole";
  ::chmod(backup.c_str(), 0644);
  {
    const operator_umask loose(022);
    const auto r = center.ctl({"backup", backup});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(center.key_file()), std::string::npos) << r.out;
  }
  EXPECT_EQ(stat_of(backup).mode, 0600u);
  const auto fingerprint = center.ctl({"key", "fingerprint"}).out;
  ASSERT_EQ(fingerprint.size(), 17u) << fingerprint;
  EXPECT_EQ(sql(backup, "SELECT value FROM fleetreg_backup WHERE name = 'key_fingerprint'"), fingerprint);
  EXPECT_EQ(sql(backup, "SELECT value FROM fleetreg_backup WHERE name = 'key_file'"), center.key_file() + "\n");
  const auto key_hex = read_file(center.key_file()).substr(0, 64);
  EXPECT_EQ(run({"grep", "-c", key_hex, backup}).out, "0\n") << "the key itself is not in the backup";
  EXPECT_EQ(sql(backup, "PRAGMA journal_mode"), "delete\n") << "one self-contained file";
  for (const auto& left : {backup + "-wal", backup + "-journal"}) EXPECT_NE(::access(left.c_str(), F_OK), 0) << left;

  // While the center runs, restore refuses with one line and changes nothing.
  ASSERT_EQ(center.ctl({"account", "add", "after-backup"}, "a-long-password-2\n").exit_code, 0);
  const auto refused = center.ctl({"restore", backup});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  expect_one_line(refused.err);
  EXPECT_NE(refused.err.find("running"), std::string::npos) << refused.err;
  EXPECT_NE(center.ctl({"account", "list"}).out.find("after-backup"), std::string::npos) << "nothing restored";

  // A center that was SIGKILLed holds nothing: the restore goes ahead.
  ASSERT_EQ(::kill(center.daemon()->pid(), SIGKILL), 0);
  EXPECT_EQ(center.daemon()->wait(10s), 128 + SIGKILL);
  const auto restored = center.ctl({"restore", backup});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(center.ctl({"account", "list"}).out.find("after-backup"), std::string::npos) << "the backup's state";
  EXPECT_EQ(sql(center.database(), "SELECT count(*) FROM sqlite_schema WHERE name = 'fleetreg_backup'"), "0\n");
  // And a center starts on the restored database with the same key: the site is there.
  center.stop();
  center.start();
  EXPECT_NE(center.ctl({"site", "list"}).out.find("Customer"), std::string::npos);
  // A second center on the same database is refused (it would share the lock).
  const auto second = run({built_program("fleetreg-center"), "-c", center.config_path()}, {}, 30s);
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;
}

TEST(CenterOpsIt, RestoreUnderAnotherKeyIsRefusedUnlessAccepted) {
  temp_dir dir;
  center_daemon center(dir, {.tls = false, .extra_config = ""});
  ASSERT_EQ(center.ctl({"account", "add", "dealer"}, "a-long-password-1\n").exit_code, 0);
  ASSERT_EQ(center.ctl({"backup", dir.file("backup.db")}).exit_code, 0);

  // A new machine with a key of its own (the old key file was not put back).
  std::ofstream(dir.file("other.conf")) << "[center]\nlisten = http://127.0.0.1:1\nallow_plain_http = yes\n"
                                        << "database = " << dir.file("other.db")
                                        << "\nsecret_file = " << dir.file("other/center.secret") << "\n";
  auto other = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {built_program("fleetreg-centerctl"), "-c", dir.file("other.conf")});
    return run(args);
  };
  const auto without_key = other({"restore", dir.file("backup.db")});
  EXPECT_EQ(without_key.exit_code, 78) << without_key.err;
  EXPECT_NE(without_key.err.find("key init"), std::string::npos) << without_key.err;
  ASSERT_EQ(other({"key", "init"}).exit_code, 0);
  const auto refused = other({"restore", dir.file("backup.db")});
  EXPECT_EQ(refused.exit_code, 1);
  expect_one_line(refused.err);
  EXPECT_NE(refused.err.find("--accept-other-key"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(center.key_file()), std::string::npos) << "names the key file it needs: " << refused.err;
  EXPECT_NE(::access(dir.file("other.db").c_str(), F_OK), 0) << "nothing restored";
  const auto accepted = other({"restore", dir.file("backup.db"), "--accept-other-key"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_NE(other({"account", "list"}).out.find("dealer"), std::string::npos);
  // With the backup's own key file put back, no flag is needed.
  ASSERT_EQ(::rename(center.key_file().c_str(), dir.file("other/center.secret").c_str()), 0);
  EXPECT_EQ(other({"restore", dir.file("backup.db")}).exit_code, 0);
}

// As root (sudo), with the database's directory owned by the center's user
// (here: nobody): the key and the backup belong to that user, mode 0600.
// Issue 19 end to end: the real center raises an alert from a reading sent
// over HTTP; centerctl lists, acknowledges and clears it (audited) and
// validates a dealer's thresholds.
TEST(CenterOpsIt, AlertsThroughCenterctl) {
  temp_dir dir;
  center_daemon center(dir, {.tls = false, .extra_config = ""});
  center.start();
  const auto code = center.dealer_and_code("dealer", "Alert Customer");
  const json::value reg = {{"code", code},
                           {"registering_side", {{"kind", "collector"}, {"name", "c1"}}},
                           {"terminals", {{{"manufacturer", "HP"}, {"model", "M"}, {"serial", "AL1"}}}}};
  const auto [status, body] = center.call("POST", "/api/v1/registrations", reg);
  ASSERT_EQ(status, 201);
  const std::string credential = body["credential"];
  const json::value reading = {{"id", "8d3c8f0e-4c1b-4f59-9d7e-000000000001"},
                               {"terminal", "hp:AL1"},
                               {"taken_at", format_utc(std::chrono::system_clock::now())},
                               {"counters", {{"total", {{"impressions", 10}}}}},
                               {"supplies", {{{"index", 1}, {"type", "toner"}, {"level", 3}, {"max_capacity", 100}}}}};
  ASSERT_EQ(center.call("POST", "/api/v1/readings", {{"readings", {reading}}}, credential).first, 200);

  const auto list = center.ctl({"alert", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto alerts = json::value::parse(list.out);
  ASSERT_EQ(alerts.size(), 1u) << list.out;
  EXPECT_EQ(alerts[0]["kind"], "supply_low");
  const auto id = std::to_string(alerts[0]["id"].get<std::int64_t>());
  EXPECT_NE(center.ctl({"alert", "list"}).out.find("supply_low"), std::string::npos);
  EXPECT_EQ(center.ctl({"alert", "ack", id}).exit_code, 0);
  EXPECT_EQ(center.ctl({"alert", "ack", id}).exit_code, 1);  // acknowledged already: a conflict
  EXPECT_EQ(center.ctl({"alert", "clear", id}).exit_code, 0);
  EXPECT_EQ(center.ctl({"alert", "list"}).out.find("supply_low"), std::string::npos);
  EXPECT_NE(center.ctl({"alert", "list", "--all"}).out.find("cleared"), std::string::npos);
  EXPECT_EQ(center.ctl({"alert", "clear", "999"}).exit_code, 1);
  EXPECT_EQ(center.ctl({"alert", "list", "--kind", "nonsense"}).exit_code, 65);
  EXPECT_EQ(center.ctl({"alert", "check"}).exit_code, 0);

  const auto bad = center.ctl({"account", "set", "dealer", "--alerts", "supply-low=200"});
  EXPECT_EQ(bad.exit_code, 65);
  expect_one_line(bad.err);
  const auto good = center.ctl({"account", "set", "dealer", "--alerts", "terminal-silent=48h"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("terminal-silent=2d"), std::string::npos) << good.out;
  const auto audit = sql(center.database(), "SELECT action FROM audit ORDER BY id");
  EXPECT_NE(audit.find("alert.acknowledge"), std::string::npos);
  EXPECT_NE(audit.find("alert.clear"), std::string::npos);
  EXPECT_NE(audit.find("alerts.settings"), std::string::npos);
}

TEST(CenterOpsIt, AsRootKeyAndBackupBelongToTheCentersUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const struct passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  temp_dir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
  ASSERT_EQ(::mkdir(dir.file("state").c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.file("state").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ASSERT_EQ(::mkdir(dir.file("root-only").c_str(), 0700), 0);
  std::ofstream(dir.file("center.conf")) << "[center]\nlisten = http://127.0.0.1:1\nallow_plain_http = yes\n"
                                         << "database = " << dir.file("state/center.db")
                                         << "\nsecret_file = " << dir.file("etc/center.secret") << "\n";
  auto ctl = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {built_program("fleetreg-centerctl"), "-c", dir.file("center.conf")});
    return run(args, {}, 120s, in);
  };
  const operator_umask loose(022);
  const auto init = ctl({"key", "init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(stat_of(dir.file("etc/center.secret")).uid, nobody->pw_uid);
  EXPECT_EQ(stat_of(dir.file("etc/center.secret")).mode, 0600u);
  EXPECT_EQ(stat_of(dir.file("etc")).uid, nobody->pw_uid) << "the directory it made, too";
  ASSERT_EQ(ctl({"account", "add", "dealer"}, "a-long-password-1\n").exit_code, 0);
  const auto backup = ctl({"backup", dir.file("state/backup.db")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(stat_of(dir.file("state/backup.db")).uid, nobody->pw_uid);
  EXPECT_EQ(stat_of(dir.file("state/backup.db")).mode, 0600u);
  // A directory the center's user cannot write: a clear refusal, nothing left behind.
  const auto denied = ctl({"backup", dir.file("root-only/backup.db")});
  EXPECT_EQ(denied.exit_code, 74);
  EXPECT_NE(denied.err.find("cannot write a backup into"), std::string::npos) << denied.err;
  EXPECT_EQ(run({"ls", "-A", dir.file("root-only")}).out, "");
}

// Issue 19 step 4: a center killed (SIGKILL) while a webhook POST is in
// flight delivers the event after its restart (at-least-once: the receiver
// sees it twice and deduplicates by event id). The receiver is HTTPS on
// 127.0.0.1 with the center's own test certificate; the restart runs two
// minutes later (FLEETREG_TEST_CLOCK_OFFSET) so that the dead attempt's
// lease has run out.
TEST(CenterOpsIt, AWebhookEventSurvivesTheCenterKilledMidDelivery) {
  temp_dir dir;
  const auto receiver_port = free_port(false);
  center_daemon center(dir, {.tls = true,
                             .extra_config = "[delivery]\nca_file = " + dir.file("ca.pem") +
                                             "\ntimeout = 20s\nlease = 30s\nretry_base = 1s\n"
                                             "allow_private_addresses = true\n"});
  center.start();
  const auto code = center.dealer_and_code("dealer", "Hook Customer");
  const std::string url = "https://127.0.0.1:" + std::to_string(receiver_port) + "/hook";
  const auto added = center.ctl({"webhook", "add", "--dealer", "dealer", url});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  // Refusals: one line, a non-zero exit, nothing stored.
  for (const auto& bad :
       {std::vector<std::string>{"webhook", "add", "--dealer", "dealer", "http://127.0.0.1/x"},
        std::vector<std::string>{"webhook", "add", "--dealer", "nobody", url},
        std::vector<std::string>{"webhook", "remove", "99"},
        std::vector<std::string>{"account", "set", "dealer", "--digest", "a@b.example\r\nBcc: c@d"}}) {
    const auto r = center.ctl(bad);
    EXPECT_NE(r.exit_code, 0) << bad[1];
    expect_one_line(r.err);
  }
  EXPECT_EQ(center.ctl({"webhook", "list"}).out.find("/x"), std::string::npos);
  const auto at = added.out.find("whsec_");
  ASSERT_NE(at, std::string::npos) << added.out;
  const auto recv = dir.file("recv");
  std::filesystem::create_directory(recv);
  std::ofstream(recv + "/secret") << added.out.substr(at, 6 + 64);
  std::ofstream(recv + "/hang") << "";
  process receiver({"python3", FLEETREG_WEBHOOK_RECEIVER, recv, dir.file("server.pem"), dir.file("server.key"),
                    std::to_string(receiver_port)},
                   dir, "receiver");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(recv + "/port"); }, 20s)) << receiver.log();

  // A reading with low toner raises supply_low: one event for the webhook.
  const json::value reg = {{"code", code},
                           {"registering_side", {{"kind", "collector"}, {"name", "c1"}}},
                           {"terminals", {{{"manufacturer", "HP"}, {"model", "M"}, {"serial", "WH1"}}}}};
  const auto [status, body] = center.call("POST", "/api/v1/registrations", reg);
  ASSERT_EQ(status, 201);
  const json::value reading = {{"id", "8d3c8f0e-4c1b-4f59-9d7e-000000000002"},
                               {"terminal", "hp:WH1"},
                               {"taken_at", format_utc(std::chrono::system_clock::now())},
                               {"counters", {{"total", {{"impressions", 10}}}}},
                               {"supplies", {{{"index", 1}, {"type", "toner"}, {"level", 3}, {"max_capacity", 100}}}}};
  ASSERT_EQ(center.call("POST", "/api/v1/readings", {{"readings", {reading}}}, body["credential"]).first, 200);

  const auto lines = [&] {
    std::vector<json::value> out;
    std::ifstream f(recv + "/received.jsonl");
    for (std::string line; std::getline(f, line);) out.push_back(json::value::parse(line));
    return out;
  };
  // The POST arrives and hangs; the center dies with it in flight.
  ASSERT_TRUE(wait_until([&] { return !lines().empty(); }, 20s)) << center.daemon()->log();
  ::kill(center.daemon()->pid(), SIGKILL);
  center.stop();
  std::filesystem::remove(recv + "/hang");

  center.start({{"FLEETREG_TEST_CLOCK_OFFSET", "120"}});
  ASSERT_TRUE(wait_until([&] { return lines().size() >= 2; }, 30s)) << center.daemon()->log();
  const auto got = lines();
  EXPECT_EQ(got[0]["event_id"], got[1]["event_id"]) << "the same event again";
  EXPECT_EQ(got[1]["status"], 200);
  EXPECT_TRUE(got[1]["signature_ok"].get<bool>());
  EXPECT_EQ(got[1]["body"]["alert"]["kind"], "supply_low");
  ASSERT_TRUE(wait_until(
      [&] {
        const auto list = center.ctl({"delivery", "list", "--json"});
        return list.exit_code == 0 && list.out.find("\"delivered\"") != std::string::npos;
      },
      10s));
  const auto list = json::value::parse(center.ctl({"delivery", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["attempts"], 2);
  center.stop();
}

}  // namespace

}  // namespace fleetreg::test
