// SPDX-License-Identifier: Apache-2.0
// Sites: the list (search by customer or serial), one site's page, and its
// actions (meter read, credential revoke or rotation, a new code).
#include <algorithm>
#include <cctype>
#include <chrono>

#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string credential_state(const site& s) {
  return s.credential_active ? "active" : "<span class=\"bad\">revoked</span>";
}

// The site of /sites/<id>[/<action>] when `c.me` may act on it; throws
// refusal not_found for an unknown or foreign one (the same answer).
std::pair<site, std::string> site_and_action(const context& c) {
  const auto route = route_of(c.req, "/sites/");
  if (!route) no_such_page();
  return {c.svc.require_site(c.me->acc, route->object), route->action};
}

std::string terminal_rows(const std::vector<terminal_last_reading>& terminals) {
  std::string rows;
  for (const auto& tl : terminals) {
    const auto& t = tl.terminal;
    const auto& last = tl.last;
    const auto cell = [&](service svc) { return last ? count(last->r.counters, svc) : "—"; };
    rows += "<tr><td><a href=\"/terminals/" + html::url_encode(t.key) + "\">" +
            escape(t.id.manufacturer + " " + t.id.model) + "</a></td><td>" + escape(t.id.serial) + "</td><td>" +
            when(last ? std::optional(last->r.taken) : std::nullopt) + "</td><td class=\"num\">" +
            cell(service::total) + "</td><td class=\"num\">" + cell(service::copy) + "</td><td class=\"num\">" +
            cell(service::print) + "</td><td>" + (last ? toner_cells(last->r.supplies) : "—") + "</td></tr>";
  }
  return rows;
}

// The newest ten requests for running status, newest first.
std::string request_rows(std::vector<status_request> list) {
  std::string rows;
  std::reverse(list.begin(), list.end());
  for (std::size_t i = 0; i < list.size() && i < 10; ++i)
    rows += "<tr><td>" + when(list[i].created_at) + "</td><td>" + escape(list[i].kind) + "</td><td>" +
            (list[i].answered_at ? "answered " + when(list[i].answered_at) : "<span class=\"wait\">waiting</span>") +
            "</td></tr>";
  return rows;
}

http::response rotated(const context& c, const site& s) {
  const auto hours = std::chrono::duration_cast<std::chrono::hours>(c.svc.settings().rotation_overlap).count();
  return page(200, "New credential for " + s.customer,
              "<p>The site's collector or terminal receives its new credential at its next contact and "
              "confirms it by using it. The old credential works until then, or for " +
                  std::to_string(hours) +
                  " hours. To stop a leaked credential at once, revoke it and register again with a new "
                  "code.</p><p><a href=\"/sites/" +
                  html::url_encode(s.id) + "\">Back to the site</a></p>",
              c.me);
}

}  // namespace

namespace {

constexpr std::size_t sites_per_page = 100;
constexpr std::size_t search_limit = 200;  // sites a search shows

std::string site_row(const site& s, std::size_t terminals) {
  return "<tr><td><a href=\"/sites/" + html::url_encode(s.id) + "\">" + escape(s.customer) + "</a></td><td>" +
         escape(s.side.kind) + ": " + escape(s.side.name) + "</td><td>" + when(s.created_at) + "</td><td>" +
         when(s.last_contact) + "</td><td>" + std::to_string(terminals) + "</td><td>" + credential_state(s) +
         "</td></tr>";
}

// The page number of ?page= (1 when absent or not a number).
std::size_t page_number(const context& c) {
  const auto text = c.param("page");
  if (text.empty() || text.size() > 6 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char ch) { return std::isdigit(ch); }))
    return 1;
  return std::max<std::size_t>(1, std::stoul(text));
}

}  // namespace

