// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/storage.hpp"
#include "fleetreg/core/clock.hpp"

namespace fleetreg::center {

/// The dealer and operator actions shared by fleetreg-centerctl, the dealer
/// site and the API: accounts, codes, credentials, requests, tokens, purge.
/// Every action is audited. Refusals throw fleetreg::error with a sentence a
/// serviceperson understands (exit code data or failure); nothing is changed then.
class operations {
 public:
  operations(storage& st, const clock& clk, const config& cfg, const crypto::digest& server_key);

  storage& store() { return store_; }
  const clock& now_source() const { return clock_; }
  const config& settings() const { return config_; }
  const crypto::digest& server_key() const { return key_; }

  /// Creates a dealer or admin account with an argon2id password hash.
  void create_account(const std::string& actor, const std::string& name, role r, const std::string& password);
  /// The account `name`, or throws "no such account".
  account require_account(const std::string& name);

  struct issued_code {
    std::string code;  ///< shown once, never stored
    code_record record;
  };
  /// Issues a provisional code for an authorized user on behalf of `dealer`.
  issued_code issue_code(const account& dealer, const std::string& customer, const std::string& contact,
                         const std::string& reference);

  /// The code record a typed code stands for, when it is known, unexpired and
  /// unpurged; else nullopt and `why_code` (malformed, unknown, expired).
  std::optional<code_record> check_code(const std::string& typed, std::string& why_code, std::string& why);

  /// The site `site_id` when `acting` may act on it (its dealer, or an admin).
  site require_site(const account& acting, const std::string& site_id);

  /// Revokes every credential of a site (it stops reporting at once).
  void revoke(const account& acting, const std::string& site_id);
  /// Revokes and issues a new credential; returns it (shown once).
  std::string rotate(const account& acting, const std::string& site_id);
  /// Queues an on-demand request for running status; returns its id.
  std::string request_reading(const account& acting, const std::string& site_id);
  /// Moves a terminal to another site (another customer, e.g. a lease that
  /// changed hands). `acting` must be able to act on both sites.
  void transfer_terminal(const account& acting, const std::string& key, const std::string& to_site_id);
  /// Takes a terminal out of service (sold, scrapped); its readings stay.
  void retire_terminal(const account& acting, const std::string& key);
  /// Issues a read-only monitoring token (shown once).
  std::string issue_monitoring_token(const std::string& actor, const std::string& name);
  /// Drops the hashes of expired codes; audit keeps who issued them for whom.
  std::int64_t purge(const std::string& actor);

 private:
  storage& store_;
  const clock& clock_;
  const config& config_;
  crypto::digest key_;
};

}  // namespace fleetreg::center
