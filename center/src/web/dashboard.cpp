// SPDX-License-Identifier: Apache-2.0
// The fleet dashboard (issue 19): the first page after login. Terminals per
// fleet state (each count links to the list of those terminals), the newest
// open alerts (the Alerts page's table and filter), the start of the "to
// order" list, and the fleet's monthly volume as a server-rendered SVG chart
// with its figures as a table. Every figure comes from an aggregate of the
// storage; no page reads a dealer's readings.
#include <array>

#include "chart.hpp"
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

constexpr std::size_t dashboard_alerts = 20;    // newest open alerts shown
constexpr std::size_t dashboard_to_order = 10;  // supplies to order shown
constexpr std::size_t state_list_limit = 500;   // terminals a state's list shows

// The states in the order the dashboard shows them (the precedence).
constexpr std::array<fleet_state, 4> states = {fleet_state::silent, fleet_state::critical, fleet_state::warning,
                                               fleet_state::healthy};

const char* state_title(fleet_state s) {
  switch (s) {
    case fleet_state::silent:
      return "Silent";
    case fleet_state::critical:
      return "Critical";
    case fleet_state::warning:
      return "Warning";
    case fleet_state::healthy:
      return "Healthy";
  }
  return "";
}

const char* state_meaning(fleet_state s) {
  switch (s) {
    case fleet_state::silent:
      return "no reading for the silent threshold, never one, or a terminal-silent alert";
    case fleet_state::critical:
      return "an open critical alert";
    case fleet_state::warning:
      return "an open warning alert";
    case fleet_state::healthy:
      return "no open alert";
  }
  return "";
}

std::string tiles(const fleet_counts& counts) {
  std::string out = "<ul class=\"tiles\">";
  for (const auto s : states) {
    const std::string name(to_string(s));
    out += "<li class=\"tile " + name + "\"><a href=\"/terminals?state=" + name + "\"><span class=\"count\">" +
           std::to_string(counts.of(s)) + "</span> <span class=\"label\">" + state_title(s) + "</span></a><small>" +
           state_meaning(s) + "</small></li>";
  }
  return out + "</ul>";
}

}  // namespace

http::response dashboard(context& c) {
  const auto counts = c.svc.fleet_states(c.me->acc);
  alert_query q;
  q.limit = dashboard_alerts;
  const auto alerts = c.svc.alerts(c.me->acc, q);
  const auto to_order = c.svc.to_order(c.me->acc);
  std::vector<supply_outlook> first(
      to_order.begin(), to_order.begin() + static_cast<std::ptrdiff_t>(std::min(to_order.size(), dashboard_to_order)));
  std::string body = "<p class=\"meta\">" + std::to_string(counts.total()) +
                     " terminals. Each is in one state: the first of silent, critical, warning that holds, else "
                     "healthy.</p>" +
                     tiles(counts);
  body += "<h2 id=\"alerts\">Open alerts</h2>" + alerts_filter(alert_query{}) + alerts_table(c, alerts, "/") +
          "<p><a href=\"/alerts\">All " + std::to_string(counts.open_alerts) + " open alerts</a></p>";
  body += "<h2 id=\"to-order\">To order</h2>" + outlook_table(first, true) + "<p><a href=\"/to-order\">All " +
          std::to_string(to_order.size()) + " supplies to order</a> · <a href=\"/to-order.csv\">CSV</a></p>";
  body += "<h2 id=\"volume\">Monthly volume</h2>";
  if (c.me->admin()) {
    body += "<p class=\"meta\">Each dealer's dashboard shows its fleet's monthly volume.</p>";
  } else {
    const auto months = c.svc.fleet_volume(c.me->acc, c.me->acc);
    body +=
        "<p class=\"meta\">Impressions per calendar month (UTC) over the whole fleet: each terminal's counter "
        "increase as billing counts it, the current month so far.</p>" +
        volume_chart(months) + "<div class=\"scroll\">" + volume_table(months) + "</div>";
  }
  return page(200, "Dashboard", body, c.me);
}

http::response terminals_list(context& c) {
  const auto state = parse_fleet_state(c.param("state"));
  if (!state) throw refusal(refusal_kind::invalid, "Choose a state: healthy, warning, critical or silent.");
  const auto counts = c.svc.fleet_states(c.me->acc);
  const auto list = c.svc.fleet_terminals(c.me->acc, *state, state_list_limit);
  std::string rows;
  for (const auto& f : list) {
    const auto& t = f.terminal;
    rows += "<tr><td><a href=\"/sites/" + html::url_encode(t.site_id) + "\">" + escape(f.customer) +
            "</a></td><td><a href=\"/terminals/" + html::url_encode(t.key) + "\">" +
            escape(t.id.manufacturer + " " + t.id.model) + "</a></td><td>" + escape(t.id.serial) + "</td><td>" +
            when(t.last_reading_at) + "</td><td><a href=\"/alerts?site=" + html::url_encode(t.site_id) +
            "\">alerts</a></td></tr>";
  }
  const auto all = counts.of(*state);
  std::string nav = "<p class=\"meta\">";
  for (const auto s : states)
    nav += (s == states.front() ? "" : " · ") +
           (s == *state ? "<strong>" + std::string(state_title(s)) + "</strong>"
                        : "<a href=\"/terminals?state=" + std::string(to_string(s)) + "\">" + state_title(s) + "</a>") +
           " " + std::to_string(counts.of(s));
  nav += "</p><p class=\"meta\">" + std::string(state_meaning(*state)) + ".</p>";
  const auto more =
      static_cast<std::size_t>(all) > list.size()
          ? "<p class=\"meta\">The first " + std::to_string(list.size()) + " of " + std::to_string(all) + ".</p>"
          : std::string();
  return page(200, std::string(state_title(*state)) + " terminals",
              nav + (list.empty() ? "<p>None.</p>"
                                  : scroll_table({"Customer", "Terminal", "Serial", "Last reading", ""}, rows) + more),
              c.me);
}

}  // namespace fleetreg::center::web
