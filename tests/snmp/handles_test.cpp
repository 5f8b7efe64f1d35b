// SPDX-License-Identifier: Apache-2.0
// Ownership of what Net-SNMP allocates: a PDU stays the caller's when a send
// fails (freed once, by its handle) and becomes the library's when it
// succeeds; sessions and key buffers are freed on every path. The asan preset
// turns a double free or a leak here into a failure.
#include "fleetreg/snmp/handles.hpp"

#include <gtest/gtest.h>

#include "fleetreg/snmp/client.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/session.hpp"

namespace fleetreg::snmp {
namespace {

// Nobody answers on the discard port of loopback (UDP 9).
session_options silent_peer(snmp_version version) {
  session_options o;
  o.peer = "udp:127.0.0.1:9";
  o.version = version;
  o.timeout = std::chrono::milliseconds(50);
  o.retries = 0;
  return o;
}

session_ptr open_session(const session_options& o) {
  const session_template tmpl(o);
  auto s = tmpl.copy();
  return session_ptr(snmp_sess_open(&s));
}

int never_called(int, netsnmp_session*, int, netsnmp_pdu*, void*) noexcept { return 1; }

TEST(SnmpHandles, AFailedSendLeavesThePduWithItsOwner) {
  const auto session = open_session(silent_peer(snmp_version::v1));
  ASSERT_TRUE(session);
  // A GETBULK cannot be encoded in SNMPv1: Net-SNMP refuses it before sending.
  pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_GETBULK));
  const oid name[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
  snmp_add_null_var(pdu.get(), name, std::size(name));
  std::error_code ec;
  EXPECT_FALSE(async_send(session.get(), pdu, never_called, nullptr, ec));
  EXPECT_EQ(ec.category(), api_category());
  EXPECT_TRUE(ec) << "the reason is reported";
  ASSERT_TRUE(pdu) << "not sent: still ours, freed once when `pdu` goes";
  EXPECT_EQ(pdu->command, SNMP_MSG_GETBULK);
  pdu.reset();
  pdu_ptr none;
  EXPECT_FALSE(async_send(session.get(), none, never_called, nullptr, ec));
  EXPECT_EQ(ec, std::error_code(SNMPERR_NULL_PDU, api_category()));
}

TEST(SnmpHandles, ASentPduBelongsToTheLibrary) {
  auto session = open_session(silent_peer(snmp_version::v2c));
  ASSERT_TRUE(session);
  pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_GET));
  const oid name[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
  snmp_add_null_var(pdu.get(), name, std::size(name));
  std::error_code ec;
  EXPECT_TRUE(async_send(session.get(), pdu, never_called, nullptr, ec));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(pdu) << "released: the library frees it";
  session.reset();  // frees the outstanding request without calling back
}

TEST(SnmpHandles, AnUnansweredRequestIsATimeout) {
  client c(silent_peer(snmp_version::v2c));
  std::error_code ec;
  EXPECT_TRUE(c.get({{1, 3, 6, 1, 2, 1, 1, 3, 0}}, ec).empty());
  EXPECT_EQ(ec.category(), api_category());
  EXPECT_TRUE(ec);
  c.set({{{1, 3, 6, 1, 2, 1, 1, 5, 0}, value::make_string("x")}}, ec);
  EXPECT_TRUE(ec);
}

TEST(SnmpHandles, AKeyThatCannotBeDerivedIsAnSnmpErrorNotKerberos) {
  auto o = silent_peer(snmp_version::v3);
  o.user = "fleetreg";
  o.auth_passphrase = "short";  // generate_Ku wants at least 8 characters
  o.priv_passphrase = "long enough";
  try {
    const session_template tmpl(o);
    FAIL() << "a short passphrase gave keys";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), api_category());
    EXPECT_NE(e.code().value(), SNMPERR_KRB5);
    EXPECT_NE(std::string(e.what()).find("authentication key"), std::string::npos) << e.what();
  }
  o.auth_passphrase = "long enough";
  o.priv_passphrase = "short";
  EXPECT_THROW(session_template{o}, std::system_error) << "the privacy key, after the authentication OIDs were made";
  o.priv_passphrase = "long enough";
  EXPECT_NO_THROW(session_template{o});
}

}  // namespace
}  // namespace fleetreg::snmp
