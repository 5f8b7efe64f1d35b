// SPDX-License-Identifier: Apache-2.0
// The Printer-MIB done fully (issue 16): every printer row and marker,
// counter units, supplies of every marker, device state and alerts, and
// identity from every source — decoded from varbinds, no I/O.
#include <gtest/gtest.h>

#include "fleetreg/snmp/enterprises.hpp"
#include "fleetreg/snmp/printer_alerts.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"

namespace fleetreg::snmp {
namespace {

namespace pm = printer_mib;

varbind vb(oid_vector name, value v) { return {std::move(name), std::move(v)}; }
value counter32(std::uint64_t x) {
  value v;
  v.type = value_type::counter32;
  v.unsigned_value = x;
  return v;
}
value object_id(oid_vector o) {
  value v;
  v.type = value_type::object_id;
  v.oid = std::move(o);
  return v;
}
value octets(std::string s) { return value::make_string(std::move(s)); }
value integer(std::int64_t x) { return value::make_integer(x); }
varbind marker(subid col, subid row, subid m, value v) { return vb(append(pm::prt_marker_entry, {col, row, m}), v); }
varbind hr_type(subid row, const oid_vector& type) {
  return vb(append(pm::hr_device_entry, {pm::hr_device_type, row}), object_id(type));
}
varbind supply_col(subid col, subid row, subid i, value v) {
  return vb(append(pm::prt_marker_supplies_entry, {col, row, i}), std::move(v));
}
varbind alert_col(subid col, subid row, subid i, value v) {
  return vb(append(pm::prt_alert_entry, {col, row, i}), std::move(v));
}
const oid_vector processor_type = {1, 3, 6, 1, 2, 1, 25, 3, 1, 3};

TEST(PrinterMib, EveryPrinterRowAndMarkerByUnit) {
  // Two printer rows (1 and 3; row 2 is a processor), row 1 with three
  // markers: impressions, sheets, a second impressions marker; row 3 counts
  // impressions and hours.
  const std::vector<varbind> walked = {
      hr_type(1, pm::hr_device_printer_type),
      hr_type(2, processor_type),
      hr_type(3, pm::hr_device_printer_type),
      marker(3, 1, 1, integer(7)),
      marker(3, 1, 2, integer(8)),
      marker(3, 1, 3, integer(7)),
      marker(3, 2, 1, integer(7)),  // the processor row: not a printer
      marker(3, 3, 1, integer(7)),
      marker(3, 3, 2, integer(11)),
      marker(4, 1, 1, counter32(1000)),
      marker(4, 1, 2, counter32(600)),
      marker(4, 1, 3, counter32(55)),
      marker(4, 2, 1, counter32(999999)),
      marker(4, 3, 1, counter32(20)),
      marker(4, 3, 2, counter32(4321)),
  };
  const auto d = decode_printer_mib({}, walked);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions), 1020u) << "row 1 marker 1 + row 3 marker 1";
  EXPECT_EQ(d->counters.get(service::total, counter_kind::sheets), 600u);
  EXPECT_EQ(d->extras.at("marker.1.3.impressions"), 55u);
  EXPECT_EQ(d->extras.at("total.marker-hours"), 4321u);
  EXPECT_EQ(d->extras.size(), 2u);
  EXPECT_EQ(d->provenance.at("total.impressions"),
            "printer-mib 1.3.6.1.2.1.43.10.2.1.4.1.1+1.3.6.1.2.1.43.10.2.1.4.3.1");
  EXPECT_EQ(d->provenance.at("total.sheets"), "printer-mib 1.3.6.1.2.1.43.10.2.1.4.1.2");
  EXPECT_EQ(d->provenance.at("extra:total.marker-hours"), "printer-mib 1.3.6.1.2.1.43.10.2.1.4.3.2");
  EXPECT_EQ(d->provenance.at("extra:marker.1.3.impressions"), "printer-mib 1.3.6.1.2.1.43.10.2.1.4.1.3");
}

