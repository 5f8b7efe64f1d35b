// SPDX-License-Identifier: Apache-2.0
// Counter profiles against a real snmpd serving a recorded device
// (tests/profiles/<id>/*.snmprec as `override` lines): the collector's read
// with the shipped profiles, and `fleetreg-collector profile show|check|list`.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "fleetreg/collector/collector.hpp"
#include "fleetreg/collector/snmp_reader.hpp"
#include "fleetreg/collector/store.hpp"
#include "fleetreg/profiles/extension.hpp"
#include "fleetreg/test/harness.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"
#include "fleetreg/test/snmprec.hpp"

namespace fleetreg {
namespace {

using namespace fleetreg::test;

const std::string source_dir = FLEETREG_SOURCE_DIR;
const std::string recording = source_dir + "/tests/profiles/pwg-imaging-counter/example-mfp-4000.snmprec";

std::string write_config(const temp_dir& dir, const std::vector<std::string>& profile_dirs) {
  std::string list;
  for (const auto& d : profile_dirs) list += (list.empty() ? "" : ", ") + d;
  std::ofstream(dir.file("collector.conf")) << "[collector]\nstate_dir = " << dir.file("state") << "\n"
                                            << "[mdns]\nenabled = no\n[snmp]\ntimeout = 2s\n"
                                            << "[profiles]\ndirectories = " << list << "\n";
  return dir.file("collector.conf");
}

TEST(CounterProfiles, CollectorReadsARecordedPrinterWithTheShippedProfiles) {
  temp_dir dir;
  snmpd_daemon printer(dir, "pwg", snmprec_agent::load(recording).snmpd_config());
  const auto cfg = collector::load_config(write_config(dir, {source_dir + "/profiles"}));
  const auto set = collector::load_profiles(cfg);
  ASSERT_TRUE(set->problems().empty()) << set->problems().front();
  profiles::extension ext(set);
  std::error_code ec;
  std::size_t trips = 0;
  auto o = printer.v2c();
  const auto d = collector::read_device(o, ec, &ext, &trips);
  ASSERT_TRUE(d) << ec.message();
  EXPECT_EQ(d->id.serial, "PWG0001234");
  EXPECT_EQ(d->counters.get(service::copy, counter_kind::impressions_color), 900u);
  EXPECT_EQ(d->counters.get(service::print, counter_kind::impressions_mono), 6900u);
  EXPECT_EQ(d->counters.get(service::scan, counter_kind::impressions), 0u);
  EXPECT_EQ(d->counters.get(service::fax_in, counter_kind::impressions), std::nullopt);
  // The profile's total replaces the Printer-MIB's, with its provenance.
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions), 15012u);
  EXPECT_EQ(d->provenance.at("total.impressions"), "pwg-imaging-counter/1 1.3.6.1.4.1.2699.1.3.1.8.1.1.4.1.3.3");
  // One GET, then the standard columns and the profile's three tables side
  // by side (16 rows per column per GETBULK: two rounds for this recording).
  std::printf("[ measured ] profile-read printer: %zu round trips\n", trips);
  EXPECT_LE(trips, 4u);
}

