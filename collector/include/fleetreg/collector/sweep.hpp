// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
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

/// Asks every peer at once (at most `concurrency` outstanding, ≤ 512) for the
/// identity objects with Net-SNMP's asynchronous single-session API driven by
/// a Boost.Asio io_context (socket readiness, retransmission timers), so a
/// range costs about (retries + 1) × timeout, not one timeout per address.
/// `base` gives the version and credentials: v2c community, or an SNMPv3
/// user, whose engine-ID discovery is an asynchronous probe too (a silent
/// address costs no more than under v2c). Throws std::system_error when the
/// v3 keys cannot be derived.
/// Returns the peers that answered, in the order given. `progress` is called
/// as peers finish.
std::vector<std::string> sweep(const std::vector<std::string>& peers, const snmp::session_options& base,
                               std::size_t concurrency = 256,
                               const std::function<void(std::size_t done, std::size_t total)>& progress = {});

}  // namespace fleetreg::collector
