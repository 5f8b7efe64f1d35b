// SPDX-License-Identifier: Apache-2.0
// Fleet health (issue 19): the open alerts (filter, acknowledge, clear), the
// "to order" list (and its CSV), and the tables the site and terminal pages
// show of both.
#include <chrono>
#include <cstdio>

#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

std::string state_of(const alert& a) {
  if (a.cleared_at) return "cleared " + when(a.cleared_at) + " by " + escape(a.cleared_by);
  if (a.acknowledged_at) return "acknowledged " + when(a.acknowledged_at) + " by " + escape(a.acknowledged_by);
  return "open";
}

// What the alert is about, linked to its page.
std::string subject_cell(const alert& a) {
  if (!a.terminal_key.empty())
    return "<a href=\"/terminals/" + html::url_encode(a.terminal_key) + "\">" + escape(a.terminal_key) + "</a>" +
           (a.customer.empty() ? "" : "<br><small>" + escape(a.customer) + "</small>");
  if (!a.site_id.empty())
    return "<a href=\"/sites/" + html::url_encode(a.site_id) + "\">" +
           escape(a.customer.empty() ? a.site_id : a.customer) + "</a>";
  return "<a href=\"/codes\">code #" + std::to_string(a.code_id) + "</a>" +
         (a.customer.empty() ? "" : "<br><small>" + escape(a.customer) + "</small>");
}

std::string what_cell(const alert& a) {
  std::string out = escape(a.kind);
  if (a.supply) out += " <small>supply " + std::to_string(*a.supply) + "</small>";
  if (!a.code.empty()) out += " <small>" + escape(a.code) + "</small>";
  return out;
}

std::string day(time_point t) { return format_utc(t).substr(0, 10); }

}  // namespace

std::string alerts_table(const context& c, const std::vector<alert>& list, std::string_view back) {
  if (list.empty()) return "<p class=\"meta\">No open alerts.</p>";
  const auto& csrf = c.me->session.csrf;
  // Where the buttons come back to (alert_action knows the pages it may name).
  const auto extra =
      back.empty() ? std::string() : "<input type=\"hidden\" name=\"back\" value=\"" + escape(back) + "\">";
  std::string rows;
  for (const auto& a : list) {
    const auto base = "/alerts/" + std::to_string(a.id);
    std::string buttons;
    if (!a.cleared_at) {
      if (!a.acknowledged_at) buttons += button_form(base + "/ack", csrf, "Acknowledge", extra);
      buttons += button_form(base + "/clear", csrf, "Clear", extra);
    }
    rows += "<tr class=\"" + std::string(a.severity == "critical" && !a.cleared_at ? "reset" : "") + "\"><td>#" +
            std::to_string(a.id) + "</td><td>" + escape(a.severity) + "</td><td>" + what_cell(a) + "</td><td>" +
            subject_cell(a) + "</td><td>" + escape(a.detail) + "</td><td>" + when(a.raised_at) + "</td><td>" +
            state_of(a) + "</td><td><div class=\"actions\">" + buttons + "</div></td></tr>";
  }
  return scroll_table({"#", "Severity", "Alert", "About", "Detail", "Raised", "State", ""}, rows);
}

std::string outlook_table(const std::vector<supply_outlook>& list, bool with_terminal) {
  std::string rows;
  for (const auto& o : list) {
    const auto p = o.now.percent();
    std::string forecast = "—";
    if (o.forecast) {
      char rate[32];
      std::snprintf(rate, sizeof rate, "%.2f", o.forecast->percent_per_day);
      forecast = day(o.forecast->empty_at) + " <small>(" + rate + " %/day, " + std::to_string(o.forecast->points) +
                 " readings)</small>";
    }
    rows += "<tr>";
    if (with_terminal)
      rows += "<td><a href=\"/sites/" + html::url_encode(o.s.id) + "\">" + escape(o.s.customer) +
              "</a></td><td><a href=\"/terminals/" + html::url_encode(o.terminal.key) + "\">" +
              escape(o.terminal.id.model + " " + o.terminal.id.serial) + "</a></td>";
    rows += "<td>" + escape(o.now.description.empty() ? std::string(to_string(o.now.type)) : o.now.description) +
            "</td><td>" + escape(o.now.colorant) + "</td><td class=\"num\">" +
            (p ? std::to_string(*p) + " %" : std::string("?")) + "</td><td>" + forecast + "</td></tr>";
  }
  if (rows.empty()) return "<p class=\"meta\">Nothing.</p>";
  if (with_terminal)
    return scroll_table({"Customer", "Terminal", "Supply", "Colour", "Level", "Runs out (forecast)"}, rows);
  return scroll_table({"Supply", "Colour", "Level", "Runs out (forecast)"}, rows);
}

