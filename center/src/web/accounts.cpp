// SPDX-License-Identifier: Apache-2.0
// Dealer accounts, for admins: the list, a new dealer, disable and enable.
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

void require_admin(const context& c) {
  if (!c.me->admin()) throw refusal(refusal_kind::forbidden, "Only an admin manages accounts.");
}

std::string account_row(const context& c, const account& a) {
  const auto action = "/accounts/" + html::url_encode(a.name) + (a.disabled ? "/enable" : "/disable");
  return "<tr><td>" + escape(a.name) + "</td><td>" + (a.role == role::admin ? "admin" : "dealer") + "</td><td>" +
         (a.disabled ? "disabled" : "active") + "</td><td>" +
         (a.name == c.me->acc.name ? "" : button_form(action, c.me->session.csrf, a.disabled ? "Enable" : "Disable")) +
         "</td></tr>";
}

}  // namespace

http::response accounts_list(context& c) {
  require_admin(c);
  std::string rows;
  for (const auto& a : c.svc.accounts(c.me->acc)) rows += account_row(c, a);
  return page(200, "Accounts",
              "<table><tr><th>Name</th><th>Role</th><th>State</th><th></th></tr>" + rows +
                  "</table><h2>New dealer account</h2><form method=\"post\" action=\"/accounts\" class=\"card\">" +
                  csrf_field(c.me->session.csrf) +
                  "<label>Name <input name=\"name\" required maxlength=\"64\"></label><label>Password (10 or more "
                  "characters) <input name=\"password\" type=\"password\" required minlength=\"10\" "
                  "maxlength=\"1024\" autocomplete=\"new-password\"></label><button type=\"submit\">Create</button>"
                  "</form>",
              c.me);
}

http::response account_create(context& c) {
  require_admin(c);
  c.svc.create_account(c.me->acc.name, c.field("name"), role::dealer, c.field("password"));
  return redirect("/accounts");
}

http::response account_enable(context& c) {
  require_admin(c);
  const auto route = route_of(c.req, "/accounts/");
  if (!route || (route->action != "disable" && route->action != "enable")) no_such_page();
  c.svc.set_account_enabled(c.me->acc.name, route->object, route->action == "enable");
  return redirect("/accounts");
}

}  // namespace fleetreg::center::web
