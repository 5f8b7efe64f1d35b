// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "fleetreg/terminal/config.hpp"

/// The terminal MIB as a Net-SNMP agent module, whoever hosts it: the
/// AgentX subagent (fleetreg-subagent, agent.hpp) or snmpd itself through
/// `dlmod` (fleetreg.so, dlmod.cpp). The same handlers, registrations and
/// refresh in both.
namespace fleetreg::subagent {

/// The fleetreg subtree, hrDeviceTable and hrPrinterTable row 1, the
/// Printer-MIB and the PWG counter MIB, served from the terminal store in
/// `cfg.state_dir` through a view rebuilt by a Net-SNMP alarm every
/// `cfg.refresh_interval` when the store changed (a GET never touches the
/// database; a SET of the registration objects writes to it).
class mib_module {
 public:
  /// Opens the store and builds the first view. Throws fleetreg::error when
  /// the store cannot be opened.
  explicit mib_module(const terminal::config& cfg);
  ~mib_module();
  mib_module(const mib_module&) = delete;
  mib_module& operator=(const mib_module&) = delete;

  /// Registers the subtrees with the agent that runs in this process and
  /// arms the refresh alarm. Throws fleetreg::error when a subtree cannot
  /// be registered. Call once, after init_agent().
  void start();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fleetreg::subagent
