// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fleetreg/center/sql.hpp"
#include "fleetreg/center/storage.hpp"

namespace fleetreg::center {

/// The center's store in plain SQL over the driver seam (sql.hpp): one
/// implementation, so every rule it holds (registration conflicts, reset
/// detection, ownership periods, leases) is the same on every engine.
/// Transactions take the engine's strongest isolation (SQLite's single
/// writer, PostgreSQL's SERIALIZABLE); a transaction the engine aborts as a
/// serialisation failure or deadlock runs again, a few times, with jitter.
/// Readings are group-committed: concurrent uploads share one transaction
/// and one flush. Schema migrations run on open.
class sql_storage : public storage {
 public:
  /// Migrates `db` and stores in it. Throws std::system_error on database
  /// errors, fleetreg::error when the schema is newer than this program.
  explicit sql_storage(std::unique_ptr<sql::database> db);
  ~sql_storage() override;

  /// The newest schema version this program knows (the same on every engine).
  static int schema_version();
  /// The migrations of one engine.
  static sql::migrations migrations_for(sql::dialect d);
  sql::database& database() { return *db_; }

  bool add_account(const std::string& name, role r, const std::string& password_hash, time_point now) override;
  std::optional<account> find_account(const std::string& name) override;
  std::optional<account> find_account(std::int64_t id) override;
  std::int64_t add_code(const code_record& c, std::span<const unsigned char> hash) override;
  std::optional<code_record> find_code(std::span<const unsigned char> hash) override;
  std::vector<code_record> list_codes(std::optional<std::int64_t> dealer_id) override;
  std::optional<code_record> find_code(std::int64_t id) override;
  bool revoke_code(std::int64_t id, time_point now) override;
  std::int64_t purge_codes(time_point now) override;
  void set_code_validity(std::int64_t account_id, std::optional<std::chrono::seconds> validity) override;
  void set_billing_weights(std::int64_t account_id, const std::string& weights) override;
  registration_result register_site(const registration_input& in) override;
  std::optional<site> site_by_credential(std::span<const unsigned char> hash, time_point now,
                                         std::chrono::seconds overlap) override;
  bool request_rotation(const std::string& site_id, time_point now) override;
  bool issue_rotation(const std::string& site_id, std::span<const unsigned char> hash, time_point now) override;
  std::optional<site> find_site(const std::string& id) override;
  std::vector<site> list_sites(std::optional<std::int64_t> dealer_id) override;
  void replace_credentials(const std::string& site_id, const std::optional<std::vector<unsigned char>>& replacement,
                           time_point now) override;
  std::vector<terminal_answer> add_terminals(const std::string& site_id,
                                             const std::vector<std::pair<std::string, identity>>& terminals,
                                             time_point now) override;
  std::vector<terminal_record> list_terminals(const std::string& site_id) override;
  std::vector<std::pair<site, std::vector<terminal_record>>> list_sites_with_terminals(
      std::optional<std::int64_t> dealer_id) override;
  std::vector<std::pair<site, std::int64_t>> search_sites(std::optional<std::int64_t> dealer_id,
                                                          const std::string& text, std::size_t limit) override;
  std::pair<std::vector<std::pair<site, std::int64_t>>, std::int64_t> list_sites_page(
      std::optional<std::int64_t> dealer_id, std::size_t offset, std::size_t limit) override;
  std::vector<std::pair<terminal_record, std::optional<stored_reading>>> terminals_with_reading_before(
      const std::string& site_id, time_point t) override;
  std::optional<terminal_record> find_terminal(const std::string& key) override;
  void transfer_terminal(const std::string& key, const std::string& to_site_id, const std::string& actor,
                         time_point now) override;
  void retire_terminal(const std::string& key, const std::string& actor, time_point now) override;
  std::vector<claim> list_claims(std::optional<std::int64_t> dealer_id) override;
  std::optional<claim> find_claim(std::int64_t id) override;
  bool refuse_claim(std::int64_t id, const std::string& actor, time_point now) override;
  std::string queue_request(const std::string& site_id, const std::string& kind, time_point now) override;
  std::vector<std::string> queue_due_requests(time_point now, std::chrono::milliseconds every) override;
  std::vector<status_request> lease_requests(const std::string& site_id, time_point now,
                                             std::chrono::milliseconds lease,
                                             std::vector<alert_transition>* events = nullptr) override;
  std::vector<status_request> list_requests(const std::string& site_id) override;
  readings_result store_readings(const std::string& site_id, const std::vector<reading>& batch, time_point now,
                                 time_point oldest) override;
  std::vector<stored_reading> list_readings(const std::string& site_id, std::size_t limit) override;
  std::int64_t add_token(const api_token& t, std::span<const unsigned char> hash) override;
  std::optional<api_token> find_token(std::span<const unsigned char> hash, time_point now) override;
  std::vector<api_token> list_tokens(std::optional<std::int64_t> dealer_id) override;
  bool revoke_token(std::int64_t id, time_point now) override;
  status_counts counts(time_point now, std::chrono::milliseconds stale_after,
                       std::chrono::milliseconds expiring_within) override;
  std::vector<account> list_accounts() override;
  void set_account_disabled(const std::string& name, bool disabled) override;
  void add_session(std::span<const unsigned char> hash, std::int64_t account_id, const std::string& csrf,
                   time_point now, time_point expires_at) override;
  std::optional<web_session> find_session(std::span<const unsigned char> hash, time_point now) override;
  void delete_session(std::span<const unsigned char> hash) override;
  std::vector<stored_reading> terminal_readings(const std::string& key, const std::string& site_id,
                                                std::optional<time_point> from, std::optional<time_point> to,
                                                std::size_t limit, bool latest = false, bool with_late = true) override;
  std::optional<stored_reading> reading_before(const std::string& key, const std::string& site_id,
                                               time_point t) override;
  std::vector<terminal_record> former_terminals(const std::string& site_id) override;
  void billing_inputs(std::int64_t dealer_id, const std::string& site_id, time_point from, time_point to,
                      const std::function<void(billing_input&)>& each) override;
  std::int64_t prune_readings(time_point before) override;
  void close_billing(std::int64_t dealer_id, time_point until) override;
  std::optional<time_point> billing_closed_until(std::int64_t dealer_id) override;
  void set_alert_settings(std::int64_t account_id, const alert_settings& s) override;
  std::vector<alert> list_alerts(const alert_query& q) override;
  std::optional<alert> find_alert(std::int64_t id) override;
  std::vector<alert_transition> alert_history(std::int64_t id) override;
  std::optional<alert_transition> acknowledge_alert(std::int64_t id, const std::string& actor, time_point now) override;
  std::optional<alert_transition> clear_alert(std::int64_t id, const std::string& actor, time_point now) override;
  std::vector<alert_transition> check_alerts(time_point now) override;
  std::vector<dealer_health> dealer_monitoring(time_point now, std::optional<std::int64_t> dealer_id) override;
  void supply_histories(std::optional<std::int64_t> dealer_id, const std::string& site_id,
                        const std::string& terminal_key, std::size_t per_terminal,
                        const std::function<void(supply_history&)>& each) override;
  fleet_counts fleet_states(std::optional<std::int64_t> dealer_id, time_point now) override;
  std::vector<fleet_terminal> fleet_terminals(std::optional<std::int64_t> dealer_id, time_point now, fleet_state state,
                                              std::size_t limit) override;
  void fleet_month_marks(std::int64_t dealer_id, const std::vector<time_point>& boundaries,
                         const std::function<void(month_marks&)>& each) override;
  std::optional<std::int64_t> add_webhook(const webhook& w, std::size_t max_per_account) override;
  std::vector<webhook> list_webhooks(std::optional<std::int64_t> account_id) override;
  std::optional<webhook> find_webhook(std::int64_t id) override;
  bool remove_webhook(std::int64_t id) override;
  std::vector<delivery_job> claim_deliveries(time_point now, std::chrono::milliseconds lease,
                                             std::size_t limit) override;
  void finish_delivery(std::int64_t delivery_id, std::int64_t webhook_id, const delivery_outcome& o,
                       time_point now) override;
  std::vector<delivery> list_deliveries(std::optional<std::int64_t> account_id, std::int64_t webhook_id,
                                        std::size_t limit) override;
  void set_digest(std::int64_t account_id, const std::string& recipients, std::chrono::seconds interval) override;
  std::optional<digest_batch> claim_digest(time_point now, std::chrono::milliseconds retry, std::size_t limit) override;
  void digest_sent(std::int64_t account_id, std::int64_t through_history_id, time_point next) override;
  std::vector<audit_entry> list_audit(const std::optional<std::string>& actor, std::size_t limit) override;
  void audit(const std::string& actor, const std::string& action, const std::string& subject, const std::string& detail,
             time_point now) override;
  void notify(const std::string& site_id) override;
  void on_notify(std::function<void(const std::string& site_id)> fn) override;

