// SPDX-License-Identifier: Apache-2.0
// One terminal: its counters over time (chart), readings, supplies, and its
// actions (transfer to another customer, retire).
#include <chrono>

#include "chart.hpp"
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

// A terminal, the site holding it and the action asked for.
struct held_terminal_action : held_terminal {
  std::string action;
};

// The terminal of /terminals/<key>[/<action>] when `c.me` may act on its
// site; an unknown terminal and another dealer's get the same refusal.
held_terminal_action terminal_and_action(const context& c) {
  const auto route = route_of(c.req, "/terminals/");
  if (!route) no_such_page();
  return {c.svc.require_terminal(c.me->acc, route->object), route->action};
}

// The newest 100 of `readings` as rows of readings and of supplies.
std::pair<std::string, std::string> reading_rows(const std::vector<stored_reading>& readings) {
  std::string rows, supplies;
  for (std::size_t n = 0; n < readings.size() && n < 100; ++n) {
    const auto& r = readings[readings.size() - 1 - n];
    const auto& k = r.r.counters;
    rows += "<tr" + std::string(r.counter_reset ? " class=\"reset\"" : "") + "><td>" + when(r.r.taken) + "</td><td>" +
            escape(std::string(to_string(r.r.source))) + "</td><td>" +
            (r.r.request_id.empty() ? "own schedule" : "request") + "</td><td class=\"num\">" +
            count(k, service::total) + "</td><td class=\"num\">" + count(k, service::copy) + "</td><td class=\"num\">" +
            count(k, service::print) + "</td><td class=\"num\">" + count(k, service::scan) + "</td><td>" +
            (r.counter_reset ? "counter went down" : "") + "</td></tr>";
    supplies += "<tr><td>" + when(r.r.taken) + "</td><td>" + toner_cells(r.r.supplies) + "</td></tr>";
  }
  return {rows, supplies};
}

// The newest reading in detail: the device's state and alerts, then every
// counter and extra with where it came from (profile and OIDs).
std::string newest_details(const std::vector<stored_reading>& readings) {
  if (readings.empty()) return "";
  const auto& r = readings.back().r;
  auto from = [&r](const std::string& key) {
    const auto it = r.provenance.find(key);
    return it == r.provenance.end() ? std::string("—") : escape(it->second);
  };
  std::string state;
  if (!r.device_status.empty() || !r.alerts.empty()) {
    std::string rows;
    for (const auto& a : r.alerts)
      rows += "<tr class=\"" + std::string(a.severity == "critical" ? "reset" : "") + "\"><td>" + escape(a.severity) +
              "</td><td>" + escape(a.group) + "</td><td>" + escape(a.code) + "</td><td>" + escape(a.description) +
              "</td><td><small>" + escape(a.source) + "</small></td></tr>";
    state = "<h2>Device state</h2><p class=\"meta\">Status " +
            escape(r.device_status.empty() ? std::string("not reported") : r.device_status) + " · " +
            std::to_string(r.alerts.size()) + " alert" + (r.alerts.size() == 1 ? "" : "s") + " at " + when(r.taken) +
            "</p>" +
            (rows.empty() ? "" : scroll_table({"Severity", "Part", "Condition", "Device says", "Source"}, rows));
  }
  std::string cells;
  for (auto svc : all_services)
    for (auto kind : all_counter_kinds)
      if (const auto v = r.counters.get(svc, kind)) {
        const auto name = cell_name(svc, kind);
        cells += "<tr><td>" + escape(name) + "</td><td class=\"num\">" + std::to_string(*v) + "</td><td><small>" +
                 from(name) + "</small></td></tr>";
      }
  for (const auto& [key, v] : r.extras)
    cells += "<tr><td>" + escape(key) + " <small>(extra)</small></td><td class=\"num\">" + std::to_string(v) +
             "</td><td><small>" + from("extra:" + key) + "</small></td></tr>";
  if (cells.empty()) return state;
  return state + "<h2>Newest counters and where they come from</h2>" +
         scroll_table({"Counter", "Value", "Read from"}, cells);
}

// Where the terminal can go: every other site of the dealer when there are
// few; else (a dealer with thousands of customers) the sites a search for
// `to` finds, at most `transfer_choices`, so the page stays small.
constexpr std::size_t transfer_choices = 50;

