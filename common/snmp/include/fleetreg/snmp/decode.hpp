// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "fleetreg/snmp/value.hpp"

namespace fleetreg::snmp {

/// The value of a variable as Net-SNMP decoded it from a response (no I/O;
/// the client and walks use it for every varbind an agent sends). Types it
/// does not know keep their tag and no value. Does not throw but bad_alloc.
value decode(const netsnmp_variable_list& v);

/// Name and value of a variable.
varbind decode_varbind(const netsnmp_variable_list& v);

}  // namespace fleetreg::snmp
