// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/api.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "fleetreg/center/billing.hpp"
#include "fleetreg/center/peer.hpp"
#include "fleetreg/center/sql.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::center {
namespace {

using http::error_response;
using http::json_response;

constexpr std::size_t max_idempotency_key = 128;

json::value terminal_json(const terminal_record& t) {
  auto v = json::to_json(t.id);
  v["key"] = t.key;
  return v;
}

json::value request_json(const status_request& r) {
  return {{"id", r.id}, {"kind", r.kind}, {"created_at", format_utc(r.created_at)}};
}

// Keys of identities; the reason when one cannot be registered.
// registering_side {kind, name} of a registration; else false and why.
bool registering_side_of(const json::value& body, std::string& kind, std::string& name, std::string& why) {
  const auto side = body.find("registering_side");
  if (side == body.end() || !side->is_object() || !json::optional_string(*side, "kind", kind, why, 16) ||
      !json::optional_string(*side, "name", name, why, 255)) {
    if (why.empty()) why = "registering_side must be an object with kind and name";
    return false;
  }
  if (kind != "collector" && kind != "terminal") {
    why = "registering_side.kind must be collector or terminal";
    return false;
  }
  return true;
}

// One answer per reading of the batch, in its order: those refused before
// storage (`early`) and the storage's answers for the rest; counts the
// early refusals into `refused`.
json::value answers_in_order(const std::vector<std::optional<reading_answer>>& early, const readings_result& result,
                             std::int64_t& refused) {
  json::value answers = json::value::array();
  std::size_t next = 0;
  for (const auto& e : early) {
    const auto& a = e ? *e : result.answers.at(next++);
    if (e) ++refused;
    json::value v = {{"id", a.id}, {"status", a.status}};
    if (!a.reason.empty()) v["reason"] = a.reason;
    if (a.late) v["late"] = true;
    answers.push_back(std::move(v));
  }
  return answers;
}

bool keyed(const json::value& list, std::size_t max, std::vector<std::pair<std::string, identity>>& out,
           std::string& why) {
  if (!list.is_array() || list.empty()) {
    why = "terminals must be a non-empty array";
    return false;
  }
  if (list.size() > max) {
    why = "at most " + std::to_string(max) + " terminals per request";
    return false;
  }
  for (const auto& t : list) {
    auto id = json::identity_from(t, why);
    if (!id) return false;
    auto key = terminal_key(*id);
    if (!key) {
      why = "terminal '" + id->model + "' has no serial number and no UUID: it cannot be registered";
      return false;
    }
    for (const auto& [k, existing] : out)
      if (k == *key) {
        why = "terminal " + *key + " is listed twice";
        return false;
      }
    out.emplace_back(std::move(*key), std::move(*id));
  }
  return true;
}

// The limits a client splits its requests by.
json::value limits_json(const config& c) {
  return {{"max_body_bytes", c.max_body_bytes},
          {"max_readings_per_batch", c.max_readings_per_batch},
          {"max_terminals_per_registration", c.max_terminals_per_registration}};
}

json::value answers_json(const std::vector<terminal_answer>& answers) {
  json::value out = json::value::array();
  for (const auto& a : answers) {
    json::value v = {{"key", a.key}, {"status", a.status}};
    // The same words whoever holds the key: nothing about another customer.
    if (a.status == "pending_claim") {
      v["reason"] = a.reason;
      v["message"] = "this terminal waits for a dealer's confirmation before it reports here";
    } else if (a.status == "refused") {
      v["reason"] = a.reason;
      v["message"] = "this terminal cannot be registered here; ask the dealer";
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string bearer(const http::request& req) {
  const auto h = req.header("authorization");
  if (h.size() > 7 && (h.starts_with("Bearer ") || h.starts_with("bearer "))) return h.substr(7);
  return {};
}

// A label value in the Prometheus text format: backslash, double quote and
// line feed escaped (dealer names are chosen by people).
std::string prometheus_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char ch : v) {
    if (ch == '\\')
      out += "\\\\";
    else if (ch == '"')
      out += "\\\"";
    else if (ch == '\n')
      out += "\\n";
    else
      out += ch;
  }
  return out;
}

// A query parameter's value, "" when absent.
std::string query_param(const http::request& req, const char* name) {
  const auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

}  // namespace

api::api(operations& svc)
    : svc_(svc),
      limiter_(svc.settings().failed_attempts_per_minute, std::chrono::minutes(1)),
      long_polls_(svc.settings().max_long_polls_per_site, svc.settings().max_long_polls) {}

const std::vector<api::route>& api::routes() {
  static const std::vector<route> r = {
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"GET", "/api/v1/status"},
      {"POST", "/api/v1/registrations"},
      {"POST", "/api/v1/sites/self/terminals"},
      {"GET", "/api/v1/requests"},
      {"POST", "/api/v1/readings"},
      {"GET", "/api/v1/billing"},
      {"GET", "/api/v1/alerts"},
      {"GET", "/api/v1/supplies/to-order"},
  };
  return r;
}

http::result api::handle(const http::request& req) {
  try {
    return dispatch(req);
  } catch (const sql::storage_full& e) {
    // Nothing was stored: the client keeps what it sent and retries. Logged
    // once a minute at most, not once per upload.
    const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    std::int64_t last = storage_full_logged_.load();
    const std::int64_t minute = std::chrono::steady_clock::duration(std::chrono::minutes(1)).count();
    if ((last == 0 || now - last > minute) && storage_full_logged_.compare_exchange_strong(last, now))
      log::error("database full: uploads and changes are refused (507) until space is freed: " + std::string(e.what()));
    auto r = refuse(req, refusal_kind::storage_full, "storage_full",
                    "the center's database has no space left; nothing was stored, retry later");
    r.headers.emplace_back("Retry-After", "30");
    return r;
  } catch (const std::exception& e) {
    log::error("request failed id=" + req.id + " method=" + log::quote(req.method) + " path=" + log::quote(req.path) +
               " error=" + log::quote(e.what()));
    return error_response(500, "internal_error",
                          "the center could not complete the request; try again later (request " + req.id + ")",
                          {{"request_id", req.id}});
  }
}

http::result api::dispatch(const http::request& req) {
  if (static_cast<std::int64_t>(req.body.size()) > svc_.settings().max_body_bytes)
    return refuse(req, refusal_kind::too_large, "body_too_large",
                  "the request body is larger than " + std::to_string(svc_.settings().max_body_bytes) + " bytes");
  bool path_known = false;
  for (const auto& r : routes()) {
    if (r.pattern != req.path) continue;
    path_known = true;
    if (r.method != req.method) continue;
    if (req.path == "/healthz") return healthz(req);
    if (req.path == "/metrics") return metrics(req);
    if (req.path == "/api/v1/status") return status(req);
    if (req.path == "/api/v1/registrations") return registrations(req);
    if (req.path == "/api/v1/sites/self/terminals") return add_terminals(req);
    if (req.path == "/api/v1/requests") return requests(req);
    if (req.path == "/api/v1/readings") return readings(req);
    if (req.path == "/api/v1/billing") return billing(req);
    if (req.path == "/api/v1/alerts") return alerts(req);
    if (req.path == "/api/v1/supplies/to-order") return to_order(req);
  }
  if (path_known) {
    return refuse(req, refusal_kind::wrong_method, "method_not_allowed",
                  "method " + req.method + " is not allowed on " + req.path);
  }
  if (fallback_)
    if (auto r = fallback_(req)) return *r;
  return refuse(req, refusal_kind::not_found, "not_found", "no such endpoint: " + req.path);
}

std::optional<std::vector<std::pair<std::string, identity>>> api::terminals_of(const http::request& req,
                                                                               const json::value& body,
                                                                               http::response& refusal) {
  std::vector<std::pair<std::string, identity>> terminals;
  std::string why;
  const auto list = body.find("terminals");
  if (list != body.end() &&
      keyed(*list, static_cast<std::size_t>(svc_.settings().max_terminals_per_registration), terminals, why))
    return terminals;
  refusal = refuse(req, refusal_kind::unprocessable, "invalid_terminals", why.empty() ? "terminals is missing" : why,
                   std::nullopt, limits_json(svc_.settings()));
  return std::nullopt;
}

http::response api::refuse(const http::request& req, refusal_kind kind, const std::string& code,
                           const std::string& message, std::optional<failure_kind> failure, const json::value& extra) {
  {
    std::lock_guard lock(metrics_mutex_);
    ++refusals_[code];
  }
  if (failure) limiter_.record_failure(peer::limit_key(req.peer), *failure, svc_.now_source().now());
  const int status = http_status(kind);
  log::info("refused method=" + log::quote(req.method) + " path=" + log::quote(req.path) +
            " peer=" + log::quote(req.peer) + " status=" + std::to_string(status) + " reason=" + code);
  return error_response(status, code, message, extra);
}

http::response api::refuse(const http::request& req, const refusal& why) {
  if (why.kind() == refusal_kind::not_found && !why.object().empty())
    return refuse(req, why.kind(), "unknown_" + why.object(), "There is no such " + why.object() + ".");
  return refuse(req, why.kind(), "refused", why.what());
}

http::response api::healthz(const http::request&) { return json_response(200, {{"status", "ok"}}); }

std::optional<http::response> api::rate_limited(const http::request& req, failure_kind kind) {
  const auto wait = limiter_.retry_after(peer::limit_key(req.peer), kind, svc_.now_source().now());
  if (!wait) return std::nullopt;
  auto r = refuse(req, refusal_kind::too_many, "too_many_attempts",
                  "too many failed attempts from this address; try again later");
  r.headers.emplace_back("Retry-After", std::to_string(wait));
  return r;
}

std::optional<site> api::authenticate(const http::request& req, http::response& refusal) {
  // A valid credential is served whatever its source's failures: a customer's
  // NAT address shared with a guesser must not lock its collectors out.
  // Credentials are 256-bit secrets, so checking one first gives a guesser
  // nothing; only the refusals are limited.
  const auto token = bearer(req);
  if (auto s = svc_.authenticate_site(token)) return s;
  if (auto limited = rate_limited(req, failure_kind::credential)) {
    refusal = std::move(*limited);
    return std::nullopt;
  }
  if (token.empty() || token.size() > 128) {
    refusal = refuse(req, refusal_kind::unauthenticated, "credential_missing",
                     "this endpoint needs the formal credential as a Bearer token", failure_kind::credential);
    refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
    return std::nullopt;
  }
  refusal = refuse(req, refusal_kind::unauthenticated, "credential_invalid",
                   "the credential is unknown or was revoked; register again", failure_kind::credential);
  refusal.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return std::nullopt;
}

bool api::monitoring_authorized(const http::request& req, http::response& refusal) {
  const auto t = svc_.authenticate_token(bearer(req));
  if (t && t->token.scope == "monitoring") return true;  // valid: never refused for its source's failures
  if (t) {
    refusal =
        refuse(req, refusal_kind::forbidden, "token_scope", "a " + t->token.scope + " token does not read " + req.path);
    return false;
  }
  if (auto limited = rate_limited(req, failure_kind::token)) {
    refusal = std::move(*limited);
    return false;
  }
  refusal = refuse(req, refusal_kind::unauthenticated, "token_invalid",
                   "this endpoint needs a monitoring token as a Bearer token", failure_kind::token);
  refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
  return false;
}

std::optional<account> api::billing_reader(const http::request& req, http::response& refusal) {
  // A dealer-site session reads what its account sees.
  if (const auto me = svc_.find_session(req.cookie(session_cookie))) return me->acc;
  const auto t = svc_.authenticate_token(bearer(req));
  // A valid billing token reads its dealer's sites, whatever its source's failures.
  if (t && t->dealer) return t->dealer;
  if (t) {
    refusal = refuse(req, refusal_kind::forbidden, "token_scope",
                     "a monitoring token reads status and metrics only; billing needs a dealer's billing token "
                     "(fleetreg-centerctl token issue NAME --billing --dealer NAME)");
    return std::nullopt;
  }
  if (auto limited = rate_limited(req, failure_kind::token)) {
    refusal = std::move(*limited);
    return std::nullopt;
  }
  refusal =
      refuse(req, refusal_kind::unauthenticated, "unauthorized", "log in or send a billing token", failure_kind::token);
  refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
  return std::nullopt;
}

http::response api::registrations(const http::request& req) {
  // Codes are the secret being guessed: the limit comes before the check.
  if (auto limited = rate_limited(req, failure_kind::code)) return *limited;
  std::string why;
  const auto body = json::parse(req.body, why);
  if (!body || !body->is_object())
    return refuse(req, refusal_kind::invalid, "invalid_json", why.empty() ? "body must be a JSON object" : why);
  std::string code, side_kind, side_name;
  if (!json::optional_string(*body, "code", code, why, 64) || !registering_side_of(*body, side_kind, side_name, why))
    return refuse(req, refusal_kind::invalid, "invalid_request", why);
  const auto key = req.header("idempotency-key");
  if (key.size() > max_idempotency_key || !is_printable_utf8(key, max_idempotency_key))
    return refuse(req, refusal_kind::invalid, "invalid_request", "Idempotency-Key is longer than 128 characters");
  http::response refused_terminals;
  auto listed = terminals_of(req, *body, refused_terminals);
  if (!listed) return refused_terminals;
  auto& terminals = *listed;
  if (side_kind == "terminal" && terminals.size() != 1)
    return refuse(req, refusal_kind::unprocessable, "invalid_terminals", "a terminal registers exactly itself");

  std::string why_code;
  const auto rec = svc_.check_code(code, why_code, why);
  if (!rec)
    return refuse(
        req, why_code == "code_expired" || why_code == "code_revoked" ? refusal_kind::gone : refusal_kind::forbidden,
        why_code, why, failure_kind::code);

  const auto done = svc_.register_site(*rec, key, {side_kind, side_name}, std::move(terminals));
  const auto& result = done.result;
  if (result.outcome == registration_result::kind::code_used)
    return refuse(req, refusal_kind::conflict, "code_used",
                  "this provisional code registers one site only and has registered it; ask the dealer for a new one");
  ++registrations_;
  log::notice("registered site=" + result.site_id + " customer=" + log::quote(rec->customer) +
              " terminals=" + std::to_string(result.terminals.size()) +
              " taken_over=" + std::to_string(result.taken_over.size()) + " peer=" + log::quote(req.peer));
  json::value terms = json::value::array();
  for (const auto& t : result.terminals) terms.push_back(terminal_json(t));
  return json_response(201, {{"site_id", result.site_id},
                             {"credential", done.credential},
                             {"terminals", terms},
                             {"results", answers_json(result.answers)},
                             {"limits", limits_json(svc_.settings())}});
}

http::response api::add_terminals(const http::request& req) {
  http::response refusal;
  const auto s = authenticate(req, refusal);
  if (!s) return refusal;
  if (!svc_.settings().add_terminals_with_credential)
    return refuse(req, refusal_kind::forbidden, "code_required",
                  "this center registers new terminals only with a fresh provisional code");
  std::string why;
  const auto body = json::parse(req.body, why);
  if (!body || !body->is_object())
    return refuse(req, refusal_kind::invalid, "invalid_json", why.empty() ? "body must be a JSON object" : why);
  http::response refused_terminals;
  auto listed = terminals_of(req, *body, refused_terminals);
  if (!listed) return refused_terminals;
  const auto added = svc_.add_terminals(*s, *listed);
  json::value terms = json::value::array();
  for (const auto& t : added.terminals) terms.push_back(terminal_json(t));
  return json_response(200, {{"site_id", s->id}, {"terminals", terms}, {"results", answers_json(added.answers)}});
}

http::result api::requests(const http::request& req) {
  http::response refusal;
  const auto s = authenticate(req, refusal);
  if (!s) return refusal;
  std::int64_t wait = 0;
  if (const auto it = req.query.find("wait"); it != req.query.end()) {
    const auto& w = it->second;
    const auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), wait);
    const auto max = std::chrono::duration_cast<std::chrono::seconds>(svc_.settings().max_wait).count();
    if (ec != std::errc{} || ptr != w.data() + w.size() || wait < 0 || wait > max)
      return refuse(req, refusal_kind::invalid, "invalid_wait", "wait must be 0.." + std::to_string(max) + " seconds",
                    std::nullopt, {{"max_wait", max}});
  }
  const auto site_id = s->id;
  auto poll = [this, site_id]() -> std::optional<http::response> {
    json::value list = json::value::array();
    // A rotation asked for by the dealer: the new credential travels in the
    // answer, first; the site confirms it by using it.
    if (const auto credential = svc_.issue_rotation(site_id)) {
      list.push_back({{"id", make_uuid()}, {"kind", "rotate_credential"}, {"credential", *credential}});
      log::notice("rotation site=" + site_id + ": new credential sent");
    }
    for (const auto& r : svc_.lease_requests(site_id)) list.push_back(request_json(r));
    if (list.empty()) return std::nullopt;
    return json_response(200, {{"requests", list}});
  };
  if (auto now_ready = poll()) return *now_ready;
  http::response none;
  none.status = 204;
  none.content_type.clear();
  if (wait == 0) return none;
  auto slot = long_polls_.try_acquire(site_id);
  if (!slot) {
    // Either this site holds its share or the center holds its maximum.
    const bool site_full = long_polls_.total_in_use() < svc_.settings().max_long_polls;
    auto r = site_full ? refuse(req, refusal_kind::too_many, "too_many_long_polls",
                                "this site already holds " + std::to_string(svc_.settings().max_long_polls_per_site) +
                                    " long-polls; wait for one to end")
                       : refuse(req, refusal_kind::busy, "too_many_long_polls",
                                "the center holds too many long-polls; retry later");
    r.headers.emplace_back("Retry-After", std::to_string(site_full ? wait : 5));
    return r;
  }
  return http::deferred{site_id, std::chrono::seconds(wait), poll, none, std::move(slot)};
}

