// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/snmp/client.hpp"

namespace fleetreg::collector {

/// The SNMP peers ("udp:A.B.C.D:161") of an IPv4 CIDR range without its network
/// and broadcast addresses (a /31 or /32 gives its addresses as they are).
/// nullopt when malformed or larger than a /16.
std::optional<std::vector<std::string>> expand_cidr(const std::string& cidr, int port = 161);

/// An IPv4 CIDR range's peers as expand_cidr lists them, made one at a time.
class cidr_peers {
 public:
  /// nullopt when malformed or larger than a /16 (as expand_cidr).
  static std::optional<cidr_peers> parse(const std::string& cidr, int port = 161);
  std::size_t size() const { return count_; }
  /// Peer i ("udp:A.B.C.D:PORT"), i < size().
  std::string operator[](std::size_t i) const;

 private:
  cidr_peers(std::uint32_t first, std::uint32_t count, int port) : first_(first), count_(count), port_(port) {}
  std::uint32_t first_, count_;
  int port_;
};

/// Whether `peer` ("udp:A.B.C.D:PORT") is one of expand_cidr(cidr, port)'s
/// peers: inside the range, on that port (the network and broadcast
/// addresses of ranges larger than a /31 are not). False when either is malformed.
bool peer_in_range(const std::string& peer, const std::string& cidr, int port = 161);

/// The most peers a sweep asks at once.
inline constexpr std::size_t max_sweep_concurrency = 4096;

/// Asks every peer at once (at most `concurrency` outstanding, 1 ≤ … ≤
/// max_sweep_concurrency) for the identity objects with Net-SNMP's
/// asynchronous single-session API driven by a Boost.Asio io_context (socket
/// readiness, retransmission timers), so a range costs about
/// (retries + 1) × timeout × ⌈peers / concurrency⌉, not one timeout per
/// address. Each outstanding peer holds one UDP socket: the soft
/// RLIMIT_NOFILE is raised towards the hard one when needed, and the
/// concurrency is lowered to what the descriptors allow (logged).
/// `base` gives the version and credentials: v2c community, or an SNMPv3
/// user, whose engine-ID discovery is an asynchronous probe too (a silent
/// address costs no more than under v2c). Throws std::system_error when the
/// v3 keys cannot be derived.
/// Returns the peers that answered, in the order given. `progress` is called
/// as each peer finishes, with the peers done, their total and how many of
/// those done answered.
using sweep_progress = std::function<void(std::size_t done, std::size_t total, std::size_t answered)>;
std::vector<std::string> sweep(const std::vector<std::string>& peers, const snmp::session_options& base,
                               std::size_t concurrency = 256, const sweep_progress& progress = {});

/// The same over `count` peers named by `peer_at(i)` when the sweep reaches
/// peer i (a /16 is never held as 65,534 strings); a peer whose name is empty
/// is done at once, unasked. Returns the peers that answered, by index.
std::vector<std::string> sweep(std::size_t count, const std::function<std::string(std::size_t)>& peer_at,
                               const snmp::session_options& base, std::size_t concurrency,
                               const sweep_progress& progress = {});

}  // namespace fleetreg::collector
