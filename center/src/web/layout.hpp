// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/center/http.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/refusal.hpp"

/// The frame every page of the dealer site shares: head, navigation, the
/// error box, security headers, and the small pieces pages are built of.
namespace fleetreg::center::web {

/// Content-Security-Policy, nosniff, no-referrer.
void secure_headers(http::response& r);

/// A 303 to `to`.
http::response redirect(const std::string& to);

/// A page: `body` (HTML) under the heading `title`, with the navigation of
/// `me` (null: not logged in).
http::response page(int status, const std::string& title, const std::string& body, const signed_in* me);

/// The page of a refusal: its sentence in the error box, the status of its
/// kind. A not_found refusal says "There is no such <object>." and never
/// echoes what was asked for.
http::response problem(const refusal& why, const signed_in* me);

/// The error box.
std::string error_box(const std::string& text);

/// "YYYY-MM-DD HH:MM" (UTC), "—" when there is no time.
std::string when(const std::optional<time_point>& t);
std::string when(time_point t);

/// The hidden field with the session's CSRF token.
std::string csrf_field(const std::string& token);

/// A form with one button (and hidden fields or more inputs in `extra`), posting to `action`.
std::string button_form(const std::string& action, const std::string& csrf, const std::string& label,
                        const std::string& extra = "", const std::string& css = "");

/// The checkbox that confirms a destructive action (field confirm=yes).
std::string confirm_box();

/// A scrolling table: the header cells `heads`, then `rows` (<tr>… HTML).
std::string scroll_table(std::initializer_list<const char*> heads, const std::string& rows);

/// The toner and ink levels of `supplies`, low ones marked.
std::string toner_cells(const std::vector<supply>& supplies);

/// A counter's value, "—" when unknown.
std::string count(const counter_set& c, service s, counter_kind k = counter_kind::impressions);

}  // namespace fleetreg::center::web
