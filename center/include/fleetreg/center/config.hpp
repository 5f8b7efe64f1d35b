// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
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
  std::chrono::milliseconds code_validity{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds purge_interval{std::chrono::hours(1)};
  bool add_terminals_with_credential = true;  ///< else a fresh code is needed
  // [requests]
  std::chrono::milliseconds schedule_interval{std::chrono::hours(24)};
  std::chrono::milliseconds lease{std::chrono::minutes(5)};
  std::chrono::milliseconds max_wait{std::chrono::seconds(60)};
  // [limits]
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t max_terminals_per_registration = 1000;
  std::int64_t max_readings_per_batch = 1000;
  std::int64_t failed_attempts_per_minute = 10;  ///< per source address
  std::int64_t max_long_polls = 20000;
  // [monitoring]
  std::chrono::milliseconds stale_after{std::chrono::hours(48)};
  std::chrono::milliseconds expiring_within{std::chrono::hours(24)};
};

/// Loads `path` over the defaults (the default path when empty; missing
/// default file = defaults). Throws configuration_error, also when the
/// combination is unusable (https without certificate, http not allowed).
config load_config(const std::string& path);

}  // namespace fleetreg::center
