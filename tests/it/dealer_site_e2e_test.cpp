// SPDX-License-Identifier: Apache-2.0
// The dealer site end to end, in Debian's headless Chromium driven by
// playwright-core (tests/e2e/dealer_site.mjs), inside the test's private
// network namespace: log in, issue a code, a real collector registers two
// simulated terminals with it, the site shows them with toner and a chart,
// the fleet dashboard counts them (desktop and phone, no sideways scroll),
// an on-demand read is answered, the billing CSV matches the terminals'
// counters, the credential is revoked and the collector refused, and a
// second dealer sees nothing of the first one's customer.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fleetreg/core/json.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fleetreg::test {
namespace {

std::map<std::string, std::string> parse_output(const std::string& out) {
  std::map<std::string, std::string> kv;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (const auto eq = line.find('='); eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  return kv;
}

class DealerSiteE2E : public ::testing::Test {
 protected:
  // One step in the browser; its key=value lines.
  std::map<std::string, std::string> browser(const std::string& step, std::map<std::string, std::string> env) {
    env["CENTER"] = center.url();
    env["STATE"] = dir.path();
    if (const char* shots = std::getenv("FLEETREG_SCREENSHOT_DIR")) env["SCREENSHOTS"] = shots;
    const auto r = run({"node", FLEETREG_E2E_DIR "/dealer_site.mjs", step}, env, 120s);
    EXPECT_EQ(r.exit_code, 0) << step << ": " << r.err << r.out;
    return parse_output(r.out);
  }
  command_result collector(std::vector<std::string> args) {
    std::vector<std::string> argv = {built_program("fleetreg-collector"), "-c", dir.file("collector.conf")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  std::uint64_t copies(const sim_terminal& t) {
    const auto j = json::value::parse(t.terminal({"show", "--json"}).out);
    return j["counters"]["copy"]["impressions"].get<std::uint64_t>();
  }

  temp_dir dir;
  center_daemon center{dir, {.tls = false, .extra_config = ""}};
  sim_terminal mfp1{dir, "mfp1", "Konica Minolta", "bizhub C300i", "E2E-0001", true};
  sim_terminal mfp2{dir, "mfp2", "RICOH", "IM 430F", "E2E-0002"};
};

TEST_F(DealerSiteE2E, ServicepersonFlowInARealBrowser) {
  const std::string customer = "Müller Büro GmbH <Zentrale>";
  ASSERT_EQ(center.ctl({"account", "add", "dealer-e2e"}, "e2e-password-1\n").exit_code, 0);
  ASSERT_EQ(center.ctl({"account", "add", "dealer-other"}, "e2e-password-2\n").exit_code, 0);
  center.start();
  snmpd_daemon s1(dir, "snmpd1"), s2(dir, "snmpd2");
  mfp1.start_subagent(s1.agentx_socket());
  mfp2.start_subagent(s2.agentx_socket());
  ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "5"}).exit_code, 0);
  // mfp2 runs low on toner: 17,500 of a 20,000-page cartridge used.
  ASSERT_EQ(mfp2.terminal({"print", "--sheets", "17500"}).exit_code, 0);
  for (auto* s : {&s1, &s2})
    ASSERT_TRUE(wait_until(
        [&] { return get_one(s->v2c(), snmp::append(snmp::terminal_mib::serial_number, {0})).has_value(); }));
  std::ofstream(dir.file("collector.conf"))
      << "[collector]\nstate_dir = " << dir.file("collector") << "\nname = e2e-collector\n"
      << "[center]\nurl = " << center.url() << "\nallow_plain_http = yes\n"
      << "[snmp]\ntargets = " << s1.peer() << ", " << s2.peer() << "\n[mdns]\nenabled = no\n[run]\nwait = 2s\n";

  const std::map<std::string, std::string> dealer = {
      {"DEALER", "dealer-e2e"}, {"PASSWORD", "e2e-password-1"}, {"CUSTOMER", customer}};
  EXPECT_EQ(browser("login", dealer)["logged_in"], "yes");
  const auto code = browser("issue-code", dealer)["code"];
  ASSERT_EQ(code.size(), 14u) << code;

  // The serviceperson types the code into the collector on site.
  const auto reg = collector({"register", "--code", code});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  process run_proc({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir, "collector");
  const auto sites = center.ctl({"site", "list"}).out;
  const auto site_id = sites.substr(sites.find('\n') + 1, 36);
  ASSERT_TRUE(wait_until([&] {
    return center.ctl({"readings", "--site", site_id}).out.find("E2E-0001") != std::string::npos;
  })) << run_proc.log();
  ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "7"}).exit_code, 0);

  auto seen = browser("site", dealer);
  EXPECT_EQ(seen["site"], site_id);
  EXPECT_EQ(seen["terminal_rows"], "2");
  EXPECT_GE(std::stoi(seen["low_toner"]), 1) << "mfp2's toner is low";
  EXPECT_EQ(seen["request_answered"], "yes");
  EXPECT_GE(std::stoi(seen["chart_lines"]), 1);

  // The fleet dashboard (issue 19): both terminals counted, mfp2's low toner
  // a warning, the volume chart, no sideways scrolling on a desktop or a phone.
  auto dash = browser("dashboard", dealer);
  EXPECT_EQ(dash["volume_chart"], "yes");
  EXPECT_EQ(dash["phone_volume_chart"], "yes");
  EXPECT_EQ(dash["desktop_scroll_x"], "no");
  EXPECT_EQ(dash["phone_scroll_x"], "no") << "page width on a 375 px phone: " << dash["phone_width"];
  EXPECT_EQ(dash["tiles"], "silent:0,critical:0,warning:1,healthy:1") << "mfp2's toner is low";
  EXPECT_EQ(dash["warning_rows"], "1");

  // Billing for today: mfp1's copies from the first reading (5) to now (12).
  auto env = dealer;
  env["SITE"] = site_id;
  const auto today = format_utc(std::chrono::system_clock::now()).substr(0, 10);
  const auto tomorrow = format_utc(std::chrono::system_clock::now() + std::chrono::hours(24)).substr(0, 10);
  env["FROM"] = today;
  env["TO"] = tomorrow;
  const auto csv_path = browser("billing", env)["csv"];
  std::ifstream in(csv_path);
  std::string line, copy_line;
  while (std::getline(in, line))
    if (line.find("konica minolta:E2E-0001") != std::string::npos &&
        line.find(",copy,impressions,") != std::string::npos)
      copy_line = line;
  ASSERT_FALSE(copy_line.empty());
  EXPECT_EQ(copies(mfp1), 12u);
  EXPECT_NE(copy_line.find(",5,"), std::string::npos) << copy_line;
  EXPECT_NE(copy_line.find(",12,7,0"), std::string::npos) << "end 12, clicks 7, no reset: " << copy_line;

  // Revoked: the collector is refused from its next call on.
  EXPECT_EQ(browser("revoke", env)["revoked"], "yes");
  ASSERT_EQ(center.ctl({"request", "--site", site_id}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return collector({"status"}).out.find("revoked") != std::string::npos; }, 60s))
      << run_proc.log();
  run_proc.stop();

  // Another dealer sees nothing of this customer, not even by URL.
  const std::map<std::string, std::string> other = {
      {"DEALER", "dealer-other"}, {"PASSWORD", "e2e-password-2"}, {"CUSTOMER", customer}, {"SITE", site_id}};
  EXPECT_EQ(browser("login", other)["logged_in"], "yes");
  auto theirs = browser("other-dealer", other);
  EXPECT_EQ(theirs["sees_customer"], "no");
  EXPECT_EQ(theirs["direct_status"], "404");
}

}  // namespace
}  // namespace fleetreg::test
