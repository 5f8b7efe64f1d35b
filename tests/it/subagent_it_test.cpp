// SPDX-License-Identifier: Apache-2.0
// fleetreg-subagent against a real snmpd, read with Net-SNMP's API by
// numeric OID.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/snmp/client.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fleetreg::test {
namespace {

namespace tm = snmp::terminal_mib;
namespace pm = snmp::printer_mib;
using snmp::append;
using snmp::value_type;

// Issue 20: every case twice, the terminal MIB served by fleetreg-subagent
// over AgentX and by fleetreg.so inside snmpd (`dlmod`), from the same store.
enum class front_end { subagent, module };

class SubagentTest : public ::testing::TestWithParam<front_end> {
 protected:
  void SetUp() override {
    // A short AgentX ping so that a restarted snmpd is found again quickly.
    const auto conf = dir.file("terminal.conf");
    std::ofstream(conf) << "[terminal]\nstate_dir = " << term.state_dir()
                        << "\n[subagent]\nagentx_ping_interval = 1s\nrefresh_interval = 200ms\n";
    // The panel's SNMPv3 user, allowed to write at authPriv only.
    std::vector<std::string> extra = {"createUser fleetpanel SHA-256 \"auth-pass-123\" AES \"priv-pass-123\"",
                                      "rwuser fleetpanel priv"};
    if (in_snmpd()) {
      extra.push_back(std::string("dlmod fleetreg ") + FLEETREG_DLMOD_SO);
      extra.push_back("fleetregConfig " + conf);
    }
    snmpd = std::make_unique<snmpd_daemon>(dir, "snmpd", extra);
    if (!in_snmpd()) term.start_subagent(snmpd->agentx_socket(), {"-c", conf});
    ASSERT_TRUE(wait_until([&] { return served(); })) << mib_log();
  }

  bool in_snmpd() const { return GetParam() == front_end::module; }
  // What the process serving the MIB logged.
  std::string mib_log() { return in_snmpd() ? snmpd->log() : term.subagent()->log(); }

  bool served() {
    const auto v = get_one(snmpd->v2c(), append(tm::serial_number, {0}));
    return v && v->type == value_type::octet_string;
  }

  std::optional<snmp::value> get(const snmp::oid_vector& oid) { return get_one(snmpd->v2c(), oid); }

  std::uint64_t counter(const snmp::oid_vector& oid) {
    const auto v = get(oid);
    return v ? v->unsigned_value : ~0ULL;
  }