http::response api::readings(const http::request& req) {
  http::response refusal;
  const auto s = authenticate(req, refusal);
  if (!s) return refusal;
  std::string why;
  const auto body = json::parse(req.body, why);
  if (!body || !body->is_object())
    return refuse(req, refusal_kind::invalid, "invalid_json", why.empty() ? "body must be a JSON object" : why);
  const auto list = body->find("readings");
  if (list == body->end() || !list->is_array() || list->empty())
    return refuse(req, refusal_kind::unprocessable, "invalid_readings", "readings must be a non-empty array");
  if (static_cast<std::int64_t>(list->size()) > svc_.settings().max_readings_per_batch)
    return refuse(req, refusal_kind::too_large, "batch_too_large",
                  "at most " + std::to_string(svc_.settings().max_readings_per_batch) + " readings per batch",
                  std::nullopt, limits_json(svc_.settings()));
  const auto now = svc_.now_source().now();
  // One answer per reading, in the batch's order: a reading that cannot be
  // stored is refused alone (with its reason) and never holds up the others.
  // Only a reading without a usable id refuses the batch: it could not be
  // answered.
  std::vector<reading> batch;
  batch.reserve(list->size());
  std::vector<std::optional<reading_answer>> early(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    auto r = json::reading_from(item, why);
    if (!r) {
      const auto id = item.is_object() ? item.find("id") : item.end();
      if (!item.is_object() || id == item.end() || !id->is_string() || !is_uuid(id->get<std::string>()))
        return refuse(req, refusal_kind::unprocessable, "invalid_readings",
                      "reading " + std::to_string(i) + ": " + why);
      early[i] = reading_answer{id->get<std::string>(), "refused", "invalid: " + why, false};
      continue;
    }
    // Not in the future (5 minutes of clock skew allowed), not before 2000.
    if (r->taken > now + std::chrono::minutes(5) || r->taken < from_unix(946684800)) {
      early[i] =
          reading_answer{r->id, "refused", "invalid: taken_at " + format_utc(r->taken) + " is not a sane time", false};
      continue;
    }
    batch.push_back(std::move(*r));
  }
  readings_result result;
  if (!batch.empty()) result = svc_.store_readings(s->id, batch);
  std::int64_t refused = result.refused;
  const auto answers = answers_in_order(early, result, refused);
  if (refused > 0)
    log::info("readings site=" + s->id + ": " + std::to_string(refused) + " of " + std::to_string(list->size()) +
              " refused");
  readings_stored_ += result.accepted;
  return json_response(200, {{"accepted", result.accepted},
                             {"duplicates", result.duplicates},
                             {"resets", result.resets},
                             {"late", result.late},
                             {"refused", refused},
                             {"results", answers}});
}

