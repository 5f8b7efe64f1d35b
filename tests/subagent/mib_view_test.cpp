// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/subagent/mib_view.hpp"

#include <gtest/gtest.h>

#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/subagent/pwg_counter_mib.hpp"
#include "fleetreg/terminal/job.hpp"

namespace fleetreg::subagent {
namespace {

namespace tm = snmp::terminal_mib;
namespace pm = snmp::printer_mib;
using snmp::append;
namespace pwg = pwg_counter_mib;

terminal::terminal_state sample() {
  terminal::terminal_state t;
  t.id = {"Sharp", "MX-3071", "05012345", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "5.1"};
  t.counters = terminal::zero_counters();
  t.supplies = terminal::default_supplies(false, 100);
  terminal::apply({service::copy, 5, false, false}, t.counters, t.supplies);
  return t;
}

TEST(MibView, IdentityAndCounters) {
  const auto v = mib_view::build(sample());
  const auto* serial = v.find(append(tm::serial_number, {0}));
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(serial->val.octets, "05012345");
  const auto* copies = v.find(append(tm::counter_entry, {tm::counter_impressions, 4}));
  ASSERT_NE(copies, nullptr);
  EXPECT_EQ(copies->val.type, snmp::value_type::counter64);
  EXPECT_EQ(copies->val.unsigned_value, 5u);
  const auto* name = v.find(append(tm::counter_entry, {tm::counter_service_name, 3}));
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->val.octets, "total");
}

TEST(MibView, PrinterMibMirrorsTheModel) {
  const auto v = mib_view::build(sample());
  const auto* life = v.find(append(pm::prt_marker_entry, {4, 1, 1}));
  ASSERT_NE(life, nullptr);
  EXPECT_EQ(life->val.type, snmp::value_type::counter32);
  EXPECT_EQ(life->val.unsigned_value, 5u);
  const auto* serial = v.find(append(pm::prt_general_entry, {17, 1}));
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(serial->val.octets, "05012345");
  const auto* level = v.find(append(pm::prt_marker_supplies_entry, {9, 1, 1}));
  ASSERT_NE(level, nullptr);
  EXPECT_EQ(level->val.integer, 20000 - 5);
  const auto* type = v.find(append(pm::hr_device_entry, {2, 1}));
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->val.oid, pm::hr_device_printer_type);
}

TEST(MibView, LifeCountWrapsAt32Bits) {
  auto t = sample();
  t.counters.set(service::total, counter_kind::impressions, (1ULL << 32) + 7);
  const auto v = mib_view::build(t);
  EXPECT_EQ(v.find(append(pm::prt_marker_entry, {4, 1, 1}))->val.unsigned_value, 7u);
  EXPECT_EQ(v.find(append(tm::counter_entry, {tm::counter_impressions, 3}))->val.unsigned_value, (1ULL << 32) + 7);
}

TEST(MibView, EntriesAreSortedAndNextWalksInOrder) {
  const auto v = mib_view::build(sample());
  const auto& e = v.entries();
  for (std::size_t i = 1; i < e.size(); ++i)
    EXPECT_TRUE(
        std::lexicographical_compare(e[i - 1].name.begin(), e[i - 1].name.end(), e[i].name.begin(), e[i].name.end()));
  // Walking the fleetreg subtree with next() from its root visits every instance under it once.
  std::size_t count = 0;
  snmp::oid_vector cursor = tm::root;
  while (const auto* n = v.next(cursor, tm::root)) {
    cursor = n->name;
    ++count;
  }
  std::size_t expected = 0;
  for (const auto& x : e) expected += snmp::starts_with(x.name, tm::root) ? 1 : 0;
  EXPECT_EQ(count, expected);
  EXPECT_GT(count, 50u);
  const snmp::oid_vector iso = {1};
  EXPECT_EQ(v.next(e.back().name, iso), nullptr);
}

TEST(MibView, ProvisionalCodeNeverReadBack) {
  auto t = sample();
  t.registration.code_pending = true;
  t.registration.state = terminal::registration_state::pending;
  const auto v = mib_view::build(t);
  EXPECT_EQ(v.find(append(tm::reg_provisional_code, {0}))->val.octets, "");
  EXPECT_EQ(v.find(append(tm::reg_state, {0}))->val.integer, static_cast<int>(tm::reg_state_value::pending));
}