TEST(CounterProfiles, ProfileShowCheckAndList) {
  temp_dir dir;
  snmpd_daemon printer(dir, "pwg", snmprec_agent::load(recording).snmpd_config());
  std::filesystem::create_directories(dir.file("local"));
  const auto conf = write_config(dir, {source_dir + "/profiles", dir.file("local")});
  const auto bin = built_program("fleetreg-collector");

  auto r = run({bin, "-c", conf, "profile", "show", printer.peer(), "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sysObjectID  1.3.6.1.4.1.99999.1.4000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pwg-imaging-counter/1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1.3.6.1.4.1.2699.1.3.1.8.1.1.7.2.3.3 = INTEGER: 900 -> 900"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("copy.impressions-color"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("pwg-imaging-counter/1 derived sum_of"), std::string::npos)
      << "print.impressions is given; nothing derived unless a cell is missing\n"
      << r.out;

  // check: a good file and two bad ones.
  std::ofstream(dir.file("bad.yaml"))
      << "schema: fleetreg-profile/1\nid: bad\nversion: 1\npriority: 100\n"
         "match: {exists: [\"1.3.6.1\"]}\ncounters:\n  - {cell: copy.pages, get: \"1.3\"}\n";
  std::ofstream(dir.file("typo.yaml")) << "schema: fleetreg-profile/1\nid: typo\nversion: 1\nprioirty: 100\n";
  r = run({bin, "-c", conf, "profile", "check", source_dir + "/profiles/pwg-imaging-counter.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, source_dir + "/profiles/pwg-imaging-counter.yaml: ok (pwg-imaging-counter 1)\n");
  r = run({bin, "-c", conf, "profile", "check", dir.file("bad.yaml"), dir.file("typo.yaml")});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find(dir.file("bad.yaml") + ":7: cell 'copy.pages' is not SERVICE.KIND"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir.file("typo.yaml") + ":4: unknown key 'prioirty'"), std::string::npos) << r.err;
  r = run({bin, "profile", "check", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: fleetreg-collector profile check FILE..."), std::string::npos);

  // list: a local file replaces the shipped one with its id.
  std::ofstream(dir.file("local/pwg.yaml")) << "schema: fleetreg-profile/1\nid: pwg-imaging-counter\nversion: 7\n"
                                               "priority: 30\nmatch: {exists: [\"1.3.6.1.4.1.2699.1.3.1.1.2.0\"]}\n";
  r = run({bin, "-c", conf, "profile", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pwg-imaging-counter"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("overridden: pwg-imaging-counter in " + source_dir + "/profiles/pwg-imaging-counter.yaml by " +
                       dir.file("local/pwg.yaml")),
            std::string::npos)
      << r.out;
  // The local one (no counters) is what show uses now: the Printer-MIB total stays.
  r = run({bin, "-c", conf, "profile", "show", printer.peer()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pwg-imaging-counter/7"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("copy.impressions-color"), std::string::npos) << r.out;
}

// SIGHUP: a running collector loads its profiles again and logs the count and
// the problems; when no file loads any more, it keeps what it had.
TEST(CounterProfiles, SighupReloadsARunningCollector) {
  temp_dir dir;
  std::filesystem::create_directories(dir.file("p"));
  auto profile = [](const std::string& id) {
    return "schema: fleetreg-profile/1\nid: " + id + "\nversion: 1\npriority: 100\nmatch: {exists: [\"1.3.6.1\"]}\n";
  };
  std::ofstream(dir.file("p/a.yaml")) << profile("one");
  const auto center = "http://127.0.0.1:" + std::to_string(free_port(false));
  std::ofstream(dir.file("collector.conf")) << "[collector]\nstate_dir = " << dir.file("state") << "\n"
                                            << "[center]\nallow_plain_http = yes\n[mdns]\nenabled = no\n"
                                            << "[run]\nwait = 1s\n[profiles]\ndirectories = " << dir.file("p") << "\n";
  {
    collector::store st(dir.file("state"));
    st.set_registration(center, "site-1", {}, "credential-1");
  }
  process run_proc({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir, "collector");
  ASSERT_TRUE(wait_until([&] { return run_proc.log().find("counter profiles: 1 loaded") != std::string::npos; }))
      << run_proc.log();
  std::ofstream(dir.file("p/b.yaml")) << profile("two");
  std::ofstream(dir.file("p/c.yaml")) << "schema: fleetreg-profile/1\nid: three\n";
  ASSERT_EQ(::kill(run_proc.pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_until([&] {
    return run_proc.log().find("counter profiles reloaded: 2 loaded, 1 files skipped (" + dir.file("p/c.yaml") +
                               ":1: missing required key") != std::string::npos;
  })) << run_proc.log();
  std::ofstream(dir.file("p/a.yaml")) << "id: [\n";
  std::ofstream(dir.file("p/b.yaml")) << "nonsense\n";
  ASSERT_EQ(::kill(run_proc.pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_until([&] {
    return run_proc.log().find("counter profiles not reloaded: none of 3 files loaded") != std::string::npos;
  })) << run_proc.log();
  EXPECT_NE(run_proc.log().find("keeping the 2 loaded before"), std::string::npos) << run_proc.log();
  EXPECT_TRUE(run_proc.running());
  EXPECT_EQ(run_proc.stop(), 0) << run_proc.log();
}

}  // namespace
}  // namespace fleetreg