http::response api::status(const http::request& req) {
  http::response refusal;
  if (!monitoring_authorized(req, refusal)) return refusal;
  if (req.query.contains("dealer")) {
    // One dealer's counts (check_fleetreg center --dealer): numbers only,
    // every kind and severity listed, zeros included.
    const auto name = query_param(req, "dealer");
    if (name.empty() || name.size() > 64)
      return refuse(req, refusal_kind::invalid, "invalid_request", "dealer is a dealer account's name (1..64 bytes)");
    try {
      const auto d = svc_.dealer_monitoring(name).front();
      std::int64_t warning = 0, critical = 0;
      json::value by_kind = json::value::object();
      for (const auto kind : alert_kinds) by_kind[std::string(kind)] = {{"warning", 0}, {"critical", 0}};
      for (const auto& a : d.alerts_open) {
        (a.severity == "critical" ? critical : warning) += a.count;
        if (by_kind.contains(a.kind) && by_kind[a.kind].contains(a.severity)) by_kind[a.kind][a.severity] = a.count;
      }
      return json_response(200, {{"dealer", d.dealer},
                                 {"terminals_silent", d.terminals_silent},
                                 {"alerts_open", {{"warning", warning}, {"critical", critical}}},
                                 {"alerts_open_by_kind", by_kind}});
    } catch (const center::refusal& why) {
      return refuse(req, why);
    }
  }
  const auto c = svc_.counts();
  return json_response(200, {{"sites", c.sites},
                             {"terminals", c.terminals},
                             {"stale_terminals", c.stale_terminals},
                             {"unanswered_requests", c.unanswered_requests},
                             {"codes_active", c.codes_active},
                             {"codes_expiring_soon", c.codes_expiring_soon},
                             {"readings", c.readings},
                             {"last_purge", c.last_purge ? json::value(format_utc(*c.last_purge)) : json::value()},
                             {"long_polls_open", open_long_polls()}});
}

