// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fleetreg/collector/snmp_reader.hpp"
#include "fleetreg/collector/store.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::collector {
namespace {

namespace tm = snmp::terminal_mib;
namespace pm = snmp::printer_mib;
using snmp::append;
using snmp::value;

snmp::varbind vb(snmp::oid_vector name, value v) { return {std::move(name), std::move(v)}; }
value counter64(std::uint64_t x) {
  value v;
  v.type = snmp::value_type::counter64;
  v.unsigned_value = x;
  return v;
}
value counter32(std::uint64_t x) {
  value v;
  v.type = snmp::value_type::counter32;
  v.unsigned_value = x;
  return v;
}
value missing() {
  value v;
  v.type = snmp::value_type::no_such_object;
  return v;
}

TEST(SnmpReader, DecodesTheFleetregMib) {
  const std::vector<snmp::varbind> identity = {
      vb(append(tm::manufacturer, {0}), value::make_string("Konica Minolta")),
      vb(append(tm::model, {0}), value::make_string("bizhub C300i")),
      vb(append(tm::serial_number, {0}), value::make_string("AA2J021012345")),
      vb(append(tm::reg_state, {0}), value::make_integer(static_cast<int>(tm::reg_state_value::registered)))};
  const std::vector<snmp::varbind> counters = {
      vb(append(tm::counter_entry, {tm::counter_impressions, 4}), counter64(5)),
      vb(append(tm::counter_entry, {tm::counter_sheets, 3}), counter64(1ULL << 40)),
      vb(append(tm::counter_entry, {tm::counter_impressions, 99}), counter64(7))};  // unknown service: ignored
  const std::vector<snmp::varbind> supplies = {
      vb(append(tm::supply_entry, {tm::supply_description, 1}), value::make_string("Black Toner")),
      vb(append(tm::supply_entry, {tm::supply_max_capacity, 1}), value::make_integer(20000)),
      vb(append(tm::supply_entry, {tm::supply_level, 1}), value::make_integer(19995))};
  const auto d = decode_fleetreg(identity, counters, supplies);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key(), "konica minolta:AA2J021012345");
  EXPECT_EQ(d->counters.get(service::copy, counter_kind::impressions), 5u);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::sheets), 1ULL << 40);
  ASSERT_EQ(d->supplies.size(), 1u);
  EXPECT_EQ(d->supplies[0].percent(), 99);
  EXPECT_TRUE(d->registered_in_terminal_mode);
  EXPECT_FALSE(d->why_not_registrable().empty()) << "a terminal-mode terminal is left alone";
  EXPECT_FALSE(decode_fleetreg({vb(append(tm::serial_number, {0}), missing())}, {}, {}));
}

// Found by the snmp fuzzer: a device's identity the center refuses (a uuid
// that is not one, text over the limits) made the collector's whole
// registration fail; such fields are now fitted, and why_not_registrable
// names any identity the center would still refuse.
TEST(SnmpReader, IdentityIsFittedToWhatTheCenterAccepts) {
  const std::vector<snmp::varbind> identity = {
      vb(append(tm::manufacturer, {0}), value::make_string(std::string(100, 'M'))),
      vb(append(tm::serial_number, {0}), value::make_string("SN-1")),
      vb(append(tm::uuid, {0}), value::make_string("not a uuid"))};
  const auto d = decode_fleetreg(identity, {}, {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.manufacturer, std::string(max_manufacturer_length, 'M'));
  EXPECT_EQ(d->id.uuid, "");
  EXPECT_FALSE(validate(d->id));
  EXPECT_EQ(d->why_not_registrable(), "");
  auto upper = identity;
  upper[2] = vb(append(tm::uuid, {0}), value::make_string("5C6B2F0E-9A3D-4E61-8F21-0D3C7A9B1E44"));
  EXPECT_EQ(decode_fleetreg(upper, {}, {})->id.uuid, "5c6b2f0e-9a3d-4e61-8f21-0d3c7a9b1e44");
  device_info unfit = *d;
  unfit.id.uuid = "not a uuid";
  EXPECT_EQ(unfit.why_not_registrable(), "reports an identity the center refuses: uuid is not a canonical UUID");
}

TEST(SnmpReader, DecodesRfc3805) {
  const std::vector<snmp::varbind> general = {
      vb(append(pm::prt_general_entry, {17, 1}), value::make_string("CNB1234567")),
      vb(append(pm::hr_device_entry, {3, 1}), value::make_string("HP LaserJet M404")),
      vb(append(pm::prt_marker_entry, {4, 1, 1}), counter32(123456))};
  const std::vector<snmp::varbind> supplies = {
      vb(append(pm::prt_marker_supplies_entry, {6, 1, 1}), value::make_string("Black Cartridge")),
      vb(append(pm::prt_marker_supplies_entry, {8, 1, 1}), value::make_integer(100)),
      vb(append(pm::prt_marker_supplies_entry, {9, 1, 1}), value::make_integer(-3)),
      vb(append(pm::prt_marker_supplies_entry, {9, 2, 1}), value::make_integer(5))};  // another device: ignored
  const auto d = decode_printer_mib(general, supplies);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, reading_source::printer_mib);
  EXPECT_EQ(d->key(), "hp:CNB1234567");
  EXPECT_EQ(d->id.model, "LaserJet M404");
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions), 123456u);
  ASSERT_EQ(d->supplies.size(), 1u);
  EXPECT_EQ(d->supplies[0].level, supply_some_remaining);
}

