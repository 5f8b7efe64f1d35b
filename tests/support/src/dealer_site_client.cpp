// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/dealer_site_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdio>
#include <regex>

#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg::test {

std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

raw_response raw_http(std::uint16_t port, const std::string& method, const std::string& path,
                      const std::string& headers, const std::string& body) {
  raw_response out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  const unique_fd owner(fd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return out;
  const auto request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return out;
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<std::size_t>(n));
  const auto end = all.find("\r\n\r\n");
  if (all.size() < 12 || end == std::string::npos) return out;
  out.status = std::stoi(all.substr(9, 3));
  out.head = all.substr(0, end);
  out.body = all.substr(end + 4);
  return out;
}

std::string cookie_value(const raw_response& r, const std::string& name) {
  const auto at = r.head.find("Set-Cookie: " + name + "=");
  if (at == std::string::npos) return "";
  const auto from = at + 12 + name.size() + 1;
  return r.head.substr(from, r.head.find(';', from) - from);
}

std::string hidden_field(const std::string& page, const std::string& name) {
  std::smatch m;
  if (std::regex_search(page, m, std::regex("name=\"" + name + "\" value=\"([^\"]+)\""))) return m[1];
  return "";
}

std::string form_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

dealer_site_client::dealer_site_client(const std::string& url, std::string session)
    : port_(port_of(url)), session_(std::move(session)) {}

raw_response dealer_site_client::log_in(const std::string& name, const std::string& password) {
  const auto form = raw_http(port_, "GET", "/login", "");
  const auto login_cookie = cookie_value(form, "fleetreg_login");
  auto r =
      raw_http(port_, "POST", "/login",
               "Content-Type: application/x-www-form-urlencoded\r\nCookie: fleetreg_login=" + login_cookie + "\r\n",
               "name=" + form_encode(name) + "&password=" + form_encode(password) +
                   "&login_csrf=" + form_encode(hidden_field(form.body, "login_csrf")));
  if (r.status == 303) session_ = cookie_value(r, "fleetreg_session");
  return r;
}

raw_response dealer_site_client::get(const std::string& path) const {
  return raw_http(port_, "GET", path, "Cookie: fleetreg_session=" + session_ + "\r\n");
}

raw_response dealer_site_client::post_form(const std::string& path, const std::string& fields) const {
  return raw_http(port_, "POST", path,
                  "Content-Type: application/x-www-form-urlencoded\r\nCookie: fleetreg_session=" + session_ + "\r\n",
                  fields);
}

std::string dealer_site_client::csrf(const std::string& path) const { return hidden_field(get(path).body, "csrf"); }

}  // namespace fleetreg::test
