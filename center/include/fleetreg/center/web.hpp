// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/http.hpp"
#include "fleetreg/center/limiter.hpp"
#include "fleetreg/center/operations.hpp"

namespace fleetreg::center {

/// The dealer site: server-rendered pages (no JavaScript, no external
/// assets) for servicepersons and admins — login, provisional codes, sites
/// and terminals with counters, toner and an SVG chart, billing export,
/// on-demand reads, credential and terminal actions, the audit log and (for
/// admins) dealer accounts. Sessions are server-side (a hash of the cookie
/// is stored), the cookie HttpOnly, SameSite=Strict and Secure under TLS;
/// every form carries a CSRF token; failed logins are rate-limited per
/// source. Handlers are plain request → response functions like the API's.
class web_site {
 public:
  /// `secure_cookies`: the center listens on https.
  web_site(operations& svc, bool secure_cookies);

  /// The page or action for `req`, or nullopt when the path is not the site's.
  std::optional<http::response> handle(const http::request& req);

 private:
  struct visitor;
  http::response dispatch(const http::request& req);
  std::optional<visitor> current(const http::request& req);

  operations& svc_;
  bool secure_;
  failure_limiter limiter_;   // failed logins per source
  failure_limiter accounts_;  // failed logins per account name
  bounded_gate hashes_;       // password hashes running at once
};

}  // namespace fleetreg::center
