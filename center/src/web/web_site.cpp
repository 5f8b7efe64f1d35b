// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/web.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <string_view>
#include <utility>

#include "assets.hpp"
#include "fleetreg/center/billing.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/peer.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "html.hpp"

namespace fleetreg::center {

struct web_site::visitor {
  account acc;
  web_session session;
  crypto::digest hash{};
  bool admin() const { return acc.role == role::admin; }
};

namespace {

using html::escape;
constexpr auto session_lifetime = std::chrono::hours(8);
constexpr const char* session_cookie = "fleetreg_session";
constexpr const char* login_cookie = "fleetreg_login";
constexpr int low_toner_percent = 15;

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void secure_headers(http::response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

http::response redirect(const std::string& to) {
  http::response r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "See " + to + "\n";
  r.headers.emplace_back("Location", to);
  secure_headers(r);
  return r;
}

std::string when(const std::optional<time_point>& t) { return t ? format_utc(*t).substr(0, 16).replace(10, 1, " ") : "—"; }
std::string when(time_point t) { return when(std::optional<time_point>(t)); }

std::string csrf_field(const std::string& token) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(token) + "\">";
}

// A form with one button (and hidden fields), posting to `action`.
std::string button_form(const std::string& action, const std::string& csrf, const std::string& label,
                        const std::string& extra = "", const std::string& css = "") {
  return "<form method=\"post\" action=\"" + escape(action) + "\" class=\"inline " + css + "\">" + csrf_field(csrf) +
         extra + "<button type=\"submit\">" + escape(label) + "</button></form>";
}

std::string toner_cells(const std::vector<supply>& supplies) {
  std::string out;
  for (const auto& s : supplies) {
    if (s.type != supply_type::toner && s.type != supply_type::ink) continue;
    const auto p = s.percent();
    const bool low = p && *p < low_toner_percent;
    out += "<span class=\"toner" + std::string(low ? " low" : "") + "\" title=\"" + escape(s.description) + "\">" +
           escape(s.colorant.empty() ? s.description : s.colorant) + " " + (p ? std::to_string(*p) + "%" : "?") +
           (low ? " (low)" : "") + "</span> ";
  }
  return out.empty() ? "—" : out;
}

std::string count(const counter_set& c, service s, counter_kind k = counter_kind::impressions) {
  const auto v = c.get(s, k);
  return v ? std::to_string(*v) : "—";
}

// The object and action of a path `<prefix><object>[/<action>]`, each
// percent-decoded on its own: a terminal key or an account name may hold '/'
// (sent as %2F), which the decoded path no longer tells from a separator.
// nullopt when the path as sent does not have that shape.
struct object_route {
  std::string object, action;
};
std::optional<object_route> route_of(const http::request& req, std::string_view prefix) {
  const std::string_view raw = req.raw_path.empty() ? std::string_view(req.path) : std::string_view(req.raw_path);
  if (!raw.starts_with(prefix)) return std::nullopt;
  const auto rest = raw.substr(prefix.size());
  const auto slash = rest.find('/');
  object_route r;
  if (!http::percent_decode(rest.substr(0, slash), r.object) ||
      (slash != std::string_view::npos && !http::percent_decode(rest.substr(slash + 1), r.action)))
    return std::nullopt;
  return r;
}

// One answer for an unknown object and another dealer's: a dealer never
// learns that it exists, nor where.
constexpr const char* no_site = "There is no such site.";
constexpr const char* no_terminal = "There is no such terminal.";

// YYYY-MM-DD (UTC midnight) → time point.
std::optional<time_point> parse_day(const std::string& day) {
  if (day.size() != 10) return std::nullopt;
  return parse_utc(day + "T00:00:00Z");
}

// "<prefix><id>/<action>" (e.g. /codes/12/revoke): the id and the action, or
// nullopt when the rest of the path is not a number, a slash and a word.
std::optional<std::pair<std::int64_t, std::string>> id_and_action(const std::string& path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  const std::string_view rest = std::string_view(path).substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + slash, id);
  if (ec != std::errc{} || ptr != rest.data() + slash) return std::nullopt;
  return std::pair{id, std::string(rest.substr(slash + 1))};
}

}  // namespace

web_site::web_site(operations& svc, bool secure_cookies)
    : svc_(svc),
      secure_(secure_cookies),
      limiter_(svc.settings().failed_attempts_per_minute, std::chrono::minutes(1)),
      accounts_(svc.settings().login_failures_per_account, std::chrono::minutes(15)),
      hashes_(svc.settings().concurrent_password_hashes) {}

std::optional<http::response> web_site::handle(const http::request& req) {
  const auto& p = req.path;
  const bool ours = p == "/" || p == "/login" || p == "/logout" || p == "/billing" || p == "/billing.csv" ||
                    p == "/audit" || p == "/accounts" || p == "/sites" || p == "/codes" || p == "/api/v1/billing" ||
                    starts_with(p, "/static/") || starts_with(p, "/sites/") || starts_with(p, "/codes/") ||
                    starts_with(p, "/terminals/") || starts_with(p, "/accounts/") || p == "/claims" ||
                    starts_with(p, "/claims/") || p == "/tokens" || starts_with(p, "/tokens/") || p == "/billing/close";
  if (!ours) return std::nullopt;
  try {
    return dispatch(req);
  } catch (const std::exception& e) {
    log::error("page failed id=" + req.id + " method=" + log::quote(req.method) + " path=" + log::quote(req.path) +
               " error=" + log::quote(e.what()));
    http::response r;
    r.status = 500;
    r.content_type = "text/html; charset=utf-8";
    r.body = "<!doctype html><title>Error</title><p>The center could not complete this page. Try again later.</p>"
             "<p>Request " +
             html::escape(req.id) + "</p>";
    secure_headers(r);
    return r;
  }
}

