// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetreg/snmp/client.hpp"
#include "fleetreg/test/harness.hpp"

namespace fleetreg::test {

/// Recorded printers served by Debian's snmpsim 0.4.5 (`snmpsimd`), one UDP
/// address per recording, all from one process.
///
/// How a recording is chosen per address: snmpsimd numbers its
/// --agent-udpv4-endpoint options 0, 1, 2... as transport domains
/// 1.3.6.1.6.1.1.<n>, and in --v2c-arch mode looks for a data file named, in
/// this order, <community>/<transport domain>/<source address>,
/// <community>/<transport domain>, <community> (relative to --data-dir,
/// without .snmprec). Each recording is copied to
/// <data>/public/1.3.6.1.6.1.1.<n>.snmprec, so community "public" at the
/// n-th address reads recording n. (The default SNMPv3 architecture instead
/// registers the whole path as the community name, so "public" finds nothing.)
///
/// snmpsimd refuses to run as root: it drops to nobody:nogroup before it
/// binds, so the data is made readable to it, and port 161 needs
/// net.ipv4.ip_unprivileged_port_start ≤ 161, which the fixture sets only
/// in a network namespace that has nothing but loopback (the test's own; the
/// sysctl is per namespace); elsewhere it refuses ports below 1024.
///
/// Ready when every address answers a GET of sysObjectID.0; stopped by PID;
/// its log is <dir>/<name>.log.
class snmpsim_fleet {
 public:
  struct device {
    std::string recording;  ///< path of a .snmprec file
    std::string address;    ///< IPv4 address on loopback (127.x) or in the test's namespace
    std::uint16_t port = 161;
  };

  /// Starts snmpsimd and waits until every device answers. Throws on failure.
  snmpsim_fleet(const temp_dir& dir, std::vector<device> devices, std::string name = "snmpsim");
  ~snmpsim_fleet();
  snmpsim_fleet(const snmpsim_fleet&) = delete;
  snmpsim_fleet& operator=(const snmpsim_fleet&) = delete;

  std::size_t size() const { return devices_.size(); }
  const device& at(std::size_t i) const { return devices_.at(i); }
  /// Net-SNMP peer "udp:<address>:<port>" of device i.
  std::string peer(std::size_t i) const;
  /// Client options for v2c "public" to device i.
  snmp::session_options v2c(std::size_t i) const;
  /// From the start of snmpsimd to the last device answering.
  std::chrono::milliseconds start_time() const { return start_time_; }
  std::string log() const;
  void stop();

 private:
  const temp_dir& dir_;
  std::string name_;
  std::vector<device> devices_;
  std::unique_ptr<process> proc_;
  std::chrono::milliseconds start_time_{0};
};

}  // namespace fleetreg::test