std::string transfer_form(const context& c, const held_terminal& h, const std::string& base) {
  const auto& csrf = c.me->session.csrf;
  const auto find = c.param("to");
  std::vector<site> found;
  bool more = false;
  auto [first, total] = c.svc.sites_page(c.me->acc, 0, transfer_choices + 1);
  const bool few = total <= static_cast<std::int64_t>(transfer_choices) + 1;
  if (few) {
    for (auto& [s, n] : first) found.push_back(std::move(s));
  } else if (!find.empty()) {
    for (auto& [s, n] : c.svc.search_sites(c.me->acc, find, transfer_choices + 2)) found.push_back(std::move(s));
  }
  std::string targets;
  std::size_t shown = 0;
  for (const auto& other : found) {
    if (other.id == h.s.id) continue;
    if (shown == transfer_choices) {
      more = true;
      break;
    }
    targets += "<option value=\"" + escape(other.id) + "\">" + escape(other.customer) + "</option>";
    ++shown;
  }
  std::string out;
  if (!few)
    out += "<form method=\"get\" action=\"" + base +
           "\" class=\"search\"><label>Transfer to the customer "
           "<input name=\"to\" value=\"" +
           escape(find) +
           "\" maxlength=\"200\" "
           "placeholder=\"customer, serial or key\"></label> <button>Find</button></form>";
  if (!few && !find.empty() && targets.empty()) out += "<p class=\"meta\">No other site matches.</p>";
  if (more)
    out += "<p class=\"meta\">The first " + std::to_string(transfer_choices) +
           " that match; type more of the name to narrow them.</p>";
  if (!targets.empty())
    out += button_form(base + "/transfer", csrf, "Transfer",
                       "<label>to <select name=\"to_site\">" + targets + "</select></label>");
  return out;
}

// The open alerts of terminal `key`.
alert_query terminal_alerts(const std::string& key) {
  alert_query q;
  q.terminal_key = key;
  q.limit = 100;
  return q;
}

std::string actions(const context& c, const held_terminal& h) {
  const auto base = "/terminals/" + html::url_encode(h.t.key);
  return "<h2>Actions</h2><div class=\"actions\">" + transfer_form(c, h, base) +
         button_form(base + "/retire", c.me->session.csrf, "Retire", confirm_box(), "danger") + "</div>";
}

}  // namespace

http::response terminal_page(context& c) {
  const auto h = terminal_and_action(c);
  if (!h.action.empty()) no_such_page();
  // The newest 2,000 readings of the last year: the chart, and the newest 100 as rows.
  const auto readings = c.svc.latest_readings(c.me->acc, h.t.key, c.now - std::chrono::hours(24 * 366), 2000);
  const auto rows = reading_rows(readings);
  return page(200, h.t.id.manufacturer + " " + h.t.id.model + " " + h.t.id.serial,
              "<p class=\"meta\">" + escape(h.t.key) + " at <a href=\"/sites/" + html::url_encode(h.s.id) + "\">" +
                  escape(h.s.customer) + "</a> · registered " + when(h.t.registered_at) + "</p>" +
                  "<h2 id=\"alerts\">Alerts</h2>" + alerts_table(c, c.svc.alerts(c.me->acc, terminal_alerts(h.t.key))) +
                  "<h2 id=\"forecast\">Supplies and forecasts</h2>" +
                  outlook_table(c.svc.supply_outlooks(c.me->acc, h.s.id, h.t.key), false) + newest_details(readings) +
                  "<h2>Counters over time</h2>" + counters_chart(readings) + "<h2>Readings</h2>" +
                  scroll_table({"Taken", "Source", "Why", "Total", "Copy", "Print", "Scan", ""}, rows.first) +
                  "<h2>Supplies</h2>" + scroll_table({"Taken", "Toner"}, rows.second) + actions(c, h),
              c.me);
}

http::response terminal_action(context& c) {
  const auto h = terminal_and_action(c);
  if (h.action == "transfer") {
    c.svc.transfer_terminal(c.me->acc, h.t.key, c.field("to_site"));
    return redirect("/terminals/" + html::url_encode(h.t.key));
  }
  if (h.action == "retire") {
    if (c.field("confirm") != "yes") throw refusal(refusal_kind::invalid, "Tick the box to confirm the retirement.");
    c.svc.retire_terminal(c.me->acc, h.t.key);
    return redirect("/sites/" + html::url_encode(h.s.id));
  }
  no_such_page();
}

}  // namespace fleetreg::center::web