http::response api::metrics(const http::request& req) {
  http::response refusal;
  if (!monitoring_authorized(req, refusal)) return refusal;
  const auto c = svc_.counts();
  std::string o;
  auto gauge = [&](const char* name, const char* help, std::int64_t v) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " + std::to_string(v) +
         "\n";
  };
  gauge("fleetreg_sites", "Registered sites.", c.sites);
  gauge("fleetreg_terminals", "Registered terminals.", c.terminals);
  gauge("fleetreg_stale_terminals", "Terminals without a reading within stale_after.", c.stale_terminals);
  gauge("fleetreg_unanswered_requests", "Requests for running status not answered yet.", c.unanswered_requests);
  gauge("fleetreg_codes_active", "Provisional codes that can still register.", c.codes_active);
  gauge("fleetreg_codes_expiring_soon", "Active codes expiring within expiring_within.", c.codes_expiring_soon);
  gauge("fleetreg_long_polls_open", "Long-polls waiting for a request.", open_long_polls());
  gauge("fleetreg_last_purge_timestamp_seconds", "When expired codes were last purged.",
        c.last_purge ? to_unix(*c.last_purge) : 0);
  o += "# HELP fleetreg_readings_stored_total Readings stored since start.\n"
       "# TYPE fleetreg_readings_stored_total counter\n"
       "fleetreg_readings_stored_total " +
       std::to_string(readings_stored_.load()) + "\n";
  o += "# HELP fleetreg_registrations_total Registrations accepted since start.\n"
       "# TYPE fleetreg_registrations_total counter\n"
       "fleetreg_registrations_total " +
       std::to_string(registrations_.load()) + "\n";
  o += "# HELP fleetreg_refusals_total Refused requests since start, by reason.\n"
       "# TYPE fleetreg_refusals_total counter\n";
  {
    std::lock_guard lock(metrics_mutex_);
    for (const auto& [reason, n] : refusals_)
      o += "fleetreg_refusals_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  }
  o += dealer_metrics();
  http::response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(o);
  return r;
}

