// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/operations.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>
#include <random>

#include "fleetreg/center/refusal.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/provisional_code.hpp"

namespace fleetreg::center {
namespace {

void require_text(const std::string& value, const char* what, std::size_t max, bool required) {
  if (required && value.empty()) throw refusal(refusal_kind::invalid, std::string(what) + " is required");
  if (!is_printable_utf8(value, max))
    throw refusal(refusal_kind::invalid,
                  std::string(what) + " is longer than " + std::to_string(max) + " bytes or holds control characters");
}

}  // namespace

operations::operations(storage& st, const clock& clk, const config& cfg, const crypto::digest& server_key)
    : store_(st), clock_(clk), config_(cfg), key_(server_key) {}

void operations::create_account(const std::string& actor, const std::string& name, role r,
                                const std::string& password) {
  require_text(name, "account name", 64, true);
  if (password.size() < 10) throw refusal(refusal_kind::invalid, "a password needs at least 10 characters");
  if (password.size() > 1024) throw refusal(refusal_kind::invalid, "a password has at most 1024 characters");
  if (!store_.add_account(name, r, crypto::hash_password(password), clock_.now()))
    throw refusal(refusal_kind::conflict, "an account named '" + name + "' exists already");
  store_.audit(actor, "account.create", name, r == role::admin ? "admin" : "dealer", clock_.now());
}

account operations::require_account(const std::string& name) {
  auto a = store_.find_account(name);
  if (!a || a->disabled) throw refusal::no_such("account", "named '" + name + "'");
  return *a;
}

std::optional<std::chrono::seconds> operations::parse_validity(const std::string& text) const {
  if (text.empty() || text == "default") return std::nullopt;
  const auto max = std::chrono::duration_cast<std::chrono::seconds>(config_.code_validity_max);
  const auto bounds =
      "a code's validity is 1h.." + std::to_string(max.count() / 3600) + "h, written like 7d, 36h or 90m";
  std::int64_t n = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && i < 9; ++i) n = n * 10 + (text[i] - '0');
  if (i == 0 || i + 1 != text.size()) throw refusal(refusal_kind::invalid, bounds);
  std::chrono::seconds v{};
  switch (text[i]) {
    case 'd':
      v = std::chrono::hours(24 * n);
      break;
    case 'h':
      v = std::chrono::hours(n);
      break;
    case 'm':
      v = std::chrono::minutes(n);
      break;
    case 's':
      v = std::chrono::seconds(n);
      break;
    default:
      throw refusal(refusal_kind::invalid, bounds);
  }
  if (v < std::chrono::hours(1) || v > max) throw refusal(refusal_kind::invalid, bounds);
  return v;
}

void operations::set_account_enabled(const std::string& actor, const std::string& name, bool enabled) {
  // Not require_account: that one hides disabled accounts, which are the
  // ones to enable again.
  if (!store_.find_account(name)) throw refusal::no_such("account", "named '" + name + "'");
  if (!enabled && name == actor) throw refusal(refusal_kind::invalid, "you cannot disable your own account");
  store_.set_account_disabled(name, !enabled);
  store_.audit(actor, enabled ? "account.enable" : "account.disable", name, "", clock_.now());
}

operations::issued_code operations::issue_code(const account& dealer, const std::string& customer,
                                               const std::string& contact, const std::string& reference,
                                               const code_options& options) {
  require_text(customer, "customer name", 200, true);
  require_text(contact, "contact", 200, false);
  require_text(reference, "dealer reference", 100, false);
  if (options.validity && (*options.validity < std::chrono::hours(1) || *options.validity > config_.code_validity_max))
    throw refusal(
        refusal_kind::invalid,
        "a code's validity is 1 hour.." +
            std::to_string(std::chrono::duration_cast<std::chrono::hours>(config_.code_validity_max).count()) +
            " hours");
  issued_code out;
  out.code = provisional_code::generate();
  out.record.dealer_id = dealer.id;
  out.record.dealer_name = dealer.name;
  out.record.customer = customer;
  out.record.contact = contact;
  out.record.reference = reference;
  out.record.single_site = options.single_site;
  out.record.issued_at = clock_.now();
  const auto validity = options.validity ? std::chrono::milliseconds(*options.validity)
                        : dealer.code_validity
                            ? std::min(std::chrono::milliseconds(*dealer.code_validity), config_.code_validity_max)
                            : config_.code_validity;
  out.record.expires_at = out.record.issued_at + validity;
  const auto hash = crypto::code_hash(key_, out.code);
  out.record.id = store_.add_code(out.record, hash);
  store_.audit(dealer.name, "code.issue", customer,
               "code #" + std::to_string(out.record.id) + " expires " + format_utc(out.record.expires_at) +
                   (options.single_site ? ", single site" : ""),
               clock_.now());
  return out;
}

void operations::revoke_code(const account& acting, std::int64_t code_id) {
  const auto c = store_.find_code(code_id);
  // A dealer never learns whether another dealer's code exists.
  if (!c || (acting.role != role::admin && c->dealer_id != acting.id))
    throw refusal::no_such("code", "#" + std::to_string(code_id));
  if (!store_.revoke_code(code_id, clock_.now()))
    throw refusal(refusal_kind::conflict, "code #" + std::to_string(code_id) + " cannot register any more already");
  store_.audit(acting.name, "code.revoke", c->customer, "code #" + std::to_string(code_id), clock_.now());
}

void operations::set_code_validity(const std::string& actor, const account& dealer,
                                   std::optional<std::chrono::seconds> validity) {
  if (validity && (*validity < std::chrono::hours(1) || *validity > config_.code_validity_max))
    throw refusal(refusal_kind::invalid, "a code's validity is 1 hour..[codes] validity_max");
  store_.set_code_validity(dealer.id, validity);
  store_.audit(actor, "account.code-validity", dealer.name,
               validity ? std::to_string(validity->count()) + " s" : "center default", clock_.now());
}

