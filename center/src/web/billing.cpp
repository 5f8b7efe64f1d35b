// SPDX-License-Identifier: Apache-2.0
// Billing pages: one customer's clicks over a period (computed by
// operations::billing, as for GET /api/v1/billing), its CSV, all of a
// dealer's customers as one CSV (operations::dealer_billing), and a dealer
// closing its periods.
#include "context.hpp"
#include "fleetreg/center/billing.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

// The period asked for (site, from, to) and its lines: none when no site
// was chosen or, with `why` set, when the period is not two days in order.
struct billing_query {
  std::string site_id, why;
  std::vector<billing_line> lines;
};

billing_query query_of(const context& c) {
  billing_query q;
  q.site_id = c.param("site");
  if (q.site_id.empty()) return q;
  const auto from = parse_billing_day(c.param("from"));
  const auto to = parse_billing_day(c.param("to"));
  if (!from || !to || *to <= *from)
    q.why = "Give the period as two days, from before to (YYYY-MM-DD).";
  else
    q.lines = c.svc.billing(c.me->acc, q.site_id, *from, *to);
  return q;
}

std::string line_rows(const std::vector<billing_line>& lines) {
  std::string rows;
  for (const auto& l : lines)
    rows += "<tr><td>" + escape(l.model) + "<br><small>" + escape(l.terminal_key) + "</small></td><td>" +
            escape(l.cell()) + "</td><td class=\"num\">" + (l.start ? std::to_string(*l.start) : "—") +
            "</td><td class=\"num\">" + (l.end ? std::to_string(*l.end) : "—") + "</td><td class=\"num\"><strong>" +
            std::to_string(l.clicks) + "</strong></td><td class=\"num\">" + std::to_string(l.resets) +
            "</td><td class=\"num\">" + (l.weight ? "× " + format_milli(*l.weight) : "—") + "</td><td class=\"num\">" +
            (l.weight ? format_milli(l.weighted_milli()) : "") + "</td></tr>";
  return rows;
}

// What each terminal is billed: Σ weight × clicks over the weighted cells.
std::string billed_rows(const std::vector<billing_line>& lines) {
  std::vector<std::pair<const billing_line*, std::uint64_t>> per;
  for (const auto& l : lines) {
    if (per.empty() || per.back().first->terminal_key != l.terminal_key) per.emplace_back(&l, 0);
    per.back().second += l.weighted_milli();
  }
  std::string rows;
  for (const auto& [l, billed] : per)
    rows += "<tr><td>" + escape(l->model) + "<br><small>" + escape(l->terminal_key) +
            "</small></td><td class=\"num\"><strong>" + format_milli(billed) + "</strong></td></tr>";
  return rows;
}

// A dealer's weights: which cells are billed and how much each click counts.
std::string weights_form(const context& c) {
  if (c.me->admin()) return "";
  const auto w = c.svc.billing_weights_of(c.me->acc);
  std::string text;
  for (const auto& [key, m] : w.milli) text += key + "=" + format_milli(m) + "\n";
  return "<h2>Billing weights</h2><p class=\"meta\">One <code>cell=factor</code> per line: only the cells listed are "
         "billed, each click counted factor times (e.g. <code>copy.impressions-mono.a3=2</code> beside "
         "<code>copy.impressions-mono.a4=1</code>). Empty: total.impressions at 1.</p>"
         "<form method=\"post\" action=\"/billing/weights\" class=\"card\">" +
         csrf_field(c.me->session.csrf) + "<label>Weights <textarea name=\"weights\" rows=\"6\" cols=\"48\">" +
         escape(text) + "</textarea></label><button type=\"submit\">Save the weights</button></form>";
}

// The form that chooses customer and period.
std::string choice_form(const context& c, const std::string& site_id) {
  std::string options;
  for (const auto& s : c.svc.sites(c.me->acc))
    options += "<option value=\"" + escape(s.id) + "\"" + (s.id == site_id ? " selected" : "") + ">" +
               escape(s.customer) + "</option>";
  return "<form method=\"get\" action=\"/billing\" class=\"card\"><label>Customer <select name=\"site\">" + options +
         "</select></label><label>From <input type=\"date\" name=\"from\" value=\"" + escape(c.param("from")) +
         "\"></label><label>To (not included) <input type=\"date\" name=\"to\" value=\"" + escape(c.param("to")) +
         "\"></label><button type=\"submit\">Show</button></form>";
}