std::string api::dealer_metrics() {
  // One scrape at a time computes; the others (and those of the next few
  // seconds) take its text: the cost stays one query pair per interval
  // however many scrapers a center has.
  // The center's clock (a test's manual one): a clock set back recomputes.
  std::lock_guard lock(dealer_metrics_mutex_);
  const auto now = svc_.now_source().now();
  if (dealer_metrics_at_ && now >= *dealer_metrics_at_ && now - *dealer_metrics_at_ < dealer_metrics_ttl)
    return dealer_metrics_;
  const auto dealers = svc_.dealer_monitoring();
  std::string alerts =
      "# HELP fleetreg_alerts_open Open alerts by dealer, kind and severity (series with a count only).\n"
      "# TYPE fleetreg_alerts_open gauge\n";
  std::string silent =
      "# HELP fleetreg_terminals_silent Terminals without a reading for their dealer's terminal_silent, by "
      "dealer.\n# TYPE fleetreg_terminals_silent gauge\n";
  for (const auto& d : dealers) {
    const auto dealer = prometheus_label(d.dealer);
    for (const auto& a : d.alerts_open)
      alerts += "fleetreg_alerts_open{dealer=\"" + dealer + "\",kind=\"" + prometheus_label(a.kind) + "\",severity=\"" +
                prometheus_label(a.severity) + "\"} " + std::to_string(a.count) + "\n";
    silent += "fleetreg_terminals_silent{dealer=\"" + dealer + "\"} " + std::to_string(d.terminals_silent) + "\n";
  }
  dealer_metrics_ = alerts + silent;
  dealer_metrics_at_ = now;
  return dealer_metrics_;
}

