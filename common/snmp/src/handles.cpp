// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/handles.hpp"

#include "fleetreg/snmp/library.hpp"

namespace fleetreg::snmp {

bool async_send(void* session, pdu_ptr& pdu, netsnmp_callback callback, void* magic, std::error_code& ec) noexcept {
  if (!pdu) {
    ec = std::error_code(SNMPERR_NULL_PDU, api_category());
    return false;
  }
  // Net-SNMP takes the PDU only when the send succeeded (a nonzero request id).
  if (snmp_sess_async_send(session, pdu.get(), callback, magic) == 0) {
    ec = session_error(session);
    return false;
  }
  static_cast<void>(pdu.release());  // the library's now
  ec.clear();
  return true;
}

std::error_code session_error(void* session) noexcept {
  int cliberr = 0, snmperr = 0;
  char* text = nullptr;
  snmp_sess_error(session, &cliberr, &snmperr, &text);
  const c_string_ptr message(text);  // only the number is kept
  return std::error_code(snmperr ? snmperr : SNMPERR_GENERR, api_category());
}

}  // namespace fleetreg::snmp
