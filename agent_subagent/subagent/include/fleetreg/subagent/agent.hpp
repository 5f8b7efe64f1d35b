// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>
#include <string>

#include "fleetreg/terminal/config.hpp"

/// The AgentX subagent: Net-SNMP's example-demon skeleton around mib_view.
namespace fleetreg::subagent {

/// Set to 0 by the program's SIGTERM/SIGINT handler; the loop then ends.
extern volatile std::sig_atomic_t keep_running;

/// Connects to snmpd over AgentX at `cfg.agentx_socket`, registers the
/// fleetreg subtree, hrDeviceTable, hrPrinterTable and the Printer-MIB, and
/// serves them from the store in `cfg.state_dir` until keep_running is 0.
/// The view is rebuilt by a timer every `cfg.refresh_interval` when the store
/// changed, so a GET never touches the database. Reconnects by itself when
/// snmpd restarts (AgentX ping every `cfg.agentx_ping_interval`).
/// Throws fleetreg::error when the store cannot be opened or a subtree
/// cannot be registered.
void run(const terminal::config& cfg);

}  // namespace fleetreg::subagent