  temp_dir dir;
  sim_terminal term{dir, "mfp", "Konica Minolta", "bizhub C300i", "AA2J021012345", true};
  std::unique_ptr<snmpd_daemon> snmpd;
};

INSTANTIATE_TEST_SUITE_P(FrontEnds, SubagentTest, ::testing::Values(front_end::subagent, front_end::module),
                         [](const auto& param_info) {
                           return param_info.param == front_end::module ? "Dlmod" : "AgentX";
                         });

TEST_P(SubagentTest, EveryObjectAnswersByNumericOid) {
  struct expect {
    snmp::oid_vector oid;
    value_type type;
  };
  std::vector<expect> all = {
      {append(tm::manufacturer, {0}), value_type::octet_string},
      {append(tm::model, {0}), value_type::octet_string},
      {append(tm::serial_number, {0}), value_type::octet_string},
      {append(tm::firmware, {0}), value_type::octet_string},
      {append(tm::uuid, {0}), value_type::octet_string},
      {append(tm::status_state, {0}), value_type::integer},
      {append(tm::status_message, {0}), value_type::octet_string},
      {append(tm::reg_state, {0}), value_type::integer},
      {append(tm::reg_center_url, {0}), value_type::octet_string},
      {append(tm::reg_provisional_code, {0}), value_type::octet_string},
      {append(tm::reg_site_id, {0}), value_type::octet_string},
      {append(tm::reg_last_report, {0}), value_type::octet_string},
      {append(tm::reg_last_error, {0}), value_type::octet_string},
      {append(tm::reg_last_error_time, {0}), value_type::octet_string},
      {append(pm::hr_device_entry, {1, 1}), value_type::integer},
      {append(pm::hr_device_entry, {2, 1}), value_type::object_id},
      {append(pm::hr_device_entry, {3, 1}), value_type::octet_string},
      {append(pm::hr_device_entry, {5, 1}), value_type::integer},
      {append(pm::hr_printer_entry, {1, 1}), value_type::integer},
      {append(pm::hr_printer_entry, {2, 1}), value_type::octet_string},
      {append(pm::prt_general_entry, {16, 1}), value_type::octet_string},
      {append(pm::prt_general_entry, {17, 1}), value_type::octet_string},
      {append(pm::prt_marker_entry, {3, 1, 1}), value_type::integer},
      {append(pm::prt_marker_entry, {4, 1, 1}), value_type::counter32},
  };
  for (snmp::subid svc : {3, 4, 7, 8, 11, 12}) {
    all.push_back({append(tm::counter_entry, {tm::counter_service_name, svc}), value_type::octet_string});
    for (snmp::subid col : {3, 4, 5, 6}) all.push_back({append(tm::counter_entry, {col, svc}), value_type::counter64});
  }
  for (snmp::subid i = 1; i <= 6; ++i) {
    all.push_back({append(tm::supply_entry, {tm::supply_type, i}), value_type::integer});
    for (snmp::subid col : {3, 4}) all.push_back({append(tm::supply_entry, {col, i}), value_type::octet_string});
    for (snmp::subid col : {5, 6, 7}) all.push_back({append(tm::supply_entry, {col, i}), value_type::integer});
    for (snmp::subid col : {2, 3, 4, 5, 7, 8, 9})
      all.push_back({append(pm::prt_marker_supplies_entry, {col, 1, i}), value_type::integer});
    all.push_back({append(pm::prt_marker_supplies_entry, {6, 1, i}), value_type::octet_string});
  }
  snmp::client c(snmpd->v2c());
  for (const auto& e : all) {
    std::error_code ec;
    const auto vbs = c.get({e.oid}, ec);
    ASSERT_FALSE(ec) << snmp::to_string(e.oid) << ": " << ec.message();
    ASSERT_EQ(vbs.size(), 1u);
    EXPECT_EQ(vbs[0].val.type, e.type) << snmp::to_string(e.oid);
  }
  EXPECT_EQ(get(append(tm::manufacturer, {0}))->octets, "Konica Minolta");
  EXPECT_EQ(get(append(pm::prt_general_entry, {17, 1}))->octets, "AA2J021012345");
  EXPECT_EQ(get(append(tm::supply_entry, {tm::supply_description, 2}))->octets, "Cyan Toner");
  EXPECT_EQ(get(append(tm::reg_provisional_code, {0}))->octets, "");
}

TEST_P(SubagentTest, CopyJobShowsInFleetregCounterAndPrtMarkerLifeCount) {
  const auto copy_oid = append(tm::counter_entry, {tm::counter_impressions, 4});
  const auto life_oid = append(pm::prt_marker_entry, {4, 1, 1});
  const auto toner_oid = append(pm::prt_marker_supplies_entry, {9, 1, 1});
  const auto copies = counter(copy_oid), life = counter(life_oid);
  const auto toner = get(toner_oid)->integer;
  const auto r = term.terminal({"copy", "--sheets", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(wait_until([&] { return counter(copy_oid) == copies + 5; }, 10s)) << counter(copy_oid);
  EXPECT_EQ(counter(life_oid), life + 5);
  EXPECT_EQ(get(toner_oid)->integer, toner - 5);
}

TEST_P(SubagentTest, WalkOfBothTreesIsOrderedAndComplete) {
  snmp::client c(snmpd->v2c());
  std::error_code ec;
  const auto fleet = c.walk(tm::root, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_GT(fleet.size(), 70u);
  const auto printer = c.walk(pm::printer_mib, ec);
  ASSERT_FALSE(ec) << ec.message();
  bool saw_serial = false;
  for (const auto& vb : printer)
    saw_serial = saw_serial || (vb.name == append(pm::prt_general_entry, {17, 1}) && vb.val.octets == "AA2J021012345");
  EXPECT_TRUE(saw_serial);
}

TEST_P(SubagentTest, ValuesComeFromTheSubagent) {
  if (in_snmpd()) GTEST_SKIP() << "inside snmpd there is no second process to stop";
  EXPECT_EQ(term.stop_subagent(), 0) << "SIGTERM stops it cleanly";
  EXPECT_TRUE(wait_until([&] {
    const auto v = get(append(tm::serial_number, {0}));
    return v && v->type == value_type::no_such_object;
  }));
  const auto life = get(append(pm::prt_marker_entry, {4, 1, 1}));
  ASSERT_TRUE(life);
  EXPECT_TRUE(life->is_exception()) << "prtMarkerLifeCount must vanish with the subagent";
  // snmpd itself still answers.
  EXPECT_TRUE(get(pm::sys_uptime_instance).has_value());
}

// Drill (issue 18): snmpd restarted under a running subagent serves the
// terminal again within 2 s of answering itself (agentx_ping_interval 1 s),
// three times in a row; the subagent never restarts. Inside snmpd (dlmod)
// the module is loaded again with snmpd.
TEST_P(SubagentTest, ServedAgainAfterSnmpdRestarts) {
  const auto pid = in_snmpd() ? 0 : term.subagent()->pid();
  for (int restart = 0; restart < 3; ++restart) {
    snmpd->stop();
    snmpd->start();  // returns once snmpd answers sysUpTime.0
    const auto back = std::chrono::steady_clock::now();
    ASSERT_TRUE(wait_until([&] { return served(); }, 60s)) << mib_log();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - back);
    std::printf("restart %d: the terminal served again %lld ms after snmpd answered\n", restart + 1,
                static_cast<long long>(took.count()));
    EXPECT_LE(took, 2s) << mib_log();
  }
  if (!in_snmpd()) {
    EXPECT_TRUE(term.subagent()->running());
    EXPECT_EQ(term.subagent()->pid(), pid);
  }
}

TEST_P(SubagentTest, SetsToReadOnlyObjectsAreRefused) {
  snmp::client rw(snmpd->v2c("private"));
  const std::pair<snmp::oid_vector, snmp::error_status> cases[] = {
      {append(tm::serial_number, {0}), snmp::error_status::not_writable},
      {append(tm::counter_entry, {tm::counter_impressions, 4}), snmp::error_status::not_writable},
      {append(pm::prt_general_entry, {17, 1}), snmp::error_status::not_writable},
      {append(tm::serial_number, {1}), snmp::error_status::no_creation},
  };
  for (const auto& [oid, expected] : cases) {
    std::error_code ec;
    rw.set({{oid, snmp::value::make_string("X")}}, ec);
    EXPECT_EQ(ec, std::error_code(static_cast<int>(expected), snmp::pdu_category())) << snmp::to_string(oid);
  }
  EXPECT_EQ(get(append(tm::serial_number, {0}))->octets, "AA2J021012345");
  // The read-only community may not SET at all.
  snmp::client ro(snmpd->v2c("public"));
  std::error_code ec;
  ro.set({{append(tm::reg_center_url, {0}), snmp::value::make_string("https://c.example/")}}, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(get(append(tm::reg_center_url, {0}))->octets, "");
}

TEST_P(SubagentTest, SetOfCodeRecordsPendingRegistrationAndNeverReadsBack) {
  snmp::client rw(snmpd->v2c("private"));
  std::error_code ec;
  const auto code = provisional_code::generate();
  rw.set({{append(tm::reg_center_url, {0}), snmp::value::make_string("https://center.example/")},
          {append(tm::reg_provisional_code, {0}), snmp::value::make_string(code)}},
         ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(wait_until(
      [&] { return get(append(tm::reg_state, {0}))->integer == static_cast<int>(tm::reg_state_value::pending); }, 10s));
  EXPECT_EQ(get(append(tm::reg_center_url, {0}))->octets, "https://center.example/");
  EXPECT_EQ(get(append(tm::reg_provisional_code, {0}))->octets, "");
  const auto bare = code.substr(0, 4) + code.substr(5, 4) + code.substr(10, 4);
  for (const auto& secret : {code, bare})
    EXPECT_EQ(mib_log().find(secret), std::string::npos) << "the code must never be logged";
  const auto show = term.terminal({"show"});
  EXPECT_NE(show.out.find("pending"), std::string::npos);
  EXPECT_EQ(show.out.find(code), std::string::npos);

  // A malformed URL is refused and changes nothing.
  long index = 0;
  rw.set({{append(tm::reg_center_url, {0}), snmp::value::make_string("gopher://x")}}, ec, &index);
  EXPECT_EQ(ec, std::error_code(static_cast<int>(snmp::error_status::wrong_value), snmp::pdu_category()));
  EXPECT_EQ(index, 1);
  rw.set({{append(tm::reg_center_url, {0}), snmp::value::make_integer(5)}}, ec);
  EXPECT_EQ(ec, std::error_code(static_cast<int>(snmp::error_status::wrong_type), snmp::pdu_category()));
  EXPECT_EQ(get(append(tm::reg_center_url, {0}))->octets, "https://center.example/");
}

// A SET over SNMPv3 authPriv reaches the MIB through either front end; its
// log line names the user only where it is known: inside snmpd (AgentX
// does not pass it to a subagent). authNoPriv is refused by snmpd's VACM.
TEST_P(SubagentTest, AnAuthPrivSetIsTakenAndItsUserNamedWhereKnown) {
  const auto o = snmpd->v3("fleetpanel", snmp::security_level::auth_priv);
  std::error_code ec;
  {
    snmp::client panel(o);
    panel.set({{append(tm::reg_center_url, {0}), snmp::value::make_string("https://center.example/")}}, ec);
  }
  ASSERT_FALSE(ec) << ec.message() << mib_log();
  EXPECT_TRUE(
      wait_until([&] { return get(append(tm::reg_center_url, {0}))->octets == "https://center.example/"; }, 10s));
  // (After the authPriv client: Net-SNMP's client library keeps one set of
  // keys per user and engine in a process.)
  snmp::client(snmpd->v3("fleetpanel", snmp::security_level::auth_no_priv))
      .set({{append(tm::reg_center_url, {0}), snmp::value::make_string("https://weak.example/")}}, ec);
  EXPECT_TRUE(ec) << "authNoPriv must not write";
  EXPECT_EQ(get(append(tm::reg_center_url, {0}))->octets, "https://center.example/");
  const std::string who = in_snmpd() ? "security_name=fleetpanel" : "security_name=unknown";
  EXPECT_TRUE(wait_until([&] { return mib_log().find(who) != std::string::npos; }, 5s)) << mib_log();
}

// A terminal that presents itself as the printer it is: snmpd serves its
// system group from the snippet `fleetreg-terminal snmpd-config` writes, the
// subagent its hrDevice/hrPrinter row and the PWG Imaging System Counter MIB.
// OIDs are written out from the MIBs (RFC 3418, RFC 2790, PWG 5106.3), not
// taken from the code under test.
class TerminalAsPrinterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir.file("terminal.conf")) << "[subagent]\nrefresh_interval = 200ms\n";
    term.start_subagent(snmpd.agentx_socket(), {"-c", dir.file("terminal.conf")});
    ASSERT_TRUE(wait_until([&] {
      const auto v = get({1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1});
      return v && v->type == value_type::octet_string;
    })) << term.subagent()->log()
        << snmpd.log();
  }

  // The identity snippet, written before snmpd starts, and the line that includes it.
  std::string identity_include() {
    const auto path = dir.file("fleetreg-identity.conf");
    const auto r = term.terminal({"snmpd-config", "--output", path});
    if (r.exit_code != 0) throw std::runtime_error("snmpd-config: " + r.err);
    return "includeFile " + path;
  }

  std::optional<snmp::value> get(const snmp::oid_vector& oid) { return get_one(snmpd.v2c(), oid); }

  std::uint64_t counter_of(const snmp::oid_vector& oid) {
    const auto v = get(oid);
    return v && v->type == value_type::counter64 ? v->unsigned_value : ~0ULL;
  }

  std::vector<snmp::varbind> walk(const snmp::oid_vector& root) {
    snmp::client c(snmpd.v2c());
    std::error_code ec;
    auto vbs = c.walk(root, ec);
    EXPECT_FALSE(ec) << ec.message();
    return vbs;
  }

  temp_dir dir;
  // A Konica Minolta enterprise (18334) sysObjectID under the prefix bizhub
  // MFPs answer with (.18334.1.1.1.2); the last arcs name the model family.
  sim_terminal term{dir,
                    "km",
                    "KONICA MINOLTA",
                    "bizhub C300i",
                    "A7PU021012345",
                    true,
                    {"--sys-object-id", "1.3.6.1.4.1.18334.1.1.1.2.1.96.1", "--contact", "Frau Müller, IT",
                     "--location", "Empfang, 1. OG"}};
  snmpd_daemon snmpd{dir, "snmpd", {identity_include()}};
};

TEST_F(TerminalAsPrinterTest, SystemGroupIsTheTerminalsIdentity) {
  const auto object_id = get({1, 3, 6, 1, 2, 1, 1, 2, 0});
  ASSERT_TRUE(object_id);
  ASSERT_EQ(object_id->type, value_type::object_id);
  EXPECT_EQ(snmp::to_string(object_id->oid), "1.3.6.1.4.1.18334.1.1.1.2.1.96.1");
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 1, 1, 0})->octets, "KONICA MINOLTA bizhub C300i; firmware 1.0.0");
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 1, 5, 0})->octets, "KONICA-A7PU021012345");
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 1, 4, 0})->octets, "Frau Müller, IT");
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 1, 6, 0})->octets, "Empfang, 1. OG");
  // Set in snmpd.conf, so read-only (snmpd.conf(5)).
  snmp::client rw(snmpd.v2c("private"));
  std::error_code ec;
  rw.set({{{1, 3, 6, 1, 2, 1, 1, 6, 0}, snmp::value::make_string("elsewhere")}}, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 1, 6, 0})->octets, "Empfang, 1. OG");
}