http::response sites_list(context& c) {
  const auto q = lower(c.param("q")).substr(0, 200);
  std::string rows, paging;
  std::size_t shown = 0;
  if (q.empty()) {
    // Without a search: a page of sites at a time (a big dealer has thousands).
    const auto number = page_number(c);
    const auto [sites, total] = c.svc.sites_page(c.me->acc, (number - 1) * sites_per_page, sites_per_page);
    for (const auto& [s, terminals] : sites) rows += site_row(s, static_cast<std::size_t>(terminals));
    shown = sites.size();
    const auto all = static_cast<std::size_t>(total);
    if (all > sites_per_page) {
      const auto first = (number - 1) * sites_per_page;
      paging = "<p class=\"meta\">Sites " + std::to_string(std::min(all, first + 1)) + "–" +
               std::to_string(std::min(all, first + shown)) + " of " + std::to_string(all) +
               (number > 1 ? " · <a href=\"/sites?page=" + std::to_string(number - 1) + "\">‹ Previous</a>" : "") +
               (first + shown < all ? " · <a href=\"/sites?page=" + std::to_string(number + 1) + "\">Next ›</a>" : "") +
               "</p>";
    }
  } else {
    // Found by the database (a dealer may have thousands of sites), at most
    // a page's worth, and the page says when there are more.
    const auto found = c.svc.search_sites(c.me->acc, q, search_limit + 1);
    for (const auto& [s, terminals] : found) {
      if (shown == search_limit) break;
      ++shown;
      rows += site_row(s, static_cast<std::size_t>(terminals));
    }
    if (found.size() > search_limit)
      paging = "<p class=\"meta\">The first " + std::to_string(search_limit) +
               " sites that match; more match: search for more of the name or serial.</p>";
  }
  const auto none =
      "<p>No sites" + std::string(q.empty() ? " yet. Issue a code and register a site with it." : " match.") + "</p>";
  return page(
      200, "Sites",
      "<form method=\"get\" action=\"/sites\" class=\"search\"><input name=\"q\" value=\"" + escape(c.param("q")) +
          "\" placeholder=\"Customer or serial number\" maxlength=\"200\"><button>Search</button></form>" +
          (shown ? scroll_table({"Customer", "Registered by", "Registered", "Last contact", "Terminals", "Credential"},
                                rows) +
                       paging
                 : none),
      c.me);
}

namespace {
// The open alerts of site `id` (its terminals' and its own).
alert_query site_alerts(const std::string& id) {
  alert_query q;
  q.site_id = id;
  q.limit = 200;
  return q;
}
}  // namespace

http::response site_page(context& c) {
  const auto route = route_of(c.req, "/sites/");
  if (!route) no_such_page();
  const auto view = c.svc.site_overview_of(c.me->acc, route->object);
  if (!route->action.empty()) no_such_page();
  const auto& s = view.s;
  const auto requests = request_rows(view.requests);
  const auto& csrf = c.me->session.csrf;
  const auto base = "/sites/" + html::url_encode(s.id);
  return page(
      200, s.customer,
      "<p class=\"meta\">Registered " + when(s.created_at) + " by " + escape(s.side.kind) + " " + escape(s.side.name) +
          " · last contact " + when(s.last_contact) + " · credential " + credential_state(s) + "</p>" +
          "<h2>Terminals</h2>" +
          scroll_table({"Terminal", "Serial", "Last reading", "Total", "Copy", "Print", "Toner"},
                       terminal_rows(view.terminals)) +
          "<h2 id=\"alerts\">Alerts</h2>" + alerts_table(c, c.svc.alerts(c.me->acc, site_alerts(s.id))) +
          "<h2 id=\"supplies\">Supplies and forecasts</h2>" +
          outlook_table(c.svc.supply_outlooks(c.me->acc, s.id), true) + "<h2 id=\"requests\">Meter reads</h2>" +
          button_form(base + "/request", csrf, "Read the meters now") +
          (requests.empty() ? "<p>No requests yet.</p>"
                            : "<table><tr><th>Requested</th><th>Kind</th><th>State</th></tr>" + requests + "</table>") +
          "<h2>Actions</h2><div class=\"actions\">" + button_form(base + "/code", csrf, "New code for this customer") +
          button_form(base + "/rotate", csrf, "Rotate credential", confirm_box()) +
          button_form(base + "/revoke", csrf, "Revoke credential", confirm_box(), "danger") +
          "</div><p><a href=\"/billing?site=" + html::url_encode(s.id) + "\">Billing for this customer</a></p>",
      c.me);
}

http::response site_action(context& c) {
  const auto [s, action] = site_and_action(c);
  if (action == "request") {
    c.svc.request_reading(c.me->acc, s.id);
    return redirect("/sites/" + html::url_encode(s.id) + "#requests");
  }
  if (action == "revoke" || action == "rotate") {
    if (c.field("confirm") != "yes")
      throw refusal(refusal_kind::invalid,
                    "Tick the box to confirm: the site stops reporting until its collector "
                    "or terminal gets a new credential.");
    if (action == "revoke") {
      c.svc.revoke(c.me->acc, s.id);
      return redirect("/sites/" + html::url_encode(s.id));
    }
    c.svc.rotate(c.me->acc, s.id);
    return rotated(c, s);
  }
  if (action == "code") {
    if (c.me->admin())
      throw refusal(refusal_kind::forbidden, "Codes are issued by dealer accounts; log in as the dealer.");
    return show_code(c, c.svc.issue_code(c.me->acc, s.customer, c.field("contact"), "site " + s.id));
  }
  no_such_page();
}

}  // namespace fleetreg::center::web
