// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fleetreg/collector/collector.hpp"
#include "fleetreg/collector/snmp_reader.hpp"
#include "fleetreg/collector/store.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::collector {
namespace {

// What the collector makes of an SNMP reading (snmp::terminal_reading, tested
// in tests/snmp): each field's source, and whether it may register the device.
TEST(SnmpReader, DeviceFromATerminalReading) {
  snmp::terminal_reading r;
  r.id.manufacturer = "Konica Minolta";
  r.id.serial = "AA2J021012345";
  r.counters.set(service::copy, counter_kind::impressions, 5);
  auto d = device_from(r);
  EXPECT_EQ(d.key(), "konica minolta:AA2J021012345");
  EXPECT_EQ(d.field_sources.at("serial"), "fleetreg-mib");
  EXPECT_EQ(d.field_sources.at("counters"), "fleetreg-mib");
  EXPECT_EQ(d.field_sources.count("supplies"), 0u);
  EXPECT_EQ(d.why_not_registrable(), "");
  d.id.uuid = "not a uuid";
  EXPECT_EQ(d.why_not_registrable(), "reports an identity the center refuses: uuid is not a canonical UUID");
  r.registered_in_terminal_mode = true;
  EXPECT_FALSE(device_from(r).why_not_registrable().empty()) << "a terminal-mode terminal is left alone";
  r.source = reading_source::printer_mib;
  r.id.serial.clear();
  EXPECT_EQ(device_from(r).field_sources.at("manufacturer"), "printer-mib");
  r.registered_in_terminal_mode = false;
  EXPECT_EQ(device_from(r).why_not_registrable(),
            "no serial number: the device gives neither prtGeneralSerialNumber nor entPhysicalSerialNum, and no "
            "vendor profile reads one");
  r.id.serial = "SN-9";
  r.id.manufacturer.clear();
  EXPECT_EQ(device_from(r).why_not_registrable(),
            "no manufacturer: the device's sysObjectID is no known printer vendor's, and it gives neither "
            "entPhysicalMfgName nor hrDeviceDescr");
  r.source = reading_source::fleetreg_mib;
  EXPECT_EQ(device_from(r).why_not_registrable(), "reports no manufacturer");
  r.id.manufacturer = "Ricoh";
  r.id.serial.clear();
  EXPECT_EQ(device_from(r).why_not_registrable(), "reports no serial number and no UUID");
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
