// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/config.hpp"

#include <unistd.h>

#include <array>

#include "fleetreg/core/config.hpp"

namespace fleetreg::terminal {

config load_config(const std::string& path) {
  config c;
  std::string file = path;
  if (file.empty()) {
    if (::access(default_config_path, F_OK) != 0) return c;
    file = default_config_path;
  }
  const auto ini = fleetreg::config::ini_file::load(file);
  using namespace std::chrono_literals;
  namespace fc = fleetreg::config;
  const std::array<fc::option, 4> table = {{
      {"terminal", "state_dir", fc::string_target{&c.state_dir, 1024}},
      {"subagent", "agentx_socket", fc::string_target{&c.agentx_socket, 1024}},
      {"subagent", "agentx_ping_interval", fc::duration_target{&c.agentx_ping_interval, 1s, 3600s}},
      {"subagent", "refresh_interval", fc::duration_target{&c.refresh_interval, 100ms, 60s}},
  }};
  fc::apply_options(ini, table);
  return c;
}

}  // namespace fleetreg::terminal
