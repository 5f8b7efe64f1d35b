// SPDX-License-Identifier: Apache-2.0
// check_fleetreg against real components: a fleetreg terminal (snmpd +
// subagent), an RFC 3805-only snmpd, an address where nothing answers, the
// real center, and the status file of a real collector. Its output is
// checked with a parser written from the Monitoring Plugins guidelines.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fleetreg::test {
namespace {

struct plugin_output {
  int exit_code = -1;
  std::string service, status, text;
  std::map<std::string, std::string> perf;  ///< label → value with unit and thresholds
  std::size_t lines = 0;
};

// The guidelines: "SERVICE STATUS: text | 'label'=value[UOM];[warn];[crit];[min];[max] ..."
plugin_output parse(const command_result& r) {
  plugin_output o;
  o.exit_code = r.exit_code;
  o.lines = static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
  const auto first = r.out.substr(0, r.out.find('\n'));
  static const std::regex line(R"(^(.+?) (OK|WARNING|CRITICAL|UNKNOWN): ([^|]*?)(?: \| (.*))?$)");
  std::smatch m;
  if (!std::regex_match(first, m, line)) return o;
  o.service = m[1];
  o.status = m[2];
  o.text = m[3];
  static const std::regex item(
      R"(('(?:[^']|'')+'|[^ '=]+)=(-?[0-9.]+(?:[eE][-+]?[0-9]+)?(?:[a-zA-Z%]*)(?:;[^; ]*){0,4}))");
  const std::string perf = m[4];
  for (std::sregex_iterator it(perf.begin(), perf.end(), item), end; it != end; ++it) {
    std::string label = (*it)[1];
    if (label.front() == '\'') label = std::regex_replace(label.substr(1, label.size() - 2), std::regex("''"), "'");
    o.perf[label] = (*it)[2];
  }
  return o;
}

command_result check(std::vector<std::string> args) {
  args.insert(args.begin(), built_program("check_fleetreg"));
  return run(args);
}

TEST(CheckFleetreg, TerminalOverSnmp) {
  temp_dir dir;
  snmpd_daemon snmpd(dir, "snmpd",
                     {"createUser fleetmon SHA-256 \"auth-pass-123\" AES \"priv-pass-123\"", "rouser fleetmon priv"});
  sim_terminal term(dir, "mfp", "Kyocera", "TASKalfa 2554ci", "KY-CHECK-1", true);
  term.start_subagent(snmpd.agentx_socket());
  ASSERT_TRUE(wait_until(
      [&] { return get_one(snmpd.v2c(), snmp::append(snmp::terminal_mib::serial_number, {0})).has_value(); }));
  ASSERT_EQ(term.terminal({"copy", "--sheets", "12"}).exit_code, 0);
  const auto port = snmpd.peer().substr(snmpd.peer().rfind(':') + 1);
  const std::vector<std::string> base = {"terminal",         "-H", "127.0.0.1",         "-p", port,
                                         "--supply-warning", "15", "--supply-critical", "5"};
  plugin_output o;
  // The subagent shows a job within its refresh interval.
  EXPECT_TRUE(wait_until([&] { return (o = parse(check(base))).perf["copy_impressions"] == "12c;;;0"; }))
      << o.perf["copy_impressions"];
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.service, "FLEETREG TERMINAL");
  EXPECT_EQ(o.status, "OK");
  EXPECT_NE(o.text.find("KY-CHECK-1"), std::string::npos) << o.text;
  EXPECT_EQ(o.lines, 1u);
  ASSERT_TRUE(o.perf.count("Black Toner"));
  EXPECT_NE(o.perf["Black Toner"].find("%;15:;5:;0;100"), std::string::npos) << o.perf["Black Toner"];
  // SNMPv3 authPriv reads the same.
  auto v3 = base;
  v3.insert(v3.end(), {"-P", "3", "-u", "fleetmon", "-l", "authPriv", "-a", "SHA-256", "-A", "auth-pass-123", "-x",
                       "AES", "-X", "priv-pass-123"});
  EXPECT_EQ(parse(check(v3)).status, "OK");
  // Toner down to 10 %: WARNING; to 4 %: CRITICAL.
  ASSERT_EQ(term.terminal({"print", "--sheets", "18000"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return parse(check(base)).exit_code == 1; }));
  ASSERT_EQ(term.terminal({"print", "--sheets", "1200"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return parse(check(base)).exit_code == 2; }));
  // A terminal error is CRITICAL whatever the toner says.
  ASSERT_EQ(term.terminal({"refill"}).exit_code, 0);
  ASSERT_EQ(term.terminal({"status", "error", "--message", "Paper jam in tray 2"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return parse(check(base)).text.find("Paper jam") != std::string::npos; }));
  o = parse(check(base));
  EXPECT_EQ(o.exit_code, 2);
}

