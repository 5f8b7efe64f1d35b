// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/library.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <cstdlib>
#include <mutex>
#include <string_view>

#include "fleetreg/core/log.hpp"

namespace fleetreg::snmp {
namespace {

class api_cat final : public std::error_category {
 public:
  const char* name() const noexcept override { return "snmp"; }
  std::string message(int ev) const override { return snmp_api_errstring(ev); }
};

class pdu_cat final : public std::error_category {
 public:
  const char* name() const noexcept override { return "snmp-pdu"; }
  std::string message(int ev) const override { return snmp_errstring(ev); }
};

// Net-SNMP's logging callback: a C trampoline; nothing may throw through it.
int log_trampoline(int, int, void* server_arg, void*) noexcept {
  const auto* m = static_cast<const snmp_log_message*>(server_arg);
  if (!m || !m->msg) return 0;
  std::string_view text(m->msg);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return 0;
  int prio = m->priority;
  if (prio < 0 || prio > 7) prio = LOG_INFO;
  // Net-SNMP logs routine reconnect chatter at LOG_INFO/NOTICE; keep levels as given.
  log::write(static_cast<log::level>(prio), std::string("net-snmp: ").append(text));
  return 0;
}

}  // namespace

const std::error_category& api_category() noexcept {
  static const api_cat c;
  return c;
}

const std::error_category& pdu_category() noexcept {
  static const pdu_cat c;
  return c;
}

void prepare_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    // No MIB files are needed: every OID is numeric. Do not overwrite a
    // caller's explicit choice.
    setenv("MIBS", "", 0);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    snmp_disable_log();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_trampoline, nullptr);
    snmp_enable_calllog();
  });
}

void init_client_library(const std::string& app) {
  static std::once_flag once;
  std::call_once(once, [&] {
    prepare_library();
    init_snmp(app.c_str());
  });
}

}  // namespace fleetreg::snmp
