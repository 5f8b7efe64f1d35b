// SPDX-License-Identifier: Apache-2.0
// The one value <-> varbind conversion, shared by the managers and the
// subagent: every type survives encode then decode.
#include "fleetreg/snmp/codec.hpp"

#include <gtest/gtest.h>

#include "fleetreg/snmp/handles.hpp"

namespace fleetreg::snmp {
namespace {

value round_trip(const value& v) {
  const pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_SET));
  EXPECT_TRUE(add_varbind(*pdu, {{1, 3, 6, 1, 4, 1, 8072, 1}, v}));
  const auto vb = decode_varbind(*pdu->variables);
  EXPECT_EQ(vb.name, (oid_vector{1, 3, 6, 1, 4, 1, 8072, 1}));
  EXPECT_EQ(vb.val.type, v.type);
  return vb.val;
}

value of(value_type type, std::uint64_t u) {
  value v;
  v.type = type;
  v.unsigned_value = u;
  return v;
}

TEST(SnmpCodec, EveryTypeSurvivesEncodeAndDecode) {
  EXPECT_EQ(round_trip(value::make_integer(-42)).integer, -42);
  EXPECT_EQ(round_trip(value::make_integer(2147483647)).integer, 2147483647);
  EXPECT_EQ(round_trip(value::make_string(std::string("a\0b", 3))).octets, std::string("a\0b", 3));
  EXPECT_EQ(round_trip(value::make_string("")).octets, "");
  EXPECT_EQ(round_trip(of(value_type::counter32, 0x1'0000'0007ULL)).unsigned_value, 7u) << "low 32 bits";
  EXPECT_EQ(round_trip(of(value_type::gauge32, 4294967295ULL)).unsigned_value, 4294967295u);
  EXPECT_EQ(round_trip(of(value_type::timeticks, 12345)).unsigned_value, 12345u);
  EXPECT_EQ(round_trip(of(value_type::counter64, (1ULL << 40) + 3)).unsigned_value, (1ULL << 40) + 3);
  EXPECT_EQ(round_trip(of(value_type::counter64, ~0ULL)).unsigned_value, ~0ULL);
  value id;
  id.type = value_type::object_id;
  id.oid = {1, 3, 6, 1, 2, 1, 25, 3, 1, 5};
  EXPECT_EQ(round_trip(id).oid, id.oid);
  value ip;
  ip.type = value_type::ip_address;
  ip.octets = std::string("\x7f\0\0\x01", 4);
  EXPECT_EQ(round_trip(ip).octets, ip.octets);
  round_trip(value{});  // null
  round_trip(of(value_type::no_such_instance, 0));
}

TEST(SnmpCodec, EncodeReplacesAValue) {
  const pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_GET));
  const oid name[] = {1, 3, 6, 1, 2, 1, 1, 5, 0};
  auto* vb = snmp_add_null_var(pdu.get(), name, std::size(name));
  ASSERT_TRUE(vb);
  ASSERT_TRUE(encode(*vb, value::make_string(std::string(300, 'x'))));  // beyond the varbind's own buffer
  ASSERT_TRUE(encode(*vb, value::make_integer(3)));
  EXPECT_EQ(decode(*vb).type, value_type::integer);
  EXPECT_EQ(decode(*vb).integer, 3);
}

}  // namespace
}  // namespace fleetreg::snmp