TEST(CheckFleetreg, Rfc3805PrinterAndSilentAddress) {
  temp_dir dir;
  snmpd_daemon printer(dir, "rfc3805",
                       {"override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"HP LaserJet M404dn\"",
                        "override .1.3.6.1.2.1.43.5.1.1.17.1 octet_str \"PHBQA12345\"",
                        "override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter 123456"});
  const auto port = printer.peer().substr(printer.peer().rfind(':') + 1);
  auto o = parse(check({"terminal", "-H", "127.0.0.1", "-p", port}));
  EXPECT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("(RFC 3805)"), std::string::npos) << o.text;
  EXPECT_EQ(o.perf["total_impressions"], "123456c;;;0") << "a counter, unit c, minimum 0";
  // Nothing listens: UNKNOWN, one line, within the timeout.
  o = parse(check({"terminal", "-H", "127.0.0.1", "-p", std::to_string(free_port(true)), "-t", "2"}));
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.status, "UNKNOWN");
  EXPECT_EQ(o.lines, 1u);
  // Usage errors are UNKNOWN with one line too.
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"terminal"}, {"terminal", "-H", "x", "-w", "20:10"}, {"nonsense"}, {"terminal", "-H", "x", "-t", "0"}}) {
    o = parse(check(bad));
    EXPECT_EQ(o.exit_code, 3) << bad.back();
    EXPECT_EQ(o.lines, 1u);
  }
}