TEST(MibView, RegistrationStatesMatchTheMib) {
  using rs = terminal::registration_state;
  using mv = tm::reg_state_value;
  const std::pair<rs, mv> pairs[] = {
      {rs::unregistered, mv::unregistered}, {rs::pending, mv::pending}, {rs::registering, mv::registering},
      {rs::registered, mv::registered},     {rs::failed, mv::failed},   {rs::revoked, mv::revoked}};
  for (const auto& [state, value] : pairs) {
    auto t = sample();
    t.registration.state = state;
    EXPECT_EQ(mib_view::build(t).find(append(tm::reg_state, {0}))->val.integer, static_cast<int>(value));
  }
}

TEST(MibView, NoSuchInstanceVersusNoSuchObject) {
  const auto v = mib_view::build(sample());
  EXPECT_TRUE(v.object_exists(append(tm::serial_number, {1}))) << "scalar, wrong instance";
  EXPECT_TRUE(v.object_exists(append(tm::counter_entry, {tm::counter_sheets, 99})));
  EXPECT_FALSE(v.object_exists(append(tm::root, {1, 9, 9})));
}

TEST(MibView, SetClassification) {
  const auto v = mib_view::build(sample());
  EXPECT_EQ(std::get<set_target>(classify_set(v, append(tm::reg_center_url, {0}))), set_target::center_url);
  EXPECT_EQ(std::get<set_target>(classify_set(v, append(tm::reg_provisional_code, {0}))), set_target::provisional_code);
  EXPECT_EQ(std::get<snmp::error_status>(classify_set(v, append(tm::serial_number, {0}))),
            snmp::error_status::not_writable);
  EXPECT_EQ(std::get<snmp::error_status>(classify_set(v, append(tm::serial_number, {7}))),
            snmp::error_status::no_creation);
  EXPECT_EQ(std::get<snmp::error_status>(classify_set(v, append(pm::prt_general_entry, {17, 1}))),
            snmp::error_status::not_writable);
  EXPECT_EQ(std::get<set_target>(classify_set(v, append(tm::reg_action, {0}))), set_target::action);
  EXPECT_EQ(std::get<snmp::error_status>(classify_set(v, append(tm::reg_state, {0}))),
            snmp::error_status::not_writable);
}

TEST(MibView, RegActionReadsNoneAndUnregisterIsTheOnlyWrite) {
  using snmp::value;
  const auto v = mib_view::build(sample());
  EXPECT_EQ(v.find(append(tm::reg_action, {0}))->val.integer, static_cast<int>(tm::reg_action_value::none));
  const auto unregister = value::make_integer(static_cast<int>(tm::reg_action_value::unregister));
  const auto none = value::make_integer(static_cast<int>(tm::reg_action_value::none));
  EXPECT_EQ(check_set_value(set_target::action, unregister), snmp::error_status::no_error);
  EXPECT_EQ(check_set_value(set_target::action, none), snmp::error_status::no_error);
  EXPECT_EQ(check_set_value(set_target::action, value::make_integer(3)), snmp::error_status::wrong_value);
  EXPECT_EQ(check_set_value(set_target::action, value::make_integer(0)), snmp::error_status::wrong_value);
  EXPECT_EQ(check_set_value(set_target::action, value::make_string("unregister")), snmp::error_status::wrong_type);
  EXPECT_EQ(requested_write(set_target::action, unregister), terminal::registration_write::unregister);
  EXPECT_EQ(requested_write(set_target::action, none), std::nullopt) << "none changes nothing";
  EXPECT_EQ(requested_write(set_target::center_url, value::make_string("https://c.example/")),
            terminal::registration_write::center_url);
  EXPECT_EQ(requested_write(set_target::provisional_code, value::make_string(provisional_code::generate())),
            terminal::registration_write::provisional_code);
  EXPECT_STREQ(object_name(set_target::action), "frtRegAction.0");
}

