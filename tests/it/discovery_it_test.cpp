// SPDX-License-Identifier: Apache-2.0
// Discovery the way a site has it: inside the test's private network
// namespace, a private avahi-daemon on loopback; fleetreg terminals (snmpd +
// subagent) that announce their own host names over mDNS; a printer that
// speaks only RFC 3805 (found by the sweep); an IPP printer (ippeveprinter,
// found over mDNS, read over IPP); the real center.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>

#include "fleetreg/core/json.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/mdns_fixtures.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fleetreg::test {
namespace {

bool has(const json::value& list, const std::string& text) {
  for (const auto& v : list)
    if (v.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

class MdnsFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add_terminal(term1, "127.0.77.1", "term1");
    add_terminal(term2, "127.0.77.2", "term2");
    ASSERT_EQ(term1.terminal({"copy", "--sheets", "7"}).exit_code, 0);
    ASSERT_TRUE(wait_for_service("_fleetreg._udp", "RICOH IM 430F R-0001"));
    ASSERT_TRUE(wait_for_service("_fleetreg._udp", "Konica Minolta bizhub C300i KM-0002"));
    ASSERT_TRUE(wait_for_service("_ipp._tcp", "Front Desk Printer"));
    code = center.dealer_and_code("dealer", "Acme Ltd");
    center.start();
    std::ofstream(dir.file("collector.conf"))
        << "[collector]\nstate_dir = " << dir.file("collector-state") << "\nname = site-collector\n"
        << "[center]\nurl = " << center.url() << "\nallow_plain_http = yes\n"
        << "[snmp]\nranges = 127.0.77.0/29, 127.0.78.0/29\ntimeout = 500ms\nretries = 1\n"
        << "[mdns]\nbrowse_time = 3s\n[run]\nwait = 2s\nread_interval = 2s\n";
  }

  // snmpd + subagent on `address`:161, announced as `host`.local → address.
  void add_terminal(sim_terminal& t, const std::string& address, const std::string& host) {
    snmpds.push_back(std::make_unique<snmpd_daemon>(dir, "snmpd-" + host, std::vector<std::string>{}, address, 161));
    t.start_subagent(snmpds.back()->agentx_socket());
    ASSERT_TRUE(wait_until([&] {
      return get_one(snmpds.back()->v2c(), snmp::append(snmp::terminal_mib::serial_number, {0})).has_value();
    }));
    announcers.push_back(
        std::make_unique<process>(std::vector<std::string>{built_program("fleetreg-terminal"), "-s", t.state_dir(),
                                                           "announce", "--host-name", host, "--address", address},
                                  dir, "announce-" + host));
  }

  command_result collector(std::vector<std::string> args) {
    std::vector<std::string> argv = {built_program("fleetreg-collector"), "-c", dir.file("collector.conf")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }

  std::string site_id() {
    const auto sites = center.ctl({"site", "list"}).out;
    return sites.find('\n') == std::string::npos ? "" : sites.substr(sites.find('\n') + 1, 36);
  }

  temp_dir dir;
  avahi_daemon avahi{dir};
  sim_terminal term1{dir, "term1", "RICOH", "IM 430F", "R-0001"};
  sim_terminal term2{dir, "term2", "Konica Minolta", "bizhub C300i", "KM-0002", true};
  std::vector<std::unique_ptr<snmpd_daemon>> snmpds;
  std::vector<std::unique_ptr<process>> announcers;
  snmpd_daemon rfc3805{dir,
                       "rfc3805",
                       {"override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"HP LaserJet M404dn\"",
                        "override .1.3.6.1.2.1.43.5.1.1.17.1 octet_str \"PHBQA12345\"",
                        "override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter 123456"},
                       "127.0.78.1",
                       161};
  ipp_printer printer{dir, {}};
  center_daemon center{dir, {.tls = false, .extra_config = ""}};
  std::string code;
};

TEST_F(MdnsFleetTest, EachDeviceFoundOnceWithItsSources) {
  const auto r = collector({"discover", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto found = json::value::parse(r.out);
  std::map<std::string, json::value> by_key;
  for (const auto& d : found) by_key[d["key"].get<std::string>()] = d;
  ASSERT_EQ(found.size(), 4u) << r.out;
  ASSERT_EQ(by_key.size(), 4u) << r.out;

  // Terminals: fleetreg MIB, seen by mDNS (own host name) and by the sweep.
  for (const char* key : {"ricoh:R-0001", "konica minolta:KM-0002"}) {
    ASSERT_TRUE(by_key.count(key)) << r.out;
    const auto& d = by_key[key];
    EXPECT_EQ(d["source"], "fleetreg-mib");
    EXPECT_EQ(d["field_sources"]["serial"], "fleetreg-mib");
    EXPECT_TRUE(has(d["seen_via"], "mdns _fleetreg._udp")) << d.dump();
    EXPECT_TRUE(has(d["seen_via"], "sweep 127.0.77.0/29")) << d.dump();
    EXPECT_TRUE(d["registrable"].get<bool>());
  }
  EXPECT_EQ(by_key["ricoh:R-0001"]["counters"]["copy"]["impressions"], 7);
  EXPECT_EQ(by_key["ricoh:R-0001"]["address"], "udp:127.0.77.1:161");

  // The RFC 3805-only printer: Printer-MIB, found by the sweep only.
  const auto& hp = by_key["hp:PHBQA12345"];
  EXPECT_EQ(hp["source"], "printer-mib");
  EXPECT_EQ(hp["counters"]["total"]["impressions"], 123456);
  EXPECT_FALSE(has(hp["seen_via"], "mdns")) << hp.dump();

  // The IPP printer: found over mDNS, read over IPP (no SNMP agent there).
  const auto& ipp = by_key["acme:IPP-0042"];
  EXPECT_EQ(ipp["source"], "ipp");
  EXPECT_EQ(ipp["model"], "LaserFast 9000");
  EXPECT_EQ(ipp["field_sources"]["serial"], "ipp");
  EXPECT_EQ(ipp["counters"]["total"]["impressions"], 1234);
  EXPECT_EQ(ipp["counters"]["total"]["impressions-color"], 200);
  EXPECT_EQ(ipp["counters"]["total"]["sheets"], 1000);
  ASSERT_EQ(ipp["supplies"].size(), 1u);
  EXPECT_EQ(ipp["supplies"][0]["level"], 42);
  EXPECT_EQ(ipp["supplies"][0]["colorant"], "black");
  EXPECT_TRUE(has(ipp["seen_via"], "mdns _ipp._tcp 'Front Desk Printer'")) << ipp.dump();
  EXPECT_EQ(ipp["address"], printer.uri());

  // The readable table says the same.
  const auto table = collector({"discover"});
  ASSERT_EQ(table.exit_code, 0);
  for (const char* text : {"R-0001", "KM-0002", "PHBQA12345", "IPP-0042", "ipp", "printer-mib", "seen via"})
    EXPECT_NE(table.out.find(text), std::string::npos) << text << "\n" << table.out;
}

TEST_F(MdnsFleetTest, RegistersTheWholeFleetAndAnswersARequest) {
  auto r = collector({"register", "--code", code});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("collector-state/credential").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto site = site_id();
  const auto terminals = center.ctl({"terminal", "list", "--site", site}).out;
  for (const char* key : {"ricoh:R-0001", "konica minolta:KM-0002", "hp:PHBQA12345", "acme:IPP-0042"})
    EXPECT_NE(terminals.find(key), std::string::npos) << key << "\n" << terminals;

  process run_proc({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir, "collector");
  ASSERT_EQ(center.ctl({"request", "--site", site}).exit_code, 0);
  json::value readings;
  std::set<std::string> answered;
  ASSERT_TRUE(wait_until(
      [&] {
        readings = json::value::parse(center.ctl({"readings", "--site", site, "--json"}).out, nullptr, false);
        if (readings.is_discarded()) return false;
        answered.clear();
        for (const auto& x : readings)
          if (!x.value("request_id", std::string()).empty()) answered.insert(x["terminal"].get<std::string>());
        return answered.size() == 4;
      },
      60s))
      << run_proc.log();
  for (const auto& x : readings) {
    if (x.value("request_id", std::string()).empty()) continue;
    if (x["terminal"] == "acme:IPP-0042") {
      EXPECT_EQ(x["source"], "ipp");
      EXPECT_EQ(x["counters"]["total"]["impressions"], 1234);
    }
    if (x["terminal"] == "ricoh:R-0001") {
      EXPECT_EQ(x["counters"]["copy"]["impressions"], 7);
    }
    if (x["terminal"] == "hp:PHBQA12345") {
      EXPECT_EQ(x["counters"]["total"]["impressions"], 123456);
    }
  }
  EXPECT_EQ(run_proc.stop(), 0);
}

// avahi-daemon restarts under a running collector: it reconnects, browses
// again, and a terminal announced only over mDNS after the restart is added
// (the drill of issue 18: the time from the restart until the center lists
// it is printed; the collector is the same process throughout).
TEST_F(MdnsFleetTest, RunningCollectorFollowsAvahiRestarts) {
  ASSERT_EQ(collector({"register", "--code", code}).exit_code, 0);
  const auto site = site_id();
  process run_proc({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir, "collector");
  avahi.stop();
  ASSERT_TRUE(wait_until([&] { return run_proc.log().find("avahi-daemon is not running") != std::string::npos; }))
      << run_proc.log();
  avahi.start();
  const auto restarted = std::chrono::steady_clock::now();
  sim_terminal late{dir, "late", "Kyocera", "TASKalfa 2554ci", "KY-0003"};
  add_terminal(late, "127.0.79.1", "late");  // outside every swept range
  EXPECT_TRUE(wait_until(
      [&] {
        return center.ctl({"terminal", "list", "--site", site}).out.find("kyocera:KY-0003") != std::string::npos;
      },
      60s))
      << run_proc.log();
  std::printf(
      "a terminal announced after avahi-daemon's restart was registered %lld ms later\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted).count()));
  EXPECT_TRUE(run_proc.running()) << run_proc.log();
  EXPECT_NE(run_proc.log().find("connected to avahi-daemon"), std::string::npos) << run_proc.log();
  EXPECT_EQ(run_proc.stop(), 0);
}

}  // namespace
}  // namespace fleetreg::test
