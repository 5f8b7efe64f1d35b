// SPDX-License-Identifier: Apache-2.0
// One device seen several ways (SNMP, IPP, mDNS) becomes one terminal.
#include "fleetreg/collector/device.hpp"

#include <gtest/gtest.h>

namespace fleetreg::collector {
namespace {

TEST(DeviceMerge, OneDeviceSeenTwiceKeepsTheBetterSource) {
  device_info ipp_view;  // as decode_ipp makes it
  ipp_view.source = reading_source::ipp;
  ipp_view.id.manufacturer = "Acme";
  ipp_view.id.model = "LaserFast 9000";
  ipp_view.id.serial = "IPP-0042";
  ipp_view.supplies.resize(2);
  ipp_view.supplies[0].index = 1;
  ipp_view.supplies[1].index = 2;
  ipp_view.note_sources(reading_source::ipp);
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
