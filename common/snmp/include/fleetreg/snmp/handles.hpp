// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/snmpusm.h>

#include <cstdlib>
#include <memory>
#include <system_error>

/// Owning handles for what Net-SNMP allocates: the one place in the tree that
/// frees a PDU, closes a session or frees a buffer the library returned.
namespace fleetreg::snmp {

/// Frees a PDU with snmp_free_pdu.
struct pdu_deleter {
  void operator()(netsnmp_pdu* p) const noexcept { snmp_free_pdu(p); }
};
/// A PDU the caller owns (snmp_pdu_create). Hand it to the library only with
/// release() once a send succeeded (async_send does that).
using pdu_ptr = std::unique_ptr<netsnmp_pdu, pdu_deleter>;

/// Closes a single-session API handle with snmp_sess_close.
struct session_deleter {
  void operator()(void* s) const noexcept { snmp_sess_close(s); }
};
/// A session of Net-SNMP's single-session API (snmp_sess_open's handle).
/// Closing it frees the requests still outstanding, without calling back.
using session_ptr = std::unique_ptr<void, session_deleter>;

/// Frees what Net-SNMP allocated with malloc for its caller.
struct malloc_deleter {
  void operator()(void* p) const noexcept { std::free(p); }
};
/// An OID buffer from snmp_duplicate_objid (e.g. a session's protocol OIDs).
using oid_ptr = std::unique_ptr<oid, malloc_deleter>;
/// A string the library made for the caller (snmp_sess_error's message).
using c_string_ptr = std::unique_ptr<char, malloc_deleter>;

/// Frees an SNMPv3 user that is no longer in the USM table (usm_free_user).
struct usm_user_deleter {
  void operator()(usmUser* u) const noexcept { usm_free_user(u); }
};
/// An SNMPv3 user taken out of the USM table (usm_remove_user).
using usm_user_ptr = std::unique_ptr<usmUser, usm_user_deleter>;

/// Sends `pdu` on `session` asynchronously (snmp_sess_async_send); `callback`
/// gets `magic` with the answer or the timeout. On success the library owns
/// the PDU (it frees it once answered or timed out) and `pdu` is released, so
/// it is empty afterwards; on failure `pdu` still owns it, so it is freed
/// exactly once by its owner, and `ec` (api_category) says why. Never throws.
bool async_send(void* session, pdu_ptr& pdu, netsnmp_callback callback, void* magic, std::error_code& ec) noexcept;

/// The last error of `session` (snmp_sess_error) in api_category();
/// SNMPERR_GENERR when the library recorded none. Never throws.
std::error_code session_error(void* session) noexcept;

}  // namespace fleetreg::snmp
