// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

/// Small pieces of the dealer site: HTML escaping, form parsing, URL encoding.
namespace fleetreg::center::html {

/// Text for HTML content and attribute values (& < > " ').
std::string escape(std::string_view text);

/// An application/x-www-form-urlencoded body → fields (last one wins).
/// nullopt when malformed, over `max_fields` fields or a value over `max_value` bytes.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body, std::size_t max_fields = 32,
                                                             std::size_t max_value = 4096);

/// Percent-encoding for a path segment or query value.
std::string url_encode(std::string_view text);

}  // namespace fleetreg::center::html
