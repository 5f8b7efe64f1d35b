// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

/// The center's configuration (/etc/fleetreg/center.conf).
namespace fleetreg::center {

inline constexpr const char* default_config_path = "/etc/fleetreg/center.conf";

struct config {
  // [center]
  std::string listen = "https://0.0.0.0:8443";  ///< scheme://address:port
  std::string tls_certificate;                  ///< PEM chain, required for https
  std::string tls_key;                          ///< PEM private key
  bool allow_plain_http = false;                ///< http:// refused unless set
  std::string database = "/var/lib/fleetreg-center/center.db";
  std::string secret_file = "/etc/fleetreg/center.secret";
  // [codes]
  std::chrono::milliseconds code_validity{std::chrono::hours(24 * 7)};       ///< when neither issuer nor dealer chooses
  std::chrono::milliseconds code_validity_max{std::chrono::hours(24 * 90)};  ///< the longest an issuer may choose
  std::chrono::milliseconds purge_interval{std::chrono::hours(1)};
  bool add_terminals_with_credential = true;  ///< else a fresh code is needed
  // [requests]
  std::chrono::milliseconds schedule_interval{std::chrono::hours(24)};
  std::chrono::milliseconds lease{std::chrono::minutes(5)};
  std::chrono::milliseconds max_wait{std::chrono::seconds(60)};
  // [credentials]
  /// After a rotation is requested, the old credential works until the new
  /// one is used, or for this long.
  std::chrono::milliseconds rotation_overlap{std::chrono::hours(24 * 7)};
  // [readings]
  /// Readings taken longer ago are refused (too_old).
  std::chrono::milliseconds max_reading_age{std::chrono::hours(24 * 400)};
  /// Readings taken longer ago are pruned to their monthly summary (first,
  /// last, resets) by the purge job: about 25 months.
  std::chrono::milliseconds reading_retention{std::chrono::hours(24 * 762)};
  // [limits]
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t max_terminals_per_registration = 1000;
  std::int64_t max_readings_per_batch = 1000;
  std::int64_t failed_attempts_per_minute = 10;  ///< per source (IPv4 address, IPv6 /64) and kind
  std::int64_t max_long_polls = 20000;
  std::int64_t max_long_polls_per_site = 4;     ///< beyond: 429 + Retry-After
  std::int64_t login_failures_per_account = 5;  ///< per 15 minutes, whatever the source
  std::int64_t concurrent_password_hashes = 2;  ///< beyond: 503 + Retry-After
  // [http]
  std::int64_t max_header_bytes = 16 * 1024;                           ///< request line + headers; beyond: 431
  std::int64_t max_target_bytes = 8 * 1024;                            ///< request target; beyond: 414
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};  ///< first byte → blank line
  std::chrono::milliseconds body_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  ///< keep-alive between requests
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  std::int64_t max_connections = 30000;
  std::int64_t max_connections_per_peer = 1000;  ///< per IPv4 address or IPv6 /64
  std::int64_t io_threads = 0;                   ///< 0 = one per core (at most 4)
  std::int64_t worker_threads = 32;  ///< run handlers that touch the database (uploads wait for the group commit)
  std::string trusted_proxies;       ///< CIDR list: only these may set Forwarded / X-Forwarded-For
  // [monitoring]
  std::chrono::milliseconds stale_after{std::chrono::hours(48)};
  std::chrono::milliseconds expiring_within{std::chrono::hours(24)};
  // [delivery] (webhooks, issue 19 step 4)
  std::string delivery_ca_file;                   ///< CAs trusted for webhooks (PEM); "" = the system's
  bool delivery_allow_private_addresses = false;  ///< webhooks to loopback/private/link-local addresses
  std::int64_t delivery_threads = 4;              ///< requests in flight at most, per center
  std::int64_t max_webhooks_per_dealer = 10;
  std::chrono::milliseconds delivery_retry_base{std::chrono::seconds(30)};  ///< first retry after about this
  std::chrono::milliseconds delivery_retry_max{std::chrono::hours(1)};      ///< backoff cap
  std::chrono::milliseconds delivery_give_up{std::chrono::hours(24)};       ///< then marked failed
  std::chrono::milliseconds delivery_lease{std::chrono::seconds(60)};       ///< a claimed attempt's
  std::chrono::milliseconds delivery_connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds delivery_timeout{std::chrono::seconds(10)};
  // [email] (digests of alert events, issue 19 step 4)
  std::string smtp_host;  ///< "" = no digests
  std::int64_t smtp_port = 587;
  bool smtp_starttls = true;       ///< required unless turned off
  std::string smtp_user;           ///< AUTH when set
  std::string smtp_password_file;  ///< the AUTH password (one line; not readable by group or others)
  std::string smtp_ca_file;        ///< CAs trusted for the relay (PEM); "" = the system's
  std::string mail_from;           ///< the digests' From address (required with smtp_host)
  std::chrono::milliseconds smtp_timeout{std::chrono::seconds(30)};
};

/// Loads `path` over the defaults (the default path when empty; missing
/// default file = defaults). Throws configuration_error, also when the
/// combination is unusable (https without certificate, http not allowed).
config load_config(const std::string& path);
/// Why the [email] settings of `c` are unusable (a relay without a valid
/// From address, a host with characters a host name has not, a user
/// without a password file), or nullopt. Pure: load_config calls it.
std::optional<std::string> smtp_config_problem(const config& c);
/// The directory whose owner the center and centerctl run as when started as
/// root: the SQLite database's, or for PostgreSQL the server key file's.
std::string owner_directory(const config& cfg);

}  // namespace fleetreg::center
