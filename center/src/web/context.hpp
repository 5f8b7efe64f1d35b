// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetreg/center/http.hpp"
#include "fleetreg/center/limiter.hpp"
#include "fleetreg/center/operations.hpp"

/// The dealer site's handlers: one plain function per route, grouped in one
/// file per resource (login.cpp, sites.cpp, terminals.cpp, codes.cpp,
/// claims.cpp, tokens.cpp, billing.cpp, audit.cpp, accounts.cpp); the route
/// table is in web_site.cpp. A handler refuses by throwing center::refusal,
/// which web_site turns into a page with the kind's status.
namespace fleetreg::center::web {

/// The login's defences, owned by web_site.
struct login_guard {
  failure_limiter& sources;   ///< failed logins per source
  failure_limiter& accounts;  ///< failed logins per account name
  bounded_gate& hashes;       ///< password hashes running at once
  bool secure_cookies;        ///< the center listens on https
};

/// What a handler gets: the request, the operations, who is logged in (null
/// on the public routes) and a POST's form fields, its CSRF token checked.
struct context {
  const http::request& req;
  operations& svc;
  time_point now;
  const signed_in* me;
  std::map<std::string, std::string> form;
  login_guard& login;

  /// A form field, or "".
  std::string field(const std::string& name) const;
  /// A query parameter, or "".
  std::string param(const std::string& name) const;
};

/// A route's handler.
using handler = http::response (*)(context&);

/// The object and action of a path `<prefix><object>[/<action>]`, each
/// percent-decoded on its own from the path as sent: a terminal key or an
/// account name may hold '/' (sent as %2F). nullopt for another shape.
struct object_route {
  std::string object, action;
};
std::optional<object_route> route_of(const http::request& req, std::string_view prefix);

/// "<prefix><id>/<action>" (e.g. /codes/12/revoke): the id and the action, or
/// nullopt when the rest of the path is not a number, a slash and a word.
std::optional<std::pair<std::int64_t, std::string>> id_and_action(const std::string& path, std::string_view prefix);

/// Compares two secrets (CSRF tokens) in constant time.
bool same_secret(const std::string& a, const std::string& b);

/// Throws refusal not_found "There is no such page." (an unknown action).
[[noreturn]] void no_such_page();

// login.cpp
/// GET /login: the login form.
http::response login_form(context& c);
/// POST /login: checks the password (rate-limited), starts a session.
http::response login(context& c);
/// POST /logout: ends the session.
http::response logout(context& c);
/// POST /: to the dashboard.
http::response home(context& c);
/// GET /static/…: the stylesheet.
http::response static_asset(context& c);

// sites.cpp
/// GET /sites: the dealer's sites, searchable by customer or serial.
http::response sites_list(context& c);
/// GET /sites/<id>: one site, its terminals, reads and actions.
http::response site_page(context& c);
/// POST /sites/<id>/<request|revoke|rotate|code>.
http::response site_action(context& c);

// terminals.cpp
/// GET /terminals/<key>: chart, readings, supplies and actions.
http::response terminal_page(context& c);
/// POST /terminals/<key>/<transfer|retire>.
http::response terminal_action(context& c);

// codes.cpp
/// GET /codes: the codes issued.
http::response codes_list(context& c);
/// GET /codes/new: the form that issues a code.
http::response code_form(context& c);
/// POST /codes: issues a code and shows it once.
http::response code_issue(context& c);
/// POST /codes/<id>/revoke.
http::response code_revoke(context& c);
/// The page that shows a new code, once, grouped for typing on a panel.
http::response show_code(const context& c, const operations::issued_code& issued);

// claims.cpp
/// GET /claims: claims on the dealer's terminals and by its sites.
http::response claims_list(context& c);
/// POST /claims/<id>/<accept|refuse>.
http::response claim_decide(context& c);

// tokens.cpp
/// GET /tokens: the API tokens (monitoring for admins, billing for a dealer).
http::response tokens_list(context& c);
/// POST /tokens: issues one and shows it once.
http::response token_issue(context& c);
/// POST /tokens/<id>/revoke.
http::response token_revoke(context& c);

// billing.cpp
/// GET /billing: the billing of one customer and period, and closing periods.
http::response billing_page(context& c);
/// GET /billing.csv: the same as CSV (layout=wide: one row per terminal).
http::response billing_csv_file(context& c);
/// POST /billing/close: closes the dealer's periods before a day.
http::response billing_close(context& c);
/// POST /billing/weights: sets the dealer's billing weights.
http::response billing_weights_set(context& c);

// webhooks.cpp
/// GET /webhooks: the dealer's webhooks and the form that adds one.
http::response webhooks_page(context& c);
/// POST /webhooks: adds one and shows its signing secret once.
http::response webhook_add(context& c);
/// POST /webhooks/<id>/remove.
http::response webhook_action(context& c);
/// POST /digest: the dealer's e-mail digest (recipients, minutes).
http::response digest_set(context& c);
/// GET /deliveries[?webhook=ID]: the newest deliveries, their state and errors.
http::response deliveries_page(context& c);

// alerts.cpp
/// GET /alerts: open alerts, filtered by kind, severity, site; acknowledge and clear.
http::response alerts_page(context& c);
/// POST /alerts/<id>/<ack|clear>.
http::response alert_action(context& c);
/// POST /alerts/settings: the dealer's thresholds and lead time.
http::response alert_settings_set(context& c);
/// GET /to-order: supplies that run out within the lead time.
http::response to_order_page(context& c);
/// GET /to-order.csv: the same as CSV.
http::response to_order_csv_file(context& c);
/// The table of `list` with acknowledge and clear buttons (or a line saying
/// there are none); the buttons come back to `back` ("/" or "": the Alerts page).
std::string alerts_table(const context& c, const std::vector<alert>& list, std::string_view back = "");
/// The Alerts page's filter (kind, severity, site, cleared ones too) set to `q`: a GET form to /alerts.
std::string alerts_filter(const alert_query& q);
/// Supplies with their levels and forecasts (`with_terminal`: their customer and terminal too).
std::string outlook_table(const std::vector<supply_outlook>& list, bool with_terminal);

// dashboard.cpp
/// GET /: the fleet dashboard: terminals per state, the newest open alerts,
/// what to order, the monthly volume.
http::response dashboard(context& c);
/// GET /terminals?state=…: the terminals in one fleet state.
http::response terminals_list(context& c);

// audit.cpp
/// GET /audit: the audit log (a dealer's own actions).
http::response audit_page(context& c);

// accounts.cpp
/// GET /accounts: dealer accounts (admins).
http::response accounts_list(context& c);
/// POST /accounts: creates a dealer account (admins).
http::response account_create(context& c);
/// POST /accounts/<name>/<disable|enable> (admins).
http::response account_enable(context& c);

}  // namespace fleetreg::center::web
