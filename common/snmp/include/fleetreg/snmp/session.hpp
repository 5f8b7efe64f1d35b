// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "fleetreg/snmp/client.hpp"
#include "fleetreg/snmp/handles.hpp"

namespace fleetreg::snmp {

/// A netsnmp_session filled from session_options: version, community or the
/// SNMPv3 user with its keys derived (generate_Ku, the expensive part: derive
/// once, copy per peer — snmp_sess_open deep-copies). For code that drives
/// Net-SNMP's API itself (the client, the asynchronous sweep). Owns the
/// protocol OIDs it duplicated; the strings stay in `options`, which must
/// outlive it. Throws std::system_error (api_category, the code generate_Ku
/// gave, e.g. SNMPERR_GENERR for a passphrase under 8 characters) when a key
/// cannot be derived.
class session_template {
 public:
  explicit session_template(const session_options& options);
  ~session_template();
  session_template(const session_template&) = delete;
  session_template& operator=(const session_template&) = delete;
  /// A copy to adjust (peername, callback) and pass to snmp_sess_open.
  netsnmp_session copy() const { return s_; }

 private:
  oid_ptr auth_proto_;  ///< s_.securityAuthProto
  oid_ptr priv_proto_;  ///< s_.securityPrivProto
  netsnmp_session s_{};
};

/// Removes the SNMPv3 user `user` of engine `engine_id` from Net-SNMP's
/// process-wide USM table. Net-SNMP never replaces the keys of an entry that
/// exists, so a later session of that user with another level or other
/// passphrases would silently use the old keys. The default (engine-less)
/// user is left alone.
void forget_usm_user(const unsigned char* engine_id, std::size_t engine_id_length, const std::string& user);

}  // namespace fleetreg::snmp
