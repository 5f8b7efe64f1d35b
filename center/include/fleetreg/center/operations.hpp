// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>
#include <string>

#include "fleetreg/center/billing.hpp"
#include "fleetreg/center/config.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/delivery.hpp"
#include "fleetreg/center/storage.hpp"
#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/json.hpp"

namespace fleetreg::center {

/// How a code is issued beyond whom it is for.
struct code_options {
  /// How long it registers; nullopt: the dealer's default, else the
  /// center's ([codes] validity). At least one hour, at most validity_max.
  std::optional<std::chrono::seconds> validity;
  bool single_site = false;  ///< registers one site only
};

/// Someone logged in to the dealer site: the account, its session and the
/// hash of the session's cookie.
struct signed_in {
  account acc;
  web_session session;
  crypto::digest hash{};
  /// An admin (sees every dealer's objects).
  bool admin() const { return acc.role == role::admin; }
  /// The dealer whose objects `acc` sees: its own id, nullopt for an admin.
  std::optional<std::int64_t> scope() const { return admin() ? std::nullopt : std::optional(acc.id); }
};

/// The name of the dealer site's session cookie.
inline constexpr const char* session_cookie = "fleetreg_session";

/// A registration done: the storage's outcome and the site's new credential
/// (shown once to the registering side, only its hash is stored).
struct registration {
  registration_result result;
  std::string credential;
};

/// Terminals added to a site: one answer per terminal asked for, and the
/// site's terminals now.
struct terminals_added {
  std::vector<terminal_answer> answers;
  std::vector<terminal_record> terminals;
};

/// A valid API token and, for a billing token, its dealer (when the account
/// still exists).
struct token_holder {
  api_token token;
  std::optional<account> dealer;
};

/// A site with its terminals (the dealer site's list).
struct site_terminals {
  site s;
  std::vector<terminal_record> terminals;
};

/// A terminal with its newest reading sent by its site, if any.
struct terminal_last_reading {
  terminal_record terminal;
  std::optional<stored_reading> last;
};

/// What one site's page shows: the site, its terminals with their newest
/// readings, and its requests for running status (oldest first).
struct site_overview {
  site s;
  std::vector<terminal_last_reading> terminals;
  std::vector<status_request> requests;
};

/// A terminal and the site holding it.
struct held_terminal {
  terminal_record t;
  site s;
};

/// A claim as one account sees it: the other dealer's customer is never
/// named.
struct claim_view {
  claim c;
  /// The holding site when it is the account's (or the account is an admin).
  std::optional<site> holder;
  /// The claimant's site is the account's (or the account is an admin).
  bool claimant_shown = false;
  /// The account decides it: the holder is its own and the claim is pending.
  bool decidable = false;
};

/// One supply of one terminal as the pages and the "to order" list show it:
/// its level now (the newest reading) and when it runs out (the forecast).
struct supply_outlook {
  site s;
  terminal_record terminal;
  supply now;                               ///< as the newest reading has it
  std::optional<supply_forecast> forecast;  ///< nullopt: no forecast (see predict_empty)
};

/// An alert as the API and centerctl write it (times as RFC 3339 UTC).
json::value alert_json(const alert& a);
/// A delivery as centerctl and the API write it (times as RFC 3339 UTC).
json::value delivery_json(const delivery& d);
/// A supply and its forecast as GET /api/v1/supplies/to-order writes it.
json::value outlook_json(const supply_outlook& o);
/// The "to order" list as CSV (RFC 4180, the same cells as the JSON).
std::string to_order_csv(const std::vector<supply_outlook>& list);

/// One calendar month (UTC) of a dealer's fleet volume (operations::fleet_volume).
struct month_volume {
  time_point month{};  ///< its first day, 00:00 UTC
  print_volume v;
};

/// The dealer and operator actions shared by fleetreg-centerctl, the dealer
/// site and the API: accounts, codes, credentials, requests, tokens, purge.
/// Every action is audited. Refusals throw center::refusal (a fleetreg::error:
/// exit code data or failure) with a sentence a serviceperson understands and
/// its kind (not_found, invalid, conflict…); nothing is changed then.
class operations {
 public:
  operations(storage& st, const clock& clk, const config& cfg, const crypto::digest& server_key);

  const clock& now_source() const { return clock_; }
  const config& settings() const { return config_; }
  const crypto::digest& server_key() const { return key_; }

