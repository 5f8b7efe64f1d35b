// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/config.hpp"

#include <unistd.h>

#include <array>
#include <cctype>
#include <filesystem>

#include "fleetreg/center/delivery.hpp"
#include "fleetreg/center/peer.hpp"
#include "fleetreg/center/sql_storage.hpp"
#include "fleetreg/core/config.hpp"
#include "fleetreg/core/error.hpp"

namespace fleetreg::center {

config load_config(const std::string& path) {
  config c;
  std::string file = path;
  if (file.empty() && ::access(default_config_path, F_OK) == 0) file = default_config_path;
  if (!file.empty()) {
    const auto ini = fleetreg::config::ini_file::load(file);
    using namespace std::chrono_literals;
    namespace fc = fleetreg::config;
    const std::array<fc::option, 56> table = {{
        {"center", "listen", fc::string_target{&c.listen, 255}},
        {"center", "tls_certificate", fc::string_target{&c.tls_certificate, 1024}},
        {"center", "tls_key", fc::string_target{&c.tls_key, 1024}},
        {"center", "allow_plain_http", fc::bool_target{&c.allow_plain_http}},
        {"center", "database", fc::string_target{&c.database, 1024}},
        {"center", "secret_file", fc::string_target{&c.secret_file, 1024}},
        {"codes", "validity", fc::duration_target{&c.code_validity, 1min, std::chrono::hours(24 * 90)}},
        {"codes", "validity_max", fc::duration_target{&c.code_validity_max, 1min, std::chrono::hours(24 * 365)}},
        {"credentials", "rotation_overlap",
         fc::duration_target{&c.rotation_overlap, 1min, std::chrono::hours(24 * 90)}},
        {"readings", "max_age", fc::duration_target{&c.max_reading_age, 24h, std::chrono::hours(24 * 3660)}},
        {"readings", "retention",
         fc::duration_target{&c.reading_retention, std::chrono::hours(24 * 62), std::chrono::hours(24 * 36600)}},
        {"codes", "purge_interval", fc::duration_target{&c.purge_interval, 1s, 24h}},
        {"codes", "add_terminals_with_credential", fc::bool_target{&c.add_terminals_with_credential}},
        {"requests", "schedule_interval", fc::duration_target{&c.schedule_interval, 1min, std::chrono::hours(24 * 31)}},
        {"requests", "lease", fc::duration_target{&c.lease, 1s, 24h}},
        {"requests", "max_wait", fc::duration_target{&c.max_wait, 1s, 300s}},
        {"limits", "max_body_bytes", fc::integer_target{&c.max_body_bytes, 1024, 64 << 20}},
        {"limits", "max_terminals_per_registration", fc::integer_target{&c.max_terminals_per_registration, 1, 100000}},
        {"limits", "max_readings_per_batch", fc::integer_target{&c.max_readings_per_batch, 1, 100000}},
        {"limits", "failed_attempts_per_minute", fc::integer_target{&c.failed_attempts_per_minute, 1, 100000}},
        {"limits", "max_long_polls", fc::integer_target{&c.max_long_polls, 1, 1000000}},
        {"limits", "max_long_polls_per_site", fc::integer_target{&c.max_long_polls_per_site, 1, 10000}},
        {"limits", "login_failures_per_account", fc::integer_target{&c.login_failures_per_account, 1, 1000}},
        {"limits", "concurrent_password_hashes", fc::integer_target{&c.concurrent_password_hashes, 1, 64}},
        {"http", "max_header_bytes", fc::integer_target{&c.max_header_bytes, 1024, 1 << 20}},
        {"http", "max_target_bytes", fc::integer_target{&c.max_target_bytes, 256, 1 << 20}},
        {"http", "header_timeout", fc::duration_target{&c.header_timeout, 100ms, 300s}},
        {"http", "body_timeout", fc::duration_target{&c.body_timeout, 100ms, 3600s}},
        {"http", "idle_timeout", fc::duration_target{&c.idle_timeout, 100ms, 3600s}},
        {"http", "tls_handshake_timeout", fc::duration_target{&c.tls_handshake_timeout, 100ms, 300s}},
        {"http", "write_timeout", fc::duration_target{&c.write_timeout, 100ms, 3600s}},
        {"http", "max_connections", fc::integer_target{&c.max_connections, 1, 1000000}},
        {"http", "max_connections_per_peer", fc::integer_target{&c.max_connections_per_peer, 1, 1000000}},
        {"http", "io_threads", fc::integer_target{&c.io_threads, 0, 64}},
        {"http", "worker_threads", fc::integer_target{&c.worker_threads, 1, 256}},
        {"http", "trusted_proxies", fc::string_target{&c.trusted_proxies, 4096}},
        {"monitoring", "stale_after", fc::duration_target{&c.stale_after, 1min, std::chrono::hours(24 * 365)}},
        {"monitoring", "expiring_within", fc::duration_target{&c.expiring_within, 1min, std::chrono::hours(24 * 90)}},
        {"delivery", "ca_file", fc::string_target{&c.delivery_ca_file, 1024}},
        {"delivery", "allow_private_addresses", fc::bool_target{&c.delivery_allow_private_addresses}},
        {"delivery", "threads", fc::integer_target{&c.delivery_threads, 1, 32}},
        {"delivery", "max_webhooks_per_dealer", fc::integer_target{&c.max_webhooks_per_dealer, 0, 100}},
        {"delivery", "retry_base", fc::duration_target{&c.delivery_retry_base, 10ms, 1h}},
        {"delivery", "retry_max", fc::duration_target{&c.delivery_retry_max, 10ms, 24h}},
        {"delivery", "give_up_after", fc::duration_target{&c.delivery_give_up, 1s, std::chrono::hours(24 * 7)}},
        {"delivery", "lease", fc::duration_target{&c.delivery_lease, 1s, 1h}},
        {"delivery", "connect_timeout", fc::duration_target{&c.delivery_connect_timeout, 100ms, 60s}},
        {"delivery", "timeout", fc::duration_target{&c.delivery_timeout, 100ms, 300s}},
        {"email", "smtp_host", fc::string_target{&c.smtp_host, 253}},
        {"email", "smtp_port", fc::integer_target{&c.smtp_port, 1, 65535}},
        {"email", "starttls", fc::bool_target{&c.smtp_starttls}},
        {"email", "user", fc::string_target{&c.smtp_user, 255}},
        {"email", "password_file", fc::string_target{&c.smtp_password_file, 1024}},
        {"email", "ca_file", fc::string_target{&c.smtp_ca_file, 1024}},
        {"email", "from", fc::string_target{&c.mail_from, 254}},
        {"email", "timeout", fc::duration_target{&c.smtp_timeout, 1s, 300s}},
    }};
    fc::apply_options(ini, table);
  }
  if (const auto why = smtp_config_problem(c)) throw configuration_error("[email] " + *why);
  if (c.delivery_retry_base > c.delivery_retry_max)
    throw configuration_error("[delivery] retry_base is longer than retry_max");
  if (c.delivery_lease <= c.delivery_timeout)
    throw configuration_error("[delivery] lease must be longer than timeout (an attempt must end within its lease)");
  if (c.code_validity > c.code_validity_max) throw configuration_error("[codes] validity is longer than validity_max");
  peer::parse_networks(c.trusted_proxies);  // throws configuration_error naming the bad entry
  if (c.listen.starts_with("https://")) {
    if (c.tls_certificate.empty() || c.tls_key.empty())
      throw configuration_error("[center] listen is https but tls_certificate or tls_key is not set");
  } else if (c.listen.starts_with("http://")) {
    if (!c.allow_plain_http)
      throw configuration_error(
          "[center] listen is plain http: set allow_plain_http = yes to allow it "
          "(tests and demos only)");
  } else {
    throw configuration_error("[center] listen must start with https:// or http://");
  }
  // A database that names neither a file nor PostgreSQL fails here, at -t.
  parse_database_location(c.database);
  return c;
}

std::optional<std::string> smtp_config_problem(const config& c) {
  if (c.smtp_host.empty()) {
    if (!c.mail_from.empty() || !c.smtp_user.empty()) return "from or user is set but smtp_host is not";
    return std::nullopt;
  }
  for (const char ch : c.smtp_host)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.'))
      return "smtp_host may hold only letters, digits, '-' and '.' (a name or an IPv4 address)";
  if (c.mail_from.empty()) return "from (the digests' sender address) is required with smtp_host";
  if (const auto why = mail_address_problem(c.mail_from)) return "from: " + *why;
  for (const char ch : c.smtp_user)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return "user holds a control character";
  if (!c.smtp_user.empty() && c.smtp_password_file.empty()) return "user is set but password_file is not";
  return std::nullopt;
}

std::string owner_directory(const config& cfg) {
  const auto where = parse_database_location(cfg.database);
  const auto& file = where.kind == database_location::engine::sqlite ? where.target : cfg.secret_file;
  return std::filesystem::path(file).parent_path().string();
}

}  // namespace fleetreg::center
