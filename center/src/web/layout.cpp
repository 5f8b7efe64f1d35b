// SPDX-License-Identifier: Apache-2.0
#include "layout.hpp"

#include "assets.hpp"
#include "context.hpp"
#include "html.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;
constexpr int low_toner_percent = 15;

std::string nav(const signed_in* me) {
  if (!me) return "<nav><span class=\"brand\">fleetreg</span></nav>";
  return "<nav><a class=\"brand\" href=\"/\">fleetreg</a> <a href=\"/\">Dashboard</a> <a href=\"/sites\">Sites</a> "
         "<a href=\"/codes\">Codes</a> <a href=\"/codes/new\">New code</a> <a href=\"/claims\">Claims</a> "
         "<a href=\"/alerts\">Alerts</a> <a href=\"/to-order\">To order</a> "
         "<a href=\"/billing\">Billing</a> <a href=\"/tokens\">Tokens</a> <a href=\"/webhooks\">Webhooks</a> "
         "<a href=\"/audit\">Audit</a>" +
         std::string(me->admin() ? " <a href=\"/accounts\">Accounts</a>" : "") + " <span class=\"who\">" +
         escape(me->acc.name) + (me->admin() ? " (admin)" : "") + "</span> " +
         button_form("/logout", me->session.csrf, "Log out") + "</nav>";
}

const char* title_of(refusal_kind kind) {
  switch (kind) {
    case refusal_kind::forbidden:
      return "Not allowed";
    case refusal_kind::not_found:
      return "Not found";
    default:
      return "Could not do that";
  }
}

}  // namespace

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

http::response page(int status, const std::string& title, const std::string& body, const signed_in* me) {
  http::response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
      escape(title) + " · fleetreg</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>" +
      "<header>" + nav(me) + "</header><main><h1>" + escape(title) + "</h1>" + body + "</main></body></html>";
  secure_headers(r);
  return r;
}

http::response problem(const refusal& why, const signed_in* me) {
  const auto text = why.object().empty() ? std::string(why.what()) : "There is no such " + why.object() + ".";
  return page(http_status(why.kind()), title_of(why.kind()),
              error_box(text) + "<p><a href=\"/sites\">Back to the sites</a></p>", me);
}

std::string error_box(const std::string& text) { return "<p class=\"error\">" + escape(text) + "</p>"; }

std::string when(const std::optional<time_point>& t) {
  return t ? format_utc(*t).substr(0, 16).replace(10, 1, " ") : "—";
}
std::string when(time_point t) { return when(std::optional<time_point>(t)); }

std::string csrf_field(const std::string& token) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(token) + "\">";
}

std::string button_form(const std::string& action, const std::string& csrf, const std::string& label,
                        const std::string& extra, const std::string& css) {
  return "<form method=\"post\" action=\"" + escape(action) + "\" class=\"inline " + css + "\">" + csrf_field(csrf) +
         extra + "<button type=\"submit\">" + escape(label) + "</button></form>";
}

std::string confirm_box() { return "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> confirm</label>"; }

std::string scroll_table(std::initializer_list<const char*> heads, const std::string& rows) {
  std::string out = "<div class=\"scroll\"><table><tr>";
  for (const auto* h : heads) out += std::string("<th>") + h + "</th>";
  return out + "</tr>" + rows + "</table></div>";
}

std::string toner_cells(const std::vector<supply>& supplies) {
  std::string out;
  for (const auto& s : supplies) {
    if (!is_marking_agent(s.type)) continue;
    const auto p = s.percent();
    const bool low = p && *p < low_toner_percent;
    out += "<span class=\"toner" + std::string(low ? " low" : "") + "\" title=\"" + escape(s.description) + "\">" +
           escape(s.colorant.empty() ? s.description : s.colorant) + " " + (p ? std::to_string(*p) + "%" : "?") +
           (low ? " (low)" : "") + "</span> ";
  }
  return out.empty() ? "—" : out;
}

std::string count(const counter_set& c, service s, counter_kind k) {
  const auto v = c.get(s, k);
  return v ? std::to_string(*v) : "—";
}

http::response static_asset(context& c) {
  if (c.req.path != "/static/site.css") no_such_page();
  http::response r;
  r.content_type = "text/css; charset=utf-8";
  r.body = web_assets::site_css;
  r.headers.emplace_back("Cache-Control", "max-age=3600");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace fleetreg::center::web
