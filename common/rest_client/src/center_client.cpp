// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/center_client.hpp"

#include <algorithm>
#include <array>

#include <map>
#include <set>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/rest_client/pacing.hpp"

namespace fleetreg::rest_client {
namespace {

std::map<std::string, std::string> bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

// A string member of an object, or `fallback` (never throws: a center's
// answer may hold anything).
std::string text_member(const json::value& o, const char* name, const std::string& fallback) {
  if (!o.is_object()) return fallback;
  const auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// A cursor over an HTTP-date: each step consumes what it matched.
struct date_reader {
  std::string_view s;

  bool literal(std::string_view l) {
    if (!s.starts_with(l)) return false;
    s.remove_prefix(l.size());
    return true;
  }
  bool number(std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    out = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    s.remove_prefix(digits);
    return true;
  }
  // One of `names`; its index in `index`.
  template <std::size_t n>
  bool name(const std::array<std::string_view, n>& names, int& index) {
    for (std::size_t i = 0; i < n; ++i)
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    return false;
  }
  // "HH:MM:SS"
  bool time_of_day(int& h, int& m, int& sec) {
    return number(2, h) && literal(":") && number(2, m) && literal(":") && number(2, sec);
  }
};

constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// Long names first, so that "Sunday" is not read as "Sun" + "day".
constexpr std::array<std::string_view, 7> long_day_names = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                            "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 7> day_names = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

// An HTTP-date in whole seconds (any year 0000..9999 fits).
std::optional<std::chrono::sys_seconds> http_date_seconds(std::string_view text) {
  date_reader r{text};
  int day_name = 0, day = 0, month = 0, year = 0, h = 0, m = 0, sec = 0;
  if (r.name(long_day_names, day_name)) {
    // rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"; of a two-digit year,
    // 70..99 are 19xx, the others 20xx (RFC 9110: never far in the future).
    if (!r.literal(", ") || !r.number(2, day) || !r.literal("-") || !r.name(month_names, month) || !r.literal("-") ||
        !r.number(2, year) || !r.literal(" ") || !r.time_of_day(h, m, sec) || !r.literal(" GMT"))
      return std::nullopt;
    year += year < 70 ? 2000 : 1900;
  } else if (r.name(day_names, day_name)) {
    if (r.literal(", ")) {
      // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
      if (!r.number(2, day) || !r.literal(" ") || !r.name(month_names, month) || !r.literal(" ") ||
          !r.number(4, year) || !r.literal(" ") || !r.time_of_day(h, m, sec) || !r.literal(" GMT"))
        return std::nullopt;
    } else {
      // asctime-date: "Sun Nov  6 08:49:37 1994"
      if (!r.literal(" ") || !r.name(month_names, month) || !r.literal(" ")) return std::nullopt;
      if (!(r.literal(" ") ? r.number(1, day) : r.number(2, day)) || !r.literal(" ") || !r.time_of_day(h, m, sec) ||
          !r.literal(" ") || !r.number(4, year))
        return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (!r.s.empty() || h > 23 || m > 59 || sec > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month + 1)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_seconds{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{m} +
         std::chrono::seconds{sec};
}

}  // namespace

std::optional<time_point> parse_http_date(std::string_view text) {
  const auto at = http_date_seconds(text);
  // A system_clock::time_point (nanoseconds) holds the years 1678..2262.
  if (!at || at->time_since_epoch() > std::chrono::hours(24 * 365 * 280) ||
      at->time_since_epoch() < -std::chrono::hours(24 * 365 * 290))
    return std::nullopt;
  return time_point{std::chrono::duration_cast<time_point::duration>(at->time_since_epoch())};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, time_point now) {
  // Optional whitespace around the field value (RFC 9110 5.5).
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::chrono::seconds wait{0};
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    // delta-seconds; more than the longest wait is simply the longest wait.
    std::int64_t n = 0;
    for (const char c : value) n = std::min<std::int64_t>(n * 10 + (c - '0'), retry_after_max.count() + 1);
    wait = std::chrono::seconds(n);
  } else if (const auto at = http_date_seconds(value)) {
    wait = *at - std::chrono::floor<std::chrono::seconds>(now);  // rounded up: never sooner
  } else {
    return std::nullopt;
  }
  return std::clamp(wait, retry_after_min, retry_after_max);
}

std::optional<std::chrono::seconds> parse_max_wait(std::string_view error_body) {
  std::string why;
  const auto body = json::parse(error_body, why);
  if (!body || !body->is_object() || !body->contains("error") || !(*body)["error"].is_object()) return std::nullopt;
  const auto& e = (*body)["error"];
  if (text_member(e, "code", "") != "invalid_wait" || !e.contains("max_wait")) return std::nullopt;
  // JSON reads 60 as unsigned, -1 as signed; fractions, strings and the rest are not seconds.
  const auto& m = e["max_wait"];
  if (m.is_number_unsigned() && m.get<std::uint64_t>() <= 86400u) return std::chrono::seconds(m.get<std::int64_t>());
  return std::nullopt;
}

namespace {

// Retry-After of a 429 or 503 (other statuses do not ask to wait).
std::optional<std::chrono::seconds> retry_after_of(const response& r) {
  if (r.status != 429 && r.status != 503) return std::nullopt;
  const auto it = r.headers.find("retry-after");
  if (it == r.headers.end()) return std::nullopt;
  return parse_retry_after(it->second, std::chrono::system_clock::now());
}

}  // namespace

void check_center_url(const center_options& o) {
  if (o.url.starts_with("http://") && !o.allow_plain_http)
    throw error(exit_code::config, "the center URL is plain http: set [center] allow_plain_http = yes to allow it");
  if (!o.url.starts_with("https://") && !o.url.starts_with("http://"))
    throw error(exit_code::usage, "the center URL must start with https://");
}

std::string center_message(const response& r) {
  std::string why;
  if (auto body = json::parse(r.body, why);
      body && body->is_object() && body->contains("error") && (*body)["error"].is_object())
    return text_member((*body)["error"], "message", "refused") + " (" + text_member((*body)["error"], "code", "") + ")";
  return "HTTP " + std::to_string(r.status);
}

center_client::center_client(const center_options& o, std::chrono::milliseconds timeout, const stop_signal* stop)
    : url_(o.url) {
  check_center_url(o);
  options http;
  http.base_url = o.url;
  http.ca_file = o.ca_file;
  http.proxy = o.proxy;
  http.timeout = timeout;
  http.stop = stop;
  http_ = std::make_unique<client>(http);
}

center_client::~center_client() = default;

void read_limits(const json::value& v, center_limits& into) {
  if (!v.is_object()) return;
  auto take = [&](const char* name, std::int64_t& field, std::int64_t lo, std::int64_t hi) {
    const auto it = v.find(name);
    if (it != v.end() && it->is_number_integer() && it->get<std::int64_t>() >= lo && it->get<std::int64_t>() <= hi)
      field = it->get<std::int64_t>();
  };
  take("max_body_bytes", into.max_body_bytes, 1024, std::int64_t{1} << 30);
  take("max_readings_per_batch", into.max_readings_per_batch, 1, 100000);
  take("max_terminals_per_registration", into.max_terminals_per_registration, 1, 100000);
}

namespace {

// The error object of a refusal, or null.
json::value error_object(const response& r) {
  std::string why;
  auto body = json::parse(r.body, why);
  if (!body || !body->is_object() || !body->contains("error") || !(*body)["error"].is_object()) return nullptr;
  return (*body)["error"];
}

}  // namespace

std::vector<terminal_result> parse_terminal_results(std::string_view body) {
  std::string why;
  const auto answer = json::parse(body, why);
  if (!answer || !answer->is_object()) return {};
  std::vector<terminal_result> out;
  const auto it = answer->find("results");
  if (it == answer->end() || !it->is_array()) return out;
  for (const auto& a : *it) {
    if (!a.is_object() || !a.contains("key") || !a["key"].is_string() || !a.contains("status") ||
        !a["status"].is_string())
      continue;
    const auto reason = a.find("reason");
    out.push_back({a["key"].get<std::string>(), a["status"].get<std::string>(),
                   reason != a.end() && reason->is_string() ? reason->get<std::string>() : std::string()});
  }
  return out;
}

bool plausible_credential(std::string_view c) {
  return c.starts_with("frc1_") && c.size() <= 128 &&
         c.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
             std::string_view::npos;
}

reading_answers parse_reading_answers(std::string_view body, const std::vector<std::string>& sent) {
  reading_answers out;
  std::string why;
  const auto answer = json::parse(body, why);
  if (!answer || !answer->is_object() || !answer->contains("results") || !(*answer)["results"].is_array()) {
    out.done = sent;
    return out;
  }
  out.per_reading = true;
  std::set<std::string> open(sent.begin(), sent.end());
  for (const auto& a : (*answer)["results"]) {
    if (!a.is_object() || !a.contains("id") || !a["id"].is_string()) continue;
    const auto id = a["id"].get<std::string>();
    const auto status = a.find("status");
    if (status == a.end() || !status->is_string()) continue;
    if (*status == "refused") {
      if (open.erase(id) == 0) continue;  // not sent, or answered already
      const auto reason = a.find("reason");
      out.refused.emplace_back(id, reason != a.end() && reason->is_string() ? reason->get<std::string>() : "refused");
    } else if (*status == "stored" || *status == "duplicate") {
      if (open.erase(id) == 0) continue;
      out.done.push_back(id);
    }
  }
  for (const auto& id : sent)
    if (open.count(id)) out.unanswered.push_back(id);
  return out;
}

namespace {

// Part [from, from + n) of a JSON array.
json::value slice(const json::value& list, std::size_t from, std::size_t n) {
  json::value out = json::value::array();
  for (std::size_t i = from; i < list.size() && i < from + n; ++i) out.push_back(list[i]);
  return out;
}

}  // namespace

center_client::registration center_client::register_terminals(const std::string& canonical_code,
                                                              const json::value& registering_side,
                                                              const json::value& terminals,
                                                              const std::string& idempotency_key) {
  while (true) {
    const auto first = static_cast<std::size_t>(limits_.max_terminals_per_registration);
    const json::value body = {
        {"code", canonical_code}, {"registering_side", registering_side}, {"terminals", slice(terminals, 0, first)}};
    std::error_code ec;
    std::string transport;
    const auto r = http_->request("POST", "/api/v1/registrations", body.dump(), {{"Idempotency-Key", idempotency_key}},
                                  ec, &transport);
    if (ec) throw error(exit_code::unavailable, "cannot reach the center at " + url_ + ": " + transport);
    // Busy or limiting this address: the code is still good, try again later.
    if (r.status == 429 || r.status >= 500) {
      const auto wait = retry_after_of(r);
      throw center_busy("the center asks to wait before registering: " + center_message(r) +
                            (wait ? "; try again in " + std::to_string(wait->count()) + " s" : "; try again later"),
                        wait);
    }
    // More terminals than the center takes per request: it says how many.
    if ((r.status == 422 || r.status == 413) && first > 1) {
      read_limits(error_object(r), limits_);
      if (r.status == 413 && limits_.max_terminals_per_registration >= static_cast<std::int64_t>(first))
        limits_.max_terminals_per_registration = static_cast<std::int64_t>(first / 2);  // too many bytes
      if (limits_.max_terminals_per_registration < static_cast<std::int64_t>(first)) continue;
    }
    if (r.status != 201) throw error(exit_code::failure, "the center refused the registration: " + center_message(r));
    std::string why;
    const auto answer = json::parse(r.body, why);
    if (!answer || !answer->is_object() || !answer->contains("credential") || !answer->contains("site_id") ||
        !(*answer)["credential"].is_string() || !(*answer)["site_id"].is_string())
      throw error(exit_code::failure, "the center's answer is not a registration");
    if (answer->contains("limits")) read_limits((*answer)["limits"], limits_);
    registration out{(*answer)["site_id"].get<std::string>(), (*answer)["credential"].get<std::string>(),
                     parse_terminal_results(r.body)};
    if (terminals.size() > first) {
      // The rest of the same registration, with the new credential; what
      // cannot be sent now is added later by the collector's next read.
      auto rest = add_chunked(out.credential, slice(terminals, first, terminals.size() - first));
      for (auto& t : rest.results) out.results.push_back(std::move(t));
    }
    return out;
  }
}

center_client::added center_client::add_chunked(const std::string& credential, const json::value& terminals) {
  added out;
  std::size_t from = 0;
  while (from < terminals.size()) {
    const auto n = static_cast<std::size_t>(limits_.max_terminals_per_registration);
    std::error_code ec;
    std::string transport;
    const json::value body = {{"terminals", slice(terminals, from, n)}};
    const auto r =
        http_->request("POST", "/api/v1/sites/self/terminals", body.dump(), bearer(credential), ec, &transport);
    if (ec) {
      out.error = transport;
      return out;
    }
    if ((r.status == 422 || r.status == 413) && n > 1) {
      const auto before = limits_.max_terminals_per_registration;
      read_limits(error_object(r), limits_);
      if (limits_.max_terminals_per_registration == before)
        limits_.max_terminals_per_registration = static_cast<std::int64_t>(n / 2);
      continue;
    }
    if (r.status != 200) {
      out.error = center_message(r);
      return out;
    }
    std::string why;
    const auto answer = json::parse(r.body, why);
    if (answer && answer->is_object())
      for (auto& t : parse_terminal_results(r.body)) out.results.push_back(std::move(t));
    from += n;
  }
  return out;
}

center_client::added center_client::add_terminals(const std::string& credential, const json::value& terminals) {
  return add_chunked(credential, terminals);
}

center_client::poll center_client::wait_for_requests(const std::string& credential, std::chrono::seconds wait) {
  poll out;
  std::error_code ec;
  std::string transport;
  const auto started = std::chrono::steady_clock::now();
  const auto r = http_->request("GET", "/api/v1/requests?wait=" + std::to_string(wait.count()), "", bearer(credential),
                                ec, &transport);
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  out.status = ec ? 0 : r.status;
  if (!ec) out.retry_after = retry_after_of(r);
  if (ec || r.status >= 500) {
    out.error = ec ? transport : center_message(r);
    return out;
  }
  out.reachable = true;
  if (r.status == 204) return out;  // nothing requested within `wait`
  if (r.status == 401) out.revoked = true;
  if (r.status == 400) out.max_wait = parse_max_wait(r.body);
  if (r.status != 200) {
    out.error = center_message(r);
    return out;
  }
  std::string why;
  const auto body = json::parse(r.body, why);
  if (!body || !body->is_object() || !body->contains("requests") || !(*body)["requests"].is_array()) {
    out.error = "the center's answer has no requests list";
    return out;
  }
  for (const auto& req : (*body)["requests"]) {
    if (!req.is_object() || !req.contains("id") || !req["id"].is_string()) continue;
    if (text_member(req, "kind", "") == "rotate_credential") {
      // Only a credential of the center's own form is taken.
      const auto c = req.find("credential");
      if (c != req.end() && c->is_string() && plausible_credential(c->get<std::string>()))
        out.new_credential = c->get<std::string>();
      continue;
    }
    out.request_ids.push_back(req["id"]);
  }
  return out;
}

center_client::delivery center_client::deliver(outbox& box, const std::string& credential) {
  delivery out;
  out.refused = 0;
  if (const auto dropped = box.enforce_caps(); dropped > 0)
    log::warning("outbox over its caps: dropped the " + std::to_string(dropped) + " oldest readings");
  while (true) {
    const auto batch = box.due(static_cast<std::size_t>(limits_.max_readings_per_batch));
    if (batch.empty()) return out;
    // Under the body limit too: as many as fit (at least one).
    std::vector<outbox_entry> fitting;
    std::size_t bytes = 32;
    for (const auto& e : batch) {
      if (!fitting.empty() && bytes + e.body.size() + 1 > static_cast<std::size_t>(limits_.max_body_bytes)) break;
      bytes += e.body.size() + 1;
      fitting.push_back(e);
    }
    if (!send_batch(box, credential, fitting, out)) return out;
  }
}

bool center_client::send_batch(outbox& box, const std::string& credential, const std::vector<outbox_entry>& batch,
                               delivery& out) {
  std::string body = "{\"readings\":[";
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i) body += ',';
    body += batch[i].body;
    ids.push_back(batch[i].id);
  }
  body += "]}";
  std::error_code ec;
  std::string transport;
  const auto r = http_->request("POST", "/api/v1/readings", body, bearer(credential), ec, &transport);
  out.status = ec ? 0 : r.status;
  out.retry_after = ec ? std::nullopt : retry_after_of(r);
  if (ec || r.status >= 500 || r.status == 429) {
    // Not reached, or asked to wait: the center's Retry-After, else the
    // outbox's backoff (a 429 without one as a refusal, like the polls).
    out.error = ec ? "cannot reach the center: " + transport : center_message(r);
    box.retry_later(ids, out.retry_after.value_or(std::chrono::seconds::zero()),
                    r.status == 429 && !out.retry_after ? center_pacing::refusing_backoff : outbox::retry_policy);
    return false;
  }
  if (r.status == 401) {
    out.revoked = true;
    out.error = center_message(r);
    return false;
  }
  if (r.status == 413) {
    // Too large: smaller batches from now on; one reading alone too large
    // can never be sent.
    const auto before = limits_;
    read_limits(error_object(r), limits_);
    if (batch.size() == 1) {
      log::warning("reading " + batch[0].id + " of " + log::quote(batch[0].terminal_key) +
                   " is larger than the center takes (" + std::to_string(batch[0].body.size()) + " bytes): dropped");
      box.refused(ids);
      ++out.refused;
      return true;
    }
    const auto half = static_cast<std::int64_t>(batch.size() / 2);
    if (limits_.max_readings_per_batch >= static_cast<std::int64_t>(batch.size()) ||
        limits_.max_readings_per_batch == before.max_readings_per_batch)
      limits_.max_readings_per_batch = std::max<std::int64_t>(1, std::min(limits_.max_readings_per_batch, half));
    if (limits_.max_body_bytes >= before.max_body_bytes && r.body.find("body_too_large") != std::string::npos)
      limits_.max_body_bytes = std::max<std::int64_t>(1024, static_cast<std::int64_t>(body.size() / 2));
    return true;
  }
  if (r.status == 422 && batch.size() > 1) {
    // The center could not answer the batch per reading: one by one finds
    // the reading it cannot take (refused below), the others go through.
    for (const auto& e : batch)
      if (!send_batch(box, credential, {e}, out)) return false;
    return true;
  }
  if (r.status == 422) {
    log::warning("reading " + batch[0].id + " of " + log::quote(batch[0].terminal_key) +
                 " refused by the center: " + center_message(r) + "; dropped");
    box.refused(ids);
    ++out.refused;
    return true;
  }
  if (r.status != 200) {
    // Refused for another reason: keep them, back off as from any refusal
    // (10 s doubling to 5 min), say why.
    out.error = center_message(r);
    box.retry_later(ids, std::chrono::seconds::zero(), center_pacing::refusing_backoff);
    return false;
  }
  // Answered per reading: stored and duplicate ones leave, refused ones too
  // (logged with their reason); unanswered ones stay for the next delivery.
  const auto answers = parse_reading_answers(r.body, ids);
  std::map<std::string, std::string> key_of;
  for (const auto& e : batch) key_of[e.id] = e.terminal_key;
  std::vector<std::string> refused;
  for (const auto& [id, reason] : answers.refused) {
    const auto& key = key_of[id];
    log::warning("reading " + id + " of " + log::quote(key) + " refused by the center: " + log::quote(reason));
    if (reason == "not_at_site" &&
        std::find(out.gone_terminals.begin(), out.gone_terminals.end(), key) == out.gone_terminals.end())
      out.gone_terminals.push_back(key);
    refused.push_back(id);
  }
  if (!answers.unanswered.empty()) box.retry_later(answers.unanswered);
  box.acknowledged(answers.done);
  if (!refused.empty()) box.refused(refused);
  out.acknowledged += static_cast<std::int64_t>(answers.done.size());
  out.refused += static_cast<std::int64_t>(refused.size());
  out.error.clear();
  return true;
}

}  // namespace fleetreg::rest_client
