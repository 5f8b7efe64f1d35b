// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "fleetreg/snmp/oid.hpp"
#include "fleetreg/snmp/value.hpp"

namespace fleetreg::snmp {

enum class snmp_version { v1, v2c, v3 };
enum class security_level { no_auth_no_priv, auth_no_priv, auth_priv };
enum class auth_protocol { sha1, sha256, sha512 };
enum class priv_protocol { aes128 };

/// How to reach one agent.
struct session_options {
  std::string peer = "udp:127.0.0.1:161";  ///< Net-SNMP transport address
  snmp_version version = snmp_version::v2c;
  std::string community = "public";  ///< v1/v2c
  std::string user;                  ///< v3 security name
  security_level level = security_level::auth_priv;
  auth_protocol auth = auth_protocol::sha256;
  std::string auth_passphrase;  ///< ≥ 8 characters
  priv_protocol priv = priv_protocol::aes128;
  std::string priv_passphrase;  ///< ≥ 8 characters
  std::chrono::milliseconds timeout{1000};
  int retries = 1;
};

/// A synchronous SNMP client over Net-SNMP's single-session API (one client
/// per thread). Per-request failures come back as std::error_code: timeouts
/// and transport errors in api_category(), error-status in pdu_category().
class client {
 public:
  /// Opens a session (for v3 this discovers the engine ID synchronously).
  /// Throws std::system_error (api_category) when the session cannot open.
  explicit client(const session_options& options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// GET of several objects in one PDU.
  std::vector<varbind> get(const std::vector<oid_vector>& oids, std::error_code& ec);
  /// GETNEXT of several objects in one PDU.
  std::vector<varbind> get_next(const std::vector<oid_vector>& oids, std::error_code& ec);
  /// Every object under `root` (GETBULK for v2c/v3, GETNEXT for v1), at most `max` rows.
  std::vector<varbind> walk(const oid_vector& root, std::error_code& ec, std::size_t max = 100000);
  /// Every object under each of `roots`, walked side by side: one GETBULK
  /// carries a cursor per unfinished subtree, so a device's tables cost the
  /// round trips of the longest one rather than their sum (GETNEXT in turn
  /// for v1). The repetitions per request start at `repetitions` and halve
  /// on tooBig. At most `max` varbinds in all; an error ends the walk with
  /// what was read so far and `ec` set. `round_trips`, when given, is
  /// incremented per request.
  std::vector<varbind> walk_many(const std::vector<oid_vector>& roots, std::error_code& ec, std::size_t max = 100000,
                                 int repetitions = 32, std::size_t* round_trips = nullptr);
  /// SET of several objects in one PDU; on an error-status, `error_index` is the
  /// 1-based varbind it names.
  void set(const std::vector<varbind>& vbs, std::error_code& ec, long* error_index = nullptr);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fleetreg::snmp
