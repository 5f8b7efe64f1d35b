// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/config.hpp"

#include <unistd.h>

#include <array>

#include "fleetreg/core/error.hpp"

namespace fleetreg::terminal {

config load_config(const std::string& path) {
  std::string file = path;
  if (file.empty()) {
    if (::access(default_config_path, F_OK) != 0) return config{};
    file = default_config_path;
  }
  return config_from(fleetreg::config::ini_file::load(file));
}

config config_from(const fleetreg::config::ini_file& ini) {
  config c;
  using namespace std::chrono_literals;
  namespace fc = fleetreg::config;
  const std::array<fc::option, 13> table = {{
      {"terminal", "state_dir", fc::string_target{&c.state_dir, 1024}},
      {"subagent", "agentx_socket", fc::string_target{&c.agentx_socket, 1024}},
      {"subagent", "agentx_ping_interval", fc::duration_target{&c.agentx_ping_interval, 1s, 3600s}},
      {"subagent", "refresh_interval", fc::duration_target{&c.refresh_interval, 100ms, 60s}},
      {"center", "url", fc::string_target{&c.center_url, 255}},
      {"center", "ca_file", fc::string_target{&c.ca_file, 1024}},
      {"center", "proxy", fc::string_target{&c.proxy, 255}},
      {"center", "allow_plain_http", fc::bool_target{&c.allow_plain_http}},
      {"run", "wait", fc::duration_target{&c.wait, 0s, 300s}},
      {"mdns", "host_name", fc::string_target{&c.mdns_host_name, 63}},
      {"mdns", "address", fc::string_target{&c.mdns_address, 45}},
      {"mdns", "snmp_port", fc::integer_target{&c.mdns_snmp_port, 1, 65535}},
      {"mdns", "name", fc::string_target{&c.mdns_name, 63}},
  }};
  fc::apply_options(ini, table);
  if (!c.mdns_host_name.empty() && c.mdns_address.empty())
    throw configuration_error(ini.source() + ": [mdns] host_name needs [mdns] address (the address to publish for it)");
  return c;
}

}  // namespace fleetreg::terminal
