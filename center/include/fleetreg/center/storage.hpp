// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
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
  /// created: a new site; retried: the same Idempotency-Key again (same site,
  /// fresh credential); code_used: a single-site code that made its site.
  enum class kind { created, retried, code_used } outcome = kind::created;
  std::string site_id;
  std::vector<terminal_record> terminals;  ///< the site's terminals now
  std::vector<terminal_answer> answers;    ///< one per terminal asked for
  std::vector<std::string> taken_over;     ///< keys moved from a revoked site of the same customer
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

/// Outcome of storing a batch of readings: one answer per reading, in order.
struct readings_result {
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::int64_t resets = 0;
  std::int64_t refused = 0;
  std::int64_t late = 0;
  std::vector<reading_answer> answers;
  /// Alerts the batch raised or cleared (in its transaction), for
  /// operations to publish.
  std::vector<alert_transition> alert_events;
};

/// One terminal's supply history for the forecast (supply_histories): its
/// site, the terminal, and its newest readings sent by the site, oldest first.
struct supply_history {
  const site* s = nullptr;
  const terminal_record* terminal = nullptr;
  std::vector<reading> readings;
};

/// One terminal's billing input at one site: the terminal (as list_terminals
/// has it, or for a former one as former_terminals) and its readings sent by
/// the site: the newest taken before the period (when there is one) then
/// those taken in it, oldest first, late ones left out.
struct billing_input {
  std::string customer;  ///< of the site (terminal.site_id)
  terminal_record terminal;
  std::vector<stored_reading> readings;
};

/// How long before its registration a terminal's reading is still its owner's
/// (clocks of collectors and terminals drift; a first read may precede it).
inline constexpr std::chrono::hours ownership_grace{24};

/// The center's store. Each method is one atomic operation (one transaction),
/// written in plain SQL that a PostgreSQL backend can implement the same way.
/// Methods throw std::system_error on database failure; business refusals
/// come back in the results.
///
/// The contract every backend keeps (the conformance suite checks it):
/// - A method that writes commits all of its changes or none (on a throw,
///   nothing changed); a method that reads sees one consistent state. Two
///   concurrent calls behave as if one ran after the other, also across
///   processes and replicas on one database.
/// - Times are stored to the second (truncated); what comes back is that.
/// - Lists come in the order their comment states; "newest first" breaks
///   ties by the newer id first.
/// - Rules that need no database (tenancy, limits from the config, audit
///   lines of an action) are the caller's: `operations` is the only caller.
class storage {
 public:
  virtual ~storage() = default;

  // Accounts.
  /// Adds an account; false when the name is taken.
  virtual bool add_account(const std::string& name, role r, const std::string& password_hash, time_point now) = 0;
  /// The account named `name`, disabled ones included.
  virtual std::optional<account> find_account(const std::string& name) = 0;
  /// The account with id `id`, disabled ones included.
  virtual std::optional<account> find_account(std::int64_t id) = 0;

  // DB1: provisional codes.
  /// Stores a new code (its dealer, customer, contact, reference, issued_at,
  /// expires_at, single_site) with its keyed hash, never the code; returns
  /// its id (ids grow).
  virtual std::int64_t add_code(const code_record& c, std::span<const unsigned char> hash) = 0;
  /// The unpurged code with this keyed hash (expired ones included: the service decides).
  virtual std::optional<code_record> find_code(std::span<const unsigned char> hash) = 0;
  /// Codes issued by `dealer_id` (all dealers when nullopt), newest first.
  virtual std::vector<code_record> list_codes(std::optional<std::int64_t> dealer_id) = 0;
  /// The code with id `id`, also once revoked, expired or purged.
  virtual std::optional<code_record> find_code(std::int64_t id) = 0;
  /// Ends a code before it expires (its hash is dropped at once); false when
  /// it was already revoked, expired or purged.
  virtual bool revoke_code(std::int64_t id, time_point now) = 0;
  /// Drops the hash of every code expired at `now` or revoked (purged_at
  /// set) and records the purge (status_counts::last_purge, also when none
  /// went); returns how many.
  virtual std::int64_t purge_codes(time_point now) = 0;
  /// The validity of a dealer's codes when the issuer chooses none (nullopt:
  /// the center's default). An unknown account changes nothing.
  virtual void set_code_validity(std::int64_t account_id, std::optional<std::chrono::seconds> validity) = 0;
  /// Sets a dealer's billing weights (billing_weights text, '' for none).
  /// An unknown account changes nothing.
  virtual void set_billing_weights(std::int64_t account_id, const std::string& weights) = 0;