TEST(MibView, SetValueChecks) {
  using snmp::value;
  EXPECT_EQ(check_set_value(set_target::center_url, value::make_string("https://c.example/")),
            snmp::error_status::no_error);
  EXPECT_EQ(check_set_value(set_target::center_url, value::make_integer(1)), snmp::error_status::wrong_type);
  EXPECT_EQ(check_set_value(set_target::center_url, value::make_string("gopher://x")), snmp::error_status::wrong_value);
  EXPECT_EQ(check_set_value(set_target::center_url, value::make_string(std::string(300, 'h'))),
            snmp::error_status::wrong_length);
  EXPECT_EQ(check_set_value(set_target::provisional_code, value::make_string(provisional_code::generate())),
            snmp::error_status::no_error);
  EXPECT_EQ(check_set_value(set_target::provisional_code, value::make_string("K7QM-3XPA-9TW0")),
            snmp::error_status::wrong_value)
      << "a code whose check character does not match";
  EXPECT_EQ(check_set_value(set_target::provisional_code, value::make_string("")), snmp::error_status::wrong_value);
  EXPECT_EQ(check_set_value(set_target::provisional_code, value::make_string(std::string(40, 'A'))),
            snmp::error_status::wrong_length);
}

// The PWG Imaging System Counter MIB, by the numeric OIDs of
// PWG-IMAGING-COUNTER-MIB (not the constants the view uses): icKeyEntry is
// .2699.1.3.1.2.1.1, icServiceEntry .3.1.1, icImageEntry .7.1.1,
// icImpressionEntry .8.1.1, icSheetEntry .10.1.1.
snmp::oid_vector ic(std::initializer_list<snmp::subid> rest) {
  const snmp::oid_vector objects = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1};
  return append(objects, rest);
}

terminal::terminal_state colour_sample() {
  terminal::terminal_state t;
  t.id = {"KONICA MINOLTA", "bizhub C300i", "A7PU021012345", "", "G00-35"};
  t.counters = terminal::zero_counters();
  t.supplies = terminal::default_supplies(true, 100);
  terminal::apply({service::copy, 3, false, true}, t.counters, t.supplies);   // 6 mono impressions, 3 sheets
  terminal::apply({service::print, 4, true, false}, t.counters, t.supplies);  // 4 colour impressions
  terminal::apply({service::scan, 2, false, false}, t.counters, t.supplies);
  terminal::apply({service::fax_out, 1, false, false}, t.counters, t.supplies);
  return t;
}

std::int64_t integer_at(const mib_view& v, const snmp::oid_vector& oid) {
  const auto* e = v.find(oid);
  if (!e) {
    ADD_FAILURE() << "not served: " << snmp::to_string(oid);
    return -1;
  }
  EXPECT_EQ(e->val.type, snmp::value_type::integer) << snmp::to_string(oid);
  return e->val.integer;
}

TEST(MibView, PwgKeysNameEachServiceStably) {
  const auto v = mib_view::build(colour_sample());
  // icKeyServiceType.<key>: systemTotals(3) copy(4) print(11) scan(12) faxIn(7) faxOut(8).
  const std::pair<snmp::subid, int> keys[] = {{1, 3}, {2, 4}, {3, 11}, {4, 12}, {5, 7}, {6, 8}};
  for (const auto& [key, type] : keys) {
    EXPECT_EQ(integer_at(v, ic({2, 1, 1, 2, key})), type) << "key " << key;
    EXPECT_EQ(integer_at(v, ic({2, 1, 1, 3, key})), 1) << "icKeyServiceIndex";
    EXPECT_EQ(integer_at(v, ic({2, 1, 1, 5, key})), 0) << "icKeySubunitIndex: no subunit";
    // icServiceKey.<type>.1 points back at the key.
    EXPECT_EQ(integer_at(v, ic({3, 1, 1, 3, static_cast<snmp::subid>(type), 1})), key);
    EXPECT_EQ(pwg::key_of(*service_from_pwg(type)), key);
  }
  EXPECT_EQ(integer_at(v, ic({1, 2, 0})), 6) << "icGeneralTotalServiceRecords";
  EXPECT_EQ(v.find(ic({2, 1, 1, 2, 7})), nullptr);

  // A service without any known counter has no rows, and the others keep their keys.
  auto t = colour_sample();
  for (auto k : all_counter_kinds) t.counters.clear(service::copy, k);
  const auto w = mib_view::build(t);
  EXPECT_EQ(w.find(ic({2, 1, 1, 2, 2})), nullptr);
  EXPECT_EQ(w.find(ic({3, 1, 1, 3, 4, 1})), nullptr);
  EXPECT_EQ(integer_at(w, ic({2, 1, 1, 2, 3})), 11) << "print keeps key 3";
  EXPECT_EQ(integer_at(w, ic({1, 2, 0})), 5);
}

