// SPDX-License-Identifier: Apache-2.0
// The collector's side of counter profiles: [profiles] directories, the
// reload after SIGHUP, and the wrap state of 32-bit counters in its store.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fleetreg/collector/collector.hpp"
#include "fleetreg/collector/store.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::collector {
namespace {

const std::string good =
    "schema: fleetreg-profile/1\nid: ID\nversion: 1\npriority: 100\nmatch: {exists: [\"1.3.6.1\"]}\n";

std::string profile(const std::string& id) {
  auto s = good;
  s.replace(s.find("ID"), 2, id);
  return s;
}

TEST(CollectorProfiles, DirectoriesFromTheConfigAndTheirDefault) {
  test::temp_dir dir;
  std::ofstream(dir.file("a.conf")) << "[collector]\nstate_dir = " << dir.file("s") << "\n";
  EXPECT_EQ(load_config(dir.file("a.conf")).profile_directories,
            (std::vector<std::string>{"/usr/share/fleetreg/profiles", "/etc/fleetreg/profiles.d"}));
  std::ofstream(dir.file("b.conf")) << "[profiles]\ndirectories = /x/one ,  /y/two\n";
  EXPECT_EQ(load_config(dir.file("b.conf")).profile_directories, (std::vector<std::string>{"/x/one", "/y/two"}));
}

TEST(CollectorProfiles, ReloadTakesTheNewSetUnlessNothingLoads) {
  test::temp_dir dir;
  config cfg;
  cfg.profile_directories = {dir.path()};
  std::ofstream(dir.file("a.yaml")) << profile("one");
  auto set = load_profiles(cfg);
  ASSERT_EQ(set->profiles().size(), 1u);
  // One more good file and a bad one: the new set, the problem listed.
  std::ofstream(dir.file("b.yaml")) << profile("two");
  std::ofstream(dir.file("c.yaml")) << "schema: fleetreg-profile/1\nid: three\n";
  set = reload_profiles(cfg, set);
  EXPECT_EQ(set->profiles().size(), 2u);
  ASSERT_EQ(set->problems().size(), 1u);
  EXPECT_EQ(describe_profiles("counter profiles reloaded", *set)
                .rfind("counter profiles reloaded: 2 loaded, 1 files skipped (" + dir.file("c.yaml") +
                           ":1: missing required key",
                       0),
            0u);
  // Every file broken: the previous set stays.
  std::ofstream(dir.file("a.yaml")) << "id: [\n";
  std::ofstream(dir.file("b.yaml")) << "nonsense\n";
  const auto kept = reload_profiles(cfg, set);
  EXPECT_EQ(kept, set);
  // No file at all is a choice: an empty set.
  for (const char* f : {"a.yaml", "b.yaml", "c.yaml"}) std::filesystem::remove(dir.file(f));
  EXPECT_TRUE(reload_profiles(cfg, set)->profiles().empty());
}

TEST(CollectorProfiles, StoreKeepsWrapStateAcrossRestarts) {
  test::temp_dir dir;
  {
    store st(dir.file("state"));
    EXPECT_EQ(st.unwrap("acme:W1", "print.impressions", "1.3.6.1.4.1.9.1", 4294967000U), 4294967000u);
    EXPECT_EQ(st.unwrap("acme:W1", "print.impressions", "1.3.6.1.4.1.9.1", 5U), 4294967301u);
    EXPECT_EQ(st.unwrap("acme:W2", "print.impressions", "1.3.6.1.4.1.9.1", 5U), 5u);  // another terminal
  }
  store st(dir.file("state"));
  EXPECT_EQ(st.unwrap("acme:W1", "print.impressions", "1.3.6.1.4.1.9.1", 10U), 4294967306u);
  EXPECT_EQ(st.unwrap("acme:W1", "copy.impressions", "1.3.6.1.4.1.9.1", 10U), 10u);  // another cell
}

}  // namespace
}  // namespace fleetreg::collector
