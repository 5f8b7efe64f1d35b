// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/progress.hpp"

#include <gtest/gtest.h>

#include "fleetreg/collector/sweep.hpp"

namespace fleetreg::collector {
namespace {

using std::chrono::milliseconds;

TEST(Progress, ProbingLineHasDoneFoundRateAndEta) {
  // 16,384 of 65,534 in 8 s: 2048/s, 49,150 left → 24 s.
  EXPECT_EQ(format_progress({"probed", 16384, 65534, 250}, milliseconds(8000)),
            "probed 16384/65534 addresses, 250 found, 2048/s, ETA 0:24");
}

TEST(Progress, ReadingLineCountsDevicesRead) {
  EXPECT_EQ(format_progress({"read", 3, 1000, 2}, milliseconds(2000)), "read 3/1000 devices, 2 read, 1.5/s, ETA 11:05");
}

TEST(Progress, EtaInHoursAndUnknownAtTheStart) {
  EXPECT_EQ(format_progress({"probed", 1, 65534, 0}, milliseconds(1000)),
            "probed 1/65534 addresses, 0 found, 1.0/s, ETA 18:12:13");
  EXPECT_EQ(format_progress({"probed", 0, 254, 0}, milliseconds(0)), "probed 0/254 addresses, 0 found, -/s, ETA ?");
  EXPECT_EQ(format_progress({"probed", 0, 254, 0}, milliseconds(500)), "probed 0/254 addresses, 0 found, -/s, ETA ?");
  EXPECT_EQ(format_progress({"probed", 254, 254, 20}, milliseconds(1000)),
            "probed 254/254 addresses, 20 found, 254/s, ETA 0:00");
}

TEST(Progress, NoControlCharacters) {
  for (const auto& line :
       {format_progress({"probed", 7, 9, 1}, milliseconds(3)), format_summary({"probed", 9, 9, 1}, milliseconds(3)),
        format_summary({"read", 1, 1, 1}, milliseconds(0))})
    for (const char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
}

TEST(Progress, Summaries) {
  EXPECT_EQ(format_summary({"probed", 65534, 65534, 1000}, milliseconds(41234)),
            "probed 65534 addresses in 41.2 s (1589/s): 1000 answered");
  EXPECT_EQ(format_summary({"read", 1000, 1000, 998}, milliseconds(12000)), "read 998 of 1000 devices in 12.0 s");
  EXPECT_EQ(format_summary({"probed", 0, 0, 0}, milliseconds(0)), "probed 0 addresses in 0.0 s: 0 answered");
}

// discover notes "sweep RANGE" on the peers that answered without keeping a
// note per address: peer_in_range says whether expand_cidr listed the peer.
TEST(Sweep, PeerInRangeAgreesWithExpandCidr) {
  for (const auto* cidr : {"10.77.0.0/16", "192.0.2.0/24", "192.0.2.4/31", "192.0.2.9/32", "192.0.2.130/26"}) {
    const auto peers = *expand_cidr(cidr, 1161);
    for (const auto& p : peers) EXPECT_TRUE(peer_in_range(p, cidr, 1161)) << p << " " << cidr;
    EXPECT_FALSE(peer_in_range(peers.front(), cidr, 161)) << "another port";
  }
  EXPECT_EQ(expand_cidr("10.77.0.0/16")->size(), 65534u);
  EXPECT_FALSE(peer_in_range("udp:10.77.0.0:161", "10.77.0.0/16"));      // network
  EXPECT_FALSE(peer_in_range("udp:10.77.255.255:161", "10.77.0.0/16"));  // broadcast
  EXPECT_TRUE(peer_in_range("udp:10.77.255.0:161", "10.77.0.0/16"));
  EXPECT_FALSE(peer_in_range("udp:10.78.0.1:161", "10.77.0.0/16"));
  EXPECT_FALSE(peer_in_range("udp:192.0.2.192:161", "192.0.2.130/26"));
  EXPECT_TRUE(peer_in_range("udp:192.0.2.190:161", "192.0.2.130/26"));
  EXPECT_FALSE(peer_in_range("udp6:[::1]:161", "10.77.0.0/16"));
  EXPECT_FALSE(peer_in_range("udp:10.77.0.1:161", "10.77.0.0/8"));  // larger than a /16
  EXPECT_FALSE(peer_in_range("udp:not-an-address:161", "10.77.0.0/16"));
}

}  // namespace
}  // namespace fleetreg::collector