TEST_F(TerminalAsPrinterTest, HrDeviceTableShowsThePrinterAtRow1) {
  const auto devices = walk({1, 3, 6, 1, 2, 1, 25, 3, 2});
  ASSERT_EQ(devices.size(), 6u) << "hrDeviceIndex, Type, Descr, ID, Status, Errors of one row";
  for (const auto& vb : devices) EXPECT_EQ(vb.name.back(), 1u) << snmp::to_string(vb.name) << ": only row 1";
  EXPECT_EQ(snmp::to_string(get({1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2, 1})->oid), "1.3.6.1.2.1.25.3.1.5")
      << "hrDevicePrinter";
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1})->octets, "KONICA MINOLTA bizhub C300i");
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5, 1})->integer, 2) << "hrDeviceStatus running";
  const auto printer = walk({1, 3, 6, 1, 2, 1, 25, 3, 5});
  ASSERT_EQ(printer.size(), 2u) << "hrPrinterStatus and hrPrinterDetectedErrorState of row 1";
  EXPECT_EQ(printer[0].val.integer, 3) << "hrPrinterStatus idle";
  EXPECT_EQ(printer[1].val.octets, std::string(1, '\0'));

  ASSERT_EQ(term.terminal({"status", "error", "--message", "service call SC542"}).exit_code, 0);
  EXPECT_TRUE(wait_until(
      [&] {
        return get({1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5, 1})->integer == 5;
      },
      10s))
      << "hrDeviceStatus down";
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1, 1})->integer, 1) << "hrPrinterStatus other";
  EXPECT_EQ(get({1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1})->octets, std::string(1, '\x01')) << "serviceRequested(7)";
}