http::response api::billing(const http::request& req) {
  http::response refusal;
  const auto reader = billing_reader(req, refusal);
  if (!reader) return refusal;
  const auto param = [&req](const char* name) { return query_param(req, name); };
  const auto site_id = param("site");
  const auto from = parse_billing_day(param("from"));
  const auto to = parse_billing_day(param("to"));
  if (!from || !to || *to <= *from)
    return refuse(req, refusal_kind::invalid, "invalid_request",
                  "from and to are required, two days in order (YYYY-MM-DD)");
  try {
    // Without a site: every customer of the dealer (the site's "all
    // customers" CSV); an admin sees every dealer, so names a site.
    if (site_id.empty()) {
      if (reader->role != role::dealer)
        return refuse(req, refusal_kind::invalid, "invalid_request",
                      "an admin names a site (site=…); a dealer's session or billing token may leave it out");
      const auto lines = svc_.dealer_billing(*reader, *reader, *from, *to);
      return json_response(200, billing_json(lines, svc_.billing_weights_of(*reader)));
    }
    const auto lines = svc_.billing(*reader, site_id, *from, *to);
    return json_response(200, billing_json(lines, svc_.site_billing_weights(*reader, site_id)));
  } catch (const center::refusal& why) {
    return refuse(req, why);
  }
}