 private:
  // A reading serialised outside the commit: counters, supplies and details JSON.
  struct reading_texts {
    std::string counters, supplies, details;
  };
  // One upload waiting for the group commit.
  struct pending_upload {
    const std::string* site_id;
    const std::vector<reading>* batch;
    const std::vector<reading_texts>* texts;
    time_point now;
    time_point oldest;
    readings_result result;
    std::exception_ptr error;
    bool done = false;
  };

  /// Runs `body` (which opens its own transaction) again when the engine
  /// aborted it as retryable: up to 16 attempts, 1 ms to about
  /// 0.1 s of jitter between (two centers racing on the same rows).
  template <class Body>
  auto retrying(Body body) -> decltype(body()) {
    for (int attempt = 1;; ++attempt) {
      try {
        return body();
      } catch (const std::exception& e) {
        if (attempt >= 16 || !db_->retryable(e)) throw;
      }
      thread_local std::minstd_rand jitter{std::random_device{}()};
      std::this_thread::sleep_for(
          std::chrono::milliseconds(1 + jitter() % static_cast<unsigned>(std::min(attempt, 10) * 10)));
    }
  }
  void commit_group(const std::vector<pending_upload*>& group);

 public:
  /// What storing a site's readings needs of its dealer: where billing is
  /// closed (nullopt: nowhere), the dealer and its alert settings.
  struct site_rules {
    std::optional<std::int64_t> closed_until;
    std::int64_t dealer_id = 0;
    alert_settings alerts;
  };
  using rules_by_site = std::map<std::string, site_rules, std::less<>>;

