// SPDX-License-Identifier: Apache-2.0
// Logging in and out: the login form (its own double-submit cookie), the
// password check behind the per-source and per-account limits and the
// bounded number of password hashes, the session cookie.
#include <chrono>

#include "context.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/peer.hpp"
#include "fleetreg/core/log.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;
constexpr const char* login_cookie = "fleetreg_login";

// The form with a fresh double-submit token (cookie and hidden field);
// `message` in the error box when there is one.
http::response form_page(const context& c, int status, const std::string& message) {
  const auto token = crypto::new_secret("");
  auto r = page(status, "Log in",
                (message.empty() ? "" : error_box(message)) +
                    "<form method=\"post\" action=\"/login\" class=\"card\"><input type=\"hidden\" "
                    "name=\"login_csrf\" value=\"" +
                    escape(token) +
                    "\"><label>Account <input name=\"name\" autocomplete=\"username\" required maxlength=\"64\">"
                    "</label><label>Password <input name=\"password\" type=\"password\" "
                    "autocomplete=\"current-password\" required maxlength=\"1024\"></label>"
                    "<button type=\"submit\">Log in</button></form>",
                nullptr);
  r.headers.emplace_back("Set-Cookie", std::string(login_cookie) + "=" + token +
                                           "; Path=/login; HttpOnly; SameSite=Strict; Max-Age=1800" +
                                           (c.login.secure_cookies ? "; Secure" : ""));
  return r;
}

http::response too_many(const context& c, std::int64_t wait, const std::string& what) {
  auto r = form_page(c, http_status(refusal_kind::too_many),
                     "Too many failed logins " + what + ". Wait " + std::to_string(wait) + " seconds and try again.");
  r.headers.emplace_back("Retry-After", std::to_string(wait));
  return r;
}

// A new session for `acc`: its cookie on the redirect to the dashboard.
http::response start_session(const context& c, const account& acc) {
  const auto secret = c.svc.start_session(acc, c.req.peer);
  auto r = redirect("/");
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(operations::session_lifetime).count();
  // One Set-Cookie per response: cpprestsdk folds repeated headers into one
  // line, which browsers read as a single cookie. The login cookie (Path=/login,
  // 30 minutes) is left to expire.
  r.headers.emplace_back("Set-Cookie", std::string(session_cookie) + "=" + secret +
                                           "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(seconds) +
                                           (c.login.secure_cookies ? "; Secure" : ""));
  return r;
}

}  // namespace

http::response login_form(context& c) { return form_page(c, 200, ""); }

http::response login(context& c) {
  const auto source = peer::limit_key(c.req.peer);
  if (const auto wait = c.login.sources.retry_after(source, failure_kind::login, c.now); wait > 0)
    return too_many(c, wait, "from this address");
  const auto form = html::parse_form(c.req.body);
  const auto cookie = c.req.cookie(login_cookie);
  if (!form || cookie.empty() || !form->count("login_csrf") || !same_secret(form->at("login_csrf"), cookie))
    return form_page(c, http_status(refusal_kind::forbidden),
                     "The login form was stale or did not come from this site. Please log in again.");
  const auto name = form->count("name") ? form->at("name") : "";
  const auto password = form->count("password") ? form->at("password") : "";
  // Guessing one account from many addresses is throttled per account too.
  if (const auto wait = c.login.accounts.retry_after(name.substr(0, 64), failure_kind::account, c.now); wait > 0)
    return too_many(c, wait, "for this account");
  // argon2id takes 64 MiB and a core for a while: only a few at once.
  const auto hashing = c.login.hashes.try_acquire();
  if (!hashing) {
    auto r = form_page(c, http_status(refusal_kind::busy), "The center is busy. Try again in a few seconds.");
    r.headers.emplace_back("Retry-After", "2");
    return r;
  }
  const auto acc = c.svc.check_password(name, password);
  if (!acc) {
    c.login.sources.record_failure(source, failure_kind::login, c.now);
    c.login.accounts.record_failure(name.substr(0, 64), failure_kind::account, c.now);
    log::notice("dealer site: failed login account=" + log::quote(name.substr(0, 64)) +
                " peer=" + log::quote(c.req.peer));
    return form_page(c, http_status(refusal_kind::unauthenticated), "Wrong account name or password.");
  }
  return start_session(c, *acc);
}

http::response logout(context& c) {
  c.svc.end_session(*c.me);
  auto r = redirect("/login");
  r.headers.emplace_back("Set-Cookie", std::string(session_cookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  return r;
}

http::response home(context&) { return redirect("/"); }

}  // namespace fleetreg::center::web
