// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/center/alerts.hpp"
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
  /// The validity of this dealer's codes when the issuer chooses none.
  std::optional<std::chrono::seconds> code_validity;
  /// How this dealer weights clicks in billing ("key=factor,…"; see billing_weights).
  std::string billing_weights;
  /// The dealer's alert thresholds and order lead time (issue 19).
  alert_settings alerts;
  /// Where the dealer's e-mail digest of alert events goes ("a@b, c@d";
  /// "" = no digest) and how often at most (issue 19 step 4).
  std::string digest_recipients;
  std::chrono::seconds digest_interval{3600};
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
  std::optional<time_point> revoked_at;  ///< ended early by the dealer
  bool single_site = false;              ///< registers one site only
  std::int64_t sites_registered = 0;
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
  /// A new credential is on its way to the site (rotation not confirmed yet).
  std::optional<time_point> rotation_requested_at;
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
  bool late = false;           ///< taken inside a closed billing period: never billed
};

/// A registration that named a terminal held by another customer's site:
/// the holder's dealer accepts (the terminal moves) or refuses it.
struct claim {
  std::int64_t id = 0;
  std::string key;
  std::string holder_site_id;
  std::string claimant_site_id;
  std::string claimant_customer;
  std::int64_t claimant_dealer_id = 0;
  identity terminal;
  time_point created_at{};
  std::string state;  ///< "pending", "accepted", "refused", "withdrawn"
  std::optional<time_point> decided_at;
  std::string decided_by;
};

/// What the center answered for one terminal of a registration.
struct terminal_answer {
  std::string key;
  /// "registered", "already_yours", "pending_claim" or "refused".
  std::string status;
  std::string reason;  ///< for pending_claim and refused: a code, the same whether or not the key exists elsewhere
};

/// What the center answered for one reading of a batch.
struct reading_answer {
  std::string id;
  std::string status;  ///< "stored", "duplicate" or "refused"
  std::string reason;  ///< for refused: not_at_site, too_old, before_ownership, invalid
  bool late = false;   ///< stored, inside a closed billing period
};