  /// Creates a dealer or admin account with an argon2id password hash.
  void create_account(const std::string& actor, const std::string& name, role r, const std::string& password);
  /// The account `name`, or throws "no such account" (also when disabled).
  account require_account(const std::string& name);
  /// Disables (`enabled` false: no login, its sessions end at once) or enables
  /// again the account `name`, audited as account.disable / account.enable.
  /// Throws fleetreg::error (failure) when there is no such account or
  /// `actor` would disable itself.
  void set_account_enabled(const std::string& actor, const std::string& name, bool enabled);

  struct issued_code {
    std::string code;  ///< shown once, never stored
    code_record record;
  };
  /// Issues a provisional code for an authorized user on behalf of `dealer`.
  issued_code issue_code(const account& dealer, const std::string& customer, const std::string& contact,
                         const std::string& reference, const code_options& options = {});
  /// Ends a code before it expires: `acting` is its dealer or an admin.
  void revoke_code(const account& acting, std::int64_t code_id);
  /// Sets the validity of `dealer`'s codes when the issuer chooses none
  /// (nullopt: the center's default).
  void set_code_validity(const std::string& actor, const account& dealer, std::optional<std::chrono::seconds> validity);
  /// Reads "7d", "36h", "90m", "3600s" or "default" (nullopt); throws
  /// fleetreg::error (data) with the bounds otherwise.
  std::optional<std::chrono::seconds> parse_validity(const std::string& text) const;

  /// The code record a typed code stands for, when it is known, unexpired,
  /// unrevoked and unpurged; else nullopt and `why_code` (code_malformed,
  /// code_unknown, code_expired, code_revoked).
  std::optional<code_record> check_code(const std::string& typed, std::string& why_code, std::string& why);

  /// The site `site_id` when `acting` may act on it (its dealer, or an admin).
  site require_site(const account& acting, const std::string& site_id);

  /// Revokes every credential of a site (it stops reporting at once).
  void revoke(const account& acting, const std::string& site_id);
  /// Asks for a new credential: the collector or terminal receives it in its
  /// next authenticated exchange and confirms it by using it; the old one
  /// works until then, or for [credentials] rotation_overlap.
  void rotate(const account& acting, const std::string& site_id);
  /// Queues an on-demand request for running status; returns its id.
  std::string request_reading(const account& acting, const std::string& site_id);
  /// Moves a terminal to another site (another customer, e.g. a lease that
  /// changed hands). `acting` must be able to act on both sites.
  void transfer_terminal(const account& acting, const std::string& key, const std::string& to_site_id);
  /// Takes a terminal out of service (sold, scrapped); its readings stay.
  void retire_terminal(const account& acting, const std::string& key);
  /// Accepts a pending claim: the terminal moves to the claimant's site.
  /// `acting` is the holder's dealer or an admin.
  void accept_claim(const account& acting, std::int64_t claim_id);
  /// Refuses a pending claim; the terminal stays where it is.
  void refuse_claim(const account& acting, std::int64_t claim_id);
  /// Claims `acting` may see: on its terminals, or by its sites (an admin:
  /// every one, or those of `of_dealer`'s sites).
  std::vector<claim> claims(const account& acting, std::optional<std::int64_t> of_dealer = std::nullopt);

  /// Issues a read-only monitoring token (status and metrics; shown once).
  std::string issue_monitoring_token(const std::string& actor, const std::string& name);
  /// Issues a billing API token bound to `dealer` (shown once).
  std::string issue_billing_token(const std::string& actor, const account& dealer, const std::string& name);
  /// Revokes a token: `acting` is an admin, or the dealer of a billing token.
  void revoke_token(const account& acting, std::int64_t token_id);
  /// Closes `dealer`'s billing up to `until`: readings dated before it that
  /// arrive later are stored late and never change those invoices.
  void close_billing(const account& acting, const account& dealer, time_point until);
  /// The billing lines of site `site_id` for [from, to): the site's own
  /// readings (its ownership periods), of the terminals it holds and those it
  /// held (transferred or retired since), late ones left out; per terminal
  /// the last reading before `from` is the start. Throws refusal not_found
  /// when `acting` may not act on the site (unknown or another dealer's),
  /// invalid when `to` is not after `from`.
  std::vector<billing_line> billing(const account& acting, const std::string& site_id, time_point from, time_point to);
  /// The billing lines of every site of `dealer` for [from, to), as billing()
  /// gives them per site, sites by id (a dealer's invoice run). `acting` is an
  /// admin or the dealer itself (refusal not_found otherwise); invalid when
  /// `to` is not after `from` or the period is longer than 366 days.
  std::vector<billing_line> dealer_billing(const account& acting, const account& dealer, time_point from,
                                           time_point to);
  /// Sets `dealer`'s billing weights from their text (parse_billing_weights);
  /// `acting` is an admin or the dealer itself. Audited.
  void set_billing_weights(const account& acting, const account& dealer, const std::string& text);
  /// `dealer`'s weights (the default when none are set).
  billing_weights billing_weights_of(const account& dealer) const;
  /// The weights billing uses for site `site_id` (its dealer's); tenancy as billing().
  billing_weights site_billing_weights(const account& acting, const std::string& site_id);

