// SPDX-License-Identifier: Apache-2.0
// A generated fleet (issue 18): tests/fleet/make_fleet.py writes 100
// recordings (fleetreg-MIB terminals and vendor copies, two slow, two whose
// counters never answer), Debian's snmpsim serves them at 127.0.88.1-100
// inside the test's private network namespace, and the collector sweeps the
// /22 around them: its progress line on a pseudo-terminal, a plain summary
// without one, counters that grow between reads, and a registration split
// under the center's per-request limit.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "fleetreg/core/json.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/snmpsim_fleet.hpp"

namespace fleetreg::test {
namespace {

constexpr int fleet_size = 100;
constexpr int failing = 2;  // --error 0.02: identity answers, counters never do
constexpr const char* range = "127.0.88.0/22";
constexpr int range_addresses = 1022;

std::string address_of(int i) { return "127.0.88." + std::to_string(i + 1); }

// The quoted form of one word for `script -c` (sh -c).
std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class FleetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    const auto out = dir_->file("fleet");
    const auto made = run({"python3", FLEETREG_FLEET_GENERATOR, "--count", std::to_string(fleet_size), "--seed", "18",
                           "--out", out, "--fleetreg", "0.5", "--slow", "0.02", "--error", "0.02"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    std::ifstream in(out + "/manifest.json");
    std::stringstream ss;
    ss << in.rdbuf();
    *manifest_ = json::value::parse(ss.str());
    std::vector<snmpsim_fleet::device> devices;
    for (int i = 0; i < fleet_size; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "/%05d.snmprec", i);
      devices.push_back({out + name, address_of(i), 161});
    }
    fleet_ = new snmpsim_fleet(*dir_, devices);
    std::printf("snmpsimd served %d generated devices after %lld ms\n", fleet_size,
                static_cast<long long>(fleet_->start_time().count()));
  }
  static void TearDownTestSuite() {
    delete fleet_;
    delete dir_;
    fleet_ = nullptr;
    dir_ = nullptr;
  }

  void write_config(const std::string& name, const std::string& center_url = "") {
    std::ofstream conf(dir_->file(name));
    conf << "[collector]\nstate_dir = " << dir_->file(name + "-state") << "\nname = fleet-collector\n"
         << "[snmp]\nranges = " << range << "\ntimeout = 1s\nretries = 0\n"
         << "[mdns]\nenabled = no\n"
         << "[profiles]\ndirectories = " << FLEETREG_PROFILES_DIR << "\n"
         << "[run]\nwait = 2s\nread_interval = 1h\n";
    if (!center_url.empty()) conf << "[center]\nurl = " << center_url << "\nallow_plain_http = yes\n";
  }

  command_result collector(const std::string& conf, std::vector<std::string> args) const {
    std::vector<std::string> argv = {built_program("fleetreg-collector"), "-c", dir_->file(conf)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, 120s);
  }

  // serial → total impressions (or sheets) of each device listed.
  std::map<std::string, std::uint64_t> totals(const std::string& conf) const {
    const auto r = collector(conf, {"discover", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::uint64_t> out;
    if (r.exit_code != 0) return out;
    for (const auto& d : json::value::parse(r.out)) {
      const auto& total = d["counters"].value("total", json::value::object());
      for (const char* kind : {"impressions", "sheets"})
        if (total.contains(kind)) {
          out[d["serial"].get<std::string>()] = total[kind].get<std::uint64_t>();
          break;
        }
    }
    return out;
  }

  static temp_dir* dir_;
  static snmpsim_fleet* fleet_;
  static json::value* manifest_;
};

temp_dir* FleetTest::dir_ = nullptr;
snmpsim_fleet* FleetTest::fleet_ = nullptr;
json::value* FleetTest::manifest_ = new json::value;

TEST_F(FleetTest, ProgressLineOnATerminal) {
  write_config("tty.conf");
  const std::string command = shell_quote(built_program("fleetreg-collector")) + " -c " +
                              shell_quote(dir_->file("tty.conf")) + " discover --json >/dev/null";
  // util-linux script(1): the command on a pseudo-terminal, what it writes copied to stdout.
  const auto r = run({"script", "-qfec", command, "/dev/null"}, {}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Progress lines rewritten in place: carriage return, the line, erase to its end.
  EXPECT_GE(count_of(r.out, "\rprobed "), 1u) << r.out;
  EXPECT_GE(count_of(r.out, "\x1b[K"), 2u) << r.out;
  EXPECT_NE(r.out.find(" addresses, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" found, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/s, ETA "), std::string::npos) << r.out;
  // Each step ends with its summary.
  EXPECT_NE(r.out.find("probed " + std::to_string(range_addresses) + " addresses in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": " + std::to_string(fleet_size) + " answered"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read " + std::to_string(fleet_size - failing) + " of " + std::to_string(fleet_size)),
            std::string::npos)
      << r.out;
}

TEST_F(FleetTest, PlainSummaryWithoutATerminalAndCountersGrow) {
  write_config("plain.conf");
  const auto r = collector("plain.conf", {"discover"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\x1b"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ETA"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("probed " + std::to_string(range_addresses) + " addresses in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": " + std::to_string(fleet_size) + " answered\n"), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find("read " + std::to_string(fleet_size - failing) + " of " + std::to_string(fleet_size) + " devices in "),
      std::string::npos)
      << r.err;

  // Read twice, seconds apart: no counter goes back, most have grown.
  const auto first = totals("plain.conf");
  std::this_thread::sleep_for(3s);
  const auto second = totals("plain.conf");
  EXPECT_EQ(first.size(), static_cast<std::size_t>(fleet_size - failing));
  EXPECT_EQ(second.size(), first.size());
  std::size_t grown = 0;
  for (const auto& [serial, n] : first) {
    ASSERT_TRUE(second.count(serial)) << serial;
    EXPECT_GE(second.at(serial), n) << serial;
    grown += second.at(serial) > n ? 1 : 0;
  }
  EXPECT_GT(grown, first.size() / 2) << grown << " of " << first.size();
  // The devices that never answer their counters are the manifest's.
  for (const auto& d : (*manifest_)["devices"])
    EXPECT_EQ(first.count(d["serial"].get<std::string>()) == 0, d["behaviour"] == "error") << d.dump();
}

TEST_F(FleetTest, RegistrationIsSplitUnderTheCentersLimit) {
  center_daemon center(*dir_, {.tls = false, .extra_config = "[limits]\nmax_terminals_per_registration = 30\n"});
  const auto code = center.dealer_and_code("dealer", "Big Site Ltd");
  center.start();
  write_config("reg.conf", center.url());
  const auto r = collector("reg.conf", {"register", "--code", code});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("registered " + std::to_string(fleet_size - failing) + " terminals"), std::string::npos)
      << r.out;
  // One registration of 30 terminals, the others added with its credential.
  const auto log = center.daemon()->log();
  EXPECT_EQ(count_of(log, " terminals=30 "), 1u) << log.substr(0, 4000);
  const auto sites = center.ctl({"site", "list"}).out;
  ASSERT_NE(sites.find('\n'), std::string::npos) << sites;
  const auto site = sites.substr(sites.find('\n') + 1, 36);
  const auto listed = center.ctl({"terminal", "list", "--site", site});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::size_t serials = 0;
  for (const auto& d : (*manifest_)["devices"])
    serials += listed.out.find(d["serial"].get<std::string>()) != std::string::npos ? 1 : 0;
  EXPECT_EQ(serials, static_cast<std::size_t>(fleet_size - failing)) << listed.out;
}

}  // namespace
}  // namespace fleetreg::test
