// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/profiles/evaluate.hpp"

#include <gtest/gtest.h>

#include "fleetreg/profiles/extension.hpp"

namespace fleetreg::profiles {
namespace {

using snmp::value;
using snmp::value_type;
using snmp::varbind;

profile make(const std::string& id, int priority, const std::string& body,
             const std::string& match = "  exists: [\"1.3.6.1.4.1.9.0\"]\n") {
  const auto r = parse_profile("schema: fleetreg-profile/1\nid: " + id +
                                   "\nversion: 3\npriority: " + std::to_string(priority) + "\nmatch:\n" + match + body,
                               id + ".yaml");
  if (!r.value) ADD_FAILURE() << r.error;
  return r.value.value_or(profile{});
}

varbind vb(const std::string& oid, value v) { return {*snmp::parse_oid(oid), std::move(v)}; }
value integer(std::int64_t i) { return value::make_integer(i); }
value counter32(std::uint64_t u) {
  value v;
  v.type = value_type::counter32;
  v.unsigned_value = u;
  return v;
}
value counter64(std::uint64_t u) {
  value v;
  v.type = value_type::counter64;
  v.unsigned_value = u;
  return v;
}
value text(std::string s) { return value::make_string(std::move(s)); }
value oid_value(const std::string& o) {
  value v;
  v.type = value_type::object_id;
  v.oid = *snmp::parse_oid(o);
  return v;
}

std::optional<std::uint64_t> cell(const snmp::terminal_reading& r, const std::string& name) {
  const auto dot = name.find('.');
  return r.counters.get(*parse_service(name.substr(0, dot)), *parse_counter_kind(name.substr(dot + 1)));
}

snmp::terminal_reading run(const std::vector<const profile*>& ps, const std::vector<varbind>& answers,
                           wrap_state* wraps = nullptr, snmp::terminal_reading start = {}) {
  evaluate(ps, answers, start, wraps);
  return start;
}

TEST(ProfileEvaluate, ScalarOperations) {
  const auto p = make("ops", 100,
                      "counters:\n"
                      "  - {cell: print.impressions, get: \"1.3.6.1.4.1.9.1\"}\n"
                      "  - {cell: copy.impressions, first_of: [\"1.3.6.1.4.1.9.99\", \"1.3.6.1.4.1.9.2\"]}\n"
                      "  - {cell: scan.impressions, sum: [\"1.3.6.1.4.1.9.1\", \"1.3.6.1.4.1.9.2\"]}\n"
                      "  - {cell: scan.sheets, sum: [\"1.3.6.1.4.1.9.1\", \"1.3.6.1.4.1.9.99\"]}\n"
                      "  - {cell: print.impressions-mono, difference: [\"1.3.6.1.4.1.9.1\", \"1.3.6.1.4.1.9.2\"]}\n"
                      "  - {cell: print.impressions-color, difference: [\"1.3.6.1.4.1.9.2\", \"1.3.6.1.4.1.9.1\"]}\n"
                      "  - {cell: fax-in.impressions, get: \"1.3.6.1.4.1.9.3\", scale: {multiply: 3, divide: 2}}\n"
                      "  - {cell: fax-out.impressions, get: \"1.3.6.1.4.1.9.4\"}\n"
                      "  - {cell: total.sheets, get: \"1.3.6.1.4.1.9.5\"}\n"
                      "  - {cell: total.impressions, get: \"1.3.6.1.4.1.9.6\"}\n");
  const auto r = run({&p}, {vb("1.3.6.1.4.1.9.1", counter32(100)), vb("1.3.6.1.4.1.9.2", integer(30)),
                            vb("1.3.6.1.4.1.9.3", text("41\0\0 ")), vb("1.3.6.1.4.1.9.4", integer(0)),
                            vb("1.3.6.1.4.1.9.5", text("12a")), vb("1.3.6.1.4.1.9.6", oid_value("1.3.6"))});
  EXPECT_EQ(cell(r, "print.impressions"), 100u);
  EXPECT_EQ(cell(r, "copy.impressions"), 30u);
  EXPECT_EQ(r.provenance.at("copy.impressions"), "ops/3 1.3.6.1.4.1.9.2");
  EXPECT_EQ(cell(r, "scan.impressions"), 130u);
  EXPECT_EQ(r.provenance.at("scan.impressions"), "ops/3 1.3.6.1.4.1.9.1+1.3.6.1.4.1.9.2");
  EXPECT_EQ(cell(r, "scan.sheets"), std::nullopt);  // a missing item never counts as 0
  EXPECT_EQ(cell(r, "print.impressions-mono"), 70u);
  EXPECT_EQ(cell(r, "print.impressions-color"), std::nullopt);  // negative difference
  EXPECT_EQ(cell(r, "fax-in.impressions"), 61u);                // "41" * 3 / 2
  EXPECT_EQ(cell(r, "fax-out.impressions"), 0u);                // 0 is a value
  EXPECT_EQ(cell(r, "total.sheets"), std::nullopt);             // not digits
  EXPECT_EQ(cell(r, "total.impressions"), std::nullopt);        // not a counter type
  EXPECT_EQ(r.provenance.count("total.impressions"), 0u);
}

TEST(ProfileEvaluate, SentinelsAndNegativeValuesAreUnknown) {
  const auto p =
      make("sentinels", 100,
           "counters:\n"
           "  - {cell: print.impressions, get: \"1.3.6.1.4.1.9.1\", reject: [-1, -2, -3]}\n"
           "  - {cell: copy.impressions, get: \"1.3.6.1.4.1.9.2\"}\n"
           "  - {cell: scan.impressions, get: \"1.3.6.1.4.1.9.3\", reject: [4294967295]}\n"
           "  - {cell: total.impressions, first_of: [\"1.3.6.1.4.1.9.1\", \"1.3.6.1.4.1.9.4\"], reject: [-2]}\n");
  const auto r = run({&p}, {vb("1.3.6.1.4.1.9.1", integer(-2)), vb("1.3.6.1.4.1.9.2", integer(-7)),
                            vb("1.3.6.1.4.1.9.3", counter32(4294967295U)), vb("1.3.6.1.4.1.9.4", integer(5))});
  EXPECT_EQ(cell(r, "print.impressions"), std::nullopt);
  EXPECT_EQ(cell(r, "copy.impressions"), std::nullopt);
  EXPECT_EQ(cell(r, "scan.impressions"), std::nullopt);
  EXPECT_EQ(cell(r, "total.impressions"), 5u);  // the rejected first item falls through
}

TEST(ProfileEvaluate, TablesWhereIndexAndJoin) {
  const auto p =
      make("tables", 100,
           "tables:\n"
           "  eng: {base: \"1.3.6.1.4.1.9.5.1\", columns: {type: 2, name: 5, value: 9}}\n"
           "  key: {base: \"1.3.6.1.4.1.9.6.1\", columns: {service: 2}}\n"
           "  imp: {base: \"1.3.6.1.4.1.9.7.1\", columns: {total: 4}}\n"
           "counters:\n"
           "  - {cell: copy.impressions-color, from: {table: eng, where: {type: [202, 203]}, column: value}}\n"
           "  - {cell: copy.impressions-mono, from: {table: eng, where: {name: [\"black copy\"]}, column: value}}\n"
           "  - {cell: print.impressions, from: {table: eng, where: {index: [\"3\"]}, column: value}}\n"
           "  - {cell: scan.impressions, from: {table: eng, where: {type: [999]}, column: value}}\n"
           "  - {cell: total.impressions, from: {table: imp, join: {table: key, where: {service: [3]}}, index_suffix: "
           "\"3.3\", column: total}}\n"
           "extras:\n"
           "  - {key: copy.impressions-color.a3, from: {table: eng, where: {type: [202], name: [\"A3 colour\"]}, "
           "column: value}}\n");
  const auto r = run({&p}, {
                               vb("1.3.6.1.4.1.9.5.1.2.1", integer(201)),
                               vb("1.3.6.1.4.1.9.5.1.2.2", integer(202)),
                               vb("1.3.6.1.4.1.9.5.1.2.3", integer(203)),
                               vb("1.3.6.1.4.1.9.5.1.5.1", text("Black Copy  ")),
                               vb("1.3.6.1.4.1.9.5.1.5.2", text("A3 colour")),
                               vb("1.3.6.1.4.1.9.5.1.5.3", text("Full colour")),
                               vb("1.3.6.1.4.1.9.5.1.9.1", counter32(1000)),
                               vb("1.3.6.1.4.1.9.5.1.9.2", counter32(20)),
                               vb("1.3.6.1.4.1.9.5.1.9.3", counter32(5)),
                               vb("1.3.6.1.4.1.9.6.1.2.7", integer(4)),
                               vb("1.3.6.1.4.1.9.6.1.2.8", integer(3)),
                               vb("1.3.6.1.4.1.9.7.1.4.7.3.3", integer(111)),
                               vb("1.3.6.1.4.1.9.7.1.4.8.3.3", integer(222)),
                               vb("1.3.6.1.4.1.9.7.1.4.8.3.4", integer(9)),
                           });
  EXPECT_EQ(cell(r, "copy.impressions-color"), 25u);
  EXPECT_EQ(r.provenance.at("copy.impressions-color"), "tables/3 1.3.6.1.4.1.9.5.1.9.2+1.3.6.1.4.1.9.5.1.9.3");
  EXPECT_EQ(cell(r, "copy.impressions-mono"), 1000u);
  EXPECT_EQ(cell(r, "print.impressions"), 5u);
  EXPECT_EQ(cell(r, "scan.impressions"), std::nullopt);  // no row chosen
  EXPECT_EQ(cell(r, "total.impressions"), 222u);
  EXPECT_EQ(r.provenance.at("total.impressions"), "tables/3 1.3.6.1.4.1.9.7.1.4.8.3.3");
  EXPECT_EQ(r.extras.at("copy.impressions-color.a3"), 20u);
  EXPECT_EQ(r.provenance.at("extra:copy.impressions-color.a3"), "tables/3 1.3.6.1.4.1.9.5.1.9.2");
}

TEST(ProfileEvaluate, PrecedenceBetweenProfilesPrinterMibAndDerive) {
  const auto high = make("vendor", 100,
                         "vendor: Ricoh\n"
                         "identity:\n  serial: {get: \"1.3.6.1.4.1.9.9\"}\n  model: {get: \"1.3.6.1.4.1.9.8\"}\n"
                         "counters:\n"
                         "  - {cell: copy.impressions-mono, get: \"1.3.6.1.4.1.9.1\"}\n"
                         "  - {cell: copy.impressions-mono, get: \"1.3.6.1.4.1.9.2\"}\n"  // earlier rule wins
                         "  - {cell: print.impressions, get: \"1.3.6.1.4.1.9.99\"}\n"     // unknown: lower may fill
                         "derive:\n"
                         "  - {cell: copy.impressions, sum_of: [copy.impressions-mono, copy.impressions-color]}\n"
                         "  - {cell: print.impressions-mono, copy_of: print.impressions}\n");
  const auto low = make("generic", 20,
                        "vendor: Generic\n"
                        "counters:\n"
                        "  - {cell: copy.impressions-mono, get: \"1.3.6.1.4.1.9.3\"}\n"
                        "  - {cell: copy.impressions-color, get: \"1.3.6.1.4.1.9.4\"}\n"
                        "  - {cell: print.impressions, get: \"1.3.6.1.4.1.9.5\"}\n"
                        "  - {cell: total.impressions, get: \"1.3.6.1.4.1.9.6\"}\n"
                        "derive:\n"
                        "  - {cell: copy.impressions, copy_of: copy.impressions-mono}\n"
                        "  - {cell: total.sheets, difference_of: [total.impressions, copy.impressions-mono]}\n");
  snmp::terminal_reading start;  // as decode_printer_mib left it
  start.id.model = "Model From Printer-MIB";
  start.counters.set(service::total, counter_kind::impressions, 5000);
  start.counters.set(service::scan, counter_kind::impressions, 7);
  start.provenance["total.impressions"] = "printer-mib 1.3.6.1.2.1.43.10.2.1.4.1.1";
  const std::vector<varbind> answers = {
      vb("1.3.6.1.4.1.9.1", integer(10)),         vb("1.3.6.1.4.1.9.2", integer(11)),
      vb("1.3.6.1.4.1.9.3", integer(12)),         vb("1.3.6.1.4.1.9.4", integer(4)),
      vb("1.3.6.1.4.1.9.5", integer(50)),         vb("1.3.6.1.4.1.9.6", integer(6000)),
      vb("1.3.6.1.4.1.9.8", text("Other Model")), vb("1.3.6.1.4.1.9.9", text("E123"))};
  // Given in either order: priority decides.
  for (const auto& order : {std::vector<const profile*>{&low, &high}, std::vector<const profile*>{&high, &low}}) {
    const auto r = run(order, answers, nullptr, start);
    EXPECT_EQ(cell(r, "copy.impressions-mono"), 10u);
    EXPECT_EQ(r.provenance.at("copy.impressions-mono"), "vendor/3 1.3.6.1.4.1.9.1");
    EXPECT_EQ(cell(r, "copy.impressions-color"), 4u);
    EXPECT_EQ(cell(r, "print.impressions"), 50u);
    EXPECT_EQ(r.provenance.at("print.impressions"), "generic/3 1.3.6.1.4.1.9.5");
    // A profile's cell replaces the Printer-MIB's, with its provenance.
    EXPECT_EQ(cell(r, "total.impressions"), 6000u);
    EXPECT_EQ(r.provenance.at("total.impressions"), "generic/3 1.3.6.1.4.1.9.6");
    EXPECT_EQ(cell(r, "scan.impressions"), 7u);  // left as the standard MIBs gave it
    // Derive: the higher profile's rule first, only into unknown cells.
    EXPECT_EQ(cell(r, "copy.impressions"), 14u);
    EXPECT_EQ(r.provenance.at("copy.impressions"),
              "vendor/3 derived sum_of copy.impressions-mono+copy.impressions-color");
    EXPECT_EQ(cell(r, "print.impressions-mono"), 50u);
    EXPECT_EQ(cell(r, "total.sheets"), 5990u);
    // Identity fills only the empty fields; the higher profile's vendor.
    EXPECT_EQ(r.id.model, "Model From Printer-MIB");
    EXPECT_EQ(r.id.serial, "E123");
    EXPECT_EQ(r.provenance.at("identity.serial"), "vendor/3 1.3.6.1.4.1.9.9");
    EXPECT_EQ(r.id.manufacturer, "Ricoh");
    EXPECT_EQ(r.provenance.at("identity.manufacturer"), "vendor/3 vendor");
  }
  snmp::terminal_reading named;
  named.id.manufacturer = "RICOH COMPANY";
  EXPECT_EQ(run({&high}, answers, nullptr, named).id.manufacturer, "RICOH COMPANY");
}

TEST(ProfileEvaluate, IdentityDecodesHex) {
  const auto p = make("hexid", 100,
                      "identity:\n  model: {first_of: [{get: \"1.3.6.1.4.1.9.1\", decode: hex}, \"1.3.6.1.4.1.9.2\"]}\n"
                      "  serial: {get: \"1.3.6.1.4.1.9.3\", decode: hex}\n");
  const auto r =
      run({&p}, {vb("1.3.6.1.4.1.9.1", text("54 41 53 4B 61 6C 66 61 00")), vb("1.3.6.1.4.1.9.3", text("not hex"))});
  EXPECT_EQ(r.id.model, "TASKalfa");
  EXPECT_EQ(r.id.serial, "not hex");  // printable text that is not hex stays as it is
}

TEST(ProfileEvaluate, Wrap32KeepsGrowingAcrossReadings) {
  const auto p = make("wrap", 100,
                      "identity:\n  serial: {get: \"1.3.6.1.4.1.9.9\"}\nvendor: Acme\n"
                      "counters:\n  - {cell: print.impressions, get: \"1.3.6.1.4.1.9.1\", wrap: 32}\n"
                      "  - {cell: copy.impressions, get: \"1.3.6.1.4.1.9.2\"}\n");
  memory_wrap_state state;
  auto read = [&](value v) {
    return run({&p}, {vb("1.3.6.1.4.1.9.1", v), vb("1.3.6.1.4.1.9.2", v), vb("1.3.6.1.4.1.9.9", text("W1"))}, &state);
  };
  auto r = read(integer(2147483000));
  EXPECT_EQ(cell(r, "print.impressions"), 2147483000u);
  r = read(integer(-2147483000));  // an INTEGER past 2^31: negative, taken modulo 2^32
  EXPECT_EQ(cell(r, "print.impressions"), 2147484296u);
  EXPECT_EQ(cell(r, "copy.impressions"), std::nullopt);  // without wrap a negative INTEGER is unknown
  r = read(integer(100));                                // wrapped past 2^32
  EXPECT_EQ(cell(r, "print.impressions"), 4294967396u);
  r = read(counter32(200));
  EXPECT_EQ(cell(r, "print.impressions"), 4294967496u);
  r = read(counter32(150));  // a small drop is a reset, not a wrap
  EXPECT_EQ(cell(r, "print.impressions"), 4294967446u);
  r = read(counter64(10000000000ULL));  // not a 32-bit value: as read
  EXPECT_EQ(cell(r, "print.impressions"), 10000000000u);
  // Without a state (or a terminal key) the value is reported modulo 2^32.
  EXPECT_EQ(cell(run({&p}, {vb("1.3.6.1.4.1.9.1", integer(-1))}), "print.impressions"), 4294967295u);
}

TEST(ProfileEvaluate, WrapsAfter) {
  EXPECT_EQ(wraps_after(std::nullopt, 0, 5), 0u);
  EXPECT_EQ(wraps_after(4294967000U, 2, 10), 3u);
  EXPECT_EQ(wraps_after(4000U, 2, 10), 2u);
  EXPECT_EQ(wraps_after(10U, 2, 4000), 2u);
}

TEST(ProfileMatch, PrefixOnWholeSubidentifiersAndExists) {
  const auto p =
      make("m", 100, "", "  sysobjectid_prefix: [\"1.3.6.1.4.1.367.1\"]\n  exists: [\"1.3.6.1.4.1.367.3.0\"]\n");
  const auto sys = [](const std::string& o) { return vb("1.3.6.1.2.1.1.2.0", oid_value(o)); };
  const auto exists = vb("1.3.6.1.4.1.367.3.0", integer(0));
  EXPECT_TRUE(match(p, {sys("1.3.6.1.4.1.367.1.1.2"), exists}).matched);
  EXPECT_TRUE(match(p, {sys("1.3.6.1.4.1.367.1"), exists}).matched);
  const auto not_whole = match(p, {sys("1.3.6.1.4.1.367.10"), exists});
  EXPECT_FALSE(not_whole.matched);
  EXPECT_EQ(not_whole.reason, "sysObjectID 1.3.6.1.4.1.367.10 has none of its prefixes");
  EXPECT_FALSE(match(p, {sys("1.3.6.1.4.1.3670.1"), exists}).matched);
  value missing;
  missing.type = value_type::no_such_instance;
  const auto no_exists = match(p, {sys("1.3.6.1.4.1.367.1.1"), vb("1.3.6.1.4.1.367.3.0", missing)});
  EXPECT_FALSE(no_exists.matched);
  EXPECT_EQ(no_exists.reason, "no value at 1.3.6.1.4.1.367.3.0");
  EXPECT_FALSE(match(p, {exists}).matched);  // no sysObjectID
}

TEST(ProfilePlan, ScalarsNotAskedYetAndSubtreesOnce) {
  const auto a = make("a", 100,
                      "tables:\n  t: {base: \"1.3.6.1.4.1.9.5\", columns: {v: 1}}\n  u: {base: \"1.3.6.1.4.1.9.5.2\", "
                      "columns: {v: 1}}\n"
                      "identity:\n  serial: {get: \"1.3.6.1.4.1.9.7\"}\n"
                      "counters:\n  - {cell: copy.impressions, sum: [\"1.3.6.1.4.1.9.1\", {first_of: "
                      "[\"1.3.6.1.4.1.9.2\", \"1.3.6.1.2.1.43.10.2.1.4.1.1\"]}]}\n");
  const auto b = make("b", 20,
                      "tables:\n  t: {base: \"1.3.6.1.4.1.9.5\", columns: {v: 1}}\n"
                      "counters:\n  - {cell: print.impressions, get: \"1.3.6.1.4.1.9.1\"}\n");
  const auto pl = plan({&a, &b}, {vb("1.3.6.1.2.1.43.10.2.1.4.1.1", counter32(1))});
  std::vector<std::string> scalars, subtrees;
  for (const auto& o : pl.scalars) scalars.push_back(snmp::to_string(o));
  for (const auto& o : pl.subtrees) subtrees.push_back(snmp::to_string(o));
  EXPECT_EQ(scalars, (std::vector<std::string>{"1.3.6.1.4.1.9.7", "1.3.6.1.4.1.9.1", "1.3.6.1.4.1.9.2"}));
  // The columns the tables name, each once (not whole tables).
  EXPECT_EQ(subtrees, (std::vector<std::string>{"1.3.6.1.4.1.9.5.1", "1.3.6.1.4.1.9.5.2.1"}));
}

TEST(ProfileExtension, ProbesPlansAndApplies) {
  auto set = std::make_shared<profile_set>();
  set->add(make("ext", 100, "counters:\n  - {cell: copy.impressions, get: \"1.3.6.1.4.1.9.1\"}\n"));
  set->add(make("other", 50, "", "  sysobjectid_prefix: [\"1.3.6.1.4.1.11\"]\n"));
  extension ext(set);
  ASSERT_EQ(ext.probe().size(), 1u);
  EXPECT_EQ(snmp::to_string(ext.probe()[0]), "1.3.6.1.4.1.9.0");
  const std::vector<varbind> first = {vb("1.3.6.1.4.1.9.0", integer(1)),
                                      vb("1.3.6.1.2.1.1.2.0", oid_value("1.3.6.1.4.1.9"))};
  std::vector<snmp::oid_vector> scalars, subtrees = {*snmp::parse_oid("1.3.6.1.2.1.43.11.1.1")};
  ext.plan(first, scalars, subtrees);
  ASSERT_EQ(ext.matches().size(), 2u);
  EXPECT_TRUE(ext.matches()[0].matched);
  EXPECT_FALSE(ext.matches()[1].matched);
  ASSERT_EQ(scalars.size(), 1u);
  snmp::terminal_reading r;
  ext.apply(first, {vb("1.3.6.1.4.1.9.1", counter32(42))}, {}, r);
  EXPECT_EQ(cell(r, "copy.impressions"), 42u);
  ASSERT_FALSE(ext.trace().empty());
  EXPECT_EQ(ext.trace()[0].oid, "1.3.6.1.4.1.9.1");
  EXPECT_EQ(ext.trace()[0].raw, "Counter32: 42");
}

}  // namespace
}  // namespace fleetreg::profiles
