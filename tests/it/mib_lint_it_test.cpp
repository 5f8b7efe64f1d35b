// SPDX-License-Identifier: Apache-2.0
// FLEETREG-TERMINAL-MIB lints silent with smilint -l 6, and snmptranslate
// resolves every object to the OID the code serves.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::test {
namespace {

namespace fs = std::filesystem;
namespace tm = snmp::terminal_mib;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A MIB directory with the base MIBs from npm, NET-SNMP-MIB from Debian and ours.
class MibLint : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* m : {"SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF"}) {
      const auto src = std::string(FLEETREG_BASE_MIBS_DIR) + "/" + m + ".mib";
      ASSERT_TRUE(fs::exists(src)) << src << " missing: the npm fixture did not run";
      fs::copy_file(src, dir.file(m));
    }
    fs::copy_file("/usr/share/snmp/mibs/NET-SNMP-MIB.txt", dir.file("NET-SNMP-MIB"));
    fs::copy_file(FLEETREG_MIB_FILE, dir.file("FLEETREG-TERMINAL-MIB"));
  }
  command_result smilint(const std::string& file) {
    return run({"smilint", "-l", "6", file}, {{"SMIPATH", dir.path()}});
  }
  temp_dir dir;
};

TEST_F(MibLint, SmilintPrintsNothing) {
  const auto r = smilint(dir.file("FLEETREG-TERMINAL-MIB"));
  // smilint exits 0 even on errors: any output is a failure.
  EXPECT_EQ(r.out + r.err, "");
}

TEST_F(MibLint, SmilintCatchesABrokenCopy) {
  auto text = read(dir.file("FLEETREG-TERMINAL-MIB"));
  text.replace(text.find("MAX-ACCESS  read-only"), 21, "MAX-ACCESS  read-write");
  std::ofstream(dir.file("BROKEN")) << std::regex_replace(text, std::regex("FLEETREG-TERMINAL-MIB"), "BROKEN");
  const auto r = smilint(dir.file("BROKEN"));
  EXPECT_NE(r.out + r.err, "") << "the lint must not be vacuous";
}

TEST_F(MibLint, SnmptranslateResolvesEveryObjectToTheServedOid) {
  const auto text = read(FLEETREG_MIB_FILE);
  std::regex def(R"((\bfrt[A-Za-z0-9]+)\s+(OBJECT-TYPE|OBJECT IDENTIFIER|OBJECT-GROUP|MODULE-COMPLIANCE))");
  std::vector<std::string> names;
  for (std::sregex_iterator it(text.begin(), text.end(), def), end; it != end; ++it) names.push_back((*it)[1]);
  ASSERT_GT(names.size(), 40u);
  const std::map<std::string, snmp::oid_vector> served = {
      {"frtManufacturer", tm::manufacturer},
      {"frtModel", tm::model},
      {"frtSerialNumber", tm::serial_number},
      {"frtFirmware", tm::firmware},
      {"frtUuid", tm::uuid},
      {"frtCounterEntry", tm::counter_entry},
      {"frtSupplyEntry", tm::supply_entry},
      {"frtStatusState", tm::status_state},
      {"frtStatusMessage", tm::status_message},
      {"frtRegState", tm::reg_state},
      {"frtRegCenterUrl", tm::reg_center_url},
      {"frtRegProvisionalCode", tm::reg_provisional_code},
      {"frtRegSiteId", tm::reg_site_id},
      {"frtRegLastReport", tm::reg_last_report},
      {"frtRegLastError", tm::reg_last_error},
      {"frtRegLastErrorTime", tm::reg_last_error_time},
      {"frtRegAction", tm::reg_action},
      {"frtCounterImpressions", snmp::append(tm::counter_entry, {tm::counter_impressions})},
      {"frtCounterSheets", snmp::append(tm::counter_entry, {tm::counter_sheets})},
      {"frtSupplyLevelPercent", snmp::append(tm::supply_entry, {tm::supply_level_percent})},
  };
  std::size_t checked = 0;
  for (const auto& name : names) {
    const auto r =
        run({"snmptranslate", "-M", dir.path(), "-m", "FLEETREG-TERMINAL-MIB", "-On", "FLEETREG-TERMINAL-MIB::" + name},
            {{"SNMP_PERSISTENT_DIR", dir.path()}, {"SNMPCONFPATH", dir.path()}});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const auto oid = r.out.substr(0, r.out.find('\n'));
    EXPECT_TRUE(oid.rfind(".1.3.6.1.4.1.8072.9999.9999.3737", 0) == 0) << name << " -> " << oid;
    if (const auto it = served.find(name); it != served.end()) {
      EXPECT_EQ(oid, "." + snmp::to_string(it->second)) << name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, served.size());
}

}  // namespace
}  // namespace fleetreg::test
