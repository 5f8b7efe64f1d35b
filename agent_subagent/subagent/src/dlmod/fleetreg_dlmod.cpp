// SPDX-License-Identifier: Apache-2.0
// fleetreg.so: the terminal MIB inside snmpd, loaded by snmpd.conf's
//
//   dlmod fleetreg /usr/lib/x86_64-linux-gnu/fleetreg/fleetreg.so
//   fleetregConfig /etc/fleetreg/terminal.conf   # optional; this is the default
//
// The same handlers, registrations, view and refresh as fleetreg-subagent
// (module.hpp), without the second process and the AgentX hop. It shares
// snmpd's fate: a crash in it takes snmpd down (the subagent isolates it),
// and it runs as snmpd's user (Debian: Debian-snmp), which must be able to
// read the terminal's state directory (and write it for SETs of the
// registration objects). Nothing thrown leaves it: an error is logged
// through snmpd's log and the module serves nothing.
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <exception>
#include <memory>
#include <string>

#include "fleetreg/core/log.hpp"
#include "fleetreg/subagent/module.hpp"
#include "fleetreg/terminal/config.hpp"

namespace {

constexpr const char* default_config = "/etc/fleetreg/terminal.conf";

std::string config_path = default_config;
std::unique_ptr<fleetreg::subagent::mib_module> the_module;

// snmpd.conf's `fleetregConfig FILE`, read after `dlmod` registered it.
void parse_config_line(const char*, char* line) {
  std::string path = line ? line : "";
  while (!path.empty() && (path.back() == ' ' || path.back() == '\t' || path.back() == '\n')) path.pop_back();
  if (path.empty() || path.front() != '/') {
    config_perror("fleetregConfig needs an absolute path");
    return;
  }
  config_path = path;
}

// Once snmpd has read its whole configuration: open the store and register.
int start_after_config(int, int, void*, void*) {
  if (the_module) return SNMP_ERR_NOERROR;  // read again (SIGHUP): already serving
  try {
    const auto cfg = fleetreg::terminal::load_config(config_path);
    auto m = std::make_unique<fleetreg::subagent::mib_module>(cfg);
    m->start();
    the_module = std::move(m);
    snmp_log(LOG_NOTICE, "fleetreg: serving the terminal MIB from %s (%s)\n", cfg.state_dir.c_str(),
             config_path.c_str());
  } catch (const std::exception& e) {
    snmp_log(LOG_ERR, "fleetreg: not serving the terminal MIB: %s\n", e.what());
  }
  return SNMP_ERR_NOERROR;
}

}  // namespace

extern "C" {

void init_fleetreg(void) {
  try {
    fleetreg::log::set_program("snmpd/fleetreg");
    register_config_handler("snmpd", "fleetregConfig", parse_config_line, nullptr, "FILE");
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG, start_after_config, nullptr);
  } catch (const std::exception& e) {
    snmp_log(LOG_ERR, "fleetreg: %s\n", e.what());
  }
}

void deinit_fleetreg(void) {
  snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG, start_after_config, nullptr, 1);
  unregister_config_handler("snmpd", "fleetregConfig");
  try {
    the_module.reset();
  } catch (...) {
  }
}

}  // extern "C"
