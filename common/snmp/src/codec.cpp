// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/codec.hpp"

namespace fleetreg::snmp {

value decode(const netsnmp_variable_list& v) {
  value out;
  out.type = static_cast<value_type>(v.type);
  switch (v.type) {
    case ASN_INTEGER:
      if (v.val.integer) out.integer = *v.val.integer;
      break;
    case ASN_COUNTER:
    case ASN_GAUGE:
    case ASN_TIMETICKS:
      if (v.val.integer) out.unsigned_value = static_cast<std::uint32_t>(*v.val.integer);
      break;
    case ASN_COUNTER64:
      if (v.val.counter64)
        out.unsigned_value =
            (static_cast<std::uint64_t>(v.val.counter64->high) << 32) | (v.val.counter64->low & 0xffffffffUL);
      break;
    case ASN_OCTET_STR:
    case ASN_IPADDRESS:
    case ASN_OPAQUE:
      if (v.val.string) out.octets.assign(reinterpret_cast<const char*>(v.val.string), v.val_len);
      break;
    case ASN_OBJECT_ID:
      if (v.val.objid) out.oid.assign(v.val.objid, v.val.objid + v.val_len / sizeof(oid));
      break;
    default:
      break;
  }
  return out;
}

varbind decode_varbind(const netsnmp_variable_list& v) {
  return {oid_vector(v.name, v.name + v.name_length), decode(v)};
}

bool encode(netsnmp_variable_list& vb, const value& v) noexcept {
  const auto type = static_cast<u_char>(v.type);
  switch (v.type) {
    case value_type::integer: {
      const long x = static_cast<long>(v.integer);
      return snmp_set_var_typed_value(&vb, type, &x, sizeof x) == 0;
    }
    case value_type::counter32:
    case value_type::gauge32:
    case value_type::timeticks: {
      const u_long x = static_cast<u_long>(v.unsigned_value & 0xffffffffULL);
      return snmp_set_var_typed_value(&vb, type, &x, sizeof x) == 0;
    }
    case value_type::counter64: {
      counter64 c{};
      c.high = static_cast<u_long>(v.unsigned_value >> 32);
      c.low = static_cast<u_long>(v.unsigned_value & 0xffffffffULL);
      return snmp_set_var_typed_value(&vb, type, &c, sizeof c) == 0;
    }
    case value_type::object_id:
      return snmp_set_var_typed_value(&vb, type, v.oid.data(), v.oid.size() * sizeof(oid)) == 0;
    case value_type::octet_string:
    case value_type::ip_address:
    case value_type::opaque:
      return snmp_set_var_typed_value(&vb, type, v.octets.data(), v.octets.size()) == 0;
    case value_type::null:
    case value_type::no_such_object:
    case value_type::no_such_instance:
    case value_type::end_of_mib_view:
      break;
  }
  return snmp_set_var_typed_value(&vb, type, nullptr, 0) == 0;
}

bool add_varbind(netsnmp_pdu& pdu, const varbind& vb) noexcept {
  auto* var = snmp_add_null_var(&pdu, vb.name.data(), vb.name.size());
  return var && encode(*var, vb.val);
}

}  // namespace fleetreg::snmp