TEST(MibView, PwgImpressionsSheetsAndImagesAreTheTerminalsCounters) {
  const auto t = colour_sample();
  const auto v = mib_view::build(t);
  // icImpressionTotalImps(4), MonochromeImps(5), FullColorImps(7); icSheetTotalSheets(4);
  // rows <key>.workTotals(3).lifetime(3).
  for (auto s : {service::total, service::copy, service::print, service::fax_in}) {
    const auto key = pwg::key_of(s);
    const auto c = [&](counter_kind k) { return static_cast<std::int64_t>(*t.counters.get(s, k)); };
    EXPECT_EQ(integer_at(v, ic({8, 1, 1, 4, key, 3, 3})), c(counter_kind::impressions)) << to_string(s);
    EXPECT_EQ(integer_at(v, ic({8, 1, 1, 5, key, 3, 3})), c(counter_kind::impressions_mono)) << to_string(s);
    EXPECT_EQ(integer_at(v, ic({8, 1, 1, 7, key, 3, 3})), c(counter_kind::impressions_color)) << to_string(s);
    EXPECT_EQ(integer_at(v, ic({10, 1, 1, 4, key, 3, 3})), c(counter_kind::sheets)) << to_string(s);
    EXPECT_EQ(v.find(ic({7, 1, 1, 4, key, 3, 3})), nullptr) << "marking services count impressions, not images";
  }
  EXPECT_EQ(integer_at(v, ic({8, 1, 1, 4, 1, 3, 3})), 10);
  EXPECT_EQ(integer_at(v, ic({8, 1, 1, 5, 2, 3, 3})), 6);
  EXPECT_EQ(integer_at(v, ic({8, 1, 1, 7, 3, 3, 3})), 4);
  EXPECT_EQ(integer_at(v, ic({10, 1, 1, 4, 1, 3, 3})), 7);
  // Scan and fax-out: images (icImageTotalImages(4), MonochromeImages(5)), no impressions.
  EXPECT_EQ(integer_at(v, ic({7, 1, 1, 4, 4, 3, 3})), 2);
  EXPECT_EQ(integer_at(v, ic({7, 1, 1, 5, 4, 3, 3})), 2);
  EXPECT_EQ(integer_at(v, ic({7, 1, 1, 4, 6, 3, 3})), 1);
  EXPECT_EQ(v.find(ic({8, 1, 1, 4, 4, 3, 3})), nullptr);
  // Neither blank nor highlight-colour impressions are counted: not served.
  EXPECT_EQ(v.find(ic({8, 1, 1, 6, 1, 3, 3})), nullptr);
  EXPECT_EQ(v.find(ic({8, 1, 1, 8, 1, 3, 3})), nullptr);

  // An unknown counter is left out, 0 stays 0.
  auto u = t;
  u.counters.clear(service::copy, counter_kind::impressions_color);
  const auto w = mib_view::build(u);
  EXPECT_EQ(w.find(ic({8, 1, 1, 7, 2, 3, 3})), nullptr);
  EXPECT_EQ(integer_at(w, ic({8, 1, 1, 7, 5, 3, 3})), 0) << "fax-in colour is a known 0";
}

TEST(MibView, PwgCountersWrapAt31Bits) {
  auto t = colour_sample();
  t.counters.set(service::total, counter_kind::impressions, (1ULL << 31) + 9);
  t.counters.set(service::copy, counter_kind::sheets, (1ULL << 31) - 1);
  const auto v = mib_view::build(t);
  EXPECT_EQ(integer_at(v, ic({8, 1, 1, 4, 1, 3, 3})), 9);
  EXPECT_EQ(integer_at(v, ic({10, 1, 1, 4, 2, 3, 3})), 2147483647);
  EXPECT_EQ(v.find(append(tm::counter_entry, {tm::counter_impressions, 3}))->val.unsigned_value, (1ULL << 31) + 9)
      << "the fleetreg MIB keeps the exact value";
}

TEST(MibView, PwgServiceStateFollowsTheTerminal) {
  auto t = colour_sample();
  EXPECT_EQ(integer_at(mib_view::build(t), ic({3, 1, 1, 6, 4, 1})), 3) << "idle";
  t.status = {terminal::device_state::busy, ""};
  EXPECT_EQ(integer_at(mib_view::build(t), ic({3, 1, 1, 6, 4, 1})), 4) << "processing";
  t.status = {terminal::device_state::error, "paper jam in tray 2"};
  const auto v = mib_view::build(t);
  EXPECT_EQ(integer_at(v, ic({3, 1, 1, 6, 11, 1})), 7) << "down";
  EXPECT_EQ(v.find(ic({3, 1, 1, 7, 11, 1}))->val.octets, "paper jam in tray 2");
}