TEST_F(TerminalAsPrinterTest, PwgCounterMibWalkEqualsTheTerminalsCounters) {
  for (std::vector<std::string> job : {std::vector<std::string>{"copy", "--sheets", "3", "--duplex"},
                                       {"print", "--sheets", "4", "--color"},
                                       {"scan", "--images", "2"},
                                       {"fax-out", "--pages", "1"}})
    ASSERT_EQ(term.terminal(job).exit_code, 0);
  const snmp::oid_vector ic = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1};
  const auto at = [&](std::initializer_list<snmp::subid> rest) { return append(ic, rest); };
  // Wait for the refresh: icImpressionTotalImps of systemTotals (key 1).
  // and the last job's: icImageTotalImages of fax-out (key 6) — a refresh may
  // fall between the jobs.
  ASSERT_TRUE(wait_until(
      [&] {
        return get(at({8, 1, 1, 4, 1, 3, 3}))->integer == 10 && get(at({7, 1, 1, 4, 6, 3, 3}))->integer == 1;
      },
      10s));

  std::map<snmp::oid_vector, snmp::value> served;
  for (const auto& vb : walk({1, 3, 6, 1, 4, 1, 2699, 1, 3})) served[vb.name] = vb.val;
  const auto value_at = [&](std::initializer_list<snmp::subid> rest) -> std::int64_t {
    const auto it = served.find(at(rest));
    return it == served.end() ? -1 : it->second.integer;
  };
  EXPECT_EQ(value_at({1, 2, 0}), 6) << "icGeneralTotalServiceRecords";
  // icKeyServiceType.<key> and back from icServiceKey.<type>.1.
  std::map<int, snmp::subid> key_of_type;
  for (snmp::subid key = 1; key <= 6; ++key) {
    const auto type = value_at({2, 1, 1, 2, key});
    ASSERT_GT(type, 0) << "key " << key;
    key_of_type[static_cast<int>(type)] = key;
    EXPECT_EQ(value_at({3, 1, 1, 3, static_cast<snmp::subid>(type), 1}), key);
  }
  EXPECT_EQ(key_of_type.size(), 6u);

  // Every counter equals the fleetreg MIB's (frtCounterTable, Counter64, by
  // IcServiceTypeTC) and what the jobs above made.
  struct expect {
    int type;           // IcServiceTypeTC
    snmp::subid table;  // 8 impressions (+ 10 sheets), 7 images
    std::int64_t total, mono, color, sheets;
  };
  const expect expected[] = {{3, 8, 10, 6, 4, 7}, {4, 8, 6, 6, 0, 3},   {11, 8, 4, 0, 4, 4},
                             {7, 8, 0, 0, 0, 0},  {12, 7, 2, 2, 0, -1}, {8, 7, 1, 1, 0, -1}};
  for (const auto& e : expected) {
    const auto key = key_of_type[e.type];
    const auto fleet = [&](snmp::subid column) {
      return static_cast<std::int64_t>(
          counter_of(append(tm::counter_entry, {column, static_cast<snmp::subid>(e.type)})));
    };
    const snmp::subid color_column = e.table == 8 ? 7 : 6;
    EXPECT_EQ(value_at({e.table, 1, 1, 4, key, 3, 3}), e.total) << "type " << e.type;
    EXPECT_EQ(value_at({e.table, 1, 1, 5, key, 3, 3}), e.mono) << "type " << e.type;
    EXPECT_EQ(value_at({e.table, 1, 1, color_column, key, 3, 3}), e.color) << "type " << e.type;
    EXPECT_EQ(value_at({e.table, 1, 1, 4, key, 3, 3}), fleet(tm::counter_impressions));
    EXPECT_EQ(value_at({e.table, 1, 1, 5, key, 3, 3}), fleet(tm::counter_impressions_mono));
    EXPECT_EQ(value_at({e.table, 1, 1, color_column, key, 3, 3}), fleet(tm::counter_impressions_color));
    if (e.table == 8) {
      EXPECT_EQ(value_at({10, 1, 1, 4, key, 3, 3}), e.sheets) << "type " << e.type;
      EXPECT_EQ(value_at({10, 1, 1, 4, key, 3, 3}), fleet(tm::counter_sheets));
    }
  }
}

