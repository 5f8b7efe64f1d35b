// SPDX-License-Identifier: Apache-2.0
// Claims: a terminal registered by one site and held by another; the
// holder's dealer moves it to the claimant or refuses.
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

std::string site_link(const std::string& id, const std::string& customer) {
  return "<a href=\"/sites/" + html::url_encode(id) + "\">" + escape(customer) + "</a>";
}

// One claim; the other dealer's customer is never named.
std::string claim_row(const context& c, const claim_view& v) {
  const auto& me = *c.me;
  const auto& cl = v.c;
  const auto base = "/claims/" + std::to_string(cl.id);
  return "<tr><td>" + when(cl.created_at) + "</td><td>" + escape(cl.terminal.manufacturer + " " + cl.terminal.model) +
         "<br><small>" + escape(cl.key) + "</small></td><td>" +
         (v.holder ? site_link(cl.holder_site_id, v.holder->customer) : "another customer") + "</td><td>" +
         (v.claimant_shown ? site_link(cl.claimant_site_id, cl.claimant_customer) : "another dealer's customer") +
         "</td><td>" + escape(cl.state) + (cl.decided_by.empty() ? "" : " by " + escape(cl.decided_by)) + "</td><td>" +
         (v.decidable ? button_form(base + "/accept", me.session.csrf, "Move it to the claimant") +
                            button_form(base + "/refuse", me.session.csrf, "Refuse", "", "danger")
                      : "") +
         "</td></tr>";
}

}  // namespace

http::response claims_list(context& c) {
  std::string rows;
  for (const auto& v : c.svc.claim_views(c.me->acc)) rows += claim_row(c, v);
  return page(200, "Claims",
              "<p class=\"meta\">A collector or terminal registered a terminal another site holds. The holder's "
              "dealer decides: move it to the claimant (its readings so far stay with the holder), or refuse.</p>" +
                  (rows.empty() ? "<p>No claims.</p>"
                                : scroll_table({"Since", "Terminal", "Held by", "Claimed by", "State", ""}, rows)),
              c.me);
}

http::response claim_decide(context& c) {
  const auto target = id_and_action(c.req.path, "/claims/");
  if (!target || (target->second != "accept" && target->second != "refuse")) no_such_page();
  if (target->second == "accept")
    c.svc.accept_claim(c.me->acc, target->first);
  else
    c.svc.refuse_claim(c.me->acc, target->first);
  return redirect("/claims");
}

}  // namespace fleetreg::center::web
