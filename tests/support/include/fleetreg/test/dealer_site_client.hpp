// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

/// The dealer web site driven over plain HTTP/1.1 as a browser would: one
/// request per fresh connection, redirects not followed (the site answers a
/// login or a form with 303 and a cookie, which cpprestsdk would follow and
/// lose). For tests and benchmarks against a center without TLS.
namespace fleetreg::test {

/// One answer: status (0 when the exchange failed), head and body.
struct raw_response {
  int status = 0;
  std::string head, body;
};

/// The port of "http://host:port".
std::uint16_t port_of(const std::string& url);

/// One HTTP/1.1 exchange with 127.0.0.1:`port` on a fresh connection
/// ("Connection: close"; `headers` are "Name: value\r\n" lines; a
/// Content-Length is added). Reads until the server closes.
raw_response raw_http(std::uint16_t port, const std::string& method, const std::string& path,
                      const std::string& headers, const std::string& body = "");

/// The value of cookie `name` set by `r` ("" when it sets none).
std::string cookie_value(const raw_response& r, const std::string& name);
/// The value of the hidden form field `name` in `page` ("" when absent).
std::string hidden_field(const std::string& page, const std::string& name);
/// `s` encoded for an application/x-www-form-urlencoded body.
std::string form_encode(const std::string& s);

/// A dealer's browser session on one center (or replica): logs in, reads
/// pages and posts forms with the session cookie.
class dealer_site_client {
 public:
  /// A client of the center at `url` (http://127.0.0.1:PORT), with
  /// `session` (a fleetreg_session cookie made elsewhere, e.g. on another
  /// replica) or none yet.
  explicit dealer_site_client(const std::string& url, std::string session = "");

  /// Logs `name` in (GET /login for the login cookie and CSRF field, then
  /// POST /login). Returns the 303's response; on success the session is kept.
  raw_response log_in(const std::string& name, const std::string& password);
  /// The session cookie ("" before a login).
  const std::string& session() const { return session_; }

  /// GET `path` with the session.
  raw_response get(const std::string& path) const;
  /// POST of the form `fields` (already encoded: "a=1&b=2") with the session.
  raw_response post_form(const std::string& path, const std::string& fields) const;
  /// The CSRF token of the session, read from the form of page `path`.
  std::string csrf(const std::string& path) const;

 private:
  std::uint16_t port_;
  std::string session_;
};

}  // namespace fleetreg::test