std::optional<code_record> operations::check_code(const std::string& typed, std::string& why_code, std::string& why) {
  const auto canonical = provisional_code::normalize(typed, &why);
  if (canonical.empty()) {
    why_code = "code_malformed";
    return std::nullopt;
  }
  auto rec = store_.find_code(crypto::code_hash(key_, canonical));
  if (!rec) {
    why_code = "code_unknown";
    why = "the provisional code is not known (never issued, or purged after it expired)";
    return std::nullopt;
  }
  if (rec->revoked_at) {
    why_code = "code_revoked";
    why = "the dealer revoked this provisional code; ask the dealer for a new one";
    return std::nullopt;
  }
  if (rec->expires_at <= clock_.now()) {
    why_code = "code_expired";
    why = "the provisional code expired on " + format_utc(rec->expires_at) + "; ask the dealer for a new one";
    return std::nullopt;
  }
  return rec;
}

site operations::require_site(const account& acting, const std::string& site_id) {
  auto s = store_.find_site(site_id);
  // A dealer never learns whether another dealer's site exists.
  if (!s || (acting.role != role::admin && s->dealer_id != acting.id)) throw refusal::no_such("site", site_id);
  return *s;
}

void operations::revoke(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  store_.replace_credentials(s.id, std::nullopt, clock_.now());
  store_.audit(acting.name, "credential.revoke", s.id, s.customer, clock_.now());
}

void operations::rotate(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  if (!store_.request_rotation(s.id, clock_.now()))
    throw refusal(refusal_kind::conflict,
                  "site " + s.id + " has no active credential to rotate: it registers again with a new code");
  store_.audit(acting.name, "credential.rotate", s.id, s.customer, clock_.now());
  store_.notify(s.id);  // a waiting long-poll takes the new credential at once
}

std::string operations::request_reading(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  const auto id = store_.queue_request(s.id, "on-demand", clock_.now());
  store_.audit(acting.name, "request.on-demand", s.id, "request " + id, clock_.now());
  return id;
}

void operations::transfer_terminal(const account& acting, const std::string& key, const std::string& to_site_id) {
  const auto t = store_.find_terminal(key);
  if (!t) throw refusal::no_such("terminal", key);
  const auto from = require_site(acting, t->site_id);
  const auto to = require_site(acting, to_site_id);
  if (from.id == to.id) throw refusal(refusal_kind::conflict, "terminal " + key + " is already at site " + to.id);
  store_.transfer_terminal(key, to.id, acting.name, clock_.now());
  store_.audit(acting.name, "terminal.transfer", key, from.customer + " -> " + to.customer, clock_.now());
}

void operations::retire_terminal(const account& acting, const std::string& key) {
  const auto t = store_.find_terminal(key);
  if (!t) throw refusal::no_such("terminal", key);
  const auto s = require_site(acting, t->site_id);
  store_.retire_terminal(key, acting.name, clock_.now());
  store_.audit(acting.name, "terminal.retire", key, s.customer, clock_.now());
}

claim operations::require_pending_claim(const account& acting, std::int64_t claim_id) {
  auto c = store_.find_claim(claim_id);
  const auto holder = c ? store_.find_site(c->holder_site_id) : std::nullopt;
  if (!c || !holder || (acting.role != role::admin && holder->dealer_id != acting.id))
    throw refusal::no_such("claim", "#" + std::to_string(claim_id));
  if (c->state != "pending")
    throw refusal(refusal_kind::conflict, "claim #" + std::to_string(claim_id) + " was " + c->state + " already");
  return *c;
}

void operations::accept_claim(const account& acting, std::int64_t claim_id) {
  const auto c = require_pending_claim(acting, claim_id);
  const auto to = store_.find_site(c.claimant_site_id);
  const auto t = store_.find_terminal(c.key);
  if (!to || !t || t->site_id != c.holder_site_id)
    throw refusal(refusal_kind::conflict, "terminal " + c.key + " is no longer at the site the claim was made on");
  store_.transfer_terminal(c.key, to->id, acting.name, clock_.now());
  store_.audit(acting.name, "claim.accept", c.key, "claim #" + std::to_string(claim_id) + " -> " + to->customer,
               clock_.now());
}

void operations::refuse_claim(const account& acting, std::int64_t claim_id) {
  const auto c = require_pending_claim(acting, claim_id);
  if (!store_.refuse_claim(claim_id, acting.name, clock_.now()))
    throw refusal(refusal_kind::conflict, "claim #" + std::to_string(claim_id) + " was decided already");
  store_.audit(acting.name, "claim.refuse", c.key, "claim #" + std::to_string(claim_id), clock_.now());
}

std::vector<claim> operations::claims(const account& acting, std::optional<std::int64_t> of_dealer) {
  std::optional<std::int64_t> scope;
  if (!dealer_scope(acting, of_dealer, scope)) return {};
  return store_.list_claims(scope);
}

std::string operations::issue_monitoring_token(const std::string& actor, const std::string& name) {
  require_text(name, "token name", 64, true);
  auto token = crypto::new_secret("frm1_");
  api_token t;
  t.name = name;
  t.scope = "monitoring";
  t.created_at = clock_.now();
  const auto id = store_.add_token(t, crypto::secret_hash(token));
  store_.audit(actor, "token.issue", name, "monitoring token #" + std::to_string(id), clock_.now());
  return token;
}

std::string operations::issue_billing_token(const std::string& actor, const account& dealer, const std::string& name) {
  require_text(name, "token name", 64, true);
  if (dealer.role != role::dealer) throw refusal(refusal_kind::invalid, "a billing token belongs to a dealer account");
  auto token = crypto::new_secret("frb1_");
  api_token t;
  t.name = name;
  t.scope = "billing";
  t.dealer_id = dealer.id;
  t.created_at = clock_.now();
  const auto id = store_.add_token(t, crypto::secret_hash(token));
  store_.audit(actor, "token.issue", name, "billing token #" + std::to_string(id) + " of " + dealer.name, clock_.now());
  return token;
}

