// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fleetreg/center/records.hpp"

namespace fleetreg::center {

/// Outcome of one atomic registration.
struct registration_result {
  enum class kind { created, retried, conflict } outcome = kind::created;
  std::string site_id;
  std::vector<terminal_record> terminals;
  std::string conflict_key;  ///< the terminal registered elsewhere
  bool conflict_same_customer = false;
};

/// What the service asks the storage to register, all in one transaction.
struct registration_input {
  std::int64_t code_id = 0;
  std::string idempotency_key;  ///< may be empty
  registering_side side;
  std::vector<std::pair<std::string, identity>> terminals;  ///< key, identity
  std::vector<unsigned char> credential_hash;
  time_point now{};
};

/// Outcome of storing a batch of readings.
struct readings_result {
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::int64_t resets = 0;
  std::string unknown_terminal;  ///< set when the batch was refused
};

/// The center's store. Each method is one atomic operation (one transaction),
/// written in plain SQL that a PostgreSQL backend can implement the same way.
/// Methods throw std::system_error on database failure; business refusals
/// come back in the results.
class storage {
 public:
  virtual ~storage() = default;

  // Accounts.
  /// Adds an account; false when the name is taken.
  virtual bool add_account(const std::string& name, role r, const std::string& password_hash, time_point now) = 0;
  virtual std::optional<account> find_account(const std::string& name) = 0;
  virtual std::optional<account> find_account(std::int64_t id) = 0;

  // DB1: provisional codes.
  virtual std::int64_t add_code(const code_record& c, std::span<const unsigned char> hash) = 0;
  /// The unpurged code with this keyed hash (expired ones included: the service decides).
  virtual std::optional<code_record> find_code(std::span<const unsigned char> hash) = 0;
  /// Codes issued by `dealer_id` (all dealers when nullopt), newest first.
  virtual std::vector<code_record> list_codes(std::optional<std::int64_t> dealer_id) = 0;
  /// Drops the hash of every code expired at `now`; returns how many.
  virtual std::int64_t purge_codes(time_point now) = 0;

  // DB2: registration and credentials.
  virtual registration_result register_site(const registration_input& in) = 0;
  /// The site whose active credential has this hash; marks the credential used.
  virtual std::optional<site> site_by_credential(std::span<const unsigned char> hash, time_point now) = 0;
  virtual std::optional<site> find_site(const std::string& id) = 0;
  virtual std::vector<site> list_sites(std::optional<std::int64_t> dealer_id) = 0;
  /// Revokes every credential of the site; with `replacement` set, adds it as
  /// the new active credential in the same transaction (rotation).
  virtual void replace_credentials(const std::string& site_id,
                                   const std::optional<std::vector<unsigned char>>& replacement, time_point now) = 0;
  /// Adds terminals found later; returns the key of one registered to
  /// another site (nothing is added then), or empty.
  virtual std::string add_terminals(const std::string& site_id,
                                    const std::vector<std::pair<std::string, identity>>& terminals, time_point now) = 0;
  virtual std::vector<terminal_record> list_terminals(const std::string& site_id) = 0;
  virtual std::optional<terminal_record> find_terminal(const std::string& key) = 0;
  /// Moves a terminal (with its history) to another site.
  virtual void transfer_terminal(const std::string& key, const std::string& to_site_id, time_point now) = 0;
  /// Takes a terminal out of service: it leaves its site (its readings stay)
  /// and may be registered again anywhere.
  virtual void retire_terminal(const std::string& key, const std::string& actor, time_point now) = 0;

  // Requests for running status.
  virtual std::string queue_request(const std::string& site_id, const std::string& kind, time_point now) = 0;
  /// Queues a scheduled request for each site whose last scheduled request is
  /// older than `every`; returns their ids.
  virtual std::vector<std::string> queue_due_requests(time_point now, std::chrono::milliseconds every) = 0;
  /// Leases the site's unanswered requests whose lease is free or expired.
  virtual std::vector<status_request> lease_requests(const std::string& site_id, time_point now,
                                                     std::chrono::milliseconds lease) = 0;
  virtual std::vector<status_request> list_requests(const std::string& site_id) = 0;

  // Readings.
  virtual readings_result store_readings(const std::string& site_id, const std::vector<reading>& batch,
                                         time_point now) = 0;
  virtual std::vector<stored_reading> list_readings(const std::string& site_id, std::size_t limit) = 0;

  // Monitoring tokens.
  virtual void add_monitoring_token(const std::string& name, std::span<const unsigned char> hash, time_point now) = 0;
  virtual bool monitoring_token_valid(std::span<const unsigned char> hash) = 0;
  virtual status_counts counts(time_point now, std::chrono::milliseconds stale_after,
                               std::chrono::milliseconds expiring_within) = 0;

  virtual std::vector<account> list_accounts() = 0;
  virtual void set_account_disabled(const std::string& name, bool disabled) = 0;
  // Dealer site sessions.
  virtual void add_session(std::span<const unsigned char> hash, std::int64_t account_id, const std::string& csrf,
                           time_point now, time_point expires_at) = 0;
  /// The unexpired session with this hash (expired ones are deleted).
  virtual std::optional<web_session> find_session(std::span<const unsigned char> hash, time_point now) = 0;
  virtual void delete_session(std::span<const unsigned char> hash) = 0;
  /// Readings of one terminal taken in [from, to) (open ends when nullopt),
  /// oldest first, at most `limit`: the first ones, or with `latest` the newest.
  virtual std::vector<stored_reading> terminal_readings(const std::string& key, std::optional<time_point> from,
                                                        std::optional<time_point> to, std::size_t limit,
                                                        bool latest = false) = 0;
  /// The newest reading of a terminal taken before `t`, if any.
  virtual std::optional<stored_reading> reading_before(const std::string& key, time_point t) = 0;
  // Audit log.
  virtual void audit(const std::string& actor, const std::string& action, const std::string& subject,
                     const std::string& detail, time_point now) = 0;
  /// Newest first; only `actor`'s lines when set.
  virtual std::vector<audit_entry> list_audit(const std::optional<std::string>& actor, std::size_t limit) = 0;

  // Request notifications (also across processes: fleetreg-centerctl).
  /// Tells waiters of `site_id` that a request was queued.
  virtual void notify(const std::string& site_id) = 0;
  /// Registers the function called (on any thread) for every notification.
  virtual void on_notify(std::function<void(const std::string& site_id)> fn) = 0;
};

}  // namespace fleetreg::center