  // DB2: registration and credentials.
  /// Registers a site with its terminals, one answer per terminal:
  /// - a key free anywhere is `registered`;
  /// - a key held by a site of the same dealer and customer whose credentials
  ///   are all revoked moves to the new site (`registered`, listed in
  ///   taken_over; the ownership period goes on);
  /// - a key held by any other site becomes a pending claim (`pending_claim`).
  /// A single-site code that made a site already answers code_used (nothing
  /// changes). Idempotent retries (same code and Idempotency-Key) answer as
  /// the first time, with `in.credential_hash` as the site's credential now.
  /// Two registrations racing for one key: one registers it, the other gets a
  /// pending claim; never both.
  virtual registration_result register_site(const registration_input& in) = 0;
  /// The site whose valid credential has this hash; marks the credential
  /// used. A credential sent by rotation confirms the rotation when first
  /// used: every other credential of the site is revoked. While a rotation is
  /// unconfirmed the older credentials stay valid for `overlap` after it was
  /// requested, then stop (that ends them at once, audited as
  /// credential.expire, and answers nullopt). Confirming a rotation clears
  /// the site's rotation_requested_at and audits credential.rotated.
  virtual std::optional<site> site_by_credential(std::span<const unsigned char> hash, time_point now,
                                                 std::chrono::seconds overlap) = 0;
  /// Asks for a new credential to be sent to the site at its next
  /// authenticated exchange; false when no credential of the site is active
  /// (or no such site). Asking again keeps the first request's time.
  virtual bool request_rotation(const std::string& site_id, time_point now) = 0;
  /// When a rotation of the site is pending: stores `hash` as the credential
  /// on its way (replacing an earlier one never used) and returns true; false
  /// (nothing written) otherwise. Called at every long-poll: the common
  /// false answer writes nothing.
  virtual bool issue_rotation(const std::string& site_id, std::span<const unsigned char> hash, time_point now) = 0;
  /// The site `id`, whatever its credentials' state.
  virtual std::optional<site> find_site(const std::string& id) = 0;
  /// Sites of `dealer_id` (all when nullopt), oldest first (created_at, id).
  virtual std::vector<site> list_sites(std::optional<std::int64_t> dealer_id) = 0;
  /// Revokes every credential of the site; with `replacement` set, adds it as
  /// the new active credential in the same transaction (rotation).
  virtual void replace_credentials(const std::string& site_id,
                                   const std::optional<std::vector<unsigned char>>& replacement, time_point now) = 0;
  /// Adds terminals found later, with the answers of register_site
  /// (`already_yours` for keys the site holds); one transaction. Throws
  /// fleetreg::error (software) for an unknown site.
  virtual std::vector<terminal_answer> add_terminals(const std::string& site_id,
                                                     const std::vector<std::pair<std::string, identity>>& terminals,
                                                     time_point now) = 0;
  /// The terminals the site holds now, by key.
  virtual std::vector<terminal_record> list_terminals(const std::string& site_id) = 0;
  /// list_sites with each site's list_terminals, in two queries (not one per site).
  virtual std::vector<std::pair<site, std::vector<terminal_record>>> list_sites_with_terminals(
      std::optional<std::int64_t> dealer_id) = 0;
  /// The sites of list_sites (same order) whose customer, or a terminal's
  /// serial or key, held now, contains `text` (ASCII letters in any case),
  /// at most `limit`, each with how many terminals it holds now. One query.
  virtual std::vector<std::pair<site, std::int64_t>> search_sites(std::optional<std::int64_t> dealer_id,
                                                                  const std::string& text, std::size_t limit) = 0;
  /// A page of list_sites (same order): at most `limit` sites from `offset`,
  /// each with how many terminals it holds now; and how many sites there are.
  virtual std::pair<std::vector<std::pair<site, std::int64_t>>, std::int64_t> list_sites_page(
      std::optional<std::int64_t> dealer_id, std::size_t offset, std::size_t limit) = 0;
  /// list_terminals, each with its reading_before(key, site_id, t), in one query.
  virtual std::vector<std::pair<terminal_record, std::optional<stored_reading>>> terminals_with_reading_before(
      const std::string& site_id, time_point t) = 0;
  /// The terminal `key` and the site holding it; nullopt when nobody holds it
  /// (never registered, or retired).
  virtual std::optional<terminal_record> find_terminal(const std::string& key) = 0;
  /// Moves a terminal to another site: the old site's ownership period ends
  /// at `now` (its readings stay its own), the new one's starts and the reset
  /// check starts afresh; pending claims on the key by `to_site_id` are
  /// accepted (decided by `actor`), other pending claims stay pending with
  /// `to_site_id` as their holder. Nothing changes when nobody holds the key
  /// or `to_site_id` holds it already.
  virtual void transfer_terminal(const std::string& key, const std::string& to_site_id, const std::string& actor,
                                 time_point now) = 0;
  /// Takes a terminal out of service: it leaves its site (its readings stay,
  /// its ownership period ends; former_terminals keeps it for the site's
  /// billing) and may be registered again anywhere; pending claims on it are
  /// withdrawn. Nothing changes when nobody holds it.
  virtual void retire_terminal(const std::string& key, const std::string& actor, time_point now) = 0;