// The lint of the served PWG objects (no copy of PWG-IMAGING-COUNTER-MIB is
// available to smilint): every instance is a known column of a known table,
// with the index shape and the SYNTAX range the module gives it.
TEST(MibView, PwgInstancesObeyTheirSyntax) {
  auto t = colour_sample();
  t.counters.set(service::print, counter_kind::impressions, ~0ULL);
  const auto v = mib_view::build(t);
  const auto root = ic({});
  std::size_t served = 0;
  for (const auto& e : v.entries()) {
    if (!snmp::starts_with(e.name, root)) continue;
    ++served;
    const std::span<const snmp::subid> rest(e.name.data() + root.size(), e.name.size() - root.size());
    const auto where = snmp::to_string(e.name);
    ASSERT_GE(rest.size(), 3u) << where;
    const auto group = rest[0];
    if (group == 1) {  // icGeneral scalars .1-.4, instance .0
      ASSERT_EQ(rest.size(), 3u) << where;
      EXPECT_TRUE(rest[1] >= 1 && rest[1] <= 4 && rest[2] == 0) << where;
      if (rest[1] == 1)
        EXPECT_LE(e.val.octets.size(), 63u) << where;
      else
        EXPECT_TRUE(e.val.type == snmp::value_type::integer && e.val.integer >= 0) << where;
      continue;
    }
    ASSERT_GE(rest.size(), 4u) << where;
    EXPECT_EQ(rest[1], 1u) << where << ": table";
    EXPECT_EQ(rest[2], 1u) << where << ": entry";
    const auto column = rest[3];
    const auto index = rest.subspan(4);
    switch (group) {
      case 2:  // icKeyEntry: 2..5, INDEX icKeyIndex (1..2147483647)
        EXPECT_TRUE(column >= 2 && column <= 5) << where;
        ASSERT_EQ(index.size(), 1u) << where;
        EXPECT_GE(index[0], 1u) << where;
        EXPECT_EQ(e.val.type, snmp::value_type::integer) << where;
        if (column == 2) {
          EXPECT_TRUE(e.val.integer >= 1 && e.val.integer <= 13) << where << " IcServiceTypeTC";
        }
        break;
      case 3:  // icServiceEntry: 3..8, INDEX icServiceType, icServiceIndex
        EXPECT_TRUE(column >= 3 && column <= 8) << where;
        ASSERT_EQ(index.size(), 2u) << where;
        EXPECT_TRUE(index[0] >= 1 && index[0] <= 13 && index[1] >= 1) << where;
        if (column == 4 || column == 7) {
          EXPECT_EQ(e.val.type, snmp::value_type::octet_string) << where;
          EXPECT_LE(e.val.octets.size(), 255u) << where;
        } else {
          EXPECT_EQ(e.val.type, snmp::value_type::integer) << where;
        }
        if (column == 5) {
          EXPECT_TRUE(e.val.integer >= 0 && e.val.integer <= 32767) << where;
        }
        if (column == 6) {
          EXPECT_TRUE(e.val.integer >= 1 && e.val.integer <= 7) << where << " IcServiceStateTC";
        }
        break;
      case 7:
      case 8:
      case 10:  // icImage/icImpression/icSheetEntry: INDEX key, IcWorkTypeTC, IcPersistenceTC; IcCounter32
        EXPECT_TRUE(column >= 4 && column <= (group == 7 ? 6u : 8u)) << where;
        ASSERT_EQ(index.size(), 3u) << where;
        EXPECT_TRUE(index[0] >= 1 && index[1] >= 1 && index[1] <= 7 && index[2] >= 1 && index[2] <= 5) << where;
        EXPECT_EQ(e.val.type, snmp::value_type::integer) << where;
        EXPECT_TRUE(e.val.integer >= 0 && e.val.integer <= 2147483647) << where << " IcCounter32";
        break;
      default:
        ADD_FAILURE() << where << ": not a table the subagent serves";
    }
  }
  EXPECT_GT(served, 60u);
}

}  // namespace
}  // namespace fleetreg::subagent
