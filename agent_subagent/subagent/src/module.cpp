// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/subagent/module.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/snmp/codec.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/subagent/mib_view.hpp"
#include "fleetreg/subagent/pwg_counter_mib.hpp"
#include "fleetreg/terminal/report.hpp"
#include "fleetreg/terminal/store.hpp"

namespace fleetreg::subagent {

namespace {

// Who sent a SET, as far as a subagent can tell: AgentX (RFC 2741) passes the
// SNMP context but not the security name or community, which stay in snmpd;
// snmpd's VACM decided that this principal may write (in the shipped
// configuration only the SNMPv3 authPriv users of group fleetregPanel).
// Inside snmpd (dlmod) the PDU carries its security name (SNMPv3) too.
std::string requester(const netsnmp_agent_request_info* info) {
  std::string context, security_name;
  if (info && info->asp && info->asp->pdu) {
    const auto* pdu = info->asp->pdu;
    if (pdu->contextName) context.assign(pdu->contextName, pdu->contextNameLen);
    if (pdu->version == SNMP_VERSION_3 && pdu->securityName && pdu->securityNameLen > 0)
      security_name.assign(pdu->securityName, pdu->securityNameLen);
  }
  return "via=snmp context=" + (context.empty() ? std::string("\"\"") : log::quote(context)) +
         " security_name=" + (security_name.empty() ? std::string("unknown") : log::quote(security_name));
}

/// The terminal MIB in the current Net-SNMP agent: owns the store
/// connection and the current view.
class agent {
 public:
  explicit agent(const terminal::config& cfg) : store_(cfg.state_dir), refresh_(cfg.refresh_interval) { reload(); }
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  // Takes back what start() gave the agent: inside snmpd (dlmod) the module
  // goes while snmpd keeps running.
  ~agent() {
    if (alarm_ != 0) snmp_alarm_unregister(alarm_);
    for (auto* reg : registered_) netsnmp_unregister_handler(reg);
  }

  void register_subtrees() {
    namespace pm = snmp::printer_mib;
    struct tree {
      std::string name;
      snmp::oid_vector root;
      int modes;
    };
    std::vector<tree> trees = {
        {"fleetregTerminalMIB", snmp::terminal_mib::root, HANDLER_CAN_RWRITE},
        {"printmib", pm::printer_mib, HANDLER_CAN_RONLY},
        {"icMIBObjects", pwg_counter_mib::objects, HANDLER_CAN_RONLY},
    };
    // The printer's row 1 of hrDeviceTable (columns 1-6) and hrPrinterTable
    // (1-2), one instance each: an snmpd that runs its own host-resources
    // modules (hr_device, hr_print: no drop-in, e.g. the RPM) registers the
    // whole tables and, with equal registrations, answers from its own rows
    // and hides the printer; the more specific instance registrations win
    // there, and snmpd's rows (indexes of 65536 and up, never 1) stay beside it.
    const auto d = static_cast<snmp::subid>(pm::printer_device_index);
    for (snmp::subid column = 1; column <= 6; ++column)
      trees.push_back({"hrDeviceEntry." + std::to_string(column) + ".1", snmp::append(pm::hr_device_entry, {column, d}),
                       HANDLER_CAN_RONLY});
    for (snmp::subid column = 1; column <= 2; ++column)
      trees.push_back({"hrPrinterEntry." + std::to_string(column) + ".1",
                       snmp::append(pm::hr_printer_entry, {column, d}), HANDLER_CAN_RONLY});
    for (const auto& t : trees) {
      auto* reg = netsnmp_create_handler_registration(t.name.c_str(), &agent::handler_trampoline, t.root.data(),
                                                      t.root.size(), t.modes);
      if (!reg) throw error(exit_code::software, "cannot create handler for " + t.name);
      reg->handler->myvoid = this;
      // SETs to the read-only trees are refused with notWritable by the agent.
      if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
        throw error(exit_code::software, "cannot register " + t.name);  // the call freed `reg`
      registered_.push_back(reg);
    }
  }

