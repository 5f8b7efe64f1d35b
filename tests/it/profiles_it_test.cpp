// SPDX-License-Identifier: Apache-2.0
// A mixed fleet the way a site has it (issue 16): every recording under
// tests/profiles/ served by Debian's snmpsim at its own address inside the
// test's private network namespace, plus one fleetreg terminal (snmpd +
// subagent); the collector sweeps them, registers them with the real center
// and delivers readings whose cells equal each recording's expected.json.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fleetreg/core/json.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"
#include "fleetreg/test/snmpsim_fleet.hpp"

namespace fs = std::filesystem;

namespace fleetreg::test {
namespace {

constexpr const char* life_count_oid = "1.3.6.1.2.1.43.10.2.1.4.1.1";
constexpr const char* counter_unit_oid = "1.3.6.1.2.1.43.10.2.1.3.1.1";
constexpr const char* serial_oid = "1.3.6.1.2.1.43.5.1.1.17.1";
constexpr const char* supplies_type_prefix = "1.3.6.1.2.1.43.11.1.1.5.1.";
constexpr const char* supplies_level_prefix = "1.3.6.1.2.1.43.11.1.1.9.1.";
// The recording (issue 16) of a device with neither prtGeneralSerialNumber
// nor hrDeviceDescr: listed with its reason once the Printer-MIB reading
// keeps such devices (helper B's part).
constexpr const char* no_identity_recording = "printer-mib/no-serial-no-descr";

struct recording {
  std::string name;  ///< <profile-id>/<model>
  std::string path;
  std::string address;
  std::map<std::string, std::string> values;  ///< OID → value text
  json::value expected;

