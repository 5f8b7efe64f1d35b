// SPDX-License-Identifier: Apache-2.0
// Every shipped profile (profiles/*.yaml) against its recordings
// (tests/profiles/<id>/<model>.snmprec and <model>.expected.json): the
// recording is served from memory and read exactly as snmp::read_terminal
// reads a device that does not serve the fleetreg MIB: one GET (the standard
// objects and every profile's `exists`), then the matched profiles' scalars
// and tables, then the evaluation. The Printer-MIB's counter (the fallback)
// is left out: only what the profiles produce is compared, except for the
// recordings of tests/profiles/printer-mib/ (the built-in fallback), which
// are read with it, exactly as read_terminal reads them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fleetreg/core/json.hpp"
#include "fleetreg/profiles/extension.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/snmprec.hpp"

namespace fleetreg::profiles {
namespace {

namespace fs = std::filesystem;

const std::string source_dir = FLEETREG_SOURCE_DIR;
const std::string builtin_fallback = "printer-mib";

struct read_result {
  snmp::terminal_reading reading;
  std::size_t round_trips = 0;
  std::vector<std::string> matched;
};

// `with_fallback`: keep the Printer-MIB's own counter (the built-in
// fallback's recordings, tests/profiles/printer-mib/).
read_result read_recording(const std::shared_ptr<const profile_set>& set, const test::snmprec_agent& agent,
                           bool with_fallback) {
  read_result out;
  extension ext(set);
  // read_terminal's own requests, answered by the recording.
  auto oids = snmp::first_get_oids();
  for (auto& o : ext.probe()) oids.push_back(std::move(o));
  ++out.round_trips;
  const auto first = agent.get(oids);
  std::vector<snmp::oid_vector> scalars, subtrees = snmp::printer_mib_subtrees();
  ext.plan(first, scalars, subtrees);
  std::vector<snmp::varbind> scalar_answers;
  if (!scalars.empty()) {
    ++out.round_trips;
    scalar_answers = agent.get(scalars);
  }
  const auto walked = agent.walk_many(subtrees, &out.round_trips);
  // The identity the standard MIBs give, without their counter.
  out.reading = snmp::decode_printer_mib(first, walked).value_or(snmp::terminal_reading{});
  if (!with_fallback) {
    out.reading.counters = {};
    std::erase_if(out.reading.provenance, [](const auto& kv) { return !kv.first.starts_with("identity."); });
    out.reading.extras.clear();
  }
  ext.apply(first, scalar_answers, walked, out.reading);
  for (const auto& m : ext.matches())
    if (m.matched) out.matched.push_back(m.p->id);
  return out;
}

TEST(ProfileFixtures, EveryShippedProfileReadsItsRecordingsAsExpected) {
  auto set = std::make_shared<profile_set>(profile_set::load({source_dir + "/profiles"}));
  for (const auto& problem : set->problems()) ADD_FAILURE() << "shipped profile refused: " << problem;
  ASSERT_FALSE(set->profiles().empty());
  std::set<std::string> ids;
  for (const auto& p : set->profiles()) ids.insert(p.id);

  std::map<std::string, std::size_t> fixtures;  // id → recordings
  const auto root = source_dir + "/tests/profiles";
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const auto id = dir.path().filename().string();
    // "printer-mib": the built-in fallback (priority 10), applied with the profiles.
    const bool builtin = id == builtin_fallback;
    EXPECT_TRUE(builtin || ids.count(id)) << "fixtures for a profile that is not shipped: " << dir.path();
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (f.path().extension() != ".snmprec") continue;
      SCOPED_TRACE(f.path().string());
      auto expected_path = f.path();
      expected_path.replace_extension(".expected.json");
      std::ifstream in(expected_path);
      ASSERT_TRUE(in) << "no " << expected_path;
      std::stringstream ss;
      ss << in.rdbuf();
      std::string why;
      const auto expected = json::parse(ss.str(), why);
      ASSERT_TRUE(expected && expected->is_object()) << expected_path << ": " << why;
      ++fixtures[id];

      const auto r = read_recording(set, test::snmprec_agent::load(f.path().string()), builtin);
      if (!builtin) {
        EXPECT_NE(std::find(r.matched.begin(), r.matched.end(), id), r.matched.end()) << id << " did not match";
      }
      // Cells: exactly those listed.
      std::map<std::string, std::uint64_t> want_cells, got_cells;
      if (expected->contains("cells"))
        for (const auto& [k, v] : expected->at("cells").items()) want_cells[k] = v.get<std::uint64_t>();
      for (const auto s : all_services)
        for (const auto k : all_counter_kinds)
          if (const auto v = r.reading.counters.get(s, k)) got_cells[cell_name(s, k)] = *v;
      EXPECT_EQ(got_cells, want_cells);
      std::map<std::string, std::uint64_t> want_extras;
      if (expected->contains("extras"))
        for (const auto& [k, v] : expected->at("extras").items()) want_extras[k] = v.get<std::uint64_t>();
      EXPECT_EQ(r.reading.extras, want_extras);
      // Each value says where it came from.
      for (const auto& [c, v] : got_cells) EXPECT_TRUE(r.reading.provenance.count(c)) << c;
      if (expected->contains("identity"))
        for (const auto& [k, v] : expected->at("identity").items()) {
          const auto& id_ = r.reading.id;
          const std::string got = k == "manufacturer" ? id_.manufacturer
                                  : k == "model"      ? id_.model
                                  : k == "serial"     ? id_.serial
                                                      : id_.firmware;
          EXPECT_EQ(got, v.get<std::string>()) << "identity." << k;
        }
      std::printf("[ fixture  ] %s: %zu round trips, matched", f.path().filename().c_str(), r.round_trips);
      for (const auto& m : r.matched) std::printf(" %s", m.c_str());
      std::printf("\n");
    }
  }
  for (const auto& id : ids)
    EXPECT_GT(fixtures[id], 0u) << "profile " << id << " has no fixture in " << root << "/" << id;
}

TEST(Snmprec, RefusesMalformedRecordings) {
  EXPECT_THROW(test::snmprec_agent::parse("1.3.6.1|2|x\n", "r"), std::runtime_error);
  EXPECT_THROW(test::snmprec_agent::parse("1.3.6.1|99|1\n", "r"), std::runtime_error);
  EXPECT_THROW(test::snmprec_agent::parse("1.3.6.1|2|1\n1.3.6.1|2|2\n", "r"), std::runtime_error);
  const auto a = test::snmprec_agent::parse("1.3.6.2|4x|4133\n1.3.6.1|65|7\n", "r");
  ASSERT_EQ(a.rows().size(), 2u);
  EXPECT_EQ(a.rows()[1].val.octets, "A3");
  std::size_t trips = 0;
  EXPECT_EQ(a.walk_many({*snmp::parse_oid("1.3.6")}, &trips).size(), 2u);
  EXPECT_EQ(trips, 1u);
}

}  // namespace
}  // namespace fleetreg::profiles