void operations::revoke_token(const account& acting, std::int64_t token_id) {
  const auto all =
      store_.list_tokens(acting.role == role::admin ? std::nullopt : std::optional<std::int64_t>(acting.id));
  const auto it = std::find_if(all.begin(), all.end(), [&](const api_token& t) { return t.id == token_id; });
  if (it == all.end()) throw refusal::no_such("token", "#" + std::to_string(token_id));
  if (!store_.revoke_token(token_id, clock_.now()))
    throw refusal(refusal_kind::conflict, "token #" + std::to_string(token_id) + " was revoked already");
  store_.audit(acting.name, "token.revoke", it->name, it->scope + " token #" + std::to_string(token_id), clock_.now());
}

void operations::close_billing(const account& acting, const account& dealer, time_point until) {
  if (acting.role != role::admin && acting.id != dealer.id)
    throw refusal::no_such("account", "named '" + dealer.name + "'");
  if (until > clock_.now()) throw refusal(refusal_kind::invalid, "billing can be closed up to now, not in the future");
  store_.close_billing(dealer.id, until);
  store_.audit(acting.name, "billing.close", dealer.name, "closed before " + format_utc(until), clock_.now());
}

void operations::set_billing_weights(const account& acting, const account& dealer, const std::string& text) {
  if (acting.role != role::admin && acting.id != dealer.id)
    throw refusal::no_such("account", "named '" + dealer.name + "'");
  if (dealer.role != role::dealer) throw refusal(refusal_kind::invalid, "billing weights belong to a dealer account");
  std::string why;
  const auto w = parse_billing_weights(text, why);
  if (!w) throw refusal(refusal_kind::invalid, why);
  const auto canonical = to_string(*w);
  store_.set_billing_weights(dealer.id, canonical);
  store_.audit(acting.name, "billing.weights", dealer.name, canonical.empty() ? "default" : canonical, clock_.now());
}

billing_weights operations::billing_weights_of(const account& dealer) const {
  std::string why;
  // Stored only after parsing: a text that no longer parses falls back to the default.
  return parse_billing_weights(dealer.billing_weights, why).value_or(billing_weights{});
}

billing_weights operations::site_billing_weights(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  const auto dealer = store_.find_account(s.dealer_id);
  return dealer ? billing_weights_of(*dealer) : billing_weights{};
}

namespace {

// The lines of one terminal's billing input, with its site's customer and model.
void bill_input(const billing_input& in, const billing_weights& weights, std::vector<billing_line>& lines) {
  if (in.readings.empty()) return;
  for (auto& l : bill_terminal(in.readings, weights)) {
    l.customer = in.customer;
    l.site_id = in.terminal.site_id;
    l.model = in.terminal.id.manufacturer + " " + in.terminal.id.model;
    lines.push_back(std::move(l));
  }
}

}  // namespace

std::vector<billing_line> operations::billing(const account& acting, const std::string& site_id, time_point from,
                                              time_point to) {
  const auto s = require_site(acting, site_id);
  if (to <= from) throw refusal(refusal_kind::invalid, "a billing period ends after it begins");
  const auto dealer = store_.find_account(s.dealer_id);
  const auto weights = dealer ? billing_weights_of(*dealer) : billing_weights{};
  std::vector<billing_line> lines;
  // Two queries for the site, not two per terminal.
  store_.billing_inputs(s.dealer_id, s.id, from, to, [&](billing_input& in) { bill_input(in, weights, lines); });
  return lines;
}

std::vector<billing_line> operations::dealer_billing(const account& acting, const account& dealer, time_point from,
                                                     time_point to) {
  if (acting.role != role::admin && acting.id != dealer.id)
    throw refusal::no_such("account", "named '" + dealer.name + "'");
  if (to <= from) throw refusal(refusal_kind::invalid, "a billing period ends after it begins");
  if (to - from > std::chrono::hours(24 * 366))
    throw refusal(refusal_kind::invalid, "a dealer's billing covers at most 366 days at a time");
  const auto weights = billing_weights_of(dealer);
  std::vector<billing_line> lines;
  store_.billing_inputs(dealer.id, "", from, to, [&](billing_input& in) { bill_input(in, weights, lines); });
  return lines;
}

std::optional<signed_in> operations::find_session(const std::string& secret) {
  if (secret.empty() || secret.size() > 128) return std::nullopt;
  signed_in v;
  v.hash = crypto::secret_hash(secret);
  const auto s = store_.find_session(v.hash, clock_.now());
  if (!s) return std::nullopt;
  const auto a = store_.find_account(s->account_id);
  if (!a || a->disabled) return std::nullopt;
  v.acc = *a;
  v.session = *s;
  return v;
}

std::int64_t operations::purge(const std::string& actor) {
  const auto n = store_.purge_codes(clock_.now());
  if (n > 0) store_.audit(actor, "code.purge", std::to_string(n) + " codes", "", clock_.now());
  // Retention: old readings pruned to their monthly summaries.
  const auto before = clock_.now() - config_.reading_retention;
  if (const auto pruned = store_.prune_readings(before); pruned > 0) {
    store_.audit(actor, "readings.prune", std::to_string(pruned) + " readings",
                 "taken before " + format_utc(before) + "; monthly summaries kept", clock_.now());
    log::notice("pruned " + std::to_string(pruned) + " readings taken before " + format_utc(before) +
                " (monthly summaries kept)");
  }
  return n;
}

bool operations::dealer_scope(const account& acting, std::optional<std::int64_t> of_dealer,
                              std::optional<std::int64_t>& scope) {
  if (acting.role == role::admin) {
    scope = of_dealer;
    return true;
  }
  scope = acting.id;
  return !of_dealer || *of_dealer == acting.id;
}