  // Claims on terminals held by another customer's site.
  /// Claims where the holder's or the claimant's site belongs to `dealer_id`
  /// (all when nullopt); pending first, newest first; at most 1,000.
  virtual std::vector<claim> list_claims(std::optional<std::int64_t> dealer_id) = 0;
  /// The claim `id` in any state.
  virtual std::optional<claim> find_claim(std::int64_t id) = 0;
  /// Refuses a pending claim; false when it is not pending.
  virtual bool refuse_claim(std::int64_t id, const std::string& actor, time_point now) = 0;

  // Requests for running status.
  /// Queues a request of `kind` ("on-demand", "scheduled") for the site and,
  /// once committed, notifies its waiters; returns its id (a UUID).
  virtual std::string queue_request(const std::string& site_id, const std::string& kind, time_point now) = 0;
  /// Queues a scheduled request for each site with an active credential whose
  /// last scheduled request is `every` old or older (or that has none), all in
  /// one transaction, then notifies each site; returns the sites' ids. Two
  /// callers at once (replicas) never queue two for one site and period.
  virtual std::vector<std::string> queue_due_requests(time_point now, std::chrono::milliseconds every) = 0;
  /// Leases the site's unanswered requests whose lease is free or expired
  /// until now + `lease` (at least a second), oldest first, and records the
  /// site's last contact, which clears its collector_silent alert (the
  /// transition in `events` when given). Two callers at once never lease the
  /// same request.
  virtual std::vector<status_request> lease_requests(const std::string& site_id, time_point now,
                                                     std::chrono::milliseconds lease,
                                                     std::vector<alert_transition>* events = nullptr) = 0;
  /// Every request of the site, answered or not, oldest first.
  virtual std::vector<status_request> list_requests(const std::string& site_id) = 0;

  // Readings.
  /// Stores a batch from `site_id`, one answer per reading: a reading is
  /// stored when the site held its terminal when it was taken (see
  /// ownership_grace) and it was taken after `oldest`; else refused. One
  /// taken inside a closed billing period of the site's dealer is stored
  /// flagged late. A refused reading never refuses the others. A reading id the
  /// site sent before answers duplicate (nothing stored); a counter below the
  /// terminal's newest reading at the site is stored flagged counter_reset. A
  /// stored reading with a request_id marks that request of the site
  /// answered. Durable when it returns: the batch commits whole (it may share
  /// its commit with concurrent batches, never its outcome).
  virtual readings_result store_readings(const std::string& site_id, const std::vector<reading>& batch, time_point now,
                                         time_point oldest) = 0;
  /// Readings sent by the site, oldest first (taken_at, id), at most `limit`.
  virtual std::vector<stored_reading> list_readings(const std::string& site_id, std::size_t limit) = 0;

