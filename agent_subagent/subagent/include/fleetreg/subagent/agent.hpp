// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/terminal/config.hpp"

/// The AgentX subagent: Net-SNMP's example-demon skeleton around mib_view.
namespace fleetreg::subagent {

/// Connects to snmpd over AgentX at `cfg.agentx_socket`, registers the
/// fleetreg subtree, hrDeviceTable, hrPrinterTable and the Printer-MIB, and
/// serves them from the store in `cfg.state_dir` until `stop` is asked for
/// (the process's stop_signal::on_termination(): its SIGTERM handler only
/// sets the flag, which interrupts agent_check_and_process).
/// The view is rebuilt by a timer every `cfg.refresh_interval` when the store
/// changed, so a GET never touches the database. Reconnects by itself when
/// snmpd restarts (AgentX ping every `cfg.agentx_ping_interval`).
/// Throws fleetreg::error when the store cannot be opened or a subtree
/// cannot be registered.
void run(const terminal::config& cfg, const stop_signal& stop);

}  // namespace fleetreg::subagent
