// SPDX-License-Identifier: Apache-2.0
// The collector's IPP decoder: identity, counters and supplies of a printer
// from its Get-Printer-Attributes answer (no I/O).
#include "fleetreg/collector/ipp_reader.hpp"

#include <gtest/gtest.h>

namespace fleetreg::collector {
namespace {

ipp::printer_attributes sample() {
  ipp::printer_attributes p;
  p.make_and_model = "Acme LaserFast 9000";
  p.device_id = "MFG:Acme;MDL:LaserFast 9000;SN:IPP-0042;";
  p.uuid = "urn:uuid:4e18bd25-32cf-3443-51d1-f19bcaf9e07b";
  p.impressions = 1234;
  p.impressions_color = 200;
  p.sheets = 1000;
  p.supplies = {
      "index=1;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=42;colorantname=black;",
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
  p.marker_names = {std::string(254, 'a').append("\xe2\x82\xac")};  // 257 bytes: the "€" straddles byte 255
  p.marker_levels = {50};
  const auto cut = decode_ipp(p);
  ASSERT_EQ(cut->supplies.size(), 1u);
  EXPECT_EQ(cut->supplies[0].description, std::string(254, 'a'));
}

}  // namespace
}  // namespace fleetreg::collector
