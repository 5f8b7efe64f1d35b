// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/operations.hpp"

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/provisional_code.hpp"

namespace fleetreg::center {
namespace {

void require_text(const std::string& value, const char* what, std::size_t max, bool required) {
  if (required && value.empty()) throw error(exit_code::data, std::string(what) + " is required");
  if (!is_printable_utf8(value, max))
    throw error(exit_code::data,
                std::string(what) + " is longer than " + std::to_string(max) + " bytes or holds control characters");
}

}  // namespace

operations::operations(storage& st, const clock& clk, const config& cfg, const crypto::digest& server_key)
    : store_(st), clock_(clk), config_(cfg), key_(server_key) {}

void operations::create_account(const std::string& actor, const std::string& name, role r,
                                const std::string& password) {
  require_text(name, "account name", 64, true);
  if (password.size() < 10) throw error(exit_code::data, "a password needs at least 10 characters");
  if (password.size() > 1024) throw error(exit_code::data, "a password has at most 1024 characters");
  if (!store_.add_account(name, r, crypto::hash_password(password), clock_.now()))
    throw error(exit_code::failure, "an account named '" + name + "' exists already");
  store_.audit(actor, "account.create", name, r == role::admin ? "admin" : "dealer", clock_.now());
}

account operations::require_account(const std::string& name) {
  auto a = store_.find_account(name);
  if (!a || a->disabled) throw error(exit_code::failure, "no account named '" + name + "'");
  return *a;
}

operations::issued_code operations::issue_code(const account& dealer, const std::string& customer,
                                               const std::string& contact, const std::string& reference) {
  require_text(customer, "customer name", 200, true);
  require_text(contact, "contact", 200, false);
  require_text(reference, "dealer reference", 100, false);
  issued_code out;
  out.code = provisional_code::generate();
  out.record.dealer_id = dealer.id;
  out.record.dealer_name = dealer.name;
  out.record.customer = customer;
  out.record.contact = contact;
  out.record.reference = reference;
  out.record.issued_at = clock_.now();
  out.record.expires_at = out.record.issued_at + config_.code_validity;
  const auto hash = crypto::code_hash(key_, out.code);
  out.record.id = store_.add_code(out.record, hash);
  store_.audit(dealer.name, "code.issue", customer,
               "code #" + std::to_string(out.record.id) + " expires " + format_utc(out.record.expires_at),
               clock_.now());
  return out;
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
  if (!s || (acting.role != role::admin && s->dealer_id != acting.id))
    throw error(exit_code::failure, "no site " + site_id);
  return *s;
}

void operations::revoke(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  store_.replace_credentials(s.id, std::nullopt, clock_.now());
  store_.audit(acting.name, "credential.revoke", s.id, s.customer, clock_.now());
}

std::string operations::rotate(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  auto credential = crypto::new_secret("frc1_");
  const auto h = crypto::secret_hash(credential);
  store_.replace_credentials(s.id, std::vector<unsigned char>(h.begin(), h.end()), clock_.now());
  store_.audit(acting.name, "credential.rotate", s.id, s.customer, clock_.now());
  return credential;
}

std::string operations::request_reading(const account& acting, const std::string& site_id) {
  const auto s = require_site(acting, site_id);
  const auto id = store_.queue_request(s.id, "on-demand", clock_.now());
  store_.audit(acting.name, "request.on-demand", s.id, "request " + id, clock_.now());
  return id;
}

void operations::transfer_terminal(const account& acting, const std::string& key, const std::string& to_site_id) {
  const auto t = store_.find_terminal(key);
  if (!t) throw error(exit_code::failure, "no terminal " + key);
  const auto from = require_site(acting, t->site_id);
  const auto to = require_site(acting, to_site_id);
  if (from.id == to.id) throw error(exit_code::failure, "terminal " + key + " is already at site " + to.id);
  store_.transfer_terminal(key, to.id, clock_.now());
  store_.audit(acting.name, "terminal.transfer", key, from.customer + " -> " + to.customer, clock_.now());
}

void operations::retire_terminal(const account& acting, const std::string& key) {
  const auto t = store_.find_terminal(key);
  if (!t) throw error(exit_code::failure, "no terminal " + key);
  const auto s = require_site(acting, t->site_id);
  store_.retire_terminal(key, acting.name, clock_.now());
  store_.audit(acting.name, "terminal.retire", key, s.customer, clock_.now());
}

std::string operations::issue_monitoring_token(const std::string& actor, const std::string& name) {
  require_text(name, "token name", 64, true);
  auto token = crypto::new_secret("frm1_");
  store_.add_monitoring_token(name, crypto::secret_hash(token), clock_.now());
  store_.audit(actor, "token.issue", name, "", clock_.now());
  return token;
}

std::int64_t operations::purge(const std::string& actor) {
  const auto n = store_.purge_codes(clock_.now());
  if (n > 0) store_.audit(actor, "code.purge", std::to_string(n) + " codes", "", clock_.now());
  return n;
}

}  // namespace fleetreg::center