  void start_refresh_timer() {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(refresh_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((refresh_.count() % 1000) * 1000);
    alarm_ = snmp_alarm_register_hr(tv, SA_REPEAT, &agent::alarm_trampoline, this);
  }

 private:
  static int handler_trampoline(netsnmp_mib_handler* handler, netsnmp_handler_registration* reg,
                                netsnmp_agent_request_info* info, netsnmp_request_info* requests) {
    return static_cast<agent*>(handler->myvoid)->handle(reg, info, requests);
  }

  static void alarm_trampoline(unsigned int, void* self) { static_cast<agent*>(self)->refresh(); }

  // Rebuilds the view when another process committed to the store.
  void refresh() noexcept {
    try {
      const auto version = store_.data_version();
      if (version != data_version_) reload();
    } catch (const std::exception& e) {
      log::warning(std::string("cannot read the terminal store: ") + e.what());
    }
  }

  void reload() {
    data_version_ = store_.data_version();
    view_ = mib_view::build(store_.load());
    log::debug("store", "view rebuilt: " + std::to_string(view_.entries().size()) + " objects");
  }

  int handle(netsnmp_handler_registration* reg, netsnmp_agent_request_info* info,
             netsnmp_request_info* requests) noexcept {
    try {
      switch (info->mode) {
        case MODE_GET:
          get(requests, info);
          break;
        case MODE_GETNEXT:
          get_next(reg, requests);
          break;
        case MODE_SET_RESERVE1:
          reserve(requests, info);
          break;
        case MODE_SET_ACTION:
          action(requests, info);
          break;
        case MODE_SET_UNDO:
          undo(requests);
          break;
        case MODE_SET_COMMIT:
          commit();
          break;
        case MODE_SET_FREE:
          undo_.reset();
          unregistering_ = false;
          break;
        default:
          break;
      }
    } catch (const std::exception& e) {
      log::error(std::string("request failed: ") + e.what());
      netsnmp_request_set_error_all(requests, SNMP_ERR_GENERR);
    }
    return SNMP_ERR_NOERROR;
  }

  void get(netsnmp_request_info* requests, netsnmp_agent_request_info* info) {
    for (auto* r = requests; r; r = r->next) {
      if (r->processed) continue;
      const std::span<const snmp::subid> name(r->requestvb->name, r->requestvb->name_length);
      if (const auto* e = view_.find(name))
        snmp::encode(*r->requestvb, e->val);
      else
        netsnmp_set_request_error(info, r, view_.object_exists(name) ? SNMP_NOSUCHINSTANCE : SNMP_NOSUCHOBJECT);
    }
  }

  void get_next(netsnmp_handler_registration* reg, netsnmp_request_info* requests) {
    const std::span<const snmp::subid> root(reg->rootoid, reg->rootoid_len);
    for (auto* r = requests; r; r = r->next) {
      if (r->processed) continue;
      const std::span<const snmp::subid> name(r->requestvb->name, r->requestvb->name_length);
      // Nothing after `name` in this subtree: leave the varbind untouched and
      // the agent moves on to the next registered subtree.
      if (const auto* e = view_.next(name, root)) {
        snmp_set_var_objid(r->requestvb, e->name.data(), e->name.size());
        snmp::encode(*r->requestvb, e->val);
      }
    }
  }

  // Checks each varbind: writable object, type, length, value; then the
  // registration rule against the store's state now (not the view, which may
  // be a refresh interval old): inconsistentValue, so nothing changes.
  void reserve(netsnmp_request_info* requests, netsnmp_agent_request_info* info) {
    std::optional<terminal::registration_inputs> now;
    for (auto* r = requests; r; r = r->next) {
      const std::span<const snmp::subid> name(r->requestvb->name, r->requestvb->name_length);
      const auto what = classify_set(view_, name);
      if (const auto* refused = std::get_if<snmp::error_status>(&what)) {
        netsnmp_set_request_error(info, r, static_cast<int>(*refused));
        continue;
      }
      const auto target = std::get<set_target>(what);
      const auto value = snmp::decode(*r->requestvb);
      const auto status = check_set_value(target, value);
      if (status != snmp::error_status::no_error) {
        netsnmp_set_request_error(info, r, static_cast<int>(status));
        continue;
      }
      const auto write = requested_write(target, value);
      if (!write) continue;
      if (!now) now = store_.registration_inputs_now();
      if (const auto why = terminal::registration_write_refused(now->state, *write)) {
        netsnmp_set_request_error(info, r, SNMP_ERR_INCONSISTENTVALUE);
        // The URL asked for is worth keeping (someone tried to move a
        // registration); a code is never logged.
        log::warning(std::string("SET of ") + object_name(target) + " refused (inconsistentValue): " + *why + " " +
                     requester(info) + " center_url=" + log::quote(now->center_url) +
                     (target == set_target::center_url ? " requested_center_url=" + log::quote(value.octets) : ""));
      }
    }
  }

  // Writes every accepted varbind of the PDU in one transaction (AgentX
  // CommitSet); UNDO puts the previous registration back. An unregister's
  // irreversible part (credential, unsent readings) waits for COMMIT.
  void action(netsnmp_request_info* requests, netsnmp_agent_request_info* info) {
    terminal::registration_change change;
    for (auto* r = requests; r; r = r->next) {
      const std::span<const snmp::subid> name(r->requestvb->name, r->requestvb->name_length);
      const auto what = classify_set(view_, name);
      if (!std::holds_alternative<set_target>(what)) continue;
      auto value = snmp::decode(*r->requestvb);
      switch (std::get<set_target>(what)) {
        case set_target::center_url:
          change.center_url = std::move(value.octets);
          break;
        case set_target::provisional_code:
          change.code = std::move(value.octets);
          break;
        case set_target::action:
          change.unregister = change.unregister || requested_write(set_target::action, value).has_value();
          break;
      }
    }
    if (!change.unregister && !change.center_url && !change.code) return;  // frtRegAction none(1)
    terminal::registration_change_result result;
    try {
      result = store_.change_registration(change);
    } catch (const std::exception& e) {
      log::error(std::string("cannot record the registration input: ") + e.what());
      netsnmp_request_set_error_all(requests, SNMP_ERR_COMMITFAILED);
      return;
    }
    if (!result.done()) {
      // The state changed between the check and now (`run` began a registration).
      log::warning("SET refused (commitFailed): " + result.refused + " " + requester(info));
      netsnmp_request_set_error_all(requests, SNMP_ERR_COMMITFAILED);
      return;
    }
    undo_ = result.before;
    unregistering_ = change.unregister;
    who_ = requester(info);
    // Never log the code itself.
    log::notice(std::string("registration input set over SNMP:") + (change.unregister ? " unregister" : "") +
                (change.center_url ? " center_url=" + log::quote(*change.center_url) : "") +
                (change.code ? " provisional_code=(hidden)" : "") + " " + who_);
    reload();
  }

  // The SET is final: an unregister now forgets the old registration's
  // credential and unsent readings, and says so in the audit line. COMMIT
  // must not fail; a problem is logged.
  void commit() noexcept {
    if (unregistering_ && undo_) {
      try {
        if (const auto forgotten = store_.forget_registration())
          log::notice(terminal::format_unregister_audit(who_, *undo_, *forgotten));
        else
          log::warning("unregister over SNMP: a registration is in effect again, nothing was forgotten " + who_);
        reload();
      } catch (const std::exception& e) {
        log::error(std::string("unregister over SNMP: ") + e.what() + " " + who_);
      }
    }
    undo_.reset();
    unregistering_ = false;
  }

  void undo(netsnmp_request_info* requests) {
    unregistering_ = false;
    if (!undo_) return;
    try {
      store_.restore_registration(*undo_);
      reload();
    } catch (const std::exception& e) {
      log::error(std::string("cannot undo a registration input: ") + e.what());
      netsnmp_request_set_error_all(requests, SNMP_ERR_UNDOFAILED);
    }
    undo_.reset();
  }

  terminal::store store_;
  std::chrono::milliseconds refresh_;
  std::vector<netsnmp_handler_registration*> registered_;
  unsigned int alarm_ = 0;
  std::int64_t data_version_ = -1;
  mib_view view_;
  std::optional<terminal::registration_record> undo_;
  bool unregistering_ = false;  ///< the SET in progress unregisters
  std::string who_;             ///< its requester, for the audit line
};

}  // namespace

struct mib_module::impl {
  explicit impl(const terminal::config& cfg) : a(cfg) {}
  agent a;
};

mib_module::mib_module(const terminal::config& cfg) : impl_(std::make_unique<impl>(cfg)) {}

mib_module::~mib_module() = default;

void mib_module::start() {
  impl_->a.register_subtrees();
  impl_->a.start_refresh_timer();
}

}  // namespace fleetreg::subagent