// A dealer's whole period, every customer in one CSV (its invoice run).
std::string all_customers_form(const context& c) {
  if (c.me->admin()) return "";
  return "<h2>All customers</h2><form method=\"get\" action=\"/billing.csv\" class=\"card\"><label>From <input "
         "type=\"date\" name=\"from\" required></label><label>To (not included) <input type=\"date\" name=\"to\" "
         "required></label><button type=\"submit\">All customers as CSV</button></form>";
}

// A dealer closes its periods: readings dated before arrive late and never
// change those invoices. Admins close none here.
std::string close_form(const context& c) {
  if (c.me->admin()) return "";
  const auto closed = c.svc.billing_closed_until(c.me->acc, c.me->acc);
  return "<h2>Closed periods</h2><p class=\"meta\">" +
         (closed ? "Closed before " + when(*closed) +
                       ": readings dated before arriving now are kept, marked late, and never billed."
                 : std::string("No period is closed yet.")) +
         "</p><form method=\"post\" action=\"/billing/close\" class=\"card\">" + csrf_field(c.me->session.csrf) +
         "<label>Close everything before <input type=\"date\" name=\"before\" required></label>"
         "<button type=\"submit\">Close the period</button></form>";
}

}  // namespace

http::response billing_page(context& c) {
  const auto q = query_of(c);
  const auto query = "site=" + html::url_encode(q.site_id) + "&from=" + html::url_encode(c.param("from")) +
                     "&to=" + html::url_encode(c.param("to"));
  const auto table =
      q.site_id.empty() || !q.why.empty()
          ? std::string()
          : "<p><a class=\"button\" href=\"/billing.csv?" + escape(query) +
                "\">Download CSV</a> <a class=\"button\" href=\"/billing.csv?" + escape(query) +
                "&amp;layout=wide\">One row per terminal (CSV)</a></p>" +
                scroll_table({"Terminal", "Billed"}, billed_rows(q.lines)) +
                scroll_table({"Terminal", "Cell", "Start", "End", "Clicks", "Resets", "Weight", "Weighted"},
                             line_rows(q.lines));
  return page(q.why.empty() ? 200 : http_status(refusal_kind::invalid), "Billing",
              choice_form(c, q.site_id) + (q.why.empty() ? "" : error_box(q.why)) + table + all_customers_form(c) +
                  weights_form(c) + close_form(c),
              c.me);
}

http::response billing_csv_file(context& c) {
  auto q = query_of(c);
  if (q.site_id.empty() && !c.me->admin()) {
    // No customer chosen: every customer of the dealer.
    const auto from = parse_billing_day(c.param("from"));
    const auto to = parse_billing_day(c.param("to"));
    if (!from || !to || *to <= *from)
      throw refusal(refusal_kind::invalid, "Give the period as two days, from before to (YYYY-MM-DD).");
    q.lines = c.svc.dealer_billing(c.me->acc, c.me->acc, *from, *to);
  } else if (q.site_id.empty() || !q.why.empty()) {
    throw refusal(refusal_kind::invalid, q.why.empty() ? "Choose a customer." : q.why);
  }
  http::response r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = c.param("layout") == "wide" ? billing_wide_csv(q.lines) : billing_csv(q.lines);
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"fleetreg-billing-" + c.param("from") + "-" + c.param("to") + ".csv\"");
  secure_headers(r);
  return r;
}

http::response billing_weights_set(context& c) {
  if (c.me->admin())
    throw refusal(refusal_kind::forbidden,
                  "A dealer sets its own billing weights; an admin uses fleetreg-centerctl account set.");
  c.svc.set_billing_weights(c.me->acc, c.me->acc, c.field("weights"));
  return redirect("/billing");
}

http::response billing_close(context& c) {
  if (c.me->admin())
    throw refusal(refusal_kind::forbidden, "A dealer closes its own billing periods; log in as the dealer.");
  const auto until = parse_billing_day(c.field("before"));
  if (!until) throw refusal(refusal_kind::invalid, "Give the day as YYYY-MM-DD.");
  c.svc.close_billing(c.me->acc, c.me->acc, *until);
  return redirect("/billing");
}

}  // namespace fleetreg::center::web
