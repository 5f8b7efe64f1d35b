// SPDX-License-Identifier: Apache-2.0
#include "html.hpp"

#include "fleetreg/center/http.hpp"

#include <cctype>

namespace fleetreg::center::html {
namespace {

// Form fields decode like query parameters ('+' is a space).
std::optional<std::string> decode(std::string_view s) {
  std::string out;
  if (!http::percent_decode(s, out, true)) return std::nullopt;
  return out;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_form(std::string_view body, std::size_t max_fields,
                                                             std::size_t max_value) {
  std::map<std::string, std::string> out;
  std::size_t fields = 0;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    if (++fields > max_fields) return std::nullopt;
    const auto eq = pair.find('=');
    const auto key = decode(pair.substr(0, eq));
    const auto value = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key || !value || key->size() > 64 || value->size() > max_value) return std::nullopt;
    out[*key] = *value;
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

}  // namespace fleetreg::center::html
