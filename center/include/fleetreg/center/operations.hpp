// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <vector>
#include <string>

#include "fleetreg/center/billing.hpp"
#include "fleetreg/center/config.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/storage.hpp"
#include "fleetreg/core/clock.hpp"

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

/// The dealer and operator actions shared by fleetreg-centerctl, the dealer
/// site and the API: accounts, codes, credentials, requests, tokens, purge.
/// Every action is audited. Refusals throw center::refusal (a fleetreg::error:
/// exit code data or failure) with a sentence a serviceperson understands and
/// its kind (not_found, invalid, conflict…); nothing is changed then.
class operations {
 public:
  operations(storage& st, const clock& clk, const config& cfg, const crypto::digest& server_key);

  storage& store() { return store_; }
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
  /// Claims `acting` may see: on its terminals, or by its sites.
  std::vector<claim> claims(const account& acting);

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

 private:
  claim require_pending_claim(const account& acting, std::int64_t claim_id);

  storage& store_;
  const clock& clock_;
  const config& config_;
  crypto::digest key_;
};

}  // namespace fleetreg::center
