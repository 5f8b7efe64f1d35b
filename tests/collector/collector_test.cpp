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

reading sample(const std::string& key) {
  auto r = make_reading(key, from_unix(1795622885), reading_source::fleetreg_mib);
  r.counters.set(service::copy, counter_kind::impressions, 5);
  return r;
}

TEST(Outbox, CommittedUntilAcknowledged) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  std::string id;
  {
    store st(dir.file("state"), clock);
    const auto r = sample("hp:A1");
    id = r.id;
    st.outbox().add(r);
    st.outbox().add(r);  // the same reading twice is one entry
  }
  store st(dir.file("state"), clock);  // "after a crash"
  st.set_registration("https://c/", "site-1", {"hp:A1"}, "frc1_secret");
  EXPECT_FALSE(st.registration().last_upload);
  auto due = st.outbox().due(100);
  ASSERT_EQ(due.size(), 1u);
  std::string why;
  EXPECT_EQ((*json::parse(due[0].body, why))["id"], id);
  st.outbox().retry_later({id});
  EXPECT_TRUE(st.outbox().due(100).empty()) << "backing off";
  clock.advance(std::chrono::seconds(2));
  ASSERT_EQ(st.outbox().due(100).size(), 1u);
  EXPECT_EQ(st.outbox().due(100)[0].attempts, 1);
  st.outbox().acknowledged({id});
  EXPECT_TRUE(st.outbox().due(100).empty());
  EXPECT_EQ(st.outbox().backlog().first, 0);
  st.set_last_upload();
  EXPECT_EQ(st.registration().last_upload, clock.now());
}

TEST(Outbox, BackoffGrowsAndStaysBounded) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  store st(dir.file("state"), clock);
  const auto r = sample("hp:A1");
  st.outbox().add(r);
  for (int i = 0; i < 20; ++i) st.outbox().retry_later({r.id});
  clock.advance(std::chrono::seconds(299));
  EXPECT_TRUE(st.outbox().due(1).empty());
  clock.advance(std::chrono::seconds(80));  // 300 s + at most 25 % jitter
  EXPECT_EQ(st.outbox().due(1).size(), 1u);
}

// Issue 14: an outbox the center cannot drain never grows without limit;
// what leaves it unstored is counted (status shows it).
TEST(Outbox, CapsDropTheOldestAndRefusalsAreCounted) {
  test::temp_dir dir;
  manual_clock clock(from_unix(1795622885));
  store st(dir.file("state"), clock, {5, std::chrono::hours(24)});
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    const auto r = sample("hp:A1");
    ids.push_back(r.id);
    st.outbox().add(r);
    clock.advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(st.outbox().enforce_caps(), 3);
  EXPECT_EQ(st.outbox().backlog().first, 5);
  const auto due = st.outbox().due(100);
  ASSERT_EQ(due.size(), 5u);
  EXPECT_EQ(due[0].id, ids[3]) << "the oldest went first";
  EXPECT_EQ(due[0].terminal_key, "hp:A1");
  st.outbox().refused({ids[3], ids[4], "not-in-the-outbox"});
  EXPECT_EQ(st.outbox().stats().refused, 2);
  clock.advance(std::chrono::hours(25));
  EXPECT_EQ(st.outbox().enforce_caps(), 3) << "older than max_age";
  EXPECT_EQ(st.outbox().backlog().first, 0);
  EXPECT_EQ(st.outbox().stats().dropped, 6);
  EXPECT_EQ(st.outbox().enforce_caps(), 0);
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

}  // namespace
}  // namespace fleetreg::collector