std::optional<site> operations::authenticate_site(const std::string& credential) {
  if (credential.empty() || credential.size() > 128) return std::nullopt;
  return store_.site_by_credential(crypto::secret_hash(credential), clock_.now(),
                                   std::chrono::duration_cast<std::chrono::seconds>(config_.rotation_overlap));
}

std::optional<token_holder> operations::authenticate_token(const std::string& secret) {
  if (secret.empty() || secret.size() > 128) return std::nullopt;
  auto t = store_.find_token(crypto::secret_hash(secret), clock_.now());
  if (!t) return std::nullopt;
  token_holder h{std::move(*t), std::nullopt};
  if (h.token.scope == "billing" && h.token.dealer_id) h.dealer = store_.find_account(*h.token.dealer_id);
  return h;
}

registration operations::register_site(const code_record& code, const std::string& idempotency_key,
                                       const registering_side& side,
                                       std::vector<std::pair<std::string, identity>> terminals) {
  registration out;
  out.credential = crypto::new_secret("frc1_");
  const auto hash = crypto::secret_hash(out.credential);
  registration_input in;
  in.code_id = code.id;
  in.idempotency_key = idempotency_key;
  in.side = side;
  in.terminals = std::move(terminals);
  in.credential_hash.assign(hash.begin(), hash.end());
  in.now = clock_.now();
  out.result = store_.register_site(in);
  if (out.result.outcome == registration_result::kind::code_used) return out;
  store_.audit(side.kind + ":" + side.name,
               out.result.outcome == registration_result::kind::retried ? "registration.retry" : "registration",
               out.result.site_id,
               code.customer + ", " + std::to_string(out.result.terminals.size()) + " terminals, code #" +
                   std::to_string(code.id),
               in.now);
  return out;
}

terminals_added operations::add_terminals(const site& s,
                                          const std::vector<std::pair<std::string, identity>>& terminals) {
  const auto now = clock_.now();
  terminals_added out;
  out.answers = store_.add_terminals(s.id, terminals, now);
  const auto added = std::count_if(out.answers.begin(), out.answers.end(),
                                   [](const terminal_answer& a) { return a.status == "registered"; });
  if (added > 0)
    store_.audit(s.side.kind + ":" + s.side.name, "terminals.add", s.id, std::to_string(added) + " terminals", now);
  out.terminals = store_.list_terminals(s.id);
  return out;
}

std::optional<std::string> operations::issue_rotation(const std::string& site_id) {
  auto credential = crypto::new_secret("frc1_");
  if (!store_.issue_rotation(site_id, crypto::secret_hash(credential), clock_.now())) return std::nullopt;
  return credential;
}

std::vector<status_request> operations::lease_requests(const std::string& site_id) {
  std::vector<alert_transition> events;
  auto leased = store_.lease_requests(site_id, clock_.now(), config_.lease, &events);
  if (!events.empty()) publish(events);
  return leased;
}

std::vector<std::string> operations::queue_scheduled_requests() {
  return store_.queue_due_requests(clock_.now(), config_.schedule_interval);
}

readings_result operations::store_readings(const std::string& site_id, const std::vector<reading>& batch) {
  const auto now = clock_.now();
  auto r = store_.store_readings(site_id, batch, now, now - config_.max_reading_age);
  if (!r.alert_events.empty()) publish(r.alert_events);
  return r;
}

status_counts operations::counts() { return store_.counts(clock_.now(), config_.stale_after, config_.expiring_within); }

std::vector<dealer_health> operations::dealer_monitoring(const std::string& dealer) {
  if (dealer.empty()) return store_.dealer_monitoring(clock_.now(), std::nullopt);
  const auto acc = dealer.size() > 64 ? std::nullopt : store_.find_account(dealer);
  if (!acc || acc->role != role::dealer) throw refusal::no_such("dealer", dealer);
  auto one = store_.dealer_monitoring(clock_.now(), acc->id);
  if (one.empty()) throw refusal::no_such("dealer", dealer);
  return one;
}

std::optional<account> operations::check_password(const std::string& name, const std::string& password) {
  if (name.size() > 64) return std::nullopt;
  auto acc = store_.find_account(name);
  if (!acc || acc->disabled || password.size() > 1024 || !crypto::verify_password(password, acc->password_hash))
    return std::nullopt;
  return acc;
}

std::string operations::start_session(const account& acc, const std::string& peer) {
  auto secret = crypto::new_secret("");
  const auto csrf = crypto::new_secret("");
  const auto now = clock_.now();
  store_.add_session(crypto::secret_hash(secret), acc.id, csrf, now, now + session_lifetime);
  store_.audit(acc.name, "session.login", peer, "", now);
  return secret;
}

void operations::end_session(const signed_in& me) { store_.delete_session(me.hash); }

std::vector<account> operations::accounts(const account& acting) {
  if (acting.role != role::admin) throw refusal(refusal_kind::forbidden, "Only an admin manages accounts.");
  return store_.list_accounts();
}

std::vector<audit_entry> operations::audit_log(const account& acting, std::size_t limit) {
  return store_.list_audit(acting.role == role::admin ? std::nullopt : std::optional(acting.name), limit);
}

std::vector<site> operations::sites(const account& acting, std::optional<std::int64_t> of_dealer) {
  std::optional<std::int64_t> scope;
  if (!dealer_scope(acting, of_dealer, scope)) return {};
  return store_.list_sites(scope);
}

std::pair<std::vector<std::pair<site, std::int64_t>>, std::int64_t> operations::sites_page(const account& acting,
                                                                                           std::size_t offset,
                                                                                           std::size_t limit) {
  return store_.list_sites_page(acting.role == role::admin ? std::nullopt : std::optional(acting.id), offset,
                                std::min<std::size_t>(limit, 1000));
}

std::vector<std::pair<site, std::int64_t>> operations::search_sites(const account& acting, const std::string& text,
                                                                    std::size_t limit) {
  return store_.search_sites(acting.role == role::admin ? std::nullopt : std::optional(acting.id), text.substr(0, 200),
                             std::min<std::size_t>(limit, 1000));
}