TEST(PrinterMib, WithoutHrDeviceTypeRowOneIsThePrinter) {
  // What the tests' snmpd serves: a Linux host's hrDeviceTable (no row 1)
  // and Printer-MIB objects at hrDeviceIndex 1.
  const auto d = decode_printer_mib(
      {}, {hr_type(768, processor_type), marker(4, 1, 1, counter32(77)), marker(4, 2, 1, counter32(5))});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions), 77u);
  EXPECT_FALSE(d->counters.get(service::total, counter_kind::sheets)) << "unknown stays unknown";
  // A zero is a value.
  EXPECT_EQ(
      decode_printer_mib({}, {marker(4, 1, 1, counter32(0))})->counters.get(service::total, counter_kind::impressions),
      0u);
  // A counter that is not a number is not one.
  EXPECT_FALSE(
      decode_printer_mib({}, {marker(4, 1, 1, octets("12"))})->counters.get(service::total, counter_kind::impressions));
}

TEST(PrinterMib, SuppliesOfEveryRowWithUniqueIndexes) {
  const std::vector<varbind> walked = {
      hr_type(1, pm::hr_device_printer_type),
      hr_type(2, pm::hr_device_printer_type),
      supply_col(5, 1, 1, integer(21)),  // tonerCartridge
      supply_col(6, 1, 1, octets("Black Toner Cartridge")),
      supply_col(8, 1, 1, integer(20000)),
      supply_col(9, 1, 1, integer(-3)),
      supply_col(5, 1, 2, integer(6)),  // inkCartridge
      supply_col(8, 1, 2, integer(-2)),
      supply_col(9, 1, 2, integer(-2)),
      supply_col(5, 2, 1, integer(99)),  // not in the TC
      supply_col(4, 2, 1, integer(4)),   // filled
      supply_col(8, 2, 1, integer(-1)),
      supply_col(9, 2, 1, integer(-1)),
      supply_col(9, 2, 2, integer(50)),  // level above its (unknown→0?) capacity: max stays -2, valid
      supply_col(8, 2, 3, integer(10)),
      supply_col(9, 2, 3, integer(11)),  // level above capacity: dropped
  };
  const auto d = decode_printer_mib({}, walked);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->supplies.size(), 4u);
  EXPECT_EQ(d->supplies[0].index, 1);
  EXPECT_EQ(d->supplies[0].type, supply_type::toner_cartridge);
  EXPECT_EQ(d->supplies[0].level, supply_some_remaining);
  EXPECT_EQ(d->supplies[0].max_capacity, 20000);
  EXPECT_EQ(d->supplies[1].index, 2);
  EXPECT_EQ(d->supplies[1].type, supply_type::ink_cartridge);
  EXPECT_EQ(d->supplies[1].level, supply_unknown);
  EXPECT_EQ(d->supplies[2].index, 2 * 65536 + 1) << "the second printer's supplies";
  EXPECT_EQ(d->supplies[2].type, supply_type::unknown);
  EXPECT_EQ(d->supplies[2].klass, supply_class::filled);
  EXPECT_EQ(d->supplies[2].level, supply_other);
  EXPECT_EQ(d->supplies[3].index, 2 * 65536 + 2);
  EXPECT_EQ(d->provenance.at("supplies"), "printer-mib 1.3.6.1.2.1.43.11.1.1");
}

TEST(PrinterMib, ErrorStateBits) {
  // One octet: bit 0 (lowPaper) is the most significant bit.
  auto a = decode_error_state(std::string(1, '\x80'));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].code, "lowPaper");
  EXPECT_EQ(a[0].severity, "warning");
  EXPECT_EQ(a[0].group, "input");
  EXPECT_EQ(a[0].source, "hrPrinterDetectedErrorState");
  // jammed (5) and serviceRequested (7).
  a = decode_error_state(std::string(1, '\x05'));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].code, "jammed");
  EXPECT_EQ(a[0].severity, "critical");
  EXPECT_EQ(a[1].code, "serviceRequested");
  // Two octets: inputTrayMissing (8) and overduePreventMaint (14); bit 15 is unassigned.
  a = decode_error_state(std::string("\x00\x83", 2));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].code, "inputTrayMissing");
  EXPECT_EQ(a[1].code, "overduePreventMaint");
  // Hostile lengths: empty, and far too long (only the first two octets count).
  EXPECT_TRUE(decode_error_state("").empty());
  EXPECT_EQ(decode_error_state(std::string(100000, '\xff')).size(), 15u);
  for (const auto& x : decode_error_state(std::string(2, '\xff'))) EXPECT_FALSE(validate(x)) << x.code;
}

