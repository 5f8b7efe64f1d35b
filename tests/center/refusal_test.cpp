// SPDX-License-Identifier: Apache-2.0
// Typed refusals: each kind has one HTTP status and one exit code, and the
// operations layer refuses with the kind, never a sentence to be matched.

#include <gtest/gtest.h>

#include "center_fixture.hpp"
#include "fleetreg/center/refusal.hpp"

namespace fleetreg::center::test_support {
namespace {

TEST(Refusal, EachKindHasOneStatusAndOneExitCode) {
  const std::pair<refusal_kind, int> statuses[] = {
      {refusal_kind::invalid, 400},       {refusal_kind::unauthenticated, 401},
      {refusal_kind::forbidden, 403},     {refusal_kind::not_found, 404},
      {refusal_kind::conflict, 409},      {refusal_kind::gone, 410},
      {refusal_kind::too_many, 429},      {refusal_kind::busy, 503},
      {refusal_kind::unprocessable, 422}, {refusal_kind::too_large, 413},
      {refusal_kind::wrong_method, 405},  {refusal_kind::storage_full, 507},
  };
  for (const auto& [kind, status] : statuses) {
    EXPECT_EQ(http_status(kind), status);
    const refusal r(kind, "a sentence");
    EXPECT_EQ(r.kind(), kind);
    EXPECT_STREQ(r.what(), "a sentence");
    EXPECT_TRUE(r.object().empty());
    const bool callers_input =
        kind == refusal_kind::invalid || kind == refusal_kind::unprocessable || kind == refusal_kind::too_large;
    EXPECT_EQ(r.code(), callers_input ? exit_code::data : exit_code::failure) << "fleetreg-centerctl's exit code";
  }
}

TEST(Refusal, NoSuchNamesTheKindOfObject) {
  const auto r = refusal::no_such("site", "0000");
  EXPECT_EQ(r.kind(), refusal_kind::not_found);
  EXPECT_EQ(r.object(), "site");
  EXPECT_STREQ(r.what(), "no site 0000");
  EXPECT_EQ(http_status(r.kind()), 404);
}

class RefusalTest : public CenterTest {
 protected:
  template <class F>
  static refusal_kind kind_of(F&& f) {
    try {
      f();
    } catch (const refusal& e) {
      return e.kind();
    }
    ADD_FAILURE() << "not refused";
    return refusal_kind::busy;
  }
  account acc(const std::string& name) { return *store->find_account(name); }
};

TEST_F(RefusalTest, OperationsRefuseWithTheirKind) {
  const auto a = acc("dealer-a"), b = acc("dealer-b"), root = acc("root");
  EXPECT_EQ(kind_of([&] { svc->create_account("t", "dealer-a", role::dealer, "password-x-123"); }),
            refusal_kind::conflict);
  EXPECT_EQ(kind_of([&] { svc->create_account("t", "dealer-x", role::dealer, "short"); }), refusal_kind::invalid);
  EXPECT_EQ(kind_of([&] { svc->require_account("nobody"); }), refusal_kind::not_found);
  EXPECT_EQ(kind_of([&] { svc->parse_validity("99y"); }), refusal_kind::invalid);
  EXPECT_EQ(kind_of([&] { svc->set_account_enabled("root", "root", false); }), refusal_kind::invalid);
  const auto code = svc->issue_code(a, "Acme", "", "");
  EXPECT_EQ(kind_of([&] { svc->revoke_code(b, code.record.id); }), refusal_kind::not_found) << "another dealer's";
  svc->revoke_code(a, code.record.id);
  EXPECT_EQ(kind_of([&] { svc->revoke_code(a, code.record.id); }), refusal_kind::conflict) << "revoked already";
  const auto site = register_site(issue("dealer-a", "Acme"), json::value::array({terminal("HP", "1")})).first;
  EXPECT_EQ(kind_of([&] { svc->require_site(b, site); }), refusal_kind::not_found);
  EXPECT_EQ(kind_of([&] { svc->transfer_terminal(a, "hp:1", site); }), refusal_kind::conflict) << "already there";
  EXPECT_EQ(kind_of([&] { svc->retire_terminal(a, "hp:nope"); }), refusal_kind::not_found);
  EXPECT_EQ(kind_of([&] { svc->issue_billing_token("root", root, "erp"); }), refusal_kind::invalid);
  EXPECT_EQ(kind_of([&] { svc->revoke_token(a, 12345); }), refusal_kind::not_found);
  EXPECT_EQ(kind_of([&] { svc->close_billing(a, a, clock.now() + std::chrono::hours(1)); }), refusal_kind::invalid);
  svc->revoke(a, site);
  EXPECT_EQ(kind_of([&] { svc->rotate(a, site); }), refusal_kind::conflict) << "no active credential";
}

}  // namespace
}  // namespace fleetreg::center::test_support
