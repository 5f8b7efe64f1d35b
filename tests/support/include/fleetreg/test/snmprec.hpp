// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "fleetreg/snmp/value.hpp"

namespace fleetreg::test {

/// A device recorded in snmpsim's `.snmprec` format (`OID|TAG|VALUE` per
/// line; tags 2 INTEGER, 4 OCTET STRING, 4x OCTET STRING in hex, 6 OBJECT
/// IDENTIFIER, 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70
/// Counter64), served from memory the way an agent answers a GET and a
/// GETBULK walk, so that reading code runs on it without a socket.
class snmprec_agent {
 public:
  /// Reads a recording. Throws std::runtime_error "FILE:LINE: message" for a
  /// malformed line, an unknown tag or an OID given twice.
  static snmprec_agent load(const std::string& path);
  /// The same from text.
  static snmprec_agent parse(const std::string& text, const std::string& source);

  /// A GET: each OID's value, noSuchObject where the recording has none.
  std::vector<snmp::varbind> get(const std::vector<snmp::oid_vector>& oids) const;
  /// Every object under each root, as snmp::client::walk_many returns them;
  /// `round_trips` (when given) is incremented by the GETBULK requests a walk
  /// with `repetitions` per cursor would take.
  std::vector<snmp::varbind> walk_many(const std::vector<snmp::oid_vector>& roots, std::size_t* round_trips = nullptr,
                                       std::size_t repetitions = 32) const;
  const std::vector<snmp::varbind>& rows() const noexcept { return rows_; }
  /// snmpd.conf lines that make a real snmpd serve the recording (snmpd_daemon's
  /// extra_config): `override` per object, sysObjectID.0 and sysDescr.0 as
  /// `sysobjectid`/`sysdescr`. Throws std::runtime_error for a value snmpd's
  /// `override` cannot carry (hex strings, Counter64, text with quotes).
  std::vector<std::string> snmpd_config() const;

 private:
  std::vector<snmp::varbind> rows_;  // sorted by OID
};

}  // namespace fleetreg::test
