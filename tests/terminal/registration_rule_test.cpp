// SPDX-License-Identifier: Apache-2.0
// Which registration write each state allows (issue 14 item 7): the rule the
// subagent's SET check, the store and the panel all apply.
#include <gtest/gtest.h>

#include "fleetreg/terminal/state.hpp"

namespace fleetreg::terminal {
namespace {

using rs = registration_state;
using rw = registration_write;

TEST(RegistrationRule, EveryStateAndWrite) {
  struct row {
    rs state;
    bool url, code, unregister;  // allowed?
  };
  const row table[] = {
      {rs::unregistered, true, true, true}, {rs::pending, true, true, true}, {rs::registering, false, false, false},
      {rs::registered, false, false, true}, {rs::failed, true, true, true},  {rs::revoked, false, false, true},
  };
  for (const auto& r : table) {
    const auto state = std::string(to_string(r.state));
    EXPECT_EQ(!registration_write_refused(r.state, rw::center_url), r.url) << state << ": center URL";
    EXPECT_EQ(!registration_write_refused(r.state, rw::provisional_code), r.code) << state << ": code";
    EXPECT_EQ(!registration_write_refused(r.state, rw::unregister), r.unregister) << state << ": unregister";
  }
}

TEST(RegistrationRule, InEffectMeansACredentialIsHeldOrComing) {
  EXPECT_FALSE(registration_in_effect(rs::unregistered));
  EXPECT_FALSE(registration_in_effect(rs::pending));
  EXPECT_TRUE(registration_in_effect(rs::registering));
  EXPECT_TRUE(registration_in_effect(rs::registered));
  EXPECT_FALSE(registration_in_effect(rs::failed));
  EXPECT_TRUE(registration_in_effect(rs::revoked));
}

TEST(RegistrationRule, TheReasonSaysWhatToDo) {
  const auto registered = registration_write_refused(rs::registered, rw::center_url);
  ASSERT_TRUE(registered);
  EXPECT_NE(registered->find("registered"), std::string::npos) << *registered;
  EXPECT_NE(registered->find("unregistered"), std::string::npos) << *registered;
  const auto revoked = registration_write_refused(rs::revoked, rw::provisional_code);
  ASSERT_TRUE(revoked);
  EXPECT_NE(revoked->find("revoked"), std::string::npos) << *revoked;
  const auto registering = registration_write_refused(rs::registering, rw::unregister);
  ASSERT_TRUE(registering);
  EXPECT_NE(registering->find("in progress"), std::string::npos) << *registering;
}

}  // namespace
}  // namespace fleetreg::terminal