  // API tokens: monitoring (status, metrics) and billing (one dealer's).
  /// Stores a token (name, scope, dealer_id, created_at) with the hash of its
  /// secret, never the secret; returns its id.
  virtual std::int64_t add_token(const api_token& t, std::span<const unsigned char> hash) = 0;
  /// The unrevoked token with this hash (marks it used, to the minute: no
  /// write when last_used_at is less than a minute old).
  virtual std::optional<api_token> find_token(std::span<const unsigned char> hash, time_point now) = 0;
  /// Tokens of `dealer_id` (all when nullopt), newest first.
  virtual std::vector<api_token> list_tokens(std::optional<std::int64_t> dealer_id) = 0;
  /// false when no such unrevoked token.
  virtual bool revoke_token(std::int64_t id, time_point now) = 0;
  /// The center's counts at `now`: sites, terminals, terminals without a
  /// reading (or registration) within `stale_after`, unanswered requests,
  /// codes that can still register and those of them expiring within
  /// `expiring_within`, readings, the last purge. One consistent snapshot.
  virtual status_counts counts(time_point now, std::chrono::milliseconds stale_after,
                               std::chrono::milliseconds expiring_within) = 0;

  /// Every account, by name.
  virtual std::vector<account> list_accounts() = 0;
  /// Disables (its sessions are deleted in the same transaction) or enables
  /// the account `name`; an unknown name changes nothing.
  virtual void set_account_disabled(const std::string& name, bool disabled) = 0;
  // Dealer site sessions.
  /// Adds a session (the hash of its cookie, never the cookie) until
  /// `expires_at`; expired sessions are deleted in the same transaction.
  virtual void add_session(std::span<const unsigned char> hash, std::int64_t account_id, const std::string& csrf,
                           time_point now, time_point expires_at) = 0;
  /// The unexpired session with this hash (expired ones are deleted).
  virtual std::optional<web_session> find_session(std::span<const unsigned char> hash, time_point now) = 0;
  /// Ends the session with this hash (nothing when there is none).
  virtual void delete_session(std::span<const unsigned char> hash) = 0;
  /// Readings of one terminal sent by one site (its ownership periods only)
  /// taken in [from, to) (open ends when nullopt), oldest first, at most
  /// `limit`: the first ones, or with `latest` the newest. Late readings only
  /// with `with_late`.
  virtual std::vector<stored_reading> terminal_readings(const std::string& key, const std::string& site_id,
                                                        std::optional<time_point> from, std::optional<time_point> to,
                                                        std::size_t limit, bool latest = false,
                                                        bool with_late = true) = 0;
  /// The newest reading of a terminal sent by `site_id` taken before `t`
  /// (late ones left out), if any.
  virtual std::optional<stored_reading> reading_before(const std::string& key, const std::string& site_id,
                                                       time_point t) = 0;
  /// The billing input for [from, to) of the sites of `dealer_id` (only
  /// `site_id` when not empty), one call of `each` per terminal: sites by id,
  /// per site its current terminals (by key) then its former ones (as
  /// former_terminals). One consistent snapshot; memory bounded by a batch of
  /// sites, not the dealer's whole period. Late readings are left out.
  virtual void billing_inputs(std::int64_t dealer_id, const std::string& site_id, time_point from, time_point to,
                              const std::function<void(billing_input&)>& each) = 0;
  /// Terminals that were the site's and are no more (transferred or
  /// retired), for its billing; newest period end first.
  virtual std::vector<terminal_record> former_terminals(const std::string& site_id) = 0;

  /// Retention: of the readings taken before `before`, keeps per site,
  /// terminal and calendar month (UTC) only what billing needs — the first
  /// and the last reading, every reading flagged counter_reset and the one
  /// before it — and deletes the others (late ones too). Billing over whole
  /// months gives the same numbers before and after. Returns how many went.
  virtual std::int64_t prune_readings(time_point before) = 0;

