// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/profiles/profile.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fleetreg/profiles/profile_set.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::profiles {
namespace {

const std::string head =
    "schema: fleetreg-profile/1\n"                        // 1
    "id: test-profile\n"                                  // 2
    "version: 2\n"                                        // 3
    "priority: 100\n"                                     // 4
    "match:\n"                                            // 5
    "  sysobjectid_prefix: [\"1.3.6.1.4.1.367.1.1\"]\n";  // 6

std::string error_of(const std::string& text) {
  const auto r = parse_profile(text, "t.yaml");
  EXPECT_FALSE(r.value) << "accepted:\n" << text;
  return r.error;
}

// The error names the line and says what is wrong.
void expect_error(const std::string& text, int line, const std::string& part) {
  const auto e = error_of(text);
  EXPECT_EQ(e.rfind("t.yaml:" + std::to_string(line) + ": ", 0), 0u) << e;
  EXPECT_NE(e.find(part), std::string::npos) << e;
}

TEST(ProfileParser, ParsesEveryPart) {
  const auto r = parse_profile(
      head +
          "  exists: [\"1.3.6.1.4.1.367.3.2.1.2.19.5.1.2.1\"]\n"
          "vendor: Ricoh\n"
          "description: \"engine counters\"\n"
          "sources: \"GLPI\"\n"
          "identity:\n"
          "  serial: {get: \"1.3.6.1.4.1.367.3.2.1.2.1.4.0\"}\n"
          "  model: {first_of: [\"1.3.6.1.4.1.1.0\", {get: \"1.3.6.1.4.1.2.0\", decode: hex}]}\n"
          "tables:\n"
          "  eng:\n"
          "    base: \"1.3.6.1.4.1.367.3.2.1.2.19.5.1\"\n"
          "    columns: {type: 2, name: 5, value: 9}\n"
          "counters:\n"
          "  - {cell: total.impressions, from: {table: eng, where: {type: [10]}, column: value}}\n"
          "  - {cell: copy.impressions-color, from: {table: eng, where: {name: [\"A3\", Color]}, column: value}, "
          "scale: {multiply: 2, divide: 1}}\n"
          "  - {cell: print.impressions, get: \"1.3.6.1.4.1.1.1\", reject: [-1, -2], wrap: 32}\n"
          "  - {cell: scan.impressions, sum: [\"1.3.6.1.4.1.1.2\", {get: \"1.3.6.1.4.1.1.3\"}]}\n"
          "  - {cell: print.impressions-mono, difference: [\"1.3.6.1.4.1.1.4\", \"1.3.6.1.4.1.1.5\"]}\n"
          "extras:\n"
          "  - {key: copy.impressions-mono.a3, from: {table: eng, where: {index: [\"1\", \"1.2\"]}, column: value}}\n"
          "derive:\n"
          "  - {cell: copy.impressions, sum_of: [copy.impressions-mono, copy.impressions-color]}\n"
          "  - {cell: total.sheets, copy_of: total.impressions}\n",
      "t.yaml");
  ASSERT_TRUE(r.value) << r.error;
  const auto& p = *r.value;
  EXPECT_EQ(p.tag(), "test-profile/2");
  EXPECT_EQ(p.vendor, "Ricoh");
  EXPECT_EQ(p.priority, 100);
  ASSERT_EQ(p.exists.size(), 1u);
  EXPECT_EQ(p.identity.at("model").op, operation::first_of);
  EXPECT_TRUE(p.identity.at("model").items[1].decode_hex);
  ASSERT_EQ(p.counters.size(), 5u);
  EXPECT_EQ(p.counters[0].cell, "total.impressions");
  EXPECT_EQ(p.counters[0].expr.from.where[0].numbers, std::vector<std::int64_t>{10});
  EXPECT_EQ(p.counters[1].expr.from.where[0].texts, (std::vector<std::string>{"a3", "color"}));
  EXPECT_EQ(p.counters[1].expr.multiply, 2u);
  EXPECT_TRUE(p.counters[2].expr.wrap32);
  EXPECT_EQ(p.counters[2].expr.reject, (std::vector<std::int64_t>{-1, -2}));
  EXPECT_EQ(p.counters[3].expr.items.size(), 2u);
  EXPECT_EQ(p.extras[0].expr.from.where[0].indexes.size(), 2u);
  EXPECT_EQ(p.derive[1].op, derive_operation::copy_of);
}

TEST(ProfileParser, RefusesHostileFilesWithTheirLine) {
  expect_error("", 1, "empty file");
  expect_error("- a\n- b\n", 1, "must be a map");
  expect_error("schema: [unclosed\n", 2, "YAML");
  expect_error("schema: fleetreg-counters/1\nid: x\nversion: 1\npriority: 100\nmatch: {exists: [\"1.3.6\"]}\n", 1,
               "schema must be");
  expect_error(head + "vendr: Ricoh\n", 7, "unknown key 'vendr'");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1\nmatch: {exists: [\"1.3.6\"]}\n", 1,
               "missing required key 'priority'");
  expect_error(head + "id: again\n", 7, "given twice");
  expect_error("schema: fleetreg-profile/1\nid: Bad_Id\nversion: 1\npriority: 100\nmatch: {exists: [\"1.3\"]}\n", 2,
               "id must be");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 0\npriority: 100\nmatch: {exists: [\"1.3\"]}\n", 3,
               "version must be 1..");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1.5\npriority: 100\nmatch: {exists: [\"1.3\"]}\n", 3,
               "must be an integer");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1\npriority: 10\nmatch: {exists: [\"1.3\"]}\n", 4,
               "priority must be 11..1000");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1\npriority: 100\nmatch: {}\n", 5,
               "at least one condition");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1\npriority: 100\nmatch: {exists: [\"1\"]}\n", 5,
               "not a numeric OID");
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1\npriority: 100\nmatch: {exists: [\"1.3.4294967296\"]}\n",
               5, "not a numeric OID");
  std::string long_oid = "1";
  for (int i = 0; i < 128; ++i) long_oid += ".1";
  expect_error(
      "schema: fleetreg-profile/1\nid: x\nversion: 1\npriority: 100\nmatch: {exists: [\"" + long_oid + "\"]}\n", 5,
      "not a numeric OID");
  std::string many = "[";
  for (int i = 0; i < 33; ++i) many += std::string(i ? "," : "") + "\"1.3." + std::to_string(i) + "\"";
  expect_error("schema: fleetreg-profile/1\nid: x\nversion: 1\npriority: 100\nmatch: {exists: " + many + "]}\n", 5,
               "at most 32");
  // Counters.
  expect_error(head + "counters:\n  - {cell: copy.pages, get: \"1.3.6.1.1\"}\n", 8, "is not SERVICE.KIND");
  expect_error(head + "counters:\n  - {cell: copy.impressions}\n", 8, "exactly one of");
  expect_error(head + "counters:\n  - {cell: copy.impressions, get: \"1.3.6.1\", sum: [\"1.3.6.2\"]}\n", 8,
               "exactly one of");
  expect_error(head + "counters:\n  - {cell: copy.impressions, gte: \"1.3.6.1\"}\n", 8, "unknown key 'gte'");
  expect_error(head + "counters:\n  - {cell: copy.impressions, get: \"1.3.6.1\", decode: hex}\n", 8,
               "unknown key 'decode'");
  expect_error(head + "counters:\n  - {cell: copy.impressions,\n     difference: [\"1.3.6.1\"]}\n", 9, "exactly two");
  expect_error(head + "counters:\n  - {cell: copy.impressions, get: \"1.3.6.1\", scale: {multiply: 0}}\n", 8,
               "multiply must be 1..");
  expect_error(head + "counters:\n  - {cell: copy.impressions, get: \"1.3.6.1\", scale: {times: 2}}\n", 8,
               "unknown key 'times'");
  expect_error(head + "counters:\n  - {cell: copy.impressions, get: \"1.3.6.1\", wrap: 64}\n", 8,
               "wrap must be 32..32");
  expect_error(head + "counters:\n  - {cell: copy.impressions, from: {table: nope, column: v}}\n", 8,
               "no table 'nope'");
  expect_error(
      head +
          "counters:\n  - {cell: copy.impressions, first_of: [{first_of: [{first_of: [{first_of: [\"1.3.1\"]}]}]}]}\n",
      8, "nested deeper than 4");
  // Extras.
  expect_error(head + "extras:\n  - {key: Copy.A3, get: \"1.3.6.1\"}\n", 8, "extras key 'Copy.A3'");
  expect_error(head + "extras:\n  - {get: \"1.3.6.1\"}\n", 8, "needs a key");
  // Tables.
  const std::string tables =
      head + "tables:\n  eng:\n    base: \"1.3.6.1.4.1.367.3\"\n    columns: {type: 2, value: 9}\n";
  expect_error(tables + "counters:\n  - {cell: copy.impressions, from: {table: eng, column: valu}}\n", 12,
               "has no column 'valu'");
  expect_error(
      tables + "counters:\n  - {cell: copy.impressions, from: {table: eng, where: {typ: [1]}, column: value}}\n", 12,
      "has no column 'typ'");
  expect_error(
      tables + "counters:\n  - {cell: copy.impressions, from: {table: eng, where: {type: [1, A3]}, column: value}}\n",
      12, "mixes numbers and texts");
  expect_error(
      tables + "counters:\n  - {cell: copy.impressions, from: {table: eng, column: value, index_suffix: \"3.3\"}}\n",
      12, "needs a join");
  expect_error(tables +
                   "counters:\n  - {cell: copy.impressions, from: {table: eng, column: value, join: {table: x, where: "
                   "{a: [1]}}}}\n",
               12, "no table 'x'");
  expect_error(head + "tables:\n  Eng:\n    base: \"1.3.6\"\n    columns: {type: 2}\n", 8, "table name 'Eng'");
  expect_error(head + "tables:\n  eng:\n    base: \"1.3.6\"\n    columns: {type: 2}\n    rows: 3\n", 11,
               "unknown key 'rows'");
  expect_error(head + "tables:\n  eng:\n    base: \"1.3.6\"\n    columns: {index: 2}\n", 10, "not 'index'");
  // Derive.
  expect_error(head + "derive:\n  - {cell: copy.impressions, sum_of: [copy.impressions]}\n", 8, "its own cell");
  expect_error(head + "derive:\n  - {cell: copy.impressions, sum_of: [copy.imps]}\n", 8, "is not SERVICE.KIND");
  expect_error(head + "derive:\n  - {cell: copy.impressions, sum_of: [print.sheets], copy_of: scan.sheets}\n", 8,
               "exactly one of");
  // Identity.
  expect_error(head + "identity:\n  serial: {sum: [\"1.3.6.1\"]}\n", 8, "unknown key 'sum'");
  expect_error(head + "identity:\n  colour: {get: \"1.3.6.1\"}\n", 8, "unknown key 'colour'");
  expect_error(head + "identity:\n  model: {get: \"1.3.6.1\", decode: base64}\n", 8, "decode must be 'hex'");
}

TEST(ProfileParser, RefusesOversizedFiles) {
  const std::string big = head + "description: \"" + std::string(max_file_size, 'x') + "\"\n";
  EXPECT_NE(error_of(big).find("t.yaml:1: file is larger than 256 KiB"), std::string::npos);
  std::string rules = head + "counters:\n";
  for (int i = 0; i < 257; ++i) rules += "  - {cell: copy.impressions, get: \"1.3.6.1." + std::to_string(i) + "\"}\n";
  expect_error(rules, 8, "more than 256");
  std::string tables = head + "tables:\n";
  for (int i = 0; i < 65; ++i) tables += "  t" + std::to_string(i) + ": {base: \"1.3.6.1\", columns: {a: 1}}\n";
  expect_error(tables, 8, "more than 64 tables");
}

TEST(ProfileParser, SurvivesDeepNestingAndAliases) {
  // yaml-cpp's own depth guard, and an alias to an unfinished node.
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_FALSE(parse_profile(deep, "t.yaml").value);
  EXPECT_FALSE(parse_profile("a: &x [*x]\n", "t.yaml").value);
  const auto r =
      parse_profile(head + "counters:\n  - &c {cell: copy.impressions, get: \"1.3.6.1\"}\n  - *c\n", "t.yaml");
  ASSERT_TRUE(r.value) << r.error;
  EXPECT_EQ(r.value->counters.size(), 2u);
}

TEST(ProfileSet, LaterDirectoryReplacesSameIdAndBadFilesAreSkipped) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path() + "/shipped");
  std::filesystem::create_directories(dir.path() + "/local");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path() + "/" + name) << text;
  };
  write("shipped/a.yaml", head);
  write("shipped/b.yaml",
        "schema: fleetreg-profile/1\nid: other\nversion: 1\npriority: 20\nmatch: {exists: [\"1.3.6.1\"]}\n");
  write("shipped/notes.txt", "not a profile");
  write("local/a.yaml",
        "schema: fleetreg-profile/1\nid: test-profile\nversion: 9\npriority: 50\nmatch: {exists: [\"1.3.6.1\"]}\n");
  write("local/broken.yaml", head + "counters:\n  - {cell: nope, get: \"1.3.6.1\"}\n");
  const auto set = profile_set::load({dir.path() + "/shipped", dir.path() + "/local", dir.path() + "/missing"});
  ASSERT_EQ(set.profiles().size(), 2u);
  EXPECT_EQ(set.profiles()[0].tag(), "test-profile/9");  // priority 50 before 20
  EXPECT_EQ(set.profiles()[1].id, "other");
  ASSERT_EQ(set.replaced().size(), 1u);
  EXPECT_EQ(set.replaced()[0].file, dir.path() + "/shipped/a.yaml");
  EXPECT_EQ(set.replaced()[0].by_file, dir.path() + "/local/a.yaml");
  ASSERT_EQ(set.problems().size(), 1u);
  EXPECT_EQ(set.problems()[0].rfind(dir.path() + "/local/broken.yaml:8: cell 'nope'", 0), 0u) << set.problems()[0];
  EXPECT_EQ(set.files_read(), 4u);
}

}  // namespace
}  // namespace fleetreg::profiles