// Without the snmpd drop-in (e.g. the RPM) snmpd runs its own host-resources
// modules: its hrDeviceTable rows (processors, network interfaces: indexes
// of 65536 and up) stay, and the printer is still row 1 beside them.
TEST(TerminalBesideHostResources, PrinterIsRow1BesideSnmpdsOwnDevices) {
  temp_dir dir;
  sim_terminal term(dir, "t", "RICOH", "IM 430F", "3110R820014", false, {"--sys-object-id", "1.3.6.1.4.1.367.1.1"});
  const auto work = dir.file("hr-snmpd");
  ASSERT_TRUE(std::filesystem::create_directories(work + "/persistent"));
  std::ofstream(work + "/snmpd.conf") << "master agentx\nagentXSocket unix:" << work
                                      << "/agentx.sock\nagentXPerms 0600 0700\nrocommunity public 127.0.0.0/8\n";
  const auto port = free_port(true);
  process snmpd({"/usr/sbin/snmpd", "-f", "-LOn", "-C", "-I", "-smux", "-c", work + "/snmpd.conf",
                 "udp:127.0.0.1:" + std::to_string(port)},
                dir, "hr-snmpd", {{"MIBS", ""}, {"SNMP_PERSISTENT_DIR", work + "/persistent"}});
  snmp::session_options o;
  o.peer = "udp:127.0.0.1:" + std::to_string(port);
  o.community = "public";
  o.timeout = 1s;
  o.retries = 1;
  ASSERT_TRUE(wait_until([&] { return get_one(o, pm::sys_uptime_instance).has_value(); })) << snmpd.log();
  term.start_subagent(work + "/agentx.sock");
  ASSERT_TRUE(wait_until([&] {
    const auto v = get_one(o, {1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1});
    return v && v->octets == "RICOH IM 430F";
  })) << term.subagent()->log()
      << snmpd.log();

  snmp::client c(o);
  std::error_code ec;
  const auto types = c.walk({1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2}, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_GT(types.size(), 1u) << "snmpd's own devices are there too";
  EXPECT_EQ(types[0].name.back(), 1u);
  EXPECT_EQ(snmp::to_string(types[0].val.oid), "1.3.6.1.2.1.25.3.1.5") << "hrDevicePrinter";
  for (std::size_t i = 1; i < types.size(); ++i) {
    EXPECT_GE(types[i].name.back(), 65536u) << snmp::to_string(types[i].name);
    EXPECT_NE(snmp::to_string(types[i].val.oid), "1.3.6.1.2.1.25.3.1.5");
  }
  const auto printer = c.walk({1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1}, ec);
  ASSERT_FALSE(printer.empty());
  EXPECT_EQ(printer[0].name.back(), 1u);
  EXPECT_EQ(printer[0].val.integer, 3) << "hrPrinterStatus idle";
  snmpd.stop();
}

TEST(SubagentCli, ConfigCheckAndErrors) {
  temp_dir dir;
  const auto sub = built_program("fleetreg-subagent");
  auto r = run({sub, "-t", "-s", dir.file("none")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("no terminal in"), std::string::npos) << r.err;

  sim_terminal term(dir, "t", "Brother", "MFC-L8900CDW", "E78123");
  r = run({sub, "-t", "-s", term.state_dir()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("configuration OK"), std::string::npos);

  std::ofstream(dir.file("bad.conf")) << "[subagent]\nagentx_ping_interval = forever\n";
  r = run({sub, "-t", "-c", dir.file("bad.conf")});
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find("bad.conf:2:"), std::string::npos) << r.err;

  r = run({sub, "--bogus"});
  EXPECT_EQ(r.exit_code, 64);
  r = run({sub, "-V"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("fleetreg-subagent "), std::string::npos);
}

TEST(TerminalCli, CommandsAndRefusals) {
  temp_dir dir;
  const auto bin = built_program("fleetreg-terminal");
  const auto state = dir.file("state");
  auto r = run({bin, "-s", state, "init", "--manufacturer", "HP", "--model", "LaserJet M404", "--serial", "PHB1234"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("hp:PHB1234"), std::string::npos);
  r = run({bin, "-s", state, "init", "--manufacturer", "HP", "--model", "X", "--serial", "Y"});
  EXPECT_NE(r.exit_code, 0) << "a second init must not overwrite a terminal";
  r = run({bin, "-s", state, "copy", "--sheets", "3", "--duplex"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run({bin, "-s", state, "copy", "--sheets", "3", "--color"});
  EXPECT_EQ(r.exit_code, 65) << "colour on a mono terminal";
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run({bin, "-s", state, "copy", "--sheets", "lots"});
  EXPECT_EQ(r.exit_code, 64);
  r = run({bin, "-s", state, "frobnicate"});
  EXPECT_EQ(r.exit_code, 64);
  r = run({bin, "-s", state, "show", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"copy\":{\"impressions\":6,\"impressions-mono\":6,\"impressions-color\":0,\"sheets\":3}"),
            std::string::npos)
      << r.out;
  r = run({bin, "-s", dir.file("nothing"), "show"});
  EXPECT_EQ(r.exit_code, 74);

  // The system group: a sysObjectID outside 1.3.6.1.4.1.<enterprise> is refused, one line.
  const auto lj = dir.file("lj");
  r = run({bin, "-s", lj, "init", "--manufacturer", "HP", "--model", "LaserJet M404dn", "--serial", "PHBQA12345",
           "--sys-object-id", "1.3.6.1.2.1.25.3.1.5"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("enterprise"), std::string::npos) << r.err;
  r = run({bin, "-s", lj, "init", "--manufacturer", "HP", "--model", "LaserJet M404dn", "--serial", "PHBQA12345",
           "--sys-object-id", ".1.3.6.1.4.1.11.2.3.9.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({bin, "-s", lj, "set-system", "--location", "Lager"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({bin, "-s", lj, "show"});
  EXPECT_NE(r.out.find("sysObjectID   1.3.6.1.4.1.11.2.3.9.1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sysLocation   Lager\n"), std::string::npos) << r.out;
  r = run({bin, "-s", lj, "snmpd-config"});
  EXPECT_NE(r.out.find("\nsysObjectID .1.3.6.1.4.1.11.2.3.9.1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nsysLocation Lager\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fleetreg::test

namespace fleetreg::test {
namespace {

// The shipped configuration file parses, with every key at its default.
TEST(ShippedConfig, TerminalConfChecksClean) {
  temp_dir dir;
  sim_terminal term(dir, "t", "Brother", "MFC-L8900CDW", "E78124");
  const auto r =
      run({built_program("fleetreg-subagent"), "-t", "-c", FLEETREG_SHIPPED_TERMINAL_CONF, "-s", term.state_dir()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/var/agentx/master"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fleetreg::test