  // Billing periods.
  /// Readings taken before `until` are closed for the dealer: later ones
  /// dated before it are stored late. Never moves backwards.
  virtual void close_billing(std::int64_t dealer_id, time_point until) = 0;
  /// Where the dealer's billing is closed; nullopt when never closed.
  virtual std::optional<time_point> billing_closed_until(std::int64_t dealer_id) = 0;
  // Alerts (issue 19). Rules that raise and clear them from readings run in
  // store_readings' transaction; the others in check_alerts. An alert is
  // open until cleared; a unique index on the open alert per subject, kind,
  // supply and condition makes a second raise of one condition a no-op, also
  // from two centers at once. Every transition is a row of its history.
  //
  // In store_readings, per terminal the site holds whose newest reading the
  // batch brings: the conditions of that reading (reading_conditions, with
  // the dealer's settings) are compared with those of the previous newest
  // (terminals.alert_conditions); a condition that appears raises its alert,
  // one that is gone clears it ("reading"). A reading flagged counter_reset
  // raises counter_reset (cleared by hand only). A terminal that was silent
  // (no reading for the dealer's terminal_silent) clears its terminal_silent.
  /// Sets a dealer's alert settings. An unknown account changes nothing.
  virtual void set_alert_settings(std::int64_t account_id, const alert_settings& s) = 0;
  /// The alerts `q` asks for, newest raised first (ties: the newer id), at
  /// most q.limit, each with its site's customer.
  virtual std::vector<alert> list_alerts(const alert_query& q) = 0;
  /// The alert `id`, open or not.
  virtual std::optional<alert> find_alert(std::int64_t id) = 0;
  /// The transitions of alert `id`, oldest first.
  virtual std::vector<alert_transition> alert_history(std::int64_t id) = 0;
  /// Acknowledges alert `id` when it is open and not yet acknowledged;
  /// nullopt (nothing changed) otherwise.
  virtual std::optional<alert_transition> acknowledge_alert(std::int64_t id, const std::string& actor,
                                                            time_point now) = 0;
  /// Clears alert `id` by hand when it is open; nullopt otherwise.
  virtual std::optional<alert_transition> clear_alert(std::int64_t id, const std::string& actor, time_point now) = 0;
  /// The timer's rules at `now`, with each dealer's settings, in one
  /// transaction: raises terminal_silent for a terminal of a site with an
  /// active credential without a reading (or since its registration) for
  /// terminal_silent, collector_silent for a collector's site with an active
  /// credential without contact for collector_silent, code_expiring for an
  /// unused, unrevoked code that expires within code_expiry — each once per
  /// episode (not again after a clear by hand until the subject was heard
  /// from); clears those whose condition ended ("center"). Returns the
  /// transitions.
  virtual std::vector<alert_transition> check_alerts(time_point now) = 0;
  /// Monitoring figures at `now` of every dealer account (role dealer,
  /// disabled ones included), by name, or of `dealer_id` only (none when it
  /// is not a dealer): terminals_silent by the rule check_alerts raises
  /// terminal_silent by (whether or not the alert is open), and the open
  /// alerts counted by kind and severity. One consistent snapshot, in two
  /// aggregate queries whatever the number of dealers: work grows with the
  /// terminals and the open alerts, memory with the dealers.
  virtual std::vector<dealer_health> dealer_monitoring(time_point now, std::optional<std::int64_t> dealer_id) = 0;
  /// Supply histories for the forecast: per terminal the sites of
  /// `dealer_id` (every dealer's when nullopt) hold now — only site
  /// `site_id` and terminal `terminal_key` when they are not empty — its
  /// newest `per_terminal` readings (at most 100) sent by its site (late ones
  /// left out), one call of `each` per terminal, sites by id, terminals by
  /// key. Memory bounded by one site's terminals; one bounded query per
  /// terminal.
  virtual void supply_histories(std::optional<std::int64_t> dealer_id, const std::string& site_id,
                                const std::string& terminal_key, std::size_t per_terminal,
                                const std::function<void(supply_history&)>& each) = 0;

  // The fleet dashboard (issue 19). Aggregates in SQL: neither reads a
  // dealer's readings, only index descents per terminal.
  /// How many terminals the sites of `dealer_id` (every dealer's when
  /// nullopt) hold now are in each fleet_state at `now` (see fleet_state;
  /// "silent" with each terminal's dealer's terminal_silent, last reading as
  /// terminals.last_reading_at), and how many alerts of the dealer(s) are
  /// open. Two queries in one snapshot: per terminal at most three probes of
  /// the open alerts' index, and the dealer's alerts.
  virtual fleet_counts fleet_states(std::optional<std::int64_t> dealer_id, time_point now) = 0;
  /// The terminals of fleet_states that are in `state`, by customer, site id
  /// and key, at most `limit` (at most 1,000). One query.
  virtual std::vector<fleet_terminal> fleet_terminals(std::optional<std::int64_t> dealer_id, time_point now,
                                                      fleet_state state, std::size_t limit) = 0;
  /// The month marks (see month_marks) at `boundaries` (ascending, 2 to 25)
  /// of every terminal each site of `dealer_id` holds or held (an ownership
  /// period there), one call of `each` per (site, terminal), by site id and
  /// key; late readings left out. One query of at most two index descents
  /// per terminal, site and boundary (never a scan of a month's readings);
  /// memory bounded by one terminal's marks.
  /// `each` must not call the storage (the query is still open). Throws
  /// fleetreg::error (software) for boundaries out of order or out of range.
  virtual void fleet_month_marks(std::int64_t dealer_id, const std::vector<time_point>& boundaries,
                                 const std::function<void(month_marks&)>& each) = 0;

