// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

struct sockaddr;

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/delivery.hpp"

/// The clients of deliveries (libcurl, at the edge): HTTPS for webhooks,
/// SMTP for e-mail digests.
namespace fleetreg::center {

struct webhook_client_options {
  std::string ca_file;  ///< trusted CAs (PEM); "" = the system's
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< the whole exchange
  std::size_t max_response_bytes = 64 * 1024;                   ///< beyond: the exchange is cut, its status kept
  /// false: an address that is loopback, private, link-local, shared
  /// (100.64/10), unspecified or multicast is never connected to, whatever
  /// name led there (checked on the address the connection is made to, so
  /// a name that resolves differently later gains nothing).
  bool allow_private_addresses = false;
};

/// Why the center does not connect to `addr` as a webhook receiver ("" when
/// it may): loopback, private (RFC 1918, fc00::/7), link-local, shared
/// address space (RFC 6598), unspecified, multicast, broadcast, the
/// reserved 192.0.0/24 and 198.18/15, and IPv4 ones of these mapped into
/// IPv6.
std::string private_address_problem(const struct sockaddr* addr);

/// POSTs with libcurl: https only (no other protocol, also not on a
/// redirect, and redirects are not followed), the peer's certificate and
/// name verified, the timeouts and the response cap above, no proxy (a
/// webhook goes straight to its receiver), and no private address unless
/// the options allow it. Thread-safe (one
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

/// The mail relay of e-mail digests ([email] in the center's config).
struct smtp_options {
  std::string host;  ///< "" = no digests are sent
  std::int64_t port = 587;
  bool starttls = true;  ///< STARTTLS required (the relay not offering it: refused); false: plain SMTP
  std::string user;      ///< AUTH when not empty
  std::string password;  ///< read from [email] password_file
  std::string ca_file;   ///< CAs trusted for the relay (PEM); "" = the system's
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

/// Sends mail through the relay with libcurl: STARTTLS with the relay's
/// certificate and name verified (unless starttls is off), AUTH when a user
/// is set. Thread-safe. Never throws for a transport failure.
class smtp_client {
 public:
  explicit smtp_client(smtp_options options);
  /// "" when the relay took the message for every recipient, else why not.
  std::string send(const std::string& from, const std::vector<std::string>& to, const std::string& message) const;

 private:
  smtp_options options_;
};

/// The webhook client's options from [delivery].
webhook_client_options webhook_options_from(const config& cfg);
/// The relay's options from [email], its password read from password_file.
/// Throws fleetreg::error (config) when that file is unreadable or
/// readable by group or others.
smtp_options smtp_options_from(const config& cfg);

}  // namespace fleetreg::center