/// A monitoring token (read status and metrics) or a dealer API token (read
/// one dealer's billing).
struct api_token {
  std::int64_t id = 0;
  std::string name;
  std::string scope;  ///< "monitoring" or "billing"
  std::optional<std::int64_t> dealer_id;
  std::string dealer_name;
  time_point created_at{};
  std::optional<time_point> revoked_at;
  std::optional<time_point> last_used_at;
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

/// An alert (issue 19): a condition of a terminal, a site or a code, from
/// raised to cleared. Its id is its event id (unique in the database: a
/// delivery keyed on it is deduplicated).
struct alert {
  std::int64_t id = 0;
  std::int64_t dealer_id = 0;
  std::string site_id;                 ///< "" for a code's alert
  std::string customer;                ///< of the site, or the code's
  std::string terminal_key;            ///< "" for a site's or code's alert
  std::int64_t code_id = 0;            ///< a code_expiring alert's code, else 0
  std::string kind;                    ///< one of alert_kinds
  std::optional<std::int32_t> supply;  ///< the supply's index for supply alerts
  std::string code;                    ///< a device alert's condition ("jam"), else ""
  std::string severity;                ///< "warning" or "critical"
  std::string detail;                  ///< for people; may hold a device's own words
  time_point raised_at{};
  std::optional<time_point> acknowledged_at;
  std::string acknowledged_by;
  std::optional<time_point> cleared_at;
  std::string cleared_by;  ///< an account, "reading", "contact" or "center"
};

/// One step of an alert's history: raised, acknowledged, cleared.
struct alert_transition {
  std::int64_t id = 0;  ///< grows with every transition in the database
  std::int64_t alert_id = 0;
  time_point at{};
  std::string state;  ///< "raised", "acknowledged" or "cleared"
  std::string actor;
  std::string kind;     ///< the alert's
  std::string subject;  ///< "terminal:<key>", "site:<id>" or "code:<id>"
};

/// A dealer's webhook (issue 19 step 4): alert events are POSTed to `url`
/// signed with a secret derived from the server key and `salt`.
struct webhook {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string url;   ///< https://… (validate_webhook_url)
  std::string salt;  ///< 64 hex digits; not the secret (see delivery.hpp)
  time_point created_at{};
  time_point blocked_until{};  ///< after a failure: no attempt to it before
};

/// One event on its way to one webhook: the durable queue's row.
struct delivery {
  std::int64_t id = 0;
  std::int64_t webhook_id = 0;
  std::int64_t event_id = 0;  ///< the alert_history row it carries
  std::string url;            ///< the webhook's
  std::string state;          ///< "pending", "delivered" or "failed"
  std::int64_t attempts = 0;
  time_point created_at{};
  std::optional<time_point> next_attempt_at;  ///< while pending
  std::optional<time_point> last_attempt_at;
  std::int64_t last_status = 0;  ///< the receiver's HTTP status, 0 when none
  std::string last_error;        ///< why the last attempt failed, "" when it did not
  std::optional<time_point> delivered_at;
  std::optional<time_point> failed_at;
};

/// A delivery claimed for one attempt, with what the request needs.
struct delivery_job {
  delivery d;
  webhook hook;
  alert_transition event;
  alert subject;  ///< the alert as it is now
};

/// What one attempt ended with (finish_delivery).
struct delivery_outcome {
  enum class kind { delivered, retry, failed } result = kind::delivered;
  std::int64_t status = 0;       ///< HTTP status, 0 when none came
  std::string error;             ///< "" when delivered
  time_point next_attempt_at{};  ///< retry: this delivery's next attempt
  time_point blocked_until{};    ///< retry/failed: the webhook's next attempt at all
};

/// A dealer's e-mail digest claimed for sending: the transitions since
/// the last one sent, oldest first, each with its alert as it is now.
struct digest_batch {
  account dealer;
  std::vector<std::pair<alert_transition, alert>> items;
};

/// Which alerts a list shows.
struct alert_query {
  std::optional<std::int64_t> dealer_id;  ///< nullopt: every dealer's
  bool open_only = true;
  std::string kind;      ///< "" for any
  std::string severity;  ///< "" for any
  std::string site_id;   ///< "" for any
  std::string terminal_key;
  std::size_t limit = 500;
};

/// A terminal's health on the fleet dashboard (issue 19), from its open
/// alerts: each terminal is in exactly one state, the first that holds of
/// silent (an open terminal_silent alert, or no reading ever, or none for its
/// dealer's terminal-silent), critical (an open critical alert), warning (an
/// open warning alert), healthy (none of those).
enum class fleet_state { healthy, warning, critical, silent };
/// "healthy", "warning", "critical", "silent".
std::string_view to_string(fleet_state s) noexcept;
/// The state named `name` (as to_string writes it), or nullopt.
std::optional<fleet_state> parse_fleet_state(std::string_view name) noexcept;

/// How many terminals are in each fleet_state.
struct fleet_counts {
  std::int64_t healthy = 0, warning = 0, critical = 0, silent = 0;
  std::int64_t open_alerts = 0;  ///< every open alert (of terminals, sites and codes)
  std::int64_t of(fleet_state s) const noexcept;
  std::int64_t total() const noexcept { return healthy + warning + critical + silent; }
};

/// A terminal of a fleet_state list, with its site's customer.
struct fleet_terminal {
  terminal_record terminal;
  std::string customer;
  fleet_state state = fleet_state::healthy;
};

/// One terminal's counters at the month boundaries b_0 < … < b_n of the
/// fleet's monthly volume (storage::fleet_month_marks), as sent by one site.
struct month_marks {
  std::string site_id;
  std::string terminal_key;
  /// Per boundary i (n + 1 of them): the newest reading taken before b_i,
  /// or when there is none the oldest taken in [b_i, b_{i+1}) (none for i =
  /// n); only its taken time, counters and site are filled.
  std::vector<std::optional<stored_reading>> marks;
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

/// Open alerts of one kind and severity (storage::dealer_monitoring).
struct open_alert_count {
  std::string kind;
  std::string severity;  ///< "warning" or "critical"
  std::int64_t count = 0;
};

/// One dealer's figures for monitoring (/metrics, /api/v1/status?dealer=).
struct dealer_health {
  std::string dealer;  ///< the account's name
  /// Terminals of the dealer's sites with an active credential that have no
  /// reading (or registration) for the dealer's terminal_silent.
  std::int64_t terminals_silent = 0;
  /// Open alerts by kind and severity, non-zero counts only, by kind then severity.
  std::vector<open_alert_count> alerts_open;
};

}  // namespace fleetreg::center
