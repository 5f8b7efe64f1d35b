// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <system_error>

/// Process-wide Net-SNMP set-up shared by every fleetreg program.
namespace fleetreg::snmp {

/// Errors of the Net-SNMP library (snmp_api_errstring), e.g. SNMPERR_TIMEOUT.
const std::error_category& api_category() noexcept;
/// SNMP error-status values of a response PDU (snmp_errstring), e.g. notWritable(17).
const std::error_category& pdu_category() noexcept;

/// Keeps Net-SNMP from reading snmp.conf files, loading MIB files or saving
/// persistent state, and routes its log through fleetreg::log. Call before
/// init_snmp() / init_agent(); idempotent.
void prepare_library();

/// Initialises the Net-SNMP client library once per process (prepare_library
/// + init_snmp(app)). Thread-safe; later calls do nothing.
void init_client_library(const std::string& app);

}  // namespace fleetreg::snmp