TEST(SnmpReader, NoSerialIsNotRegistrable) {
  const auto d = decode_printer_mib({vb(append(pm::hr_device_entry, {3, 1}), value::make_string("Acme Printer"))}, {});
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->key());
  EXPECT_EQ(d->why_not_registrable(), "reports no serial number and no UUID");
}

TEST(SnmpReader, EntityMibFillsWhatThePrinterMibLacks) {
  // No prtGeneralSerialNumber, no hrDeviceDescr: ENTITY-MIB entity 1 names the device.
  const auto d = decode_printer_mib({vb(append(pm::ent_physical_entry, {11, 1}), value::make_string("ENT-778")),
                                     vb(append(pm::ent_physical_entry, {12, 1}), value::make_string("Xerox")),
                                     vb(append(pm::ent_physical_entry, {13, 1}), value::make_string("VersaLink C405")),
                                     vb(append(pm::prt_general_entry, {17, 1}), missing())},
                                    {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key(), "xerox:ENT-778");
  EXPECT_EQ(d->id.model, "VersaLink C405");
  // The Printer-MIB's serial wins when both are there.
  const auto both = decode_printer_mib({vb(append(pm::prt_general_entry, {17, 1}), value::make_string("PRT-1")),
                                        vb(append(pm::ent_physical_entry, {11, 1}), value::make_string("ENT-2")),
                                        vb(append(pm::hr_device_entry, {3, 1}), value::make_string("Xerox B210"))},
                                       {});
  EXPECT_EQ(both->id.serial, "PRT-1");
  EXPECT_EQ(both->id.model, "B210");
}

TEST(CollectorStore, CredentialIsOwnerOnlyAndIdempotencyKeyStable) {
  test::temp_dir dir;
  store st(dir.file("state"));
  const auto k1 = st.idempotency_key("AAAA-BBBB-CCCC");
  EXPECT_EQ(st.idempotency_key("AAAA-BBBB-CCCC"), k1);
  EXPECT_NE(st.idempotency_key("AAAA-BBBB-CCCD"), k1);
  st.set_registration("https://c/", "site-1", {"hp:A1"}, "frc1_secret");
  st.forget_idempotency_key("AAAA-BBBB-CCCC");
  EXPECT_NE(st.idempotency_key("AAAA-BBBB-CCCC"), k1);
  struct stat s {};
  ASSERT_EQ(::stat(dir.file("state/credential").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0600u);
  EXPECT_EQ(st.credential(), "frc1_secret");
  EXPECT_EQ(st.registration().terminals, std::vector<std::string>{"hp:A1"});
}

TEST(CollectorStore, LastUploadIsTheClocksTime) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  store st(dir.file("state"), clock);
  st.set_registration("https://c/", "site-1", {"hp:A1"}, "frc1_secret");
  EXPECT_FALSE(st.registration().last_upload);
  st.set_last_upload();
  EXPECT_EQ(st.registration().last_upload, clock.now());
}

}  // namespace
}  // namespace fleetreg::collector