  /// The live dealer-site session whose cookie is `secret`: nullopt when
  /// unknown, expired, or its account is disabled.
  std::optional<signed_in> find_session(const std::string& secret);

  /// Drops the hashes of expired codes; audit keeps who issued them for whom.
  std::int64_t purge(const std::string& actor);

  // The API: authentication, registration, requests, readings, counts.

  /// The site whose valid credential `credential` is (marking it used; a
  /// rotated credential confirms its rotation, older ones work for
  /// the config's rotation_overlap); nullopt for an empty, over-long (more
  /// than 128 bytes), unknown or revoked one.
  std::optional<site> authenticate_site(const std::string& credential);
  /// The unrevoked token `secret` (marking it used) with, for a billing
  /// token, its dealer; nullopt for an empty, over-long, unknown or revoked
  /// one.
  std::optional<token_holder> authenticate_token(const std::string& secret);
  /// Registers a site for `code` (checked by check_code) with a fresh
  /// credential, in one storage transaction, and audits it as registration or
  /// registration.retry by `side` (not a code_used answer: nothing changed).
  registration register_site(const code_record& code, const std::string& idempotency_key, const registering_side& side,
                             std::vector<std::pair<std::string, identity>> terminals);
  /// Adds terminals found later to `s` (an authenticated site); audits
  /// terminals.add when any was registered.
  terminals_added add_terminals(const site& s, const std::vector<std::pair<std::string, identity>>& terminals);
  /// When a rotation of the site is pending: a new credential, stored as the
  /// one on its way (only its hash), to send to the site now.
  std::optional<std::string> issue_rotation(const std::string& site_id);
  /// Leases the site's unanswered requests for the config's lease.
  std::vector<status_request> lease_requests(const std::string& site_id);
  /// Queues a scheduled request for each site due one (the config's
  /// schedule_interval); returns the sites' ids.
  std::vector<std::string> queue_scheduled_requests();
  /// Stores a batch of readings sent by the site `site_id`: readings taken
  /// more than the config's max_reading_age ago are refused as too old.
  readings_result store_readings(const std::string& site_id, const std::vector<reading>& batch);
  /// The center's counts for status and metrics (the config's stale_after and
  /// expiring_within).
  status_counts counts();
  /// Per-dealer figures for monitoring (counts only, no names of sites or
  /// terminals): every dealer's, or with `dealer` the one dealer's — a
  /// refusal (not_found "dealer") when no dealer account has that name.
  std::vector<dealer_health> dealer_monitoring(const std::string& dealer = {});

  // Dealer-site sessions.

  /// How long a dealer-site session lasts.
  static constexpr std::chrono::hours session_lifetime{8};
  /// The enabled account `name` when `password` is its password; nullopt
  /// otherwise (unknown, disabled, wrong, or over-long name or password).
  /// Costs one argon2id hash when the account exists.
  std::optional<account> check_password(const std::string& name, const std::string& password);
  /// Starts a session of `acc` for session_lifetime, audited as session.login
  /// from `peer`; returns the cookie's secret (only its hash is stored).
  std::string start_session(const account& acc, const std::string& peer);
  /// Ends the session `me`.
  void end_session(const signed_in& me);

  // What accounts see. A dealer sees only its own objects; an admin sees
  // every dealer's, or one dealer's with `of_dealer`. A dealer asking for
  // another dealer's gets nothing.