std::vector<site_terminals> operations::sites_with_terminals(const account& acting) {
  std::vector<site_terminals> out;
  for (auto& [s, terminals] :
       store_.list_sites_with_terminals(acting.role == role::admin ? std::nullopt : std::optional(acting.id)))
    out.push_back({std::move(s), std::move(terminals)});
  return out;
}

site_overview operations::site_overview_of(const account& acting, const std::string& site_id) {
  site_overview out;
  out.s = require_site(acting, site_id);
  // The newest reading up to now included.
  const auto until = clock_.now() + std::chrono::seconds(1);
  for (auto& [t, last] : store_.terminals_with_reading_before(out.s.id, until))
    out.terminals.push_back({std::move(t), std::move(last)});
  out.requests = store_.list_requests(out.s.id);
  return out;
}

std::vector<terminal_record> operations::terminals(const account& acting, const std::string& site_id) {
  return store_.list_terminals(require_site(acting, site_id).id);
}

held_terminal operations::require_terminal(const account& acting, const std::string& key) {
  if (const auto t = store_.find_terminal(key)) {
    try {
      return {*t, require_site(acting, t->site_id)};
    } catch (const refusal&) {
      // another dealer's terminal: answered like an unknown one
    }
  }
  throw refusal::no_such("terminal", key);
}

std::vector<stored_reading> operations::latest_readings(const account& acting, const std::string& key, time_point since,
                                                        std::size_t limit) {
  const auto h = require_terminal(acting, key);
  return store_.terminal_readings(h.t.key, h.s.id, since, std::nullopt, limit, true);
}

std::vector<status_request> operations::requests(const account& acting, const std::string& site_id) {
  return store_.list_requests(require_site(acting, site_id).id);
}

std::vector<stored_reading> operations::readings(const account& acting, const std::string& site_id, std::size_t limit) {
  return store_.list_readings(require_site(acting, site_id).id, limit);
}

std::vector<code_record> operations::codes(const account& acting, std::optional<std::int64_t> of_dealer) {
  std::optional<std::int64_t> scope;
  if (!dealer_scope(acting, of_dealer, scope)) return {};
  return store_.list_codes(scope);
}

std::vector<api_token> operations::tokens(const account& acting) {
  return store_.list_tokens(acting.role == role::admin ? std::nullopt : std::optional<std::int64_t>(acting.id));
}

std::vector<claim_view> operations::claim_views(const account& acting) {
  const bool admin = acting.role == role::admin;
  std::vector<claim_view> out;
  // One site lookup per claim: the claim record names the holder's site only.
  for (auto& c : claims(acting)) {
    claim_view v;
    auto holder = store_.find_site(c.holder_site_id);
    if (holder && (admin || holder->dealer_id == acting.id)) v.holder = std::move(holder);
    v.claimant_shown = admin || c.claimant_dealer_id == acting.id;
    v.decidable = v.holder && c.state == "pending";
    v.c = std::move(c);
    out.push_back(std::move(v));
  }
  return out;
}

std::optional<time_point> operations::billing_closed_until(const account& acting, const account& dealer) {
  if (acting.role != role::admin && acting.id != dealer.id)
    throw refusal::no_such("account", "named '" + dealer.name + "'");
  return store_.billing_closed_until(dealer.id);
}

}  // namespace fleetreg::center

