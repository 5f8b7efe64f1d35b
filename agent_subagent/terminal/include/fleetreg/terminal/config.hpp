// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "fleetreg/core/config.hpp"

/// The terminal's configuration file (/etc/fleetreg/terminal.conf), shared
/// by fleetreg-terminal and fleetreg-subagent: one file per terminal.
namespace fleetreg::terminal {

/// Where the packaged programs look when -c is not given.
inline constexpr const char* default_config_path = "/etc/fleetreg/terminal.conf";

struct config {
  // [terminal]
  std::string state_dir = "/var/lib/fleetreg-terminal";
  // [subagent]
  std::string agentx_socket = "/var/agentx/master";
  /// How often the subagent checks that snmpd is still there (and reconnects).
  std::chrono::milliseconds agentx_ping_interval{std::chrono::seconds{15}};
  /// How often the subagent looks for changes in the store.
  std::chrono::milliseconds refresh_interval{500};
  // [center] terminal mode (the URL itself comes from the panel or an SNMP SET)
  std::string center_url;  ///< used when none was entered on the terminal
  std::string ca_file;     ///< PEM CA bundle for the center's certificate; empty = system
  std::string proxy;       ///< http://proxy:port or empty
  bool allow_plain_http = false;
  // [run]
  std::chrono::milliseconds wait{std::chrono::seconds(25)};  ///< long-poll wait
  // [mdns] what `fleetreg-terminal announce` publishes (DNS-SD _fleetreg._udp)
  std::string mdns_host_name;         ///< own host name ("copier-3f"); empty = avahi-daemon's host name
  std::string mdns_address;           ///< numeric address published for mdns_host_name
  std::int64_t mdns_snmp_port = 161;  ///< the SNMP agent's port announced
  std::string mdns_name;              ///< instance name; empty = "<manufacturer> <model> <serial>"
};

/// Loads `path` over the defaults. When `path` is empty, the default path is
/// read if it exists, else the defaults are used. Throws configuration_error.
config load_config(const std::string& path);

/// The configuration a parsed file gives over the defaults (no I/O): what
/// load_config applies to the file it reads. Throws configuration_error
/// naming the file's source and line.
config config_from(const fleetreg::config::ini_file& file);

}  // namespace fleetreg::terminal
