// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "fleetreg/center/delivery.hpp"

/// The HTTPS client of webhook deliveries (libcurl, at the edge).
namespace fleetreg::center {

struct webhook_client_options {
  std::string ca_file;  ///< trusted CAs (PEM); "" = the system's
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< the whole exchange
  std::size_t max_response_bytes = 64 * 1024;                   ///< beyond: the exchange is cut, its status kept
};

/// POSTs with libcurl: https only (no other protocol, also not on a
/// redirect, and redirects are not followed), the peer's certificate and
/// name verified, the timeouts and the response cap above. Thread-safe (one
/// easy handle per call). Never throws for a transport failure: the
/// response's error says it.
class webhook_client {
 public:
  explicit webhook_client(webhook_client_options options);
  webhook_response post(const webhook_request& request) const;
  /// Ends every exchange in flight within about a second, and every later
  /// one at once (the center stopping).
  void cancel() noexcept { cancelled_ = true; }

 private:
  webhook_client_options options_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace fleetreg::center
