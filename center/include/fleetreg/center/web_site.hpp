// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

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
/// source. A route table of plain request → response handlers (one file per
/// resource in center/src/web/); a refusal (center::refusal) becomes a page
/// with its kind's status here, in one place. GET /api/v1/billing is the
/// API's (api.cpp), computed by operations::billing like the billing pages.
class web_site {
 public:
  /// `secure_cookies`: the center listens on https.
  web_site(operations& svc, bool secure_cookies);

  /// The page or action for `req`, or nullopt when the path is not the
  /// site's. Never throws: a failure is a 500 page carrying the request's id.
  std::optional<http::response> handle(const http::request& req);

 private:
  http::response dispatch(const http::request& req);

  operations& svc_;
  bool secure_;
  failure_limiter limiter_;   // failed logins per source
  failure_limiter accounts_;  // failed logins per account name
  bounded_gate hashes_;       // password hashes running at once
};

}  // namespace fleetreg::center