http::response api::alerts(const http::request& req) {
  http::response refusal;
  const auto reader = billing_reader(req, refusal);
  if (!reader) return refusal;
  const auto param = [&req](const char* name) { return query_param(req, name); };
  alert_query q;
  q.kind = param("kind");
  q.severity = param("severity");
  q.site_id = param("site");
  q.terminal_key = param("terminal");
  const auto state = param("state");
  if (!state.empty() && state != "open" && state != "all")
    return refuse(req, refusal_kind::invalid, "invalid_request", "state is open (the default) or all");
  q.open_only = state != "all";
  if (!q.kind.empty() && !is_alert_kind(q.kind))
    return refuse(req, refusal_kind::invalid, "invalid_request", "kind is not a kind of alert");
  if (!q.severity.empty() && q.severity != "warning" && q.severity != "critical")
    return refuse(req, refusal_kind::invalid, "invalid_request", "severity is warning or critical");
  if (q.site_id.size() > 64 || q.terminal_key.size() > 300)
    return refuse(req, refusal_kind::invalid, "invalid_request", "site or terminal is too long");
  try {
    const auto list = svc_.alerts(*reader, q);
    json::value arr = json::value::array();
    for (const auto& a : list) arr.push_back(alert_json(a));
    return json_response(200, {{"alerts", arr}, {"truncated", list.size() >= q.limit}});
  } catch (const center::refusal& why) {
    return refuse(req, why);
  }
}

http::response api::to_order(const http::request& req) {
  http::response refusal;
  const auto reader = billing_reader(req, refusal);
  if (!reader) return refusal;
  const auto it = req.query.find("format");
  const auto format = it == req.query.end() ? std::string("json") : it->second;
  if (format != "json" && format != "csv")
    return refuse(req, refusal_kind::invalid, "invalid_request", "format is json (the default) or csv");
  const auto list = svc_.to_order(*reader);
  if (format == "csv") {
    http::response r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = to_order_csv(list);
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"fleetreg-to-order.csv\"");
    return r;
  }
  json::value arr = json::value::array();
  for (const auto& o : list) arr.push_back(outlook_json(o));
  return json_response(
      200, {{"supplies", arr},
            {"lead_time_days", std::chrono::duration_cast<std::chrono::hours>(reader->alerts.lead_time).count() / 24}});
}

}  // namespace fleetreg::center
