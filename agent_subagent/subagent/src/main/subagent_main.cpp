// SPDX-License-Identifier: Apache-2.0
// fleetreg-subagent: serves a terminal's MIB to snmpd over AgentX.

#include <cstdio>
#include <exception>
#include <string>

#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"
#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/subagent/agent.hpp"
#include "fleetreg/terminal/config.hpp"
#include "fleetreg/terminal/store.hpp"

namespace {

constexpr const char* usage_text =
    "Usage: fleetreg-subagent [OPTION]...\n"
    "Serve a terminal's FLEETREG-TERMINAL-MIB, hrDeviceTable/hrPrinterTable and\n"
    "Printer-MIB objects to snmpd over AgentX. Runs in the foreground.\n"
    "\n"
    "  -c, --config=FILE      configuration file (default /etc/fleetreg/terminal.conf)\n"
    "  -s, --state-dir=DIR    terminal state directory (overrides [terminal] state_dir)\n"
    "  -x, --agentx=SOCKET    snmpd's AgentX socket (overrides [subagent] agentx_socket)\n"
    "  -t, --test-config      check the configuration and the store, then exit\n"
    "  -d, --debug[=TOPICS]   debug log; TOPICS: store, agentx (default: all)\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace fleetreg;
  log::set_program("fleetreg-subagent");
  try {
    std::string config_path, state_dir, agentx;
    bool test_only = false;
    if (const auto done =
            command_line::parser("fleetreg-subagent", usage_text)
                .config(&config_path)
                .add({'s', "state-dir", command_line::argument::required, [&](const char* v) { state_dir = v; }})
                .add({'x', "agentx", command_line::argument::required, [&](const char* v) { agentx = v; }})
                .test_config(&test_only)
                .debug()
                .parse(argc, argv))
      return *done;

    auto cfg = terminal::load_config(config_path);
    if (!state_dir.empty()) cfg.state_dir = state_dir;
    if (!agentx.empty()) cfg.agentx_socket = agentx;
    become_owner_of(cfg.state_dir);
    if (test_only) {
      terminal::store check(cfg.state_dir);  // throws when there is no usable store
      std::printf("configuration OK: state %s, AgentX socket %s\n", check.path().c_str(), cfg.agentx_socket.c_str());
      return 0;
    }
    subagent::run(cfg, stop_signal::on_termination());
    return 0;
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
