// SPDX-License-Identifier: Apache-2.0
// The audit log: everything for an admin, a dealer's own actions for a dealer.
#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"

namespace fleetreg::center::web {

http::response audit_page(context& c) {
  using html::escape;
  const bool admin = c.me->admin();
  std::string rows;
  for (const auto& a : c.svc.audit_log(c.me->acc, 300))
    rows += "<tr><td>" + when(a.at) + "</td><td>" + escape(a.actor) + "</td><td>" + escape(a.action) + "</td><td>" +
            escape(a.subject) + "</td><td>" + escape(a.detail) + "</td></tr>";
  return page(200, admin ? "Audit log" : "My actions", scroll_table({"When", "Who", "What", "Subject", "Detail"}, rows),
              c.me);
}

}  // namespace fleetreg::center::web
