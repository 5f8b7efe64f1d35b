// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Client addresses as the center's limits see them: IPv4 addresses, IPv6
/// /64 prefixes (one customer network, however many addresses it uses), and
/// the trusted reverse proxies whose Forwarded / X-Forwarded-For headers are
/// believed. Pure functions, no I/O.
namespace fleetreg::center::peer {

/// An IPv6 address; IPv4 addresses are held IPv4-mapped (::ffff:a.b.c.d).
using address = std::array<std::uint8_t, 16>;

/// Parses "192.0.2.1", "2001:db8::1", "[2001:db8::1]" or "::ffff:192.0.2.1";
/// nullopt when it is none of those.
std::optional<address> parse_address(std::string_view text);

/// The address in its usual text form (IPv4-mapped addresses as IPv4).
std::string to_string(const address& a);

/// A network: address and prefix length (0..128; an IPv4 /24 is held as /120).
struct network {
  address base{};
  int bits = 0;
  bool contains(const address& a) const;
};

/// Parses "192.0.2.0/24, 2001:db8::/32, 127.0.0.1" (commas or spaces between,
/// a plain address is a host route). Throws configuration_error naming the
/// first entry that is not a network.
std::vector<network> parse_networks(std::string_view list);

/// The key a client is counted under: the IPv4 address, or the IPv6 /64
/// ("2001:db8:1:2::/64"). Text that is not an address is its own key.
std::string limit_key(std::string_view client);

/// The client's address: `socket_peer` itself unless it is one of `trusted`,
/// in which case the right-most address of X-Forwarded-For (or of the
/// Forwarded header's for= parameters) that is not itself trusted. Headers are
/// ignored from untrusted peers; garbage in them falls back to `socket_peer`.
std::string client_address(std::string_view socket_peer, std::string_view forwarded, std::string_view x_forwarded_for,
                           const std::vector<network>& trusted);

}  // namespace fleetreg::center::peer
