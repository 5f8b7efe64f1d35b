// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <system_error>

/// DNS-SD over mDNS (Avahi): browsing for printers and terminals, and
/// announcing a terminal with its own host name and address.
namespace fleetreg::mdns {

/// The DNS-SD service types the collector browses: IPP, IPPS, LPD, raw
/// port 9100, and the project's own type that a fleetreg terminal announces
/// (its port is the terminal's SNMP agent port).
inline constexpr const char* fleetreg_service_type = "_fleetreg._udp";
inline constexpr const char* printer_service_types[] = {"_ipp._tcp", "_ipps._tcp", "_printer._tcp",
                                                        "_pdl-datastream._tcp", fleetreg_service_type};

/// One resolved service instance.
struct service {
  std::string name;     ///< instance name ("Acme Printer")
  std::string type;     ///< "_ipp._tcp"
  std::string domain;   ///< "local"
  std::string host;     ///< "printer1.local"
  std::string address;  ///< numeric ("127.0.0.1", "fe80::1")
  std::uint16_t port = 0;
  std::map<std::string, std::string> txt;  ///< TXT keys lower-cased
  bool ipv6 = false;
};

/// Avahi's error codes (avahi_strerror).
const std::error_category& avahi_category() noexcept;

}  // namespace fleetreg::mdns
