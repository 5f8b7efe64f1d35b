// SPDX-License-Identifier: Apache-2.0
// Reading a terminal over SNMP: the fleetreg MIB and the Printer-MIB
// decoders (no I/O).
#include "fleetreg/snmp/terminal_reading.hpp"

#include <gtest/gtest.h>

#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::snmp {
namespace {

namespace tm = terminal_mib;
namespace pm = printer_mib;

varbind vb(oid_vector name, value v) { return {std::move(name), std::move(v)}; }
value counter64(std::uint64_t x) {
  value v;
  v.type = value_type::counter64;
  v.unsigned_value = x;
  return v;
}
value counter32(std::uint64_t x) {
  value v;
  v.type = value_type::counter32;
  v.unsigned_value = x;
  return v;
}
value missing() {
  value v;
  v.type = value_type::no_such_object;
  return v;
}

TEST(TerminalReading, DecodesTheFleetregMib) {
  const std::vector<varbind> identity = {
      vb(append(tm::manufacturer, {0}), value::make_string("Konica Minolta")),
      vb(append(tm::model, {0}), value::make_string("bizhub C300i")),
      vb(append(tm::serial_number, {0}), value::make_string("AA2J021012345")),
      vb(append(tm::reg_state, {0}), value::make_integer(static_cast<int>(tm::reg_state_value::registered)))};
  const std::vector<varbind> counters = {
      vb(append(tm::counter_entry, {tm::counter_impressions, 4}), counter64(5)),
      vb(append(tm::counter_entry, {tm::counter_sheets, 3}), counter64(1ULL << 40)),
      vb(append(tm::counter_entry, {tm::counter_impressions, 99}), counter64(7))};  // unknown service: ignored
  const std::vector<varbind> supplies = {
      vb(append(tm::supply_entry, {tm::supply_description, 1}), value::make_string("Black Toner")),
      vb(append(tm::supply_entry, {tm::supply_max_capacity, 1}), value::make_integer(20000)),
      vb(append(tm::supply_entry, {tm::supply_level, 1}), value::make_integer(19995))};
  const auto d = decode_fleetreg(identity, counters, supplies);
  ASSERT_TRUE(d);
  EXPECT_EQ(terminal_key(d->id), "konica minolta:AA2J021012345");
  EXPECT_EQ(d->counters.get(service::copy, counter_kind::impressions), 5u);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::sheets), 1ULL << 40);
  ASSERT_EQ(d->supplies.size(), 1u);
  EXPECT_EQ(d->supplies[0].percent(), 99);
  EXPECT_TRUE(d->registered_in_terminal_mode);
  EXPECT_EQ(d->source, reading_source::fleetreg_mib);
  EXPECT_FALSE(decode_fleetreg({vb(append(tm::serial_number, {0}), missing())}, {}, {}));
}

// Found by the snmp fuzzer: a device's identity the center refuses (a uuid
// that is not one, text over the limits) made the collector's whole
// registration fail; such fields are now fitted, and why_not_registrable
// names any identity the center would still refuse (tests/collector).
TEST(TerminalReading, IdentityIsFittedToWhatTheCenterAccepts) {
  const std::vector<varbind> identity = {vb(append(tm::manufacturer, {0}), value::make_string(std::string(100, 'M'))),
                                         vb(append(tm::serial_number, {0}), value::make_string("SN-1")),
                                         vb(append(tm::uuid, {0}), value::make_string("not a uuid"))};
  const auto d = decode_fleetreg(identity, {}, {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.manufacturer, std::string(max_manufacturer_length, 'M'));
  EXPECT_EQ(d->id.uuid, "");
  EXPECT_FALSE(validate(d->id)) << "the center accepts it";
  auto upper = identity;
  upper[2] = vb(append(tm::uuid, {0}), value::make_string("5C6B2F0E-9A3D-4E61-8F21-0D3C7A9B1E44"));
  EXPECT_EQ(decode_fleetreg(upper, {}, {})->id.uuid, "5c6b2f0e-9a3d-4e61-8f21-0d3c7a9b1e44");
}

TEST(TerminalReading, DecodesRfc3805) {
  const std::vector<varbind> general = {vb(append(pm::prt_general_entry, {17, 1}), value::make_string("CNB1234567")),
                                        vb(append(pm::hr_device_entry, {3, 1}), value::make_string("HP LaserJet M404")),
                                        vb(append(pm::prt_marker_entry, {4, 1, 1}), counter32(123456))};
  const std::vector<varbind> supplies = {
      vb(append(pm::prt_marker_supplies_entry, {6, 1, 1}), value::make_string("Black Cartridge")),
      vb(append(pm::prt_marker_supplies_entry, {8, 1, 1}), value::make_integer(100)),
      vb(append(pm::prt_marker_supplies_entry, {9, 1, 1}), value::make_integer(-3)),
      vb(append(pm::prt_marker_supplies_entry, {9, 2, 1}), value::make_integer(5))};  // another device: ignored
  const auto d = decode_printer_mib(general, supplies);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, reading_source::printer_mib);
  EXPECT_EQ(terminal_key(d->id), "hp:CNB1234567");
  EXPECT_EQ(d->id.model, "LaserJet M404");
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions), 123456u);
  ASSERT_EQ(d->supplies.size(), 1u);
  EXPECT_EQ(d->supplies[0].level, supply_some_remaining);
}

TEST(TerminalReading, NoSerialIsNotRegistrable) {
  const auto d = decode_printer_mib({vb(append(pm::hr_device_entry, {3, 1}), value::make_string("Acme Printer"))}, {});
  ASSERT_TRUE(d);
  EXPECT_FALSE(terminal_key(d->id));
}

TEST(TerminalReading, EntityMibFillsWhatThePrinterMibLacks) {
  // No prtGeneralSerialNumber, no hrDeviceDescr: ENTITY-MIB entity 1 names the device.
  const auto d = decode_printer_mib({vb(append(pm::ent_physical_entry, {11, 1}), value::make_string("ENT-778")),
                                     vb(append(pm::ent_physical_entry, {12, 1}), value::make_string("Xerox")),
                                     vb(append(pm::ent_physical_entry, {13, 1}), value::make_string("VersaLink C405")),
                                     vb(append(pm::prt_general_entry, {17, 1}), missing())},
                                    {});
  ASSERT_TRUE(d);
  EXPECT_EQ(terminal_key(d->id), "xerox:ENT-778");
  EXPECT_EQ(d->id.model, "VersaLink C405");
  // The Printer-MIB's serial wins when both are there.
  const auto both = decode_printer_mib({vb(append(pm::prt_general_entry, {17, 1}), value::make_string("PRT-1")),
                                        vb(append(pm::ent_physical_entry, {11, 1}), value::make_string("ENT-2")),
                                        vb(append(pm::hr_device_entry, {3, 1}), value::make_string("Xerox B210"))},
                                       {});
  EXPECT_EQ(both->id.serial, "PRT-1");
  EXPECT_EQ(both->id.model, "B210");
}

}  // namespace
}  // namespace fleetreg::snmp