TEST(PrinterMib, AlertTableAndStateCombined) {
  std::vector<varbind> walked = {
      // A warning (toner low) and a critical jam with a description.
      alert_col(2, 1, 1, integer(4)),
      alert_col(4, 1, 1, integer(11)),
      alert_col(7, 1, 1, integer(1104)),
      alert_col(8, 1, 1, octets("Toner low (K)")),
      alert_col(2, 1, 2, integer(3)),
      alert_col(4, 1, 2, integer(13)),
      alert_col(7, 1, 2, integer(8)),
      alert_col(8, 1, 2, octets("Paper jam in tray 2\x01\x02")),  // not printable: dropped
      // other severity, an unknown group and code, an overlong description.
      alert_col(2, 1, 3, integer(1)),
      alert_col(4, 1, 3, integer(77)),
      alert_col(7, 1, 3, integer(40000)),
      alert_col(8, 1, 3, octets(std::string(300, 'x'))),
      // The same jam row again (another index): kept once.
      alert_col(2, 1, 4, integer(3)),
      alert_col(4, 1, 4, integer(13)),
      alert_col(7, 1, 4, integer(8)),
      alert_col(8, 1, 4, octets("Paper jam in tray 2\x01\x02")),
      // hrPrinterDetectedErrorState: jammed (reported by the table too) and doorOpen.
      vb(append(pm::hr_printer_entry, {pm::hr_printer_detected_error_state, 1}), octets(std::string(1, '\x0c'))),
      vb(append(pm::hr_device_entry, {pm::hr_device_status, 1}), integer(5)),
  };
  const auto d = decode_printer_mib({}, walked);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->device_status, "down");
  ASSERT_EQ(d->alerts.size(), 4u);
  EXPECT_EQ(d->alerts[0], (device_alert{"critical", "mediaPath", "jam", "", "prtAlertTable"}));
  EXPECT_EQ(d->alerts[1], (device_alert{"critical", "cover", "doorOpen", "", "hrPrinterDetectedErrorState"}));
  EXPECT_EQ(d->alerts[2],
            (device_alert{"warning", "markerSupplies", "markerTonerAlmostEmpty", "Toner low (K)", "prtAlertTable"}));
  EXPECT_EQ(d->alerts[3].severity, "info");
  EXPECT_EQ(d->alerts[3].group, "group-77");
  EXPECT_EQ(d->alerts[3].code, "code-40000");
  EXPECT_EQ(d->alerts[3].description, std::string(255, 'x'));
  for (const auto& a : d->alerts) EXPECT_FALSE(validate(a)) << a.code;
  EXPECT_EQ(d->provenance.at("alerts"), "printer-mib 1.3.6.1.2.1.43.18.1.1+1.3.6.1.2.1.25.3.5.1.2");
  EXPECT_EQ(d->provenance.at("device_status"), "host-resources-mib 1.3.6.1.2.1.25.3.2.1.5.1");
  // At most max_alerts, critical first.
  walked.clear();
  for (subid i = 1; i <= 40; ++i) {
    walked.push_back(alert_col(2, 1, i, integer(i == 40 ? 3 : 4)));
    walked.push_back(alert_col(7, 1, i, integer(static_cast<std::int64_t>(i))));
  }
  const auto many = decode_printer_mib({}, walked);
  ASSERT_EQ(many->alerts.size(), max_alerts);
  EXPECT_EQ(many->alerts[0].severity, "critical");
  EXPECT_EQ(many->alerts[0].code, "code-40");
  EXPECT_EQ(many->alerts[1].code, "other");
}

