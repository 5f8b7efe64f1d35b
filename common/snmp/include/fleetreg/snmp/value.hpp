// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "fleetreg/snmp/oid.hpp"

namespace fleetreg::snmp {

/// ASN.1/SMI value types, numbered as Net-SNMP's ASN_* constants.
enum class value_type : unsigned char {
  integer = 0x02,
  octet_string = 0x04,
  null = 0x05,
  object_id = 0x06,
  ip_address = 0x40,
  counter32 = 0x41,
  gauge32 = 0x42,
  timeticks = 0x43,
  opaque = 0x44,
  counter64 = 0x46,
  no_such_object = 0x80,
  no_such_instance = 0x81,
  end_of_mib_view = 0x82,
};

/// A decoded varbind value.
struct value {
  value_type type = value_type::null;
  std::int64_t integer = 0;          ///< integer
  std::uint64_t unsigned_value = 0;  ///< counter32, gauge32, timeticks, counter64
  std::string octets;                ///< octet_string, ip_address, opaque
  oid_vector oid;                    ///< object_id

  /// noSuchObject, noSuchInstance or endOfMibView.
  bool is_exception() const noexcept {
    return type == value_type::no_such_object || type == value_type::no_such_instance ||
           type == value_type::end_of_mib_view;
  }
  static value make_integer(std::int64_t v) {
    value x;
    x.type = value_type::integer;
    x.integer = v;
    return x;
  }
  static value make_string(std::string s) {
    value x;
    x.type = value_type::octet_string;
    x.octets = std::move(s);
    return x;
  }
};

/// One variable binding.
struct varbind {
  oid_vector name;
  value val;
};

/// SNMP error-status values (RFC 3416) a SET may be refused with.
enum class error_status : int {
  no_error = 0,
  gen_err = 5,
  wrong_type = 7,
  wrong_length = 8,
  wrong_value = 10,
  no_creation = 11,
  inconsistent_value = 12,
  resource_unavailable = 13,
  commit_failed = 14,
  undo_failed = 15,
  not_writable = 17,
};

/// DateAndTime (SNMPv2-TC) in UTC: 11 octets with direction '+' and zero
/// offset; all eight date octets zero (the "never" convention) for the epoch.
std::string date_and_time(std::int64_t unix_seconds);

}  // namespace fleetreg::snmp
