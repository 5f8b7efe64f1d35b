// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/peer.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "fleetreg/core/error.hpp"

namespace fleetreg::center::peer {
namespace {

bool is_v4_mapped(const address& a) {
  static constexpr std::array<std::uint8_t, 12> prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(prefix.begin(), prefix.end(), a.begin());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on any of `separators`, skipping empty items.
std::vector<std::string_view> split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = s.find_first_of(separators, start);
    const auto item = trim(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!item.empty()) out.push_back(item);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<address> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  address a{};
  in_addr v4{};
  if (::inet_pton(AF_INET, buf, &v4) == 1) {
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(a.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

std::string to_string(const address& a) {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4_mapped(a)) return ::inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf) ? buf : "?";
  return ::inet_ntop(AF_INET6, a.data(), buf, sizeof buf) ? buf : "?";
}

bool network::contains(const address& a) const {
  int left = bits;
  for (std::size_t i = 0; i < 16 && left > 0; ++i, left -= 8) {
    const auto mask = static_cast<std::uint8_t>(left >= 8 ? 0xff : 0xff << (8 - left));
    if ((a[i] & mask) != (base[i] & mask)) return false;
  }
  return true;
}

std::vector<network> parse_networks(std::string_view list) {
  std::vector<network> out;
  for (const auto item : split(list, ", \t")) {
    const auto slash = item.find('/');
    const auto addr = parse_address(item.substr(0, slash));
    if (!addr) throw configuration_error("trusted_proxies: '" + std::string(item) + "' is not an address or network");
    network n;
    n.base = *addr;
    const bool v4 = is_v4_mapped(*addr) && item.find(':') == std::string_view::npos;
    n.bits = 128;
    if (slash != std::string_view::npos) {
      const auto len = item.substr(slash + 1);
      int bits = -1;
      const auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
      if (ec != std::errc{} || ptr != len.data() + len.size() || bits < 0 || bits > (v4 ? 32 : 128))
        throw configuration_error("trusted_proxies: '" + std::string(item) + "' has a bad prefix length");
      n.bits = v4 ? bits + 96 : bits;
    }
    out.push_back(n);
  }
  return out;
}

std::string limit_key(std::string_view client) {
  const auto a = parse_address(client);
  if (!a) return std::string(client);
  if (is_v4_mapped(*a)) return to_string(*a);
  address prefix{};
  std::copy(a->begin(), a->begin() + 8, prefix.begin());
  return to_string(prefix) + "/64";
}

std::string client_address(std::string_view socket_peer, std::string_view forwarded, std::string_view x_forwarded_for,
                           const std::vector<network>& trusted) {
  auto is_trusted = [&](const address& a) {
    return std::any_of(trusted.begin(), trusted.end(), [&](const network& n) { return n.contains(a); });
  };
  const auto self = parse_address(socket_peer);
  if (!self || !is_trusted(*self)) return std::string(socket_peer);
  // Hops in order, client first; the right-most untrusted one is the client
  // (everything left of it could have been written by that client).
  std::vector<std::string_view> hops;
  if (!forwarded.empty()) {
    for (const auto element : split(forwarded, ","))
      for (const auto pair : split(element, ";")) {
        if (pair.size() < 4) continue;
        std::string name(pair.substr(0, 4));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name != "for=") continue;
        auto value = pair.substr(4);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        // "[2001:db8::1]:4711" or "192.0.2.1:4711": drop the port.
        if (!value.empty() && value.front() == '[') {
          const auto close = value.find(']');
          value = close == std::string_view::npos ? std::string_view() : value.substr(0, close + 1);
        } else if (std::count(value.begin(), value.end(), ':') == 1) {
          value = value.substr(0, value.find(':'));
        }
        hops.push_back(value);
      }
  } else {
    hops = split(x_forwarded_for, ",");
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const auto a = parse_address(*it);
    if (!a) return std::string(socket_peer);  // garbage: believe nobody
    if (!is_trusted(*a)) return to_string(*a);
  }
  return std::string(socket_peer);
}

}  // namespace fleetreg::center::peer