  /// Every account; throws refusal (forbidden) for a dealer.
  std::vector<account> accounts(const account& acting);
  /// The newest `limit` audit lines: every one for an admin, a dealer's own
  /// actions for a dealer.
  std::vector<audit_entry> audit_log(const account& acting, std::size_t limit);
  /// Sites, oldest first.
  std::vector<site> sites(const account& acting, std::optional<std::int64_t> of_dealer = std::nullopt);
  /// A page of sites() (`limit` from `offset`, at most 1,000), each with its
  /// number of terminals; and how many sites there are.
  std::pair<std::vector<std::pair<site, std::int64_t>>, std::int64_t> sites_page(const account& acting,
                                                                                 std::size_t offset, std::size_t limit);
  /// The site list's search: the sites of sites() whose customer, or a
  /// terminal's serial or key, contains `text` (at most 200 characters
  /// used), at most `limit` (≤ 1,000), each with its number of terminals.
  std::vector<std::pair<site, std::int64_t>> search_sites(const account& acting, const std::string& text,
                                                          std::size_t limit);
  /// Sites with their terminals.
  std::vector<site_terminals> sites_with_terminals(const account& acting);
  /// One site's page; throws refusal not_found as require_site.
  site_overview site_overview_of(const account& acting, const std::string& site_id);
  /// The terminals of a site; throws as require_site.
  std::vector<terminal_record> terminals(const account& acting, const std::string& site_id);
  /// The terminal `key` and its site when `acting` may act on the site;
  /// throws refusal not_found (terminal) for an unknown or another dealer's
  /// terminal alike.
  held_terminal require_terminal(const account& acting, const std::string& key);
  /// The newest `limit` readings of terminal `key` sent by its site, taken
  /// since `since`, oldest first; throws as require_terminal.
  std::vector<stored_reading> latest_readings(const account& acting, const std::string& key, time_point since,
                                              std::size_t limit);
  /// The requests for running status of a site, oldest first; throws as require_site.
  std::vector<status_request> requests(const account& acting, const std::string& site_id);
  /// The readings of a site (at most `limit`); throws as require_site.
  std::vector<stored_reading> readings(const account& acting, const std::string& site_id, std::size_t limit);
  /// Codes issued, newest first.
  std::vector<code_record> codes(const account& acting, std::optional<std::int64_t> of_dealer = std::nullopt);
  /// API tokens, newest first.
  std::vector<api_token> tokens(const account& acting);
  /// Claims `acting` sees, each with what it may know of the two sites.
  std::vector<claim_view> claim_views(const account& acting);
  /// Where `dealer`'s billing is closed (nullopt: nowhere); `acting` is an
  /// admin or the dealer itself, else refusal not_found (account).
  std::optional<time_point> billing_closed_until(const account& acting, const account& dealer);

  // Alerts (issue 19). Every raise, acknowledgement and clear passes
  // through publish(), the one place a delivery (webhooks, e-mail) hooks.

  /// Sets `dealer`'s alert settings from `text` (parse_alert_settings over
  /// its settings now; "default" for the center's); `acting` is an admin or
  /// the dealer itself. Audited as alerts.settings; refusal invalid with the
  /// reason otherwise.
  void set_alert_settings(const account& acting, const account& dealer, const std::string& text);
  /// The alerts of `q` that `acting` sees (a dealer: its own only; an
  /// admin: every dealer's, or q.dealer_id's). Refusal invalid for an
  /// unknown kind or severity.
  std::vector<alert> alerts(const account& acting, alert_query q);
  /// Alert `id` when `acting` sees it; refusal not_found (alert) otherwise,
  /// the same for another dealer's as for none.
  alert require_alert(const account& acting, std::int64_t id);
  /// The history of alert `id` (oldest first); throws as require_alert.
  std::vector<alert_transition> alert_history(const account& acting, std::int64_t id);
  /// Acknowledges an open alert (it stays open); audited as alert.acknowledge.
  /// Refusal conflict when it is cleared or acknowledged already.
  void acknowledge_alert(const account& acting, std::int64_t id);
  /// Clears an open alert by hand; audited as alert.clear. A supply or
  /// device alert cleared by hand comes again only when a reading first shows
  /// the condition gone, then back. Refusal conflict when it is cleared.
  void clear_alert(const account& acting, std::int64_t id);
  /// The timer's rules (silence, codes about to expire): storage's
  /// check_alerts at now, published; returns how many transitions.
  std::size_t check_alerts();
  /// Where every alert transition goes once committed: one log line each
  /// (the subject quoted). A delivery queue hooks here.
  void publish(const std::vector<alert_transition>& events);

  // Webhooks (issue 19 step 4): every alert transition of a dealer is
  // POSTed, signed, to each of its webhooks, at least once.

