// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/subagent/mib_view.hpp"

#include <gtest/gtest.h>

#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/terminal/job.hpp"

namespace fleetreg::subagent {
namespace {

namespace tm = snmp::terminal_mib;
namespace pm = snmp::printer_mib;
using snmp::append;

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

}  // namespace
}  // namespace fleetreg::subagent