namespace fleetreg::center {

void operations::set_alert_settings(const account& acting, const account& dealer, const std::string& text) {
  if (acting.role != role::admin && acting.id != dealer.id)
    throw refusal::no_such("account", "named '" + dealer.name + "'");
  if (dealer.role != role::dealer) throw refusal(refusal_kind::invalid, "alert settings belong to a dealer account");
  std::string why;
  const auto s = parse_alert_settings(text, dealer.alerts, why);
  if (!s) throw refusal(refusal_kind::invalid, why);
  store_.set_alert_settings(dealer.id, *s);
  store_.audit(acting.name, "alerts.settings", dealer.name, to_string(*s), clock_.now());
}

std::vector<alert> operations::alerts(const account& acting, alert_query q) {
  if (!q.kind.empty() && !is_alert_kind(q.kind)) throw refusal(refusal_kind::invalid, "no such kind of alert");
  if (!q.severity.empty() && q.severity != "warning" && q.severity != "critical")
    throw refusal(refusal_kind::invalid, "severity is warning or critical");
  if (acting.role != role::admin) q.dealer_id = acting.id;
  return store_.list_alerts(q);
}

alert operations::require_alert(const account& acting, std::int64_t id) {
  auto a = store_.find_alert(id);
  if (!a || (acting.role != role::admin && a->dealer_id != acting.id))
    throw refusal::no_such("alert", "#" + std::to_string(id));
  return *a;
}

std::vector<alert_transition> operations::alert_history(const account& acting, std::int64_t id) {
  require_alert(acting, id);
  return store_.alert_history(id);
}

namespace {
// What an audit line says of an alert: kind, supply or condition, subject.
std::string alert_words(const alert& a) {
  std::string out = a.kind;
  if (a.supply) out += " supply " + std::to_string(*a.supply);
  if (!a.code.empty()) out += " " + a.code;
  if (!a.terminal_key.empty())
    out += " terminal " + a.terminal_key;
  else if (!a.site_id.empty())
    out += " site " + a.site_id;
  else
    out += " code #" + std::to_string(a.code_id);
  return out;
}
}  // namespace

void operations::acknowledge_alert(const account& acting, std::int64_t id) {
  const auto a = require_alert(acting, id);
  const auto done = store_.acknowledge_alert(id, acting.name, clock_.now());
  if (!done)
    throw refusal(refusal_kind::conflict,
                  a.cleared_at ? "this alert is cleared already" : "this alert was acknowledged already");
  store_.audit(acting.name, "alert.acknowledge", "alert #" + std::to_string(id), alert_words(a), clock_.now());
  publish({*done});
}

void operations::clear_alert(const account& acting, std::int64_t id) {
  const auto a = require_alert(acting, id);
  const auto done = store_.clear_alert(id, acting.name, clock_.now());
  if (!done) throw refusal(refusal_kind::conflict, "this alert is cleared already");
  store_.audit(acting.name, "alert.clear", "alert #" + std::to_string(id), alert_words(a), clock_.now());
  publish({*done});
}

std::size_t operations::check_alerts() {
  const auto events = store_.check_alerts(clock_.now());
  if (!events.empty()) publish(events);
  return events.size();
}

void operations::publish(const std::vector<alert_transition>& events) {
  for (const auto& e : events)
    log::info("alert id=" + std::to_string(e.alert_id) + " event=" + std::to_string(e.id) + " " + e.state +
              " kind=" + e.kind + " subject=" + log::quote(e.subject) + " by=" + log::quote(e.actor));
  // The deliveries are queued already (in the transitions' transactions):
  // this only makes the worker look now rather than within a second.
  std::lock_guard lock(publish_mutex_);
  if (on_publish_ && !events.empty()) on_publish_();
}

void operations::on_publish(std::function<void()> fn) {
  std::lock_guard lock(publish_mutex_);
  on_publish_ = std::move(fn);
}

operations::webhook_added operations::add_webhook(const account& acting, const account& dealer,
                                                  const std::string& url) {
  if (acting.role != role::admin && acting.id != dealer.id) throw refusal::no_such("account", dealer.name);
  if (dealer.role != role::dealer)
    throw refusal(refusal_kind::invalid, "webhooks belong to dealers: " + dealer.name + " is an admin");
  if (const auto why = webhook_url_problem(url)) throw refusal(refusal_kind::invalid, *why);
  webhook w;
  w.account_id = dealer.id;
  w.url = url;
  w.salt = crypto::random_hex(32);
  w.created_at = clock_.now();
  const auto max = static_cast<std::size_t>(std::max<std::int64_t>(0, config_.max_webhooks_per_dealer));
  const auto id = store_.add_webhook(w, max);
  if (!id)
    throw refusal(refusal_kind::conflict, dealer.name + " has " + std::to_string(max) +
                                              " webhooks already (the most allowed): remove one first");
  w.id = *id;
  store_.audit(acting.name, "webhook.add", "webhook #" + std::to_string(w.id), dealer.name + " " + url, clock_.now());
  return {w, webhook_secret(key_, w.salt)};
}

std::vector<webhook> operations::webhooks(const account& acting, std::optional<std::int64_t> of_dealer) {
  std::optional<std::int64_t> scope;
  if (!dealer_scope(acting, of_dealer, scope)) return {};
  return store_.list_webhooks(scope);
}

webhook operations::require_webhook(const account& acting, std::int64_t id) {
  auto w = store_.find_webhook(id);
  if (!w || (acting.role != role::admin && w->account_id != acting.id))
    throw refusal::no_such("webhook", "#" + std::to_string(id));
  return *w;
}

void operations::remove_webhook(const account& acting, std::int64_t id) {
  const auto w = require_webhook(acting, id);
  if (!store_.remove_webhook(id)) throw refusal::no_such("webhook", "#" + std::to_string(id));
  store_.audit(acting.name, "webhook.remove", "webhook #" + std::to_string(id), w.url, clock_.now());
}

webhook_response operations::test_webhook(const account& acting, std::int64_t id, const webhook_poster& post) {
  const auto w = require_webhook(acting, id);
  alert_transition test;
  test.at = clock_.now();
  test.actor = acting.name;
  auto answer = post(event_request(key_, w, test, nullptr));
  store_.audit(acting.name, "webhook.test", "webhook #" + std::to_string(id),
               answer.status ? "HTTP " + std::to_string(answer.status) : answer.error, clock_.now());
  return answer;
}

std::vector<delivery> operations::deliveries(const account& acting, std::int64_t webhook_id, std::size_t limit) {
  if (webhook_id) require_webhook(acting, webhook_id);
  return store_.list_deliveries(acting.role == role::admin ? std::nullopt : std::optional(acting.id), webhook_id,
                                std::min<std::size_t>(limit, 1000));
}

void operations::set_digest(const account& acting, const account& dealer, const std::string& recipients,
                            std::optional<std::chrono::seconds> interval) {
  if (acting.role != role::admin && acting.id != dealer.id) throw refusal::no_such("account", dealer.name);
  if (dealer.role != role::dealer)
    throw refusal(refusal_kind::invalid, "digests belong to dealers: " + dealer.name + " is an admin");
  std::string why;
  const auto list = parse_recipients(recipients, why);
  if (!list) throw refusal(refusal_kind::invalid, why);
  const auto every = interval.value_or(dealer.digest_interval);
  if (every < std::chrono::minutes(5) || every > std::chrono::hours(24 * 7))
    throw refusal(refusal_kind::invalid, "the digest interval must be from 5 minutes to 7 days");
  std::string joined;
  for (const auto& r : *list) joined += (joined.empty() ? "" : ", ") + r;
  store_.set_digest(dealer.id, joined, every);
  store_.audit(acting.name, "alerts.digest", dealer.name,
               (joined.empty() ? std::string("off") : joined) + " every " + std::to_string(every.count()) + " s",
               clock_.now());
}

std::size_t operations::send_digests(const mail_sender& send) {
  std::size_t sent = 0;
  // Bounded: one pass over the dealers due (each claimed is not due again
  // within the retry).
  for (int i = 0; i < 1000; ++i) {
    const auto batch = store_.claim_digest(clock_.now(), std::chrono::minutes(5), 500);
    if (!batch) break;
    if (batch->items.empty()) continue;
    std::string why;
    const auto to = parse_recipients(batch->dealer.digest_recipients, why);
    if (!to || to->empty()) continue;
    const auto message = digest_message(config_.mail_from, *to, *batch, clock_.now());
    const auto failed = send(config_.mail_from, *to, message);
    if (!failed.empty()) {
      log::warning("[email] digest of " + log::quote(batch->dealer.name) +
                   " not sent (tried again in 5 min): " + log::quote(failed));
      continue;
    }
    store_.digest_sent(batch->dealer.id, batch->items.back().first.id, clock_.now() + batch->dealer.digest_interval);
    log::info("[email] digest of " + log::quote(batch->dealer.name) + " sent: " + std::to_string(batch->items.size()) +
              " events");
    ++sent;
  }
  return sent;
}

bool operations::deliver_next(const webhook_poster& post) {
  const auto jobs = store_.claim_deliveries(clock_.now(), config_.delivery_lease, 1);
  if (jobs.empty()) return false;
  const auto& job = jobs.front();
  const auto answer = post(event_request(key_, job.hook, job.event, &job.subject));
  const auto now = clock_.now();
  delivery_outcome o;
  o.status = answer.status;
  if (answer.status >= 200 && answer.status < 300) {
    o.result = delivery_outcome::kind::delivered;
  } else {
    o.error = answer.status ? "HTTP " + std::to_string(answer.status) : answer.error;
    thread_local std::minstd_rand jitter{std::random_device{}()};
    auto wait = retry_delay(job.d.attempts, config_.delivery_retry_base, config_.delivery_retry_max,
                            static_cast<double>(jitter() % 1000) / 1000.0);
    if (answer.retry_after) wait = std::max<std::chrono::milliseconds>(wait, *answer.retry_after);
    o.next_attempt_at = now + wait;
    o.blocked_until = o.next_attempt_at;
    o.result = now - job.d.created_at >= config_.delivery_give_up ? delivery_outcome::kind::failed
                                                                  : delivery_outcome::kind::retry;
    log::warning("[delivery] event " + std::to_string(job.event.id) + " to webhook #" + std::to_string(job.hook.id) +
                 " attempt " + std::to_string(job.d.attempts) + ": " + log::quote(o.error) +
                 (o.result == delivery_outcome::kind::failed
                      ? ", given up"
                      : ", retried in " +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(wait).count()) + " s"));
  }
  store_.finish_delivery(job.d.id, job.hook.id, o, now);
  return true;
}

