// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/http.hpp"

namespace fleetreg::center::http {

std::string request::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string request::cookie(const std::string& name) const {
  const auto all = parse_cookies(header("cookie"));
  const auto it = all.find(name);
  return it == all.end() ? std::string() : it->second;
}

std::map<std::string, std::string> parse_cookies(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    const auto semi = header.find(';');
    auto item = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return out;
}

response json_response(int status, const json::value& body) {
  response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::value::error_handler_t::replace);
  return r;
}

response error_response(int status, const std::string& code, const std::string& message, const json::value& extra) {
  json::value error = {{"code", code}, {"message", message}};
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) error[k] = v;
  return json_response(status, {{"error", std::move(error)}});
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

bool parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query,
                  std::string& why, std::size_t max_parameters) {
  query.clear();
  const auto q = target.find('?');
  const auto raw_path = target.substr(0, q);
  if (raw_path.empty() || raw_path.front() != '/') {
    why = "the request target must be an absolute path";
    return false;
  }
  if (!percent_decode(raw_path, path)) {
    why = "the path has a malformed percent escape";
    return false;
  }
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f) {
      why = "the path contains a control character";
      return false;
    }
  if (q == std::string_view::npos) return true;
  auto rest = target.substr(q + 1);
  const auto fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  std::size_t count = 0;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    if (++count > max_parameters) {
      why = "more than " + std::to_string(max_parameters) + " query parameters";
      return false;
    }
    const auto eq = pair.find('=');
    std::string name, value;
    if (!percent_decode(pair.substr(0, eq), name, true) ||
        (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value, true))) {
      why = "the query has a malformed percent escape";
      return false;
    }
    query.emplace(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace fleetreg::center::http