TEST(CheckFleetreg, CenterAndCollector) {
  temp_dir dir;
  snmpd_daemon snmpd(dir, "snmpd");
  sim_terminal term(dir, "mfp", "RICOH", "IM 430F", "RI-CHECK-2");
  term.start_subagent(snmpd.agentx_socket());
  center_daemon center(dir, {.tls = true, .extra_config = ""});
  const auto code = center.dealer_and_code("dealer", "Check GmbH");
  center.start();
  const auto token = center.ctl({"token", "issue", "nagios"}).out;
  std::ofstream(dir.file("token")) << token.substr(0, token.find('\n')) << "\n";
  const auto port = center.url().substr(center.url().rfind(':') + 1);
  const std::vector<std::string> base = {"center",          "-H",        "127.0.0.1",     "-p", port, "--token-file",
                                         dir.file("token"), "--ca-file", center.ca_file()};
  auto o = parse(check(base));
  EXPECT_EQ(o.exit_code, 0) << o.text;
  EXPECT_EQ(o.perf["stale_terminals"], "0;;;0");
  EXPECT_TRUE(o.perf.count("codes_expiring_soon"));
  // A wrong token: UNKNOWN.
  std::ofstream(dir.file("bad-token")) << "frm1_nope\n";
  auto bad = base;
  bad[6] = dir.file("bad-token");
  const auto refused = check(bad);
  EXPECT_EQ(parse(refused).exit_code, 3) << refused.out << refused.err;

  // A real collector: registered, its status file read by the plugin.
  ASSERT_TRUE(wait_until(
      [&] { return get_one(snmpd.v2c(), snmp::append(snmp::terminal_mib::serial_number, {0})).has_value(); }));
  std::ofstream(dir.file("collector.conf"))
      << "[collector]\nstate_dir = " << dir.file("collector") << "\n[center]\nurl = " << center.url()
      << "\nca_file = " << center.ca_file() << "\n[snmp]\ntargets = " << snmpd.peer()
      << "\n[mdns]\nenabled = no\n[run]\nwait = 1s\n";
  ASSERT_EQ(run({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "register", "--code", code})
                .exit_code,
            0);
  process collector({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir, "collector");
  const auto status_file = dir.file("collector/status.json");
  ASSERT_TRUE(wait_until([&] {
    return parse(check({"collector", "--status-file", status_file})).text.find("s ago") != std::string::npos;
  })) << collector.log();
  o = parse(check({"collector", "--status-file", status_file, "-w", "10", "-c", "100", "--age-warning", "3600"}));
  EXPECT_EQ(o.exit_code, 0) << o.text;
  EXPECT_EQ(o.perf["outbox"], "0;10;100;0");
  EXPECT_TRUE(o.perf.count("last_upload_age"));
  // No status file: UNKNOWN.
  EXPECT_EQ(parse(check({"collector", "--status-file", dir.file("nothing-here.json")})).exit_code, 3);
  collector.stop();
  // The center now has unanswered requests (this one, and the scheduled one
  // of the new site): --unanswered-warning 0 warns.
  const auto sites = center.ctl({"site", "list"}).out;
  ASSERT_EQ(center.ctl({"request", "--site", sites.substr(sites.find('\n') + 1, 36)}).exit_code, 0);
  auto with = base;
  with.insert(with.end(), {"--unanswered-warning", "0"});
  o = parse(check(with));
  EXPECT_EQ(o.exit_code, 1) << o.text;
  EXPECT_GE(std::stoi(o.perf["unanswered_requests"]), 1);
  EXPECT_NE(o.perf["unanswered_requests"].find(";0;;0"), std::string::npos) << o.perf["unanswered_requests"];
}

// --dealer against the real center: real alerts raised by readings sent over
// HTTP, read by a monitoring token (counts only).
TEST(CheckFleetreg, CenterDealerAlerts) {
  temp_dir dir;
  center_daemon center(dir, {.tls = false, .extra_config = ""});
  const auto code = center.dealer_and_code("dealer", "Alert Customer");
  ASSERT_EQ(center.ctl({"account", "add", "quiet dealer"}, "a-long-password-1\n").exit_code, 0);
  center.start();
  const auto token = center.ctl({"token", "issue", "nagios"}).out;
  std::ofstream(dir.file("token")) << token.substr(0, token.find('\n')) << "\n";
  const auto port = center.url().substr(center.url().rfind(':') + 1);
  const auto dealer_check = [&](const std::string& dealer, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"center", "-H",           "127.0.0.1",       "-p",       port,
                                     "--http", "--token-file", dir.file("token"), "--dealer", dealer};
    args.insert(args.end(), more.begin(), more.end());
    return parse(check(args));
  };
  const json::value reg = {{"code", code},
                           {"registering_side", {{"kind", "collector"}, {"name", "c1"}}},
                           {"terminals",
                            {{{"manufacturer", "HP"}, {"model", "M"}, {"serial", "NG1"}},
                             {{"manufacturer", "HP"}, {"model", "M"}, {"serial", "NG2"}}}}};
  const auto [status, body] = center.call("POST", "/api/v1/registrations", reg);
  ASSERT_EQ(status, 201) << body.dump();
  const std::string credential = body["credential"];
  // No alert yet: OK, every kind in the perfdata.
  auto o = dealer_check("dealer");
  EXPECT_EQ(o.exit_code, 0) << o.text;
  EXPECT_EQ(o.service, "FLEETREG CENTER");
  EXPECT_EQ(o.lines, 1u);
  EXPECT_EQ(o.perf["alerts_critical"], "0;;0;0");
  EXPECT_EQ(o.perf["alerts_warning"], "0;0;;0");
  EXPECT_EQ(o.perf["supply_empty"], "0;;;0");
  EXPECT_EQ(o.perf["terminals_silent"], "0;;;0");

  const auto send = [&](const std::string& key, int level, int n) {
    const json::value reading = {
        {"id", "8d3c8f0e-4c1b-4f59-9d7e-00000000000" + std::to_string(n)},
        {"terminal", key},
        {"taken_at", format_utc(std::chrono::system_clock::now())},
        {"counters", {{"total", {{"impressions", 10 + n}}}}},
        {"supplies", {{{"index", 1}, {"type", "toner"}, {"level", level}, {"max_capacity", 100}}}}};
    ASSERT_EQ(center.call("POST", "/api/v1/readings", {{"readings", {reading}}}, credential).first, 200);
  };
  // Low toner: a warning alert, WARNING.
  send("hp:NG1", 8, 1);
  o = dealer_check("dealer");
  EXPECT_EQ(o.exit_code, 1) << o.text;
  EXPECT_EQ(o.status, "WARNING");
  EXPECT_EQ(o.perf["supply_low"], "1;;;0");
  EXPECT_NE(o.text.find("0 critical and 1 warning alerts open (supply_low 1)"), std::string::npos) << o.text;
  // -w 1: one warning is within the threshold.
  EXPECT_EQ(dealer_check("dealer", {"-w", "1"}).exit_code, 0);
  // An empty toner: a critical alert, CRITICAL; -c 1 allows one.
  send("hp:NG2", 0, 2);
  o = dealer_check("dealer");
  EXPECT_EQ(o.exit_code, 2) << o.text;
  EXPECT_EQ(o.perf["alerts_critical"], "1;;0;0");
  EXPECT_EQ(o.perf["supply_empty"], "1;;;0");
  EXPECT_EQ(dealer_check("dealer", {"-c", "1"}).exit_code, 1);
  // Another dealer's alerts are not this one's.
  EXPECT_EQ(dealer_check("quiet dealer").exit_code, 0);
  // Refilled: cleared by the reading, OK again.
  send("hp:NG1", 90, 3);
  send("hp:NG2", 90, 4);
  EXPECT_EQ(dealer_check("dealer").exit_code, 0);

  // No such dealer, an admin's name, a billing token: UNKNOWN, one line.
  o = dealer_check("nobody");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.lines, 1u);
  EXPECT_EQ(o.text, "the center has no dealer nobody");
  ASSERT_EQ(center.ctl({"account", "add", "boss", "--admin"}, "a-long-password-1\n").exit_code, 0);
  EXPECT_EQ(dealer_check("boss").exit_code, 3);
  const auto billing = center.ctl({"token", "issue", "erp", "--billing", "--dealer", "dealer"}).out;
  std::ofstream(dir.file("token")) << billing.substr(0, billing.find('\n')) << "\n";
  o = dealer_check("dealer");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_NE(o.text.find("HTTP 403"), std::string::npos) << o.text;
  // --dealer with another mode or the center's own thresholds: usage, UNKNOWN.
  EXPECT_EQ(parse(check({"collector", "--dealer", "dealer"})).exit_code, 3);
  EXPECT_EQ(dealer_check("dealer", {"--unanswered-warning", "1"}).exit_code, 3);
}

}  // namespace
}  // namespace fleetreg::test