 private:
  readings_result store_batch_locked(sql::connection& db, const std::string& site_id, const std::vector<reading>& batch,
                                     const std::vector<reading_texts>& texts, time_point now, time_point oldest,
                                     const rules_by_site& rules);
  std::vector<terminal_answer> place_terminals_locked(sql::connection& db, const std::string& site_id,
                                                      std::int64_t dealer_id, const std::string& customer,
                                                      const std::vector<std::pair<std::string, identity>>& terminals,
                                                      time_point now, std::vector<std::string>* taken_over);

  std::unique_ptr<sql::database> db_;
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::vector<pending_upload*> queue_;
  bool committing_ = false;
};

/// Where the center stores: `[center] database` as a plain path or
/// `sqlite:///absolute/path` (SQLite), or `postgresql://…` / `postgres://…`
/// (a libpq connection URI; the password belongs in ~/.pgpass or
/// PGPASSFILE, not in the configuration). `pool` is the most connections
/// one center opens to PostgreSQL.
struct database_location {
  enum class engine { sqlite, postgresql } kind = engine::sqlite;
  std::string target;  ///< the path, or the URI
  /// The location for messages: the path, or the URI without its password.
  std::string shown() const;
};
/// Reads `[center] database`; throws fleetreg::error (config) naming the
/// problem when it is neither.
database_location parse_database_location(const std::string& text);

/// Opens the database (without migrating it).
std::unique_ptr<sql::database> open_database(const database_location& where, std::size_t pool = 8);
/// Opens and migrates the center's storage at `where`.
std::unique_ptr<sql_storage> open_storage(const database_location& where, std::size_t pool = 8);

}  // namespace fleetreg::center