  // Webhooks and their deliveries (issue 19 step 4). Every alert transition
  // written (record_transition) queues one delivery per webhook of the
  // alert's dealer in the same transaction.
  /// Adds a webhook unless its account has `max_per_account` already;
  /// returns its id, nullopt when full.
  virtual std::optional<std::int64_t> add_webhook(const webhook& w, std::size_t max_per_account) = 0;
  /// Webhooks of `account_id` (every account's when nullopt), by id.
  virtual std::vector<webhook> list_webhooks(std::optional<std::int64_t> account_id) = 0;
  virtual std::optional<webhook> find_webhook(std::int64_t id) = 0;
  /// Deletes a webhook and its deliveries (pending ones are dropped); false
  /// when there is none.
  virtual bool remove_webhook(std::int64_t id) = 0;
  /// Claims up to `limit` pending deliveries due at `now` whose webhook is
  /// not blocked, oldest first, leasing them until now + `lease` and
  /// counting the attempt: two claimers (threads, replicas) never get the
  /// same row while its lease runs. A lease that ran out (a center died
  /// mid-attempt) makes the row claimable again: at-least-once.
  virtual std::vector<delivery_job> claim_deliveries(time_point now, std::chrono::milliseconds lease,
                                                     std::size_t limit) = 0;
  /// Records the attempt's outcome (and, for retry and failed, blocks its
  /// webhook until o.blocked_until; delivered unblocks it).
  virtual void finish_delivery(std::int64_t delivery_id, std::int64_t webhook_id, const delivery_outcome& o,
                               time_point now) = 0;
  /// The newest `limit` deliveries of the webhooks of `account_id` (every
  /// account's when nullopt; only `webhook_id`'s when not 0), newest first.
  virtual std::vector<delivery> list_deliveries(std::optional<std::int64_t> account_id, std::int64_t webhook_id,
                                                std::size_t limit) = 0;

  // E-mail digests (issue 19 step 4): every alert transition of a dealer
  // with digest recipients queues a digest item in its transaction.
  /// Sets a dealer's digest recipients ("" turns it off and drops what
  /// waited) and interval.
  virtual void set_digest(std::int64_t account_id, const std::string& recipients, std::chrono::seconds interval) = 0;
  /// Claims one dealer whose digest is due at `now` and has items (its
  /// next digest moved to now + `retry`, so a failed send is tried again
  /// then, and another center skips it meanwhile): the dealer and its
  /// oldest `limit` items. nullopt when none is due.
  virtual std::optional<digest_batch> claim_digest(time_point now, std::chrono::milliseconds retry,
                                                   std::size_t limit) = 0;
  /// A digest was sent: its items through `through_history_id` are gone,
  /// the next one not before `next`.
  virtual void digest_sent(std::int64_t account_id, std::int64_t through_history_id, time_point next) = 0;

  // Audit log.
  /// Appends one line; lines are never changed or deleted.
  virtual void audit(const std::string& actor, const std::string& action, const std::string& subject,
                     const std::string& detail, time_point now) = 0;
  /// Newest first; only `actor`'s lines when set.
  virtual std::vector<audit_entry> list_audit(const std::optional<std::string>& actor, std::size_t limit) = 0;

  // Request notifications (also across processes: fleetreg-centerctl).
  /// Tells waiters of `site_id` that a request was queued: every process (and
  /// replica) on this database whose on_notify functions are registered, at
  /// most once each per call; none are replayed to a listener that was away.
  virtual void notify(const std::string& site_id) = 0;
  /// Registers the function called (on any thread) for every notification.
  virtual void on_notify(std::function<void(const std::string& site_id)> fn) = 0;
};

}  // namespace fleetreg::center
