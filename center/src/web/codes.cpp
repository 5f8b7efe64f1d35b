// SPDX-License-Identifier: Apache-2.0
// Provisional codes: the list, the form, issuing (the code shown once, in
// the answer to the POST) and revoking.
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

std::string code_row(const context& c, const code_record& code) {
  const bool active = !code.purged_at && !code.revoked_at && code.expires_at > c.now;
  const auto state = code.revoked_at ? "revoked" : code.purged_at ? "purged" : (active ? "active" : "expired");
  return "<tr><td>" + when(code.issued_at) + "</td><td>" + escape(code.dealer_name) + "</td><td>" +
         escape(code.customer) + "</td><td>" + escape(code.contact) + "</td><td>" + when(code.expires_at) +
         "</td><td>" + state + (code.single_site ? " · one site" : "") + "</td><td class=\"num\">" +
         std::to_string(code.terminals_registered) + "</td><td>" +
         (active ? button_form("/codes/" + std::to_string(code.id) + "/revoke", c.me->session.csrf, "Revoke") : "") +
         "</td></tr>";
}

}  // namespace

http::response show_code(const context& c, const operations::issued_code& issued) {
  const auto& code = issued.code;
  return page(200, "Provisional code for " + issued.record.customer,
              "<p class=\"code\">" + escape(code.substr(0, 4)) + " " + escape(code.substr(5, 4)) + " " +
                  escape(code.substr(10, 4)) +
                  "</p><p>Type it on the terminal's panel or into the collector (dashes and case do not matter). "
                  "Valid until <strong>" +
                  when(issued.record.expires_at) +
                  " UTC</strong>. It is shown only now: print this page or note it down.</p>"
                  "<p class=\"noprint\"><a href=\"/codes\">All codes</a></p>",
              c.me);
}

http::response codes_list(context& c) {
  std::string rows;
  for (const auto& code : c.svc.codes(c.me->acc)) rows += code_row(c, code);
  return page(
      200, "Provisional codes",
      "<p><a class=\"button\" href=\"/codes/new\">Issue a code</a></p><p class=\"meta\">Codes are shown "
      "once, when they are issued; the center keeps only a keyed hash.</p>" +
          (rows.empty()
               ? "<p>No codes issued yet.</p>"
               : scroll_table({"Issued", "By", "Customer", "Contact", "Expires", "State", "Terminals", ""}, rows)),
      c.me);
}

http::response code_form(context& c) {
  return page(200, "Issue a provisional code",
              "<form method=\"post\" action=\"/codes\" class=\"card\">" + csrf_field(c.me->session.csrf) +
                  "<label>Customer (the authorized user) <input name=\"customer\" required maxlength=\"200\"></label>"
                  "<label>Contact <input name=\"contact\" maxlength=\"200\"></label>"
                  "<label>Reference <input name=\"reference\" maxlength=\"200\"></label>"
                  "<label>Valid for <select name=\"validity\"><option value=\"default\">the usual time</option>"
                  "<option value=\"4h\">4 hours</option><option value=\"1d\">1 day</option>"
                  "<option value=\"7d\">7 days</option><option value=\"30d\">30 days</option></select></label>"
                  "<label><input type=\"checkbox\" name=\"single_site\" value=\"yes\"> one site only (a second "
                  "collector or terminal cannot use it)</label>"
                  "<button type=\"submit\">Issue the code</button></form>",
              c.me);
}

http::response code_issue(context& c) {
  if (c.me->admin())
    throw refusal(refusal_kind::forbidden, "Codes are issued by dealer accounts; log in as the dealer.");
  const code_options options{c.svc.parse_validity(c.field("validity")), c.field("single_site") == "yes"};
  return show_code(c,
                   c.svc.issue_code(c.me->acc, c.field("customer"), c.field("contact"), c.field("reference"), options));
}

http::response code_revoke(context& c) {
  const auto target = id_and_action(c.req.path, "/codes/");
  if (!target || target->second != "revoke") no_such_page();
  c.svc.revoke_code(c.me->acc, target->first);
  return redirect("/codes");
}

}  // namespace fleetreg::center::web
