// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"

/// What the center stores: DB1 (provisional codes) and DB2 (sites,
/// terminals, credentials, requests, readings), plus accounts and the audit log.
namespace fleetreg::center {

enum class role { dealer, admin };

struct account {
  std::int64_t id = 0;
  std::string name;
  center::role role = role::dealer;
  std::string password_hash;  ///< argon2id (libsodium crypto_pwhash_str)
  bool disabled = false;
};

/// A provisional code's record. The code itself is never stored: only its
/// keyed hash, which goes when the code is purged; this record stays.
struct code_record {
  std::int64_t id = 0;
  std::int64_t dealer_id = 0;
  std::string dealer_name;
  std::string customer;
  std::string contact;
  std::string reference;
  time_point issued_at{};
  time_point expires_at{};
  std::optional<time_point> purged_at;
  std::int64_t terminals_registered = 0;
};

/// Who registered a site.
struct registering_side {
  std::string kind;  ///< "collector" or "terminal"
  std::string name;  ///< collector host name, or the terminal key
};

struct site {
  std::string id;  ///< UUID
  std::string customer;
  std::int64_t dealer_id = 0;
  registering_side side;
  std::int64_t code_id = 0;
  time_point created_at{};
  std::optional<time_point> last_contact;
  bool credential_active = false;
};

struct terminal_record {
  std::string key;
  std::string site_id;
  identity id;
  time_point registered_at{};
  std::optional<time_point> last_reading_at;
};

/// A request for running status, queued per site.
struct status_request {
  std::string id;  ///< UUID
  std::string site_id;
  std::string kind;  ///< "scheduled" or "on-demand"
  time_point created_at{};
  std::optional<time_point> answered_at;
};

/// A stored reading, with the flag the center sets.
struct stored_reading {
  reading r;
  std::string site_id;
  time_point received_at{};
  bool counter_reset = false;  ///< a counter went down: reset or device swap
};

/// A dealer site login session (only a hash of its cookie is stored).
struct web_session {
  std::int64_t account_id = 0;
  std::string csrf;  ///< the token every form of this session carries
  time_point expires_at{};
};

/// One line of the audit log.
struct audit_entry {
  time_point at{};
  std::string actor;
  std::string action;   ///< "code.issue", "credential.revoke", ...
  std::string subject;  ///< site id, terminal key, account, customer
  std::string detail;
};

/// Figures for monitoring (/api/v1/status, /metrics).
struct status_counts {
  std::int64_t sites = 0;
  std::int64_t terminals = 0;
  std::int64_t stale_terminals = 0;
  std::int64_t unanswered_requests = 0;
  std::int64_t codes_active = 0;
  std::int64_t codes_expiring_soon = 0;
  std::int64_t readings = 0;
  std::optional<time_point> last_purge;
};

}  // namespace fleetreg::center