  std::string value(const std::string& oid) const {
    const auto it = values.find(oid);
    return it == values.end() ? std::string() : it->second;
  }
  /// The serial the center keys it by: the vendor identity's or the Printer-MIB's.
  std::string serial() const {
    if (expected.contains("identity") && expected["identity"].contains("serial"))
      return expected["identity"]["serial"].get<std::string>();
    return value(serial_oid);
  }
  /// The cells a reading carries: the profile's (expected.json) plus the
  /// Printer-MIB fallback's total where the profile left it unknown.
  std::map<std::string, std::uint64_t> cells_with_fallback() const {
    std::map<std::string, std::uint64_t> cells;
    for (const auto& [k, v] : expected["cells"].items()) cells[k] = v.get<std::uint64_t>();
    const auto life = value(life_count_oid);
    const auto unit = value(counter_unit_oid);
    if (!life.empty() && (unit == "7" || unit == "8"))
      cells.try_emplace(unit == "7" ? "total.impressions" : "total.sheets", std::stoull(life));
    return cells;
  }
};

std::vector<recording> all_recordings() {
  std::vector<std::string> paths;
  for (const auto& d : fs::directory_iterator(FLEETREG_RECORDINGS_DIR))
    if (d.is_directory())
      for (const auto& f : fs::directory_iterator(d.path()))
        if (f.path().extension() == ".snmprec") paths.push_back(f.path().string());
  std::sort(paths.begin(), paths.end());
  std::vector<recording> out;
  for (const auto& p : paths) {
    recording r;
    r.path = p;
    const fs::path path(p);
    r.name = path.parent_path().filename().string() + "/" + path.stem().string();
    // 127.0.90.1, .2, ...: inside the swept 127.0.90.0/25.
    r.address = "127.0.90." + std::to_string(out.size() + 1);
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) {
      const auto a = line.find('|');
      const auto b = line.find('|', a + 1);
      if (a != std::string::npos && b != std::string::npos) r.values[line.substr(0, a)] = line.substr(b + 1);
    }
    std::ifstream exp(path.parent_path() / (path.stem().string() + ".expected.json"));
    std::stringstream ss;
    ss << exp.rdbuf();
    r.expected = json::value::parse(ss.str());
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, std::uint64_t> flat_cells(const json::value& counters) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [service, row] : counters.items())
    for (const auto& [kind, v] : row.items()) out[service + "." + kind] = v.get<std::uint64_t>();
  return out;
}

class ProfilesFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(recordings.size(), 10u);
    std::vector<snmpsim_fleet::device> devices;
    for (const auto& r : recordings) devices.push_back({r.path, r.address, 161});
    fleet = std::make_unique<snmpsim_fleet>(dir, devices);
    std::printf("snmpsimd served %zu recordings after %lld ms\n", recordings.size(),
                static_cast<long long>(fleet->start_time().count()));
    RecordProperty("snmpsim_start_ms", std::to_string(fleet->start_time().count()));
    snmpd = std::make_unique<snmpd_daemon>(dir, "snmpd-term", std::vector<std::string>{}, "127.0.90.100", 161);
    term.start_subagent(snmpd->agentx_socket());
    ASSERT_TRUE(wait_until(
        [&] { return get_one(snmpd->v2c(), snmp::append(snmp::terminal_mib::serial_number, {0})).has_value(); }));
    ASSERT_EQ(term.terminal({"print", "--sheets", "9"}).exit_code, 0);
    code = center.dealer_and_code("dealer", "Acme Ltd");
    center.start();
  }

  // `profiles`: the [profiles] section naming the repository's profiles/
  // (the profile engine's option).
  void write_config(bool profiles) {
    std::ofstream conf(dir.file("collector.conf"));
    conf << "[collector]\nstate_dir = " << dir.file("collector-state") << "\nname = profiles-collector\n"
         << "[center]\nurl = " << center.url() << "\nallow_plain_http = yes\n"
         << "[snmp]\nranges = 127.0.90.0/25\ntimeout = 1s\nretries = 1\n"
         << "[run]\nwait = 2s\nread_interval = 2s\n";
    if (profiles) conf << "[profiles]\ndirectories = " << FLEETREG_PROFILES_DIR << "\n";
  }

  command_result collector(std::vector<std::string> args) {
    std::vector<std::string> argv = {built_program("fleetreg-collector"), "-c", dir.file("collector.conf")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, 180s);
  }

  static std::string listed(const std::map<std::string, json::value>& found) {
    std::string out;
    for (const auto& [address, d] : found) out += address + " ";
    return out;
  }

  std::map<std::string, json::value> discover_by_address() {
    const auto r = collector({"discover", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, json::value> out;
    if (r.exit_code != 0) return out;
    for (const auto& d : json::value::parse(r.out)) out[d["address"].get<std::string>()] = d;
    return out;
  }

  temp_dir dir;
  std::vector<recording> recordings = all_recordings();
  std::unique_ptr<snmpsim_fleet> fleet;
  std::unique_ptr<snmpd_daemon> snmpd;
  sim_terminal term{dir, "term", "RICOH", "IM C3000", "R-PROF-01", true};
  center_daemon center{dir, {.tls = false, .extra_config = ""}};
  std::string code;
};

// Needs no profile engine: the sweep finds every recording's address and the
// standard reading (prtMarkerLifeCount, the supplies table) is read right.
TEST_F(ProfilesFleetTest, SweepFindsEveryRecordingWithItsPrinterMibReading) {
  write_config(false);
  auto found = discover_by_address();
  ASSERT_TRUE(found.count("udp:127.0.90.100:161")) << "the fleetreg terminal";
  EXPECT_EQ(found["udp:127.0.90.100:161"]["source"], "fleetreg-mib");
  for (const auto& r : recordings) {
    if (r.name == no_identity_recording) continue;  // see NoIdentityDeviceIsListedWithItsReason
    SCOPED_TRACE(r.name + " at " + r.address);
    const auto address = "udp:" + r.address + ":161";
    ASSERT_TRUE(found.count(address)) << "found: " << listed(found) << "\n" << fleet->log().substr(0, 2000);
    const auto& d = found[address];
    EXPECT_EQ(d["source"], "printer-mib");
    // The Printer-MIB total (every recording here counts impressions).
    ASSERT_EQ(r.value(counter_unit_oid), "7");
    EXPECT_EQ(d["counters"]["total"]["impressions"], std::stoull(r.value(life_count_oid))) << d.dump();
    // Every supply row, with its level.
    std::map<int, int> levels;
    for (const auto& [oid, v] : r.values)
      if (oid.rfind(supplies_level_prefix, 0) == 0)
        levels[std::stoi(oid.substr(std::string(supplies_level_prefix).size()))] = std::stoi(v);
    ASSERT_EQ(d["supplies"].size(), levels.size()) << d.dump();
    for (const auto& s : d["supplies"]) EXPECT_EQ(s["level"], levels[s["index"].get<int>()]) << s.dump();
    // A serial in the Printer-MIB makes it registrable.
    if (!r.value(serial_oid).empty()) {
      EXPECT_EQ(d["serial"], r.value(serial_oid));
      EXPECT_TRUE(d["registrable"].get<bool>()) << d.dump();
    }
  }
}

// Waits for the Printer-MIB rework (issue 16 item 4): a device with neither
// prtGeneralSerialNumber nor hrDeviceDescr is listed with the reason and
// still read (sheets, as its prtMarkerCounterUnit says).
TEST_F(ProfilesFleetTest, NoIdentityDeviceIsListedWithItsReason) {
  write_config(false);
  auto found = discover_by_address();
  const auto it = std::find_if(recordings.begin(), recordings.end(),
                               [](const recording& r) { return r.name == no_identity_recording; });
  ASSERT_NE(it, recordings.end());
  const auto address = "udp:" + it->address + ":161";
  ASSERT_TRUE(found.count(address)) << "not listed; found: " << listed(found);
  const auto& d = found[address];
  EXPECT_FALSE(d["registrable"].get<bool>());
  EXPECT_FALSE(d.value("reason", std::string()).empty()) << d.dump();
  EXPECT_EQ(d["counters"]["total"]["sheets"], std::stoull(it->value(life_count_oid))) << d.dump();
  EXPECT_FALSE(d["counters"]["total"].contains("impressions")) << d.dump();
  std::size_t rows = 0;
  for (const auto& [oid, v] : it->values) rows += oid.rfind(supplies_type_prefix, 0) == 0 ? 1 : 0;
  EXPECT_EQ(d["supplies"].size(), rows);
}

// Waits for the profile engine (the [profiles] option, vendor identity):
// the whole fleet registers and every reading stored at the center has
// exactly the expected cells and extras of its recording.
TEST_F(ProfilesFleetTest, CenterStoresTheExpectedCellsOfEveryRecording) {
  write_config(true);
  const auto check = collector({"--test-config"});
  ASSERT_EQ(check.exit_code, 0) << "the collector does not take [profiles] directories: " << check.err;
  auto r = collector({"register", "--code", code});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto sites = center.ctl({"site", "list"}).out;
  ASSERT_NE(sites.find('\n'), std::string::npos) << sites;
  const auto site = sites.substr(sites.find('\n') + 1, 36);

  // Every recording with a serial (the Printer-MIB's or its vendor's).
  std::map<std::string, const recording*> by_serial;
  for (const auto& rec : recordings)
    if (!rec.serial().empty()) by_serial[rec.serial()] = &rec;
  ASSERT_GE(by_serial.size(), recordings.size() - 1);

  process run_proc({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir, "collector");
  ASSERT_EQ(center.ctl({"request", "--site", site}).exit_code, 0);
  std::map<std::string, json::value> answered;  // serial → reading
  const bool all = wait_until(
      [&] {
        const auto stored = json::value::parse(center.ctl({"readings", "--site", site, "--json"}).out, nullptr, false);
        if (stored.is_discarded()) return false;
        answered.clear();
        for (const auto& x : stored) {
          if (x.value("request_id", std::string()).empty()) continue;
          const auto key = x["terminal"].get<std::string>();
          answered[key.substr(key.find(':') + 1)] = x;
        }
        for (const auto& [serial, rec] : by_serial)
          if (!answered.count(serial)) return false;
        return answered.count("R-PROF-01") == 1;
      },
      90s);
  EXPECT_TRUE(all) << run_proc.log();
  EXPECT_EQ(answered["R-PROF-01"]["counters"]["print"]["impressions"], 9);
  for (const auto& [serial, rec] : by_serial) {
    SCOPED_TRACE(rec->name + " serial " + serial);
    if (!answered.count(serial)) {
      ADD_FAILURE() << "no reading";
      continue;
    }
    const auto& x = answered[serial];
    EXPECT_EQ(flat_cells(x["counters"]), rec->cells_with_fallback()) << x.dump();
    std::map<std::string, std::uint64_t> extras, want;
    if (x.contains("extras"))
      for (const auto& [k, v] : x["extras"].items()) extras[k] = v.get<std::uint64_t>();
    if (rec->expected.contains("extras"))
      for (const auto& [k, v] : rec->expected["extras"].items()) want[k] = v.get<std::uint64_t>();
    EXPECT_EQ(extras, want) << x.dump();
    // Provenance names the profile (its directory) for each of its cells.
    const auto profile_id = rec->name.substr(0, rec->name.find('/'));
    if (profile_id != "printer-mib")
      for (const auto& [cell, v] : rec->expected["cells"].items()) {
        const auto p = x.contains("provenance") ? x["provenance"].value(cell, std::string()) : std::string();
        EXPECT_EQ(p.rfind(profile_id + "/", 0), 0u) << cell << ": '" << p << "'";
      }
  }
  EXPECT_EQ(run_proc.stop(), 0);
}

}  // namespace
}  // namespace fleetreg::test
