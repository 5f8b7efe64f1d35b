// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/web_site.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "context.hpp"
#include "fleetreg/center/refusal.hpp"
#include "fleetreg/center/sql.hpp"
#include "fleetreg/core/log.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center {
namespace {

// Who may take a route: anyone (the login and the stylesheet) or someone
// logged in (whose POSTs carry the session's CSRF token).
enum class access { anyone, signed_in };

struct route {
  std::string_view method;
  std::string_view path;  ///< the path, or with `prefix` what the path starts with
  bool prefix;
  access who;
  web::handler run;
};

// The dealer site's routes. Paths of objects (/sites/<id>/<action>) are
// prefixes; their handlers split and decode the rest.
constexpr route routes[] = {
    {"GET", "/static/", true, access::anyone, web::static_asset},
    {"GET", "/login", false, access::anyone, web::login_form},
    {"POST", "/login", false, access::anyone, web::login},
    {"POST", "/logout", false, access::signed_in, web::logout},
    {"GET", "/", false, access::signed_in, web::dashboard},
    {"POST", "/", false, access::signed_in, web::home},
    {"GET", "/sites", false, access::signed_in, web::sites_list},
    {"GET", "/sites/", true, access::signed_in, web::site_page},
    {"POST", "/sites/", true, access::signed_in, web::site_action},
    {"GET", "/terminals", false, access::signed_in, web::terminals_list},
    {"GET", "/terminals/", true, access::signed_in, web::terminal_page},
    {"POST", "/terminals/", true, access::signed_in, web::terminal_action},
    {"GET", "/codes", false, access::signed_in, web::codes_list},
    {"GET", "/codes/new", false, access::signed_in, web::code_form},
    {"POST", "/codes", false, access::signed_in, web::code_issue},
    {"POST", "/codes/", true, access::signed_in, web::code_revoke},
    {"GET", "/claims", false, access::signed_in, web::claims_list},
    {"POST", "/claims/", true, access::signed_in, web::claim_decide},
    {"GET", "/tokens", false, access::signed_in, web::tokens_list},
    {"POST", "/tokens", false, access::signed_in, web::token_issue},
    {"POST", "/tokens/", true, access::signed_in, web::token_revoke},
    {"GET", "/billing", false, access::signed_in, web::billing_page},
    {"GET", "/billing.csv", false, access::signed_in, web::billing_csv_file},
    {"POST", "/billing/close", false, access::signed_in, web::billing_close},
    {"POST", "/billing/weights", false, access::signed_in, web::billing_weights_set},
    {"GET", "/alerts", false, access::signed_in, web::alerts_page},
    {"GET", "/webhooks", false, access::signed_in, web::webhooks_page},
    {"POST", "/webhooks", false, access::signed_in, web::webhook_add},
    {"POST", "/webhooks/", true, access::signed_in, web::webhook_action},
    {"GET", "/deliveries", false, access::signed_in, web::deliveries_page},
    {"POST", "/digest", false, access::signed_in, web::digest_set},
    {"POST", "/alerts/settings", false, access::signed_in, web::alert_settings_set},
    {"POST", "/alerts/", true, access::signed_in, web::alert_action},
    {"GET", "/to-order", false, access::signed_in, web::to_order_page},
    {"GET", "/to-order.csv", false, access::signed_in, web::to_order_csv_file},
    {"GET", "/audit", false, access::signed_in, web::audit_page},
    {"GET", "/accounts", false, access::signed_in, web::accounts_list},
    {"POST", "/accounts", false, access::signed_in, web::account_create},
    {"POST", "/accounts/", true, access::signed_in, web::account_enable},
};

bool matches(const route& r, std::string_view path) { return r.prefix ? path.starts_with(r.path) : path == r.path; }

// The route of `method` and `path`, or null.
const route* find_route(std::string_view method, std::string_view path) {
  const auto it = std::find_if(std::begin(routes), std::end(routes),
                               [&](const route& r) { return r.method == method && matches(r, path); });
  return it == std::end(routes) ? nullptr : &*it;
}

// A path of the site (with any method); others are the API's or unknown.
bool ours(std::string_view path) {
  return std::any_of(std::begin(routes), std::end(routes), [&](const route& r) { return matches(r, path); });
}

// Runs a handler; a refusal becomes the page of its kind, here only.
http::response run(const route& r, web::context& c) {
  try {
    return r.run(c);
  } catch (const refusal& why) {
    return web::problem(why, c.me);
  }
}

}  // namespace

web_site::web_site(operations& svc, bool secure_cookies)
    : svc_(svc),
      secure_(secure_cookies),
      limiter_(svc.settings().failed_attempts_per_minute, std::chrono::minutes(1)),
      accounts_(svc.settings().login_failures_per_account, std::chrono::minutes(15)),
      hashes_(svc.settings().concurrent_password_hashes) {}

std::optional<http::response> web_site::handle(const http::request& req) {
  if (!ours(req.path)) return std::nullopt;
  try {
    return dispatch(req);
  } catch (const sql::storage_full& e) {
    // As the API's uploads (507): nothing was changed, and the page says why.
    log::error("page refused, database full id=" + req.id + " path=" + log::quote(req.path) +
               " error=" + log::quote(e.what()));
    http::response r;
    r.status = http_status(refusal_kind::storage_full);
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!doctype html><title>Database full</title><p>The center's database has no space left: nothing was "
        "changed. Try again later.</p>";
    r.headers.emplace_back("Retry-After", "30");
    web::secure_headers(r);
    return r;
  } catch (const std::exception& e) {
    log::error("page failed id=" + req.id + " method=" + log::quote(req.method) + " path=" + log::quote(req.path) +
               " error=" + log::quote(e.what()));
    http::response r;
    r.status = 500;
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!doctype html><title>Error</title><p>The center could not complete this page. Try again later.</p>"
        "<p>Request " +
        html::escape(req.id) + "</p>";
    web::secure_headers(r);
    return r;
  }
}

http::response web_site::dispatch(const http::request& req) {
  const bool post = req.method == "POST";
  if (req.method != "GET" && !post) {
    http::response r =
        http::error_response(http_status(refusal_kind::wrong_method), "method_not_allowed", "use GET or POST");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  const auto* r = find_route(req.method, req.path);
  web::login_guard guard{limiter_, accounts_, hashes_, secure_};
  web::context c{req, svc_, svc_.now_source().now(), nullptr, {}, guard};
  if (r && r->who == access::anyone) return run(*r, c);

  const auto me = svc_.find_session(req.cookie(session_cookie));
  if (!me) {
    if (!post) return web::redirect("/login");
    return web::problem(
        refusal(refusal_kind::forbidden, "Your session has ended. Log in again, then repeat what you did."), nullptr);
  }
  c.me = &*me;
  // Every form post carries the session's CSRF token.
  if (post) {
    auto form = html::parse_form(req.body);
    if (!form || !form->count("csrf") || !web::same_secret(form->at("csrf"), me->session.csrf))
      return web::problem(refusal(refusal_kind::forbidden,
                                  "This form was stale or did not come from this site. "
                                  "Reload the page and try again."),
                          c.me);
    c.form = std::move(*form);
  }
  if (!r) return web::problem(refusal(refusal_kind::not_found, "There is no such page."), c.me);
  return run(*r, c);
}

}  // namespace fleetreg::center