TEST(PrinterMib, AlertNames) {
  EXPECT_EQ(alert_severity_name(5), "warning") << "warningBinaryChangeEvent";
  EXPECT_EQ(alert_severity_name(-7), "info");
  EXPECT_EQ(alert_group_name(30), "finDevice");
  EXPECT_EQ(alert_group_name(-1), "other");
  EXPECT_EQ(alert_code_name(1115), "markerTonerCartridgeMissing");
  EXPECT_EQ(alert_code_name(99999999999), "other");
}

TEST(Enterprises, ManufacturerOfSysObjectId) {
  EXPECT_EQ(manufacturer_of(oid_vector{1, 3, 6, 1, 4, 1, 18334, 1, 1, 1, 2, 1, 50}), "Konica Minolta");
  EXPECT_EQ(manufacturer_of(oid_vector{1, 3, 6, 1, 4, 1, 367, 1, 1}), "Ricoh");
  EXPECT_EQ(manufacturer_of(oid_vector{1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1}), "HP");
  EXPECT_FALSE(manufacturer_of(oid_vector{1, 3, 6, 1, 4, 1, 8072, 3, 2, 10})) << "Net-SNMP's Linux agent";
  EXPECT_FALSE(manufacturer_of(oid_vector{1, 3, 6, 1, 4, 1}));
  EXPECT_FALSE(manufacturer_of(oid_vector{}));
  EXPECT_EQ(enterprise_of("KONICA MINOLTA"), 18334u);
  EXPECT_EQ(enterprise_of("Hewlett-Packard"), 11u);
  EXPECT_EQ(enterprise_of("KYOCERA Document Solutions Inc."), 1347u);
  EXPECT_EQ(enterprise_of("Ricoh Co., Ltd."), 367u);
  EXPECT_FALSE(enterprise_of("Acme"));
  for (const auto& v : printer_vendors()) EXPECT_EQ(enterprise_of(v.name), v.enterprise) << v.name;
}

TEST(Enterprises, NameNormalisation) {
  EXPECT_EQ(canonical_manufacturer("KONICA MINOLTA"), "Konica Minolta");
  EXPECT_EQ(canonical_manufacturer("konica-minolta"), "Konica Minolta");
  EXPECT_EQ(canonical_manufacturer("HP Inc."), "HP");
  EXPECT_EQ(canonical_manufacturer("Hewlett Packard"), "HP");
  EXPECT_EQ(canonical_manufacturer("FUJI XEROX"), "Fujifilm");
  EXPECT_FALSE(canonical_manufacturer("HP LaserJet")) << "a description, not a name";
  EXPECT_FALSE(canonical_manufacturer("Canonical"));
  auto s = split_vendor_prefix("KONICA MINOLTA bizhub C300i");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->manufacturer, "Konica Minolta");
  EXPECT_EQ(s->rest, "bizhub C300i");
  s = split_vendor_prefix("Hewlett-Packard HP LaserJet 4250");
  EXPECT_EQ(s->manufacturer, "HP");
  EXPECT_EQ(s->rest, "HP LaserJet 4250");
  EXPECT_EQ(split_vendor_prefix("KYOCERA Document Solutions TASKalfa 3011i")->rest, "TASKalfa 3011i");
  EXPECT_EQ(split_vendor_prefix("OKIDATA C332")->manufacturer, "OKI");
  EXPECT_FALSE(split_vendor_prefix("OKIPRINT 5"));
  EXPECT_FALSE(split_vendor_prefix("Linux host 6.1.0-18-amd64 #1 SMP"));
  EXPECT_FALSE(split_vendor_prefix(""));
}

