// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "fleetreg/snmp/value.hpp"

/// The one conversion between fleetreg::snmp::value and Net-SNMP's varbinds,
/// both ways, for the managers (client, sweep) and the subagent alike. No I/O.
namespace fleetreg::snmp {

/// The value of a variable as Net-SNMP decoded it (a response an agent sent,
/// a SET a manager sent). Types it does not know keep their tag and no value.
/// Does not throw but bad_alloc.
value decode(const netsnmp_variable_list& v);

/// Name and value of a variable.
varbind decode_varbind(const netsnmp_variable_list& v);

/// Gives `vb` the type and value of `v` (snmp_set_var_typed_value): counter32,
/// gauge32 and timeticks keep their low 32 bits; null and the exceptions
/// (noSuchObject…) carry their tag and no value. Returns false when Net-SNMP
/// could not store it (out of memory). Never throws.
bool encode(netsnmp_variable_list& vb, const value& v) noexcept;

/// Appends `vb` to `pdu` (a SET's varbinds). Returns false when it could not
/// be added. Never throws.
bool add_varbind(netsnmp_pdu& pdu, const varbind& vb) noexcept;

}  // namespace fleetreg::snmp
