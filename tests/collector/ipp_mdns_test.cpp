// SPDX-License-Identifier: Apache-2.0
// The pure parts of IPP and mDNS discovery: attribute parsers, the IPP
// decoder, where a DNS-SD instance is read, and merging one device seen twice.

#include <gtest/gtest.h>

#include "fleetreg/collector/collector.hpp"
#include "fleetreg/collector/ipp_reader.hpp"

namespace fleetreg::collector {
namespace {

TEST(IppAttributes, DeviceIdAndSupplyStrings) {
  const auto id = ipp::parse_device_id("MFG:Acme Corp; MDL:Laser 9000 ;CMD:PDF,PCL;SN:X-1;garbage;:nokey;");
  EXPECT_EQ(id.at("MFG"), "Acme Corp");
  EXPECT_EQ(id.at("MDL"), "Laser 9000");
  EXPECT_EQ(id.at("SN"), "X-1");
  EXPECT_EQ(id.count(""), 0u);
  EXPECT_EQ(id.size(), 4u);
  const auto s = ipp::parse_supply("index=2;class=supplyThatIsConsumed;type=toner;unit=percent;Level=15;");
  EXPECT_EQ(s.at("index"), "2");
  EXPECT_EQ(s.at("level"), "15") << "keys are case-folded";
  EXPECT_TRUE(ipp::parse_device_id("").empty());
}

ipp::printer_attributes sample() {
  ipp::printer_attributes p;
  p.make_and_model = "Acme LaserFast 9000";
  p.device_id = "MFG:Acme;MDL:LaserFast 9000;SN:IPP-0042;";
  p.uuid = "urn:uuid:4e18bd25-32cf-3443-51d1-f19bcaf9e07b";
  p.impressions = 1234;
  p.impressions_color = 200;
  p.sheets = 1000;
  p.supplies = {"index=1;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=42;colorantname=black;",
                "index=2;class=supplyThatIsFilled;type=wasteToner;unit=percent;maxcapacity=100;level=7;"};
  p.supply_descriptions = {"Black Toner"};
  return p;
}

TEST(IppReader, DecodesIdentityCountersAndSupplies) {
  const auto d = decode_ipp(sample());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, reading_source::ipp);
  EXPECT_EQ(d->key(), "acme:IPP-0042");
  EXPECT_EQ(d->id.model, "LaserFast 9000");
  EXPECT_EQ(d->id.uuid, "4e18bd25-32cf-3443-51d1-f19bcaf9e07b");
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions), 1234u);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions_color), 200u);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::impressions_mono), 1034u);
  EXPECT_EQ(d->counters.get(service::total, counter_kind::sheets), 1000u);
  ASSERT_EQ(d->supplies.size(), 2u);
  EXPECT_EQ(d->supplies[0].description, "Black Toner");
  EXPECT_EQ(d->supplies[0].level, 42);
  EXPECT_EQ(d->supplies[0].unit, supply_unit::percent);
  EXPECT_EQ(d->supplies[1].type, supply_type::waste_toner);
  EXPECT_EQ(d->supplies[1].klass, supply_class::filled);
  EXPECT_EQ(d->field_sources.at("serial"), "ipp");
  EXPECT_EQ(d->field_sources.at("supplies"), "ipp");
}

TEST(IppReader, FallsBackToMakeAndModelSerialAttributeAndMarkerLevels) {
  ipp::printer_attributes p;
  p.make_and_model = "Brother HL-L8360CDW series";
  p.serial_number = "E7-99";
  p.marker_names = {"Black Toner", "Cyan Toner"};
  p.marker_types = {"toner", "toner"};
  p.marker_levels = {80, -1};
  const auto d = decode_ipp(p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.manufacturer, "Brother");
  EXPECT_EQ(d->id.model, "HL-L8360CDW series");
  EXPECT_EQ(d->key(), "brother:E7-99");
  EXPECT_TRUE(d->counters.empty()) << "no counters: none invented";
  ASSERT_EQ(d->supplies.size(), 2u);
  EXPECT_EQ(d->supplies[0].level, 80);
  EXPECT_EQ(d->supplies[1].level, supply_unknown);
  // Colour larger than the total is inconsistent: not split.
  p.impressions = 10;
  p.impressions_color = 11;
  EXPECT_FALSE(decode_ipp(p)->counters.get(service::total, counter_kind::impressions_mono));
  EXPECT_FALSE(decode_ipp(ipp::printer_attributes{})) << "nothing names the printer";
  // Malformed supply values are dropped, not guessed.
  p.supplies = {"index=1;level=500;maxcapacity=100;unit=percent;", "nonsense"};
  p.marker_levels.clear();
  EXPECT_TRUE(decode_ipp(p)->supplies.empty());
}