TEST(PrinterMib, IdentityFromEverySource) {
  const auto ricoh = object_id({1, 3, 6, 1, 4, 1, 367, 1, 1});
  const auto descr = append(pm::hr_device_entry, {pm::hr_device_descr, 1});
  const auto serial = append(pm::prt_general_entry, {pm::prt_general_serial_number, 1});
  // sysObjectID first: hrDeviceDescr's vendor name is taken off the model.
  auto d = decode_printer_mib(
      {vb(pm::sys_object_id, ricoh), vb(descr, octets("RICOH IM C3000")), vb(serial, octets("3100R1"))}, {});
  EXPECT_EQ(d->id.manufacturer, "Ricoh");
  EXPECT_EQ(d->id.model, "IM C3000");
  EXPECT_EQ(terminal_key(d->id), "ricoh:3100R1");
  EXPECT_EQ(d->provenance.at("identity.manufacturer"), "snmpv2-mib sysObjectID.0 1.3.6.1.4.1.367.1.1");
  EXPECT_EQ(d->provenance.at("identity.model"), "host-resources-mib 1.3.6.1.2.1.25.3.2.1.3.1");
  EXPECT_EQ(d->provenance.at("identity.serial"), "printer-mib 1.3.6.1.2.1.43.5.1.1.17.1");
  // A description without the vendor's name is the model.
  d = decode_printer_mib({vb(pm::sys_object_id, ricoh), vb(descr, octets("MP C2004"))}, {});
  EXPECT_EQ(d->id.model, "MP C2004");
  // Multi-word vendor names from the description, whatever their case.
  for (const char* text : {"KONICA MINOLTA bizhub C300i", "Konica Minolta bizhub C300i"}) {
    d = decode_printer_mib({vb(descr, octets(text)), vb(serial, octets("AA2J0"))}, {});
    EXPECT_EQ(d->id.manufacturer, "Konica Minolta") << text;
    EXPECT_EQ(d->id.model, "bizhub C300i") << text;
    EXPECT_EQ(terminal_key(d->id), "konica minolta:AA2J0");
  }
  // ENTITY-MIB's names before the description's; the model too.
  d = decode_printer_mib({vb(descr, octets("Generic 35C-4")),
                          vb(append(pm::ent_physical_entry, {12, 1}), octets("KYOCERA Document Solutions Inc.")),
                          vb(append(pm::ent_physical_entry, {13, 1}), octets("TASKalfa 3554ci"))},
                         {});
  EXPECT_EQ(d->id.manufacturer, "Kyocera");
  EXPECT_EQ(d->id.model, "TASKalfa 3554ci");
  EXPECT_EQ(d->provenance.at("identity.model"), "entity-mib 1.3.6.1.2.1.47.1.1.1.1.13.1");
  // sysDescr when nothing else names the vendor.
  d = decode_printer_mib({vb(pm::sys_descr, octets("Brother NC-8300h, Firmware Ver.1.05"))}, {});
  EXPECT_EQ(d->id.manufacturer, "Brother");
  EXPECT_EQ(d->id.model, "NC-8300h");
  // The first word only as the last resort.
  d = decode_printer_mib({vb(descr, octets("Generic 35C-4"))}, {});
  EXPECT_EQ(d->id.manufacturer, "Generic");
  EXPECT_EQ(d->id.model, "35C-4");
  EXPECT_EQ(d->provenance.at("identity.manufacturer"), "host-resources-mib 1.3.6.1.2.1.25.3.2.1.3.1 (first word)");
  // A Linux host names nothing: a reading still, without identity.
  d = decode_printer_mib({vb(pm::sys_object_id, object_id({1, 3, 6, 1, 4, 1, 8072, 3, 2, 10})),
                          vb(pm::sys_descr, octets("Linux host 6.1.0-18-amd64 #1 SMP"))},
                         {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.manufacturer, "");
  EXPECT_EQ(d->id.model, "");
  EXPECT_FALSE(terminal_key(d->id));
  EXPECT_FALSE(decode_printer_mib({}, {})) << "nothing answered";
}

}  // namespace
}  // namespace fleetreg::snmp