std::string alerts_filter(const alert_query& q) {
  // A GET form, so a filtered list is a link.
  std::string kinds = "<option value=\"\">any</option>";
  for (const auto k : alert_kinds) {
    const std::string name(k);
    kinds += "<option value=\"" + name + "\"" + (q.kind == name ? " selected" : "") + ">" + name + "</option>";
  }
  std::string severities = "<option value=\"\">any</option>";
  for (const char* s : {"critical", "warning"})
    severities +=
        "<option value=\"" + std::string(s) + "\"" + (q.severity == s ? " selected" : "") + ">" + s + "</option>";
  const auto filter = "<form method=\"get\" action=\"/alerts\" class=\"search\"><label>Kind <select name=\"kind\">" +
                      kinds + "</select></label> <label>Severity <select name=\"severity\">" + severities +
                      "</select></label> <label>Site <input name=\"site\" value=\"" + escape(q.site_id) +
                      "\" maxlength=\"64\" placeholder=\"site id\"></label> <label><input type=\"checkbox\" "
                      "name=\"all\" value=\"yes\"" +
                      (q.open_only ? "" : " checked") + "> cleared ones too</label> <button>Show</button></form>";
  return filter;
}

http::response alerts_page(context& c) {
  alert_query q;
  q.kind = c.param("kind");
  q.severity = c.param("severity");
  q.site_id = c.param("site");
  q.open_only = c.param("all") != "yes";
  const auto list = c.svc.alerts(c.me->acc, q);
  const auto filter = alerts_filter(q);
  // A dealer's own thresholds and lead time (admins use centerctl).
  const auto settings =
      c.me->admin()
          ? std::string()
          : "<form method=\"post\" action=\"/alerts/settings\" class=\"search\">" + csrf_field(c.me->session.csrf) +
                "<label>Thresholds <input name=\"settings\" size=\"80\" maxlength=\"512\" value=\"" +
                escape(to_string(c.me->acc.alerts)) +
                "\"></label> <button>Save</button></form><p class=\"meta\">supply-low and supply-empty in percent; "
                "terminal-silent, collector-silent, code-expiry and lead-time like 90m, 36h, 7d; "
                "<code>default</code> for the center's.</p>";
  return page(200, "Alerts",
              filter + settings + alerts_table(c, list) +
                  (list.size() >= q.limit ? "<p class=\"meta\">The newest " + std::to_string(q.limit) + ".</p>" : ""),
              c.me);
}

http::response alert_action(context& c) {
  const auto target = id_and_action(c.req.path, "/alerts/");
  if (!target) no_such_page();
  if (target->second == "ack")
    c.svc.acknowledge_alert(c.me->acc, target->first);
  else if (target->second == "clear")
    c.svc.clear_alert(c.me->acc, target->first);
  else
    no_such_page();
  // Back to the dashboard when the button was there; else the Alerts page.
  return redirect(c.field("back") == "/" ? "/" : "/alerts");
}

http::response alert_settings_set(context& c) {
  if (c.me->admin())
    throw refusal(refusal_kind::forbidden,
                  "A dealer sets its own alert thresholds; an admin uses fleetreg-centerctl account set --alerts.");
  c.svc.set_alert_settings(c.me->acc, c.me->acc, c.field("settings"));
  return redirect("/alerts");
}

http::response to_order_page(context& c) {
  const auto list = c.svc.to_order(c.me->acc);
  const auto lead = std::chrono::duration_cast<std::chrono::hours>(c.me->acc.alerts.lead_time).count() / 24;
  return page(200, "To order",
              "<p class=\"meta\">Supplies whose forecast runs out within " +
                  (c.me->admin() ? std::string("each dealer's lead time") : std::to_string(lead) + " days") +
                  ", or that are empty now; soonest first. <a href=\"/to-order.csv\">CSV</a></p>" +
                  outlook_table(list, true),
              c.me);
}

http::response to_order_csv_file(context& c) {
  http::response r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = to_order_csv(c.svc.to_order(c.me->acc));
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"fleetreg-to-order.csv\"");
  secure_headers(r);
  return r;
}

}  // namespace fleetreg::center::web