// Found by the ipp fuzzer: "urn:uuid:" followed by anything became the
// device's uuid, which the center refuses (and with it the whole
// registration). Text cut to its limit stays whole characters, so a long
// description does not lose its supply.
TEST(IppReader, IdentityAndSupplyTextFitTheLimits) {
  auto p = sample();
  p.uuid = "urn:uuid:printer-1";
  p.device_id = "MFG:Acme;MDL:" + std::string(200, 'L') + ";SN:IPP-0042;";
  const auto d = decode_ipp(p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id.uuid, "");
  EXPECT_EQ(d->id.model.size(), max_model_length);
  EXPECT_EQ(d->why_not_registrable(), "");
  p.supplies.clear();
  p.marker_names = {std::string(254, 'a') + "\xe2\x82\xac"};  // 257 bytes: the "€" straddles byte 255
  p.marker_levels = {50};
  const auto cut = decode_ipp(p);
  ASSERT_EQ(cut->supplies.size(), 1u);
  EXPECT_EQ(cut->supplies[0].description, std::string(254, 'a'));
}

TEST(MdnsTargets, WhereEachServiceTypeIsRead) {
  mdns::service s;
  s.address = "192.0.2.10";
  s.type = "_fleetreg._udp";
  s.port = 1161;
  EXPECT_EQ(target_of(s, 161).snmp_peer, "udp:192.0.2.10:1161") << "its own type carries the agent's port";
  EXPECT_TRUE(target_of(s, 161).ipp_uri.empty());
  s.type = "_ipp._tcp";
  s.port = 631;
  s.txt["rp"] = "ipp/print";
  EXPECT_EQ(target_of(s, 161).snmp_peer, "udp:192.0.2.10:161");
  EXPECT_EQ(target_of(s, 161).ipp_uri, "ipp://192.0.2.10:631/ipp/print");
  s.type = "_ipps._tcp";
  s.txt.clear();
  EXPECT_EQ(target_of(s, 161).ipp_uri, "ipps://192.0.2.10:631/ipp/print");
  s.type = "_pdl-datastream._tcp";
  s.address = "2001:db8::7";
  s.ipv6 = true;
  EXPECT_EQ(target_of(s, 161).snmp_peer, "udp6:[2001:db8::7]:161");
  EXPECT_TRUE(target_of(s, 161).ipp_uri.empty());
}

TEST(DeviceMerge, OneDeviceSeenTwiceKeepsTheBetterSource) {
  auto ipp_view = *decode_ipp(sample());
  ipp_view.seen_via = {"mdns _ipp._tcp 'Front'"};
  device_info mib;
  mib.source = reading_source::printer_mib;
  mib.id.manufacturer = "Acme";
  mib.id.serial = "IPP-0042";
  mib.counters.set(service::total, counter_kind::impressions, 1240);
  mib.note_sources(reading_source::printer_mib);
  mib.seen_via = {"snmp udp:192.0.2.10:161", "mdns _ipp._tcp 'Front'"};
  merge(ipp_view, std::move(mib));
  EXPECT_EQ(ipp_view.source, reading_source::printer_mib);
  EXPECT_EQ(ipp_view.counters.get(service::total, counter_kind::impressions), 1240u);
  EXPECT_EQ(ipp_view.field_sources.at("counters"), "printer-mib");
  EXPECT_EQ(ipp_view.id.model, "LaserFast 9000") << "filled from IPP";
  EXPECT_EQ(ipp_view.field_sources.at("model"), "ipp");
  EXPECT_EQ(ipp_view.field_sources.at("serial"), "printer-mib");
  EXPECT_EQ(ipp_view.supplies.size(), 2u) << "the MIB had none; IPP's are kept";
  EXPECT_EQ(ipp_view.seen_via.size(), 2u) << "the union, without repeats";
}

}  // namespace
}  // namespace fleetreg::collector