  /// A webhook just added and its signing secret (shown once; the center
  /// derives it again from the server key when it signs).
  struct webhook_added {
    webhook hook;
    std::string secret;
  };
  /// Adds a webhook to `dealer` (`acting` is an admin or the dealer itself).
  /// Refusal invalid for a bad URL (webhook_url_problem) or an admin as
  /// `dealer`, conflict when the dealer has [delivery]
  /// max_webhooks_per_dealer already. Audited as webhook.add.
  webhook_added add_webhook(const account& acting, const account& dealer, const std::string& url);
  /// The webhooks `acting` sees (an admin: every dealer's, or of_dealer's).
  std::vector<webhook> webhooks(const account& acting, std::optional<std::int64_t> of_dealer = std::nullopt);
  /// Webhook `id` when `acting` sees it; refusal not_found otherwise.
  webhook require_webhook(const account& acting, std::int64_t id);
  /// Removes webhook `id` and its queue; audited as webhook.remove.
  void remove_webhook(const account& acting, std::int64_t id);
  /// Sends a test event (type "test", event_id 0) to webhook `id` now with
  /// `post`, nothing queued; returns what came back. Audited as webhook.test.
  webhook_response test_webhook(const account& acting, std::int64_t id, const webhook_poster& post);
  /// The newest `limit` (at most 1,000) deliveries `acting` sees (of
  /// `webhook_id` only when not 0; throws as require_webhook then).
  std::vector<delivery> deliveries(const account& acting, std::int64_t webhook_id, std::size_t limit);
  /// The delivery worker's step: claims one due delivery (for [delivery]
  /// lease), POSTs it with `post`, records the outcome: 2xx delivered; else
  /// retried after retry_delay (at least Retry-After, at most a day), its
  /// webhook blocked until then; failed once give_up_after has passed since
  /// it was queued. Returns false when nothing was due.
  bool deliver_next(const webhook_poster& post);
  /// Sets `dealer`'s e-mail digest: recipients as parse_recipients reads
  /// them ("off": none) and the interval (nullopt: unchanged; 5 min..7 days).
  /// `acting` is an admin or the dealer itself; refusal invalid with the
  /// reason otherwise. Audited as alerts.digest.
  void set_digest(const account& acting, const account& dealer, const std::string& recipients,
                  std::optional<std::chrono::seconds> interval);
  /// Sends every digest due now with `send` (one mail per dealer: the
  /// transitions since its last digest, at most 500; the next one after its
  /// interval). A failed send is tried again in 5 minutes, its events kept.
  /// Returns how many mails went out.
  std::size_t send_digests(const mail_sender& send);
  /// Called after every publish() with events (the worker's wake()); set
  /// once at start-up.
  void on_publish(std::function<void()> fn);

  // Supplies (issue 19): levels now and toner-out forecasts.

  /// Every supply of the terminals of site `site_id` (only terminal
  /// `terminal_key` when not empty) with its forecast from the newest
  /// forecast_points readings; throws as require_site.
  std::vector<supply_outlook> supply_outlooks(const account& acting, const std::string& site_id,
                                              const std::string& terminal_key = "");
  /// The "to order" list: every supply of `acting`'s terminals (an admin:
  /// every dealer's) whose forecast falls within its dealer's lead time, or
  /// that is empty now; soonest first. Reads at most forecast_points
  /// readings per terminal.
  std::vector<supply_outlook> to_order(const account& acting);

  // The fleet dashboard (issue 19).

  /// How many of `acting`'s terminals (an admin: every dealer's) are in each
  /// fleet_state now.
  fleet_counts fleet_states(const account& acting);
  /// `acting`'s terminals in `state` (at most `limit`, at most 1,000).
  std::vector<fleet_terminal> fleet_terminals(const account& acting, fleet_state state, std::size_t limit);
  /// `dealer`'s printed volume in each of the last `months` calendar months
  /// (UTC, 1..24, oldest first; the last is the current month so far): per
  /// terminal and site that held it, billing's clicks (bill_terminal, the
  /// same rule: a counter that went down counts from zero) between its
  /// readings at the month's ends (storage::fleet_month_marks), summed over
  /// the fleet; a month where a counter ends below where it started is
  /// billed from all its readings (at most 50,000). A reset after which
  /// every counter climbed back above its month's start is counted as the
  /// net increase (never negative, never twice; under by what the counter
  /// had reached before the reset).
  /// A site's readings count for its own ownership period only (a transfer
  /// never counts twice). `acting` is an admin or the dealer itself; refusal
  /// not_found otherwise.
  std::vector<month_volume> fleet_volume(const account& acting, const account& dealer, int months = 12);

 private:
  claim require_pending_claim(const account& acting, std::int64_t claim_id);
  /// The storage's dealer filter for `acting` asking for `of_dealer`; false
  /// when `acting` may see nothing of what it asked for.
  static bool dealer_scope(const account& acting, std::optional<std::int64_t> of_dealer,
                           std::optional<std::int64_t>& scope);

  storage& store_;
  const clock& clock_;
  const config& config_;
  crypto::digest key_;
  std::mutex publish_mutex_;
  std::function<void()> on_publish_;
};

}  // namespace fleetreg::center