std::vector<supply_outlook> operations::supply_outlooks(const account& acting, const std::string& site_id,
                                                        const std::string& terminal_key) {
  const auto s = require_site(acting, site_id);
  std::vector<supply_outlook> out;
  store_.supply_histories(s.dealer_id, s.id, terminal_key, forecast_points, [&](supply_history& h) {
    if (h.readings.empty()) return;
    for (const auto& sup : h.readings.back().supplies) {
      const auto levels = level_history(h.readings, sup.index);
      out.push_back({*h.s, *h.terminal, sup, predict_empty(levels)});
    }
  });
  return out;
}

std::vector<supply_outlook> operations::to_order(const account& acting) {
  // Each dealer's lead time (an admin sees every dealer's terminals).
  std::map<std::int64_t, std::chrono::seconds> lead;
  if (acting.role == role::admin) {
    for (const auto& a : store_.list_accounts()) lead[a.id] = a.alerts.lead_time;
  } else {
    lead[acting.id] = acting.alerts.lead_time;
  }
  const auto now = clock_.now();
  std::vector<supply_outlook> out;
  const auto scope = acting.role == role::admin ? std::nullopt : std::optional<std::int64_t>(acting.id);
  store_.supply_histories(scope, "", "", forecast_points, [&](supply_history& h) {
    if (h.readings.empty()) return;
    const auto it = lead.find(h.s->dealer_id);
    const auto within = now + (it == lead.end() ? alert_settings{}.lead_time : it->second);
    for (const auto& sup : h.readings.back().supplies) {
      auto f = predict_empty(level_history(h.readings, sup.index));
      const bool empty_now = sup.level == 0 && sup.max_capacity > 0;
      if ((f && f->empty_at <= within) || empty_now) out.push_back({*h.s, *h.terminal, sup, f});
    }
  });
  std::stable_sort(out.begin(), out.end(), [](const supply_outlook& a, const supply_outlook& b) {
    const auto when = [](const supply_outlook& o) { return o.forecast ? o.forecast->empty_at : time_point{}; };
    return when(a) < when(b);
  });
  return out;
}

fleet_counts operations::fleet_states(const account& acting) {
  return store_.fleet_states(acting.role == role::admin ? std::nullopt : std::optional(acting.id), clock_.now());
}

std::vector<fleet_terminal> operations::fleet_terminals(const account& acting, fleet_state state, std::size_t limit) {
  return store_.fleet_terminals(acting.role == role::admin ? std::nullopt : std::optional(acting.id), clock_.now(),
                                state, std::min<std::size_t>(limit, 1000));
}

namespace {

// The first day (00:00 UTC) of the month `back` months before the one of `t`.
time_point month_start(time_point t, int back) {
  using namespace std::chrono;
  const year_month_day d{floor<days>(t)};
  const auto ym = year_month(d.year(), d.month()) - months(back);
  return time_point_cast<time_point::duration>(sys_days(ym / 1));
}

// Most readings of one terminal-month billed one by one (a month with a reset).
constexpr std::size_t reset_month_readings = 50000;

}  // namespace

