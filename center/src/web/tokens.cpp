// SPDX-License-Identifier: Apache-2.0
// API tokens: monitoring tokens (an admin's) and billing tokens (a
// dealer's), issued (shown once), listed and revoked.
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

std::string token_row(const context& c, const api_token& t) {
  return "<tr><td>" + escape(t.name) + "</td><td>" + escape(t.scope) + "</td><td>" +
         escape(t.dealer_name.empty() ? "—" : t.dealer_name) + "</td><td>" + when(t.created_at) + "</td><td>" +
         (t.last_used_at ? when(*t.last_used_at) : "never") + "</td><td>" +
         (t.revoked_at ? "revoked " + when(*t.revoked_at)
                       : button_form("/tokens/" + std::to_string(t.id) + "/revoke", c.me->session.csrf, "Revoke", "",
                                     "danger")) +
         "</td></tr>";
}

}  // namespace

http::response tokens_list(context& c) {
  const bool admin = c.me->admin();
  std::string rows;
  for (const auto& t : c.svc.tokens(c.me->acc)) rows += token_row(c, t);
  return page(200, "API tokens",
              std::string(admin ? "<p class=\"meta\">Monitoring tokens read /api/v1/status and /metrics only.</p>"
                                : "<p class=\"meta\">A billing token reads your customers' billing "
                                  "(/api/v1/billing) and nothing else.</p>") +
                  (rows.empty() ? "<p>No tokens.</p>"
                                : scroll_table({"Name", "Scope", "Dealer", "Issued", "Last used", ""}, rows)) +
                  "<h2>New token</h2><form method=\"post\" action=\"/tokens\" class=\"card\">" +
                  csrf_field(c.me->session.csrf) +
                  "<label>Name (what uses it) <input name=\"name\" required maxlength=\"64\"></label>"
                  "<button type=\"submit\">Issue a " +
                  (admin ? "monitoring" : "billing") + " token</button></form>",
              c.me);
}

http::response token_issue(context& c) {
  const bool admin = c.me->admin();
  const auto token = admin ? c.svc.issue_monitoring_token(c.me->acc.name, c.field("name"))
                           : c.svc.issue_billing_token(c.me->acc.name, c.me->acc, c.field("name"));
  return page(200, "New API token",
              "<p>Give this token to the " + std::string(admin ? "monitoring system" : "billing system") +
                  " (shown once; the center keeps only a hash):</p><p class=\"secret\">" + escape(token) +
                  "</p><p><a href=\"/tokens\">All tokens</a></p>",
              c.me);
}

http::response token_revoke(context& c) {
  const auto target = id_and_action(c.req.path, "/tokens/");
  if (!target || target->second != "revoke") no_such_page();
  c.svc.revoke_token(c.me->acc, target->first);
  return redirect("/tokens");
}

}  // namespace fleetreg::center::web