std::optional<web_site::visitor> web_site::current(const http::request& req) {
  const auto cookies = html::parse_cookies(req.header("cookie"));
  const auto it = cookies.find(session_cookie);
  if (it == cookies.end() || it->second.size() > 128) return std::nullopt;
  visitor v;
  v.hash = crypto::secret_hash(it->second);
  const auto s = svc_.store().find_session(v.hash, svc_.now_source().now());
  if (!s) return std::nullopt;
  const auto a = svc_.store().find_account(s->account_id);
  if (!a || a->disabled) return std::nullopt;
  v.acc = *a;
  v.session = *s;
  return v;
}

http::response web_site::dispatch(const http::request& req) {
  const auto now = svc_.now_source().now();
  const bool post = req.method == "POST";
  if (req.method != "GET" && req.method != "POST") {
    http::response r = http::error_response(405, "method_not_allowed", "use GET or POST");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }

  // --- pages -------------------------------------------------------------
  auto page = [&](int status, const std::string& title, const std::string& body, const visitor* v) {
    http::response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    std::string nav;
    if (v) {
      nav = "<nav><a class=\"brand\" href=\"/sites\">fleetreg</a> <a href=\"/sites\">Sites</a> "
            "<a href=\"/codes\">Codes</a> <a href=\"/codes/new\">New code</a> <a href=\"/claims\">Claims</a> "
            "<a href=\"/billing\">Billing</a> <a href=\"/tokens\">Tokens</a> <a href=\"/audit\">Audit</a>" +
            std::string(v->admin() ? " <a href=\"/accounts\">Accounts</a>" : "") + " <span class=\"who\">" +
            escape(v->acc.name) + (v->admin() ? " (admin)" : "") + "</span> " +
            button_form("/logout", v->session.csrf, "Log out") + "</nav>";
    } else {
      nav = "<nav><span class=\"brand\">fleetreg</span></nav>";
    }
    r.body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<title>" +
             escape(title) + " · fleetreg</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><header>" +
             nav + "</header><main><h1>" + escape(title) + "</h1>" + body + "</main></body></html>";
    secure_headers(r);
    return r;
  };
  auto problem = [&](int status, const std::string& text, const visitor* v) {
    return page(status, status == 403 ? "Not allowed" : status == 404 ? "Not found" : "Could not do that",
                "<p class=\"error\">" + escape(text) + "</p><p><a href=\"/sites\">Back to the sites</a></p>", v);
  };

  // A new code, shown once in the answer to the POST that issued it (never in
  // a URL, a list or a log), grouped for typing on a panel.
  auto show_code = [&](const operations::issued_code& issued, const visitor* v) {
    const auto& c = issued.code;
    return page(200, "Provisional code for " + issued.record.customer,
                "<p class=\"code\">" + escape(c.substr(0, 4)) + " " + escape(c.substr(5, 4)) + " " +
                    escape(c.substr(10, 4)) +
                    "</p><p>Type it on the terminal's panel or into the collector (dashes and case do not matter). "
                    "Valid until <strong>" +
                    when(issued.record.expires_at) +
                    " UTC</strong>. It is shown only now: print this page or note it down.</p>"
                    "<p class=\"noprint\"><a href=\"/codes\">All codes</a></p>",
                v);
  };

  if (req.path == "/static/site.css") {
    http::response r;
    r.content_type = "text/css; charset=utf-8";
    r.body = web_assets::site_css;
    r.headers.emplace_back("Cache-Control", "max-age=3600");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  }

  // --- login / logout ----------------------------------------------------
  if (req.path == "/login") {
    auto login_form = [&](int status, const std::string& message) {
      const auto token = crypto::new_secret("");
      auto r = page(status, "Log in",
                    (message.empty() ? "" : "<p class=\"error\">" + escape(message) + "</p>") +
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
                                               (secure_ ? "; Secure" : ""));
      return r;
    };
    if (!post) return login_form(200, "");
    const auto source = peer::limit_key(req.peer);
    auto too_many = [&](std::int64_t wait, const std::string& what) {
      auto r = login_form(429, "Too many failed logins " + what + ". Wait " + std::to_string(wait) +
                                   " seconds and try again.");
      r.headers.emplace_back("Retry-After", std::to_string(wait));
      return r;
    };
    if (const auto wait = limiter_.retry_after(source, failure_kind::login, now); wait > 0)
      return too_many(wait, "from this address");
    const auto form = html::parse_form(req.body);
    const auto cookies = html::parse_cookies(req.header("cookie"));
    const auto cookie = cookies.find(login_cookie);
    if (!form || cookie == cookies.end() || !form->count("login_csrf") || !same(form->at("login_csrf"), cookie->second))
      return login_form(403, "The login form was stale or did not come from this site. Please log in again.");
    const auto name = form->count("name") ? form->at("name") : "";
    const auto password = form->count("password") ? form->at("password") : "";
    // Guessing one account from many addresses is throttled per account too.
    if (const auto wait = accounts_.retry_after(name.substr(0, 64), failure_kind::account, now); wait > 0)
      return too_many(wait, "for this account");
    // argon2id takes 64 MiB and a core for a while: only a few at once.
    const auto hashing = hashes_.try_acquire();
    if (!hashing) {
      auto r = login_form(503, "The center is busy. Try again in a few seconds.");
      r.headers.emplace_back("Retry-After", "2");
      return r;
    }
    const auto acc = name.size() <= 64 ? svc_.store().find_account(name) : std::nullopt;
    if (!acc || acc->disabled || password.size() > 1024 ||
        !crypto::verify_password(password, acc->password_hash)) {
      limiter_.record_failure(source, failure_kind::login, now);
      accounts_.record_failure(name.substr(0, 64), failure_kind::account, now);
      log::notice("dealer site: failed login account=" + log::quote(name.substr(0, 64)) +
                  " peer=" + log::quote(req.peer));
      return login_form(401, "Wrong account name or password.");
    }
    const auto secret = crypto::new_secret("");
    const auto csrf = crypto::new_secret("");
    svc_.store().add_session(crypto::secret_hash(secret), acc->id, csrf, now, now + session_lifetime);
    svc_.store().audit(acc->name, "session.login", req.peer, "", now);
    auto r = redirect("/sites");
    r.headers.emplace_back("Set-Cookie", std::string(session_cookie) + "=" + secret + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(session_lifetime).count()) +
                                             (secure_ ? "; Secure" : ""));
    // One Set-Cookie per response: cpprestsdk folds repeated headers into one
    // line, which browsers read as a single cookie. The login cookie (Path=/login,
    // 30 minutes) is left to expire.
    return r;
  }

  // The JSON billing endpoint for ERP systems: a session, or a dealer's
  // billing token (it reads that dealer's sites only).
  const auto v = current(req);
  std::optional<api_token> billing_token;
  if (req.path == "/api/v1/billing") {
    const auto auth = req.header("authorization");
    if (!v && starts_with(auth, "Bearer ") && auth.size() < 200)
      billing_token = svc_.store().find_token(crypto::secret_hash(auth.substr(7)), svc_.now_source().now());
    if (!v && !billing_token) return http::error_response(401, "unauthorized", "log in or send a billing token");
    if (!v && (billing_token->scope != "billing" || !billing_token->dealer_id))
      return http::error_response(403, "token_scope",
                                  "a monitoring token reads status and metrics only; billing needs a dealer's "
                                  "billing token (fleetreg-centerctl token issue NAME --billing --dealer NAME)");
  } else if (!v) {
    if (post) return problem(403, "Your session has ended. Log in again, then repeat what you did.", nullptr);
    return redirect("/login");
  }

  // Every form post carries the session's CSRF token.
  std::map<std::string, std::string> form;
  if (post) {
    auto parsed = html::parse_form(req.body);
    if (!parsed || !parsed->count("csrf") || !same(parsed->at("csrf"), v->session.csrf))
      return problem(403, "This form was stale or did not come from this site. Reload the page and try again.", &*v);
    form = std::move(*parsed);
  }
  auto field = [&](const std::string& name) { return form.count(name) ? form.at(name) : std::string(); };
  auto param = [&](const std::string& name) { return req.query.count(name) ? req.query.at(name) : std::string(); };
  const visitor* me = v ? &*v : nullptr;
  const std::optional<std::int64_t> scope = me && !me->admin() ? std::optional<std::int64_t>(me->acc.id) : std::nullopt;

  try {
    if (req.path == "/") return redirect("/sites");
    if (req.path == "/logout" && post) {
      svc_.store().delete_session(me->hash);
      auto r = redirect("/login");
      r.headers.emplace_back("Set-Cookie", std::string(session_cookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
      return r;
    }

    // --- sites -----------------------------------------------------------
    if (req.path == "/sites" && !post) {
      const auto q = lower(param("q")).substr(0, 200);
      std::string rows;
      std::size_t shown = 0;
      for (const auto& s : svc_.store().list_sites(scope)) {
        const auto terminals = svc_.store().list_terminals(s.id);
        bool match = q.empty() || lower(s.customer).find(q) != std::string::npos;
        for (const auto& t : terminals)
          match = match || lower(t.id.serial).find(q) != std::string::npos || lower(t.key).find(q) != std::string::npos;
        if (!match) continue;
        ++shown;
        rows += "<tr><td><a href=\"/sites/" + html::url_encode(s.id) + "\">" + escape(s.customer) + "</a></td><td>" +
                escape(s.side.kind) + ": " + escape(s.side.name) + "</td><td>" + when(s.created_at) + "</td><td>" +
                when(s.last_contact) + "</td><td>" + std::to_string(terminals.size()) + "</td><td>" +
                (s.credential_active ? "active" : "<span class=\"bad\">revoked</span>") + "</td></tr>";
      }
      return page(200, "Sites",
                  "<form method=\"get\" action=\"/sites\" class=\"search\"><input name=\"q\" value=\"" + escape(param("q")) +
                      "\" placeholder=\"Customer or serial number\" maxlength=\"200\"><button>Search</button></form>" +
                      (shown ? "<div class=\"scroll\"><table><tr><th>Customer</th><th>Registered by</th><th>Registered</th>"
                               "<th>Last contact</th><th>Terminals</th><th>Credential</th></tr>" +
                                   rows + "</table></div>"
                             : "<p>No sites" + std::string(q.empty() ? " yet. Issue a code and register a site with it." : " match.") +
                                   "</p>"),
                  me);
    }
    if (starts_with(req.path, "/sites/")) {
      const auto route = route_of(req, "/sites/");
      if (!route) return problem(404, "There is no such page.", me);
      const auto& action = route->action;
      const auto s = svc_.require_site(me->acc, route->object);  // "no site" (404) for unknown and foreign
      if (post && action == "request") {
        svc_.request_reading(me->acc, s.id);
        return redirect("/sites/" + html::url_encode(s.id) + "#requests");
      }
      if (post && (action == "revoke" || action == "rotate")) {
        if (field("confirm") != "yes")
          return problem(400, "Tick the box to confirm: the site stops reporting until its collector or terminal "
                              "gets a new credential.", me);
        if (action == "revoke") {
          svc_.revoke(me->acc, s.id);
          return redirect("/sites/" + html::url_encode(s.id));
        }
        svc_.rotate(me->acc, s.id);
        return page(200, "New credential for " + s.customer,
                    "<p>The site's collector or terminal receives its new credential at its next contact and "
                    "confirms it by using it. The old credential works until then, or for " +
                        std::to_string(std::chrono::duration_cast<std::chrono::hours>(
                                           svc_.settings().rotation_overlap)
                                           .count()) +
                        " hours. To stop a leaked credential at once, revoke it and register again with a new "
                        "code.</p><p><a href=\"/sites/" + html::url_encode(s.id) + "\">Back to the site</a></p>",
                    me);
      }
      if (post && action == "code") {
        if (me->admin()) return problem(403, "Codes are issued by dealer accounts; log in as the dealer.", me);
        return show_code(svc_.issue_code(me->acc, s.customer, field("contact"), "site " + s.id), me);
      }
      if (post || !action.empty()) return problem(404, "There is no such page.", me);
      std::string rows;
      for (const auto& t : svc_.store().list_terminals(s.id)) {
        const auto last = svc_.store().reading_before(t.key, s.id, now + std::chrono::seconds(1));
        rows += "<tr><td><a href=\"/terminals/" + html::url_encode(t.key) + "\">" + escape(t.id.manufacturer + " " + t.id.model) +
                "</a></td><td>" + escape(t.id.serial) + "</td><td>" + when(last ? std::optional(last->r.taken) : std::nullopt) +
                "</td><td class=\"num\">" + (last ? count(last->r.counters, service::total) : "—") +
                "</td><td class=\"num\">" + (last ? count(last->r.counters, service::copy) : "—") +
                "</td><td class=\"num\">" + (last ? count(last->r.counters, service::print) : "—") + "</td><td>" +
                (last ? toner_cells(last->r.supplies) : "—") + "</td></tr>";
      }
      std::string requests;
      auto list = svc_.store().list_requests(s.id);
      std::reverse(list.begin(), list.end());
      for (std::size_t i = 0; i < list.size() && i < 10; ++i)
        requests += "<tr><td>" + when(list[i].created_at) + "</td><td>" + escape(list[i].kind) + "</td><td>" +
                    (list[i].answered_at ? "answered " + when(list[i].answered_at) : "<span class=\"wait\">waiting</span>") +
                    "</td></tr>";
      const auto& c = me->session.csrf;
      return page(200, s.customer,
                  "<p class=\"meta\">Registered " + when(s.created_at) + " by " + escape(s.side.kind) + " " +
                      escape(s.side.name) + " · last contact " + when(s.last_contact) + " · credential " +
                      (s.credential_active ? "active" : "<span class=\"bad\">revoked</span>") + "</p>" +
                      "<h2>Terminals</h2><div class=\"scroll\"><table><tr><th>Terminal</th><th>Serial</th><th>Last reading</th>"
                      "<th>Total</th><th>Copy</th><th>Print</th><th>Toner</th></tr>" +
                      rows + "</table></div><h2 id=\"requests\">Meter reads</h2>" +
                      button_form("/sites/" + html::url_encode(s.id) + "/request", c, "Read the meters now") +
                      (requests.empty() ? "<p>No requests yet.</p>"
                                        : "<table><tr><th>Requested</th><th>Kind</th><th>State</th></tr>" + requests + "</table>") +
                      "<h2>Actions</h2><div class=\"actions\">" +
                      button_form("/sites/" + html::url_encode(s.id) + "/code", c, "New code for this customer") +
                      button_form("/sites/" + html::url_encode(s.id) + "/rotate", c, "Rotate credential",
                                  "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> confirm</label>") +
                      button_form("/sites/" + html::url_encode(s.id) + "/revoke", c, "Revoke credential",
                                  "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> confirm</label>", "danger") +
                      "</div><p><a href=\"/billing?site=" + html::url_encode(s.id) + "\">Billing for this customer</a></p>",
                  me);
    }

    // --- terminals ---------------------------------------------------------
    if (starts_with(req.path, "/terminals/")) {
      const auto route = route_of(req, "/terminals/");
      if (!route) return problem(404, "There is no such page.", me);
      const auto& key = route->object;
      const auto& action = route->action;
      const auto t = svc_.store().find_terminal(key);
      std::optional<site> found;
      if (t) {
        try {
          found = svc_.require_site(me->acc, t->site_id);  // tenancy
        } catch (const error&) {
          // another dealer's terminal: answered like an unknown one
        }
      }
      if (!found) return problem(404, no_terminal, me);
      const auto& s = *found;
      if (post && action == "transfer") {
        svc_.transfer_terminal(me->acc, key, field("to_site"));
        return redirect("/terminals/" + html::url_encode(key));
      }
      if (post && action == "retire") {
        if (field("confirm") != "yes") return problem(400, "Tick the box to confirm the retirement.", me);
        svc_.retire_terminal(me->acc, key);
        return redirect("/sites/" + html::url_encode(s.id));
      }
      if (post || !action.empty()) return problem(404, "There is no such page.", me);
      // The newest 2,000 readings of the last year: the chart, and the newest 100 as rows.
      const auto readings =
          svc_.store().terminal_readings(key, s.id, now - std::chrono::hours(24 * 366), std::nullopt, 2000, true);
      std::string rows, supplies;
      for (std::size_t n = 0; n < readings.size() && n < 100; ++n) {
        const auto& r = readings[readings.size() - 1 - n];
        rows += "<tr" + std::string(r.counter_reset ? " class=\"reset\"" : "") + "><td>" + when(r.r.taken) + "</td><td>" +
                escape(std::string(to_string(r.r.source))) + "</td><td>" +
                (r.r.request_id.empty() ? "own schedule" : "request") + "</td><td class=\"num\">" +
                count(r.r.counters, service::total) + "</td><td class=\"num\">" + count(r.r.counters, service::copy) +
                "</td><td class=\"num\">" + count(r.r.counters, service::print) + "</td><td class=\"num\">" +
                count(r.r.counters, service::scan) + "</td><td>" + (r.counter_reset ? "counter went down" : "") +
                "</td></tr>";
        supplies += "<tr><td>" + when(r.r.taken) + "</td><td>" + toner_cells(r.r.supplies) + "</td></tr>";
      }
      std::string targets;
      for (const auto& other : svc_.store().list_sites(scope))
        if (other.id != s.id)
          targets += "<option value=\"" + escape(other.id) + "\">" + escape(other.customer) + "</option>";
      const auto& c = me->session.csrf;
      return page(200, t->id.manufacturer + " " + t->id.model + " " + t->id.serial,
                  "<p class=\"meta\">" + escape(t->key) + " at <a href=\"/sites/" + html::url_encode(s.id) + "\">" +
                      escape(s.customer) + "</a> · registered " + when(t->registered_at) + "</p>" +
                      "<h2>Counters over time</h2>" + counters_chart(readings) +
                      "<h2>Readings</h2><div class=\"scroll\"><table><tr><th>Taken</th><th>Source</th><th>Why</th>"
                      "<th>Total</th><th>Copy</th><th>Print</th><th>Scan</th><th></th></tr>" +
                      rows + "</table></div><h2>Supplies</h2><div class=\"scroll\"><table><tr><th>Taken</th><th>Toner</th></tr>" +
                      supplies + "</table></div><h2>Actions</h2><div class=\"actions\">" +
                      (targets.empty() ? ""
                                       : button_form("/terminals/" + html::url_encode(key) + "/transfer", c, "Transfer",
                                                     "<label>to <select name=\"to_site\">" + targets + "</select></label>")) +
                      button_form("/terminals/" + html::url_encode(key) + "/retire", c, "Retire",
                                  "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> confirm</label>", "danger") +
                      "</div>",
                  me);
    }

    // --- codes -----------------------------------------------------------
    if (req.path == "/codes" && !post) {
      std::string rows;
      for (const auto& c : svc_.store().list_codes(scope)) {
        const bool active = !c.purged_at && !c.revoked_at && c.expires_at > now;
        const auto state = c.revoked_at ? "revoked" : c.purged_at ? "purged" : (active ? "active" : "expired");
        rows += "<tr><td>" + when(c.issued_at) + "</td><td>" + escape(c.dealer_name) + "</td><td>" + escape(c.customer) +
                "</td><td>" + escape(c.contact) + "</td><td>" + when(c.expires_at) + "</td><td>" + state +
                (c.single_site ? " · one site" : "") + "</td><td class=\"num\">" +
                std::to_string(c.terminals_registered) + "</td><td>" +
                (active ? button_form("/codes/" + std::to_string(c.id) + "/revoke", me->session.csrf, "Revoke") : "") +
                "</td></tr>";
      }
      return page(200, "Provisional codes",
                  "<p><a class=\"button\" href=\"/codes/new\">Issue a code</a></p><p class=\"meta\">Codes are shown once, "
                  "when they are issued; the center keeps only a keyed hash.</p>" +
                      (rows.empty() ? "<p>No codes issued yet.</p>"
                                    : "<div class=\"scroll\"><table><tr><th>Issued</th><th>By</th><th>Customer</th><th>Contact</th>"
                                      "<th>Expires</th><th>State</th><th>Terminals</th><th></th></tr>" +
                                          rows + "</table></div>"),
                  me);
    }
    if (req.path == "/codes/new" && !post)
      return page(200, "Issue a provisional code",
                  "<form method=\"post\" action=\"/codes\" class=\"card\">" + csrf_field(me->session.csrf) +
                      "<label>Customer (the authorized user) <input name=\"customer\" required maxlength=\"200\"></label>"
                      "<label>Contact <input name=\"contact\" maxlength=\"200\"></label>"
                      "<label>Reference <input name=\"reference\" maxlength=\"200\"></label>"
                      "<label>Valid for <select name=\"validity\"><option value=\"default\">the usual time</option>"
                      "<option value=\"4h\">4 hours</option><option value=\"1d\">1 day</option>"
                      "<option value=\"7d\">7 days</option><option value=\"30d\">30 days</option></select></label>"
                      "<label><input type=\"checkbox\" name=\"single_site\" value=\"yes\"> one site only (a second "
                      "collector or terminal cannot use it)</label>"
                      "<button type=\"submit\">Issue the code</button></form>",
                  me);
    if (req.path == "/codes" && post) {
      if (me->admin()) return problem(403, "Codes are issued by dealer accounts; log in as the dealer.", me);
      return show_code(svc_.issue_code(me->acc, field("customer"), field("contact"), field("reference"),
                                       {svc_.parse_validity(field("validity")), field("single_site") == "yes"}),
                       me);
    }
    if (starts_with(req.path, "/codes/") && post) {
      const auto target = id_and_action(req.path, "/codes/");
      if (!target || target->second != "revoke") return problem(404, "There is no such page.", me);
      svc_.revoke_code(me->acc, target->first);
      return redirect("/codes");
    }

    // --- claims: terminals registered by one site and held by another ----
    if (req.path == "/claims" && !post) {
      std::string rows;
      for (const auto& c : svc_.claims(me->acc)) {
        const auto holder = svc_.store().find_site(c.holder_site_id);
        const bool mine = holder && (me->admin() || holder->dealer_id == me->acc.id);
        const bool decide = mine && c.state == "pending";
        rows += "<tr><td>" + when(c.created_at) + "</td><td>" + escape(c.terminal.manufacturer + " " + c.terminal.model) +
                "<br><small>" + escape(c.key) + "</small></td><td>" +
                (mine ? "<a href=\"/sites/" + html::url_encode(c.holder_site_id) + "\">" + escape(holder->customer) +
                            "</a>"
                      : "another customer") +
                "</td><td>" +
                (me->admin() || c.claimant_dealer_id == me->acc.id
                     ? "<a href=\"/sites/" + html::url_encode(c.claimant_site_id) + "\">" + escape(c.claimant_customer) +
                           "</a>"
                     : "another dealer's customer") +
                "</td><td>" + escape(c.state) + (c.decided_by.empty() ? "" : " by " + escape(c.decided_by)) +
                "</td><td>" +
                (decide ? button_form("/claims/" + std::to_string(c.id) + "/accept", me->session.csrf, "Move it to the claimant") +
                              button_form("/claims/" + std::to_string(c.id) + "/refuse", me->session.csrf, "Refuse", "",
                                          "danger")
                        : "") +
                "</td></tr>";
      }
      return page(200, "Claims",
                  "<p class=\"meta\">A collector or terminal registered a terminal another site holds. The holder's "
                  "dealer decides: move it to the claimant (its readings so far stay with the holder), or refuse.</p>" +
                      (rows.empty() ? "<p>No claims.</p>"
                                    : "<div class=\"scroll\"><table><tr><th>Since</th><th>Terminal</th><th>Held by</th>"
                                      "<th>Claimed by</th><th>State</th><th></th></tr>" +
                                          rows + "</table></div>"),
                  me);
    }
    if (starts_with(req.path, "/claims/") && post) {
      const auto target = id_and_action(req.path, "/claims/");
      if (!target || (target->second != "accept" && target->second != "refuse"))
        return problem(404, "There is no such page.", me);
      if (target->second == "accept")
        svc_.accept_claim(me->acc, target->first);
      else
        svc_.refuse_claim(me->acc, target->first);
      return redirect("/claims");
    }

    // --- API tokens: monitoring (admin) and billing (a dealer's) -----------
    if (req.path == "/tokens" && post) {
      const auto token = me->admin() ? svc_.issue_monitoring_token(me->acc.name, field("name"))
                                     : svc_.issue_billing_token(me->acc.name, me->acc, field("name"));
      return page(200, "New API token",
                  "<p>Give this token to the " + std::string(me->admin() ? "monitoring system" : "billing system") +
                      " (shown once; the center keeps only a hash):</p><p class=\"secret\">" + escape(token) +
                      "</p><p><a href=\"/tokens\">All tokens</a></p>",
                  me);
    }
    if (starts_with(req.path, "/tokens/") && post) {
      const auto target = id_and_action(req.path, "/tokens/");
      if (!target || target->second != "revoke") return problem(404, "There is no such page.", me);
      svc_.revoke_token(me->acc, target->first);
      return redirect("/tokens");
    }
    if (req.path == "/tokens" && !post) {
      std::string rows;
      for (const auto& t : svc_.store().list_tokens(scope))
        rows += "<tr><td>" + escape(t.name) + "</td><td>" + escape(t.scope) + "</td><td>" +
                escape(t.dealer_name.empty() ? "—" : t.dealer_name) + "</td><td>" + when(t.created_at) + "</td><td>" +
                (t.last_used_at ? when(*t.last_used_at) : "never") + "</td><td>" +
                (t.revoked_at ? "revoked " + when(*t.revoked_at)
                              : button_form("/tokens/" + std::to_string(t.id) + "/revoke", me->session.csrf, "Revoke",
                                            "", "danger")) +
                "</td></tr>";
      return page(200, "API tokens",
                  std::string(me->admin() ? "<p class=\"meta\">Monitoring tokens read /api/v1/status and /metrics "
                                            "only.</p>"
                                          : "<p class=\"meta\">A billing token reads your customers' billing "
                                            "(/api/v1/billing) and nothing else.</p>") +
                      (rows.empty() ? "<p>No tokens.</p>"
                                    : "<div class=\"scroll\"><table><tr><th>Name</th><th>Scope</th><th>Dealer</th>"
                                      "<th>Issued</th><th>Last used</th><th></th></tr>" +
                                          rows + "</table></div>") +
                      "<h2>New token</h2><form method=\"post\" action=\"/tokens\" class=\"card\">" +
                      csrf_field(me->session.csrf) +
                      "<label>Name (what uses it) <input name=\"name\" required maxlength=\"64\"></label>"
                      "<button type=\"submit\">Issue a " +
                      (me->admin() ? "monitoring" : "billing") + " token</button></form>",
                  me);
    }

    // --- closing a billing period (a dealer's own) -------------------------
    if (req.path == "/billing/close" && post) {
      if (me->admin()) return problem(403, "A dealer closes its own billing periods; log in as the dealer.", me);
      const auto until = parse_day(field("before"));
      if (!until) return problem(400, "Give the day as YYYY-MM-DD.", me);
      svc_.close_billing(me->acc, me->acc, *until);
      return redirect("/billing");
    }

    // --- billing -----------------------------------------------------------
    if ((req.path == "/billing" || req.path == "/billing.csv" || req.path == "/api/v1/billing") && !post) {
      const auto site_id = param("site");
      const auto from = parse_day(param("from"));
      const auto to = parse_day(param("to"));
      std::vector<billing_line> lines;
      std::string why;
      if (!site_id.empty()) {
        if (!from || !to || *to <= *from) {
          why = "Give the period as two days, from before to (YYYY-MM-DD).";
        } else {
          auto s = me ? svc_.require_site(me->acc, site_id) : svc_.store().find_site(site_id).value_or(site{});
          // A billing token reads its dealer's sites; others are not found.
          if (!me && s.dealer_id != billing_token->dealer_id.value_or(-1)) s = site{};
          if (s.id.empty()) return http::error_response(404, "unknown_site", no_site);
          // The site's own readings only (its ownership periods), late ones
          // (arrived after the period was closed) left out: the terminals it
          // holds and those it held (transferred or retired since).
          auto terminals = svc_.store().list_terminals(s.id);
          for (auto& t : svc_.store().former_terminals(s.id)) terminals.push_back(std::move(t));
          for (const auto& t : terminals) {
            std::vector<stored_reading> rs;
            if (auto before = svc_.store().reading_before(t.key, s.id, *from)) rs.push_back(*before);
            for (auto& r : svc_.store().terminal_readings(t.key, s.id, *from, *to, 100000, false, false))
              rs.push_back(std::move(r));
            if (rs.empty()) continue;
            for (auto& l : bill_terminal(rs)) {
              l.customer = s.customer;
              l.site_id = s.id;
              l.model = t.id.manufacturer + " " + t.id.model;
              lines.push_back(std::move(l));
            }
          }
        }
      }
      if (req.path == "/api/v1/billing") {
        if (site_id.empty() || !why.empty())
          return http::error_response(400, "invalid_request", "site, from and to (YYYY-MM-DD) are required");
        return http::json_response(200, billing_json(lines));
      }
      if (req.path == "/billing.csv") {
        if (site_id.empty() || !why.empty()) return problem(400, why.empty() ? "Choose a customer." : why, me);
        http::response r;
        r.content_type = "text/csv; charset=utf-8";
        r.body = billing_csv(lines);
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"fleetreg-billing-" + param("from") +
                                                          "-" + param("to") + ".csv\"");
        secure_headers(r);
        return r;
      }
      std::string options;
      for (const auto& s : svc_.store().list_sites(scope))
        options += "<option value=\"" + escape(s.id) + "\"" + (s.id == site_id ? " selected" : "") + ">" +
                   escape(s.customer) + "</option>";
      std::string rows;
      for (const auto& l : lines)
        rows += "<tr><td>" + escape(l.model) + "<br><small>" + escape(l.terminal_key) + "</small></td><td>" +
                escape(std::string(to_string(l.svc))) + "</td><td>" + escape(std::string(to_string(l.kind))) +
                "</td><td class=\"num\">" + (l.start ? std::to_string(*l.start) : "—") + "</td><td class=\"num\">" +
                (l.end ? std::to_string(*l.end) : "—") + "</td><td class=\"num\"><strong>" + std::to_string(l.clicks) +
                "</strong></td><td class=\"num\">" + std::to_string(l.resets) + "</td></tr>";
      // A dealer closes its periods: readings dated before arrive late and
      // never change those invoices.
      std::string close_form;
      if (me && !me->admin()) {
        const auto closed = svc_.store().billing_closed_until(me->acc.id);
        close_form = "<h2>Closed periods</h2><p class=\"meta\">" +
                     (closed ? "Closed before " + when(*closed) +
                                   ": readings dated before arriving now are kept, marked late, and never billed."
                             : std::string("No period is closed yet.")) +
                     "</p><form method=\"post\" action=\"/billing/close\" class=\"card\">" +
                     csrf_field(me->session.csrf) +
                     "<label>Close everything before <input type=\"date\" name=\"before\" required></label>"
                     "<button type=\"submit\">Close the period</button></form>";
      }
      const auto query = "site=" + html::url_encode(site_id) + "&from=" + html::url_encode(param("from")) +
                         "&to=" + html::url_encode(param("to"));
      return page(why.empty() ? 200 : 400, "Billing",
                  "<form method=\"get\" action=\"/billing\" class=\"card\"><label>Customer <select name=\"site\">" +
                      options + "</select></label><label>From <input type=\"date\" name=\"from\" value=\"" +
                      escape(param("from")) + "\"></label><label>To (not included) <input type=\"date\" name=\"to\" value=\"" +
                      escape(param("to")) + "\"></label><button type=\"submit\">Show</button></form>" +
                      (why.empty() ? "" : "<p class=\"error\">" + escape(why) + "</p>") +
                      (site_id.empty() || !why.empty()
                           ? ""
                           : "<p><a class=\"button\" href=\"/billing.csv?" + escape(query) + "\">Download CSV</a></p>"
                             "<div class=\"scroll\"><table><tr><th>Terminal</th><th>Service</th><th>Kind</th><th>Start</th>"
                             "<th>End</th><th>Clicks</th><th>Resets</th></tr>" +
                                 rows + "</table></div>") +
                      close_form,
                  me);
    }

    // --- audit and accounts ---------------------------------------------------
    if (req.path == "/audit" && !post) {
      std::string rows;
      for (const auto& a : svc_.store().list_audit(me->admin() ? std::nullopt : std::optional(me->acc.name), 300))
        rows += "<tr><td>" + when(a.at) + "</td><td>" + escape(a.actor) + "</td><td>" + escape(a.action) + "</td><td>" +
                escape(a.subject) + "</td><td>" + escape(a.detail) + "</td></tr>";
      return page(200, me->admin() ? "Audit log" : "My actions",
                  "<div class=\"scroll\"><table><tr><th>When</th><th>Who</th><th>What</th><th>Subject</th><th>Detail</th></tr>" +
                      rows + "</table></div>",
                  me);
    }
    if (req.path == "/accounts" || starts_with(req.path, "/accounts/")) {
      if (!me->admin()) return problem(403, "Only an admin manages accounts.", me);
      if (req.path == "/accounts" && post) {
        svc_.create_account(me->acc.name, field("name"), role::dealer, field("password"));
        return redirect("/accounts");
      }
      if (post) {
        const auto route = route_of(req, "/accounts/");
        if (!route || (route->action != "disable" && route->action != "enable"))
          return problem(404, "There is no such page.", me);
        svc_.set_account_enabled(me->acc.name, route->object, route->action == "enable");
        return redirect("/accounts");
      }
      std::string rows;
      for (const auto& a : svc_.store().list_accounts())
        rows += "<tr><td>" + escape(a.name) + "</td><td>" + (a.role == role::admin ? "admin" : "dealer") + "</td><td>" +
                (a.disabled ? "disabled" : "active") + "</td><td>" +
                (a.name == me->acc.name ? ""
                                        : button_form("/accounts/" + html::url_encode(a.name) + (a.disabled ? "/enable" : "/disable"),
                                                      me->session.csrf, a.disabled ? "Enable" : "Disable")) +
                "</td></tr>";
      return page(200, "Accounts",
                  "<table><tr><th>Name</th><th>Role</th><th>State</th><th></th></tr>" + rows +
                      "</table><h2>New dealer account</h2><form method=\"post\" action=\"/accounts\" class=\"card\">" +
                      csrf_field(me->session.csrf) +
                      "<label>Name <input name=\"name\" required maxlength=\"64\"></label><label>Password (10 or more "
                      "characters) <input name=\"password\" type=\"password\" required minlength=\"10\" maxlength=\"1024\" "
                      "autocomplete=\"new-password\"></label><button type=\"submit\">Create</button></form>",
                  me);
    }
  } catch (const error& e) {
    // A refusal of the operations layer: its sentence, in a 4xx page.
    const std::string what = e.what();
    // "no site X" / "no terminal X" name what was asked for, never what exists.
    if (what.rfind("no site", 0) == 0) {
      if (req.path == "/api/v1/billing") return http::error_response(404, "unknown_site", no_site);
      return problem(404, no_site, me);
    }
    if (what.rfind("no terminal", 0) == 0) return problem(404, no_terminal, me);
    const int status = what.rfind("no ", 0) == 0 ? 404
                       : what.find("not allowed") != std::string::npos || what.find("another dealer") != std::string::npos ? 403
                                                                                                                           : 400;
    if (req.path == "/api/v1/billing") return http::error_response(status, "refused", what);
    return problem(status, what, me);
  }
  return problem(404, "There is no such page.", me);
}

}  // namespace fleetreg::center