std::vector<month_volume> operations::fleet_volume(const account& acting, const account& dealer, int months) {
  if (acting.role != role::admin && acting.id != dealer.id)
    throw refusal::no_such("account", "named '" + dealer.name + "'");
  if (months < 1 || months > 24) throw refusal(refusal_kind::invalid, "the fleet volume covers 1 to 24 months");
  const auto now = clock_.now();
  std::vector<time_point> b;
  for (int k = months - 1; k >= -1; --k) b.push_back(month_start(now, k));
  std::vector<month_volume> out(static_cast<std::size_t>(months));
  for (std::size_t i = 0; i < out.size(); ++i) out[i].month = b[i];
  const auto add = [&](std::size_t i, const std::vector<stored_reading>& readings) {
    if (readings.empty()) return;
    const auto v = volume_of(bill_terminal(readings));
    out[i].v.mono += v.mono;
    out[i].v.colour += v.colour;
    out[i].v.unsplit += v.unsplit;
  };
  // Months where a counter went down: billed from all their readings once
  // the marks' query is done.
  std::vector<std::tuple<std::string, std::string, std::size_t, std::optional<stored_reading>>> exact;
  store_.fleet_month_marks(dealer.id, b, [&](month_marks& m) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto& start = m.marks[i];
      // The month's end: the newest reading before the next month, when
      // taken in this one or before (else the month had no reading).
      const auto& end = m.marks[i + 1];
      if (!start || !end || end->r.taken >= b[i + 1]) continue;
      const auto lines = bill_terminal({*start, *end});
      if (std::any_of(lines.begin(), lines.end(), [](const billing_line& l) { return l.resets > 0; })) {
        exact.emplace_back(m.site_id, m.terminal_key, i,
                           start->r.taken < b[i] ? start : std::optional<stored_reading>());
        continue;
      }
      const auto v = volume_of(lines);
      out[i].v.mono += v.mono;
      out[i].v.colour += v.colour;
      out[i].v.unsplit += v.unsplit;
    }
  });
  for (auto& [site_id, key, i, start] : exact) {
    std::vector<stored_reading> readings;
    if (start) readings.push_back(std::move(*start));
    for (auto& r : store_.terminal_readings(key, site_id, b[i], b[i + 1], reset_month_readings, false, false))
      readings.push_back(std::move(r));
    add(i, readings);
  }
  return out;
}

}  // namespace fleetreg::center

namespace fleetreg::center {

json::value alert_json(const alert& a) {
  json::value v = {{"id", a.id},
                   {"kind", a.kind},
                   {"severity", a.severity},
                   {"detail", a.detail},
                   {"raised_at", format_utc(a.raised_at)},
                   {"state", a.cleared_at        ? "cleared"
                             : a.acknowledged_at ? "acknowledged"
                                                 : "open"}};
  if (!a.site_id.empty()) {
    v["site_id"] = a.site_id;
  }
  if (!a.customer.empty()) v["customer"] = a.customer;
  if (!a.terminal_key.empty()) v["terminal"] = a.terminal_key;
  if (a.code_id) v["code_id"] = a.code_id;
  if (a.supply) v["supply"] = *a.supply;
  if (!a.code.empty()) v["condition"] = a.code;
  if (a.acknowledged_at) {
    v["acknowledged_at"] = format_utc(*a.acknowledged_at);
    v["acknowledged_by"] = a.acknowledged_by;
  }
  if (a.cleared_at) {
    v["cleared_at"] = format_utc(*a.cleared_at);
    v["cleared_by"] = a.cleared_by;
  }
  return v;
}

json::value delivery_json(const delivery& d) {
  json::value v = {{"id", d.id},       {"webhook_id", d.webhook_id}, {"event_id", d.event_id},
                   {"state", d.state}, {"attempts", d.attempts},     {"queued_at", format_utc(d.created_at)}};
  if (d.last_attempt_at) v["last_attempt_at"] = format_utc(*d.last_attempt_at);
  if (d.last_status) v["last_status"] = d.last_status;
  if (!d.last_error.empty()) v["last_error"] = d.last_error;
  if (d.next_attempt_at) v["next_attempt_at"] = format_utc(*d.next_attempt_at);
  if (d.delivered_at) v["delivered_at"] = format_utc(*d.delivered_at);
  if (d.failed_at) v["failed_at"] = format_utc(*d.failed_at);
  return v;
}

json::value outlook_json(const supply_outlook& o) {
  json::value v = {{"site_id", o.s.id},
                   {"customer", o.s.customer},
                   {"terminal", o.terminal.key},
                   {"manufacturer", o.terminal.id.manufacturer},
                   {"model", o.terminal.id.model},
                   {"serial", o.terminal.id.serial},
                   {"supply", o.now.index},
                   {"type", std::string(to_string(o.now.type))},
                   {"description", o.now.description},
                   {"colorant", o.now.colorant}};
  if (const auto p = o.now.percent()) v["level_percent"] = *p;
  if (o.forecast) {
    v["empty_at"] = format_utc(o.forecast->empty_at);
    v["percent_per_day"] = std::round(o.forecast->percent_per_day * 100) / 100;
    v["points"] = o.forecast->points;
  }
  return v;
}

std::string to_order_csv(const std::vector<supply_outlook>& list) {
  std::string out =
      "customer,site_id,terminal,manufacturer,model,serial,supply,type,description,colorant,level_percent,empty_at,"
      "percent_per_day\r\n";
  for (const auto& o : list) {
    const auto p = o.now.percent();
    char rate[32] = "";
    if (o.forecast) std::snprintf(rate, sizeof rate, "%.2f", o.forecast->percent_per_day);
    const std::string cells[] = {o.s.customer,
                                 o.s.id,
                                 o.terminal.key,
                                 o.terminal.id.manufacturer,
                                 o.terminal.id.model,
                                 o.terminal.id.serial,
                                 std::to_string(o.now.index),
                                 std::string(to_string(o.now.type)),
                                 o.now.description,
                                 o.now.colorant,
                                 p ? std::to_string(*p) : std::string(),
                                 o.forecast ? format_utc(o.forecast->empty_at) : std::string(),
                                 rate};
    for (std::size_t i = 0; i < std::size(cells); ++i) out += (i ? "," : "") + csv_cell(cells[i]);
    out += "\r\n";
  }
  return out;
}

}  // namespace fleetreg::center
