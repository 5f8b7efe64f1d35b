// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/decode.hpp"

namespace fleetreg::snmp {

value decode(const netsnmp_variable_list& v) {
  value out;
  out.type = static_cast<value_type>(v.type);
  switch (v.type) {
    case ASN_INTEGER:
      out.integer = *v.val.integer;
      break;
    case ASN_COUNTER:
    case ASN_GAUGE:
    case ASN_TIMETICKS:
      out.unsigned_value = static_cast<std::uint32_t>(*v.val.integer);
      break;
    case ASN_COUNTER64:
      out.unsigned_value =
          (static_cast<std::uint64_t>(v.val.counter64->high) << 32) | (v.val.counter64->low & 0xffffffffUL);
      break;
    case ASN_OCTET_STR:
    case ASN_IPADDRESS:
    case ASN_OPAQUE:
      out.octets.assign(reinterpret_cast<const char*>(v.val.string), v.val_len);
      break;
    case ASN_OBJECT_ID:
      out.oid.assign(v.val.objid, v.val.objid + v.val_len / sizeof(oid));
      break;
    default:
      break;
  }
  return out;
}

varbind decode_varbind(const netsnmp_variable_list& v) {
  return {oid_vector(v.name, v.name + v.name_length), decode(v)};
}

}  // namespace fleetreg::snmp
