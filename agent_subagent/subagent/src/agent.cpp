// SPDX-License-Identifier: Apache-2.0
// fleetreg-subagent's front end: Net-SNMP's example-demon skeleton, an
// AgentX subagent, around the terminal MIB (module.cpp).
#include "fleetreg/subagent/agent.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <algorithm>
#include <optional>
#include <string>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/subagent/module.hpp"

namespace fleetreg::subagent {

namespace {

constexpr const char* app_name = "fleetreg-subagent";

}  // namespace

void run(const terminal::config& cfg, const stop_signal& stop) {
  snmp::prepare_library();
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
  netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, cfg.agentx_socket.c_str());
  // Open the store before talking to snmpd: no store, no subagent.
  std::optional<mib_module> mib(std::in_place, cfg);
  if (log::debug_enabled("agentx")) {
    debug_register_tokens("agentx");
    snmp_set_do_debugging(1);
  }
  if (init_agent(app_name) != 0) throw error(exit_code::software, "init_agent failed");
  // init_agent() resets the ping interval; set it now, before init_snmp()
  // opens the AgentX session and arms the reconnect timer.
  const auto ping_s = std::max<long>(1, static_cast<long>(cfg.agentx_ping_interval.count() / 1000));
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, static_cast<int>(ping_s));
  mib->start();
  init_snmp(app_name);
  log::notice("serving the terminal MIB over AgentX socket " + cfg.agentx_socket + " from " + cfg.state_dir);
  // The example-demon loop: the signal handler only sets the flag (and
  // interrupts the select inside agent_check_and_process).
  while (!stop.requested()) agent_check_and_process(1);
  log::notice("stopping");
  mib.reset();  // its registrations go before the agent's tables do
  snmp_shutdown(app_name);
  shutdown_agent();
}

}  // namespace fleetreg::subagent
