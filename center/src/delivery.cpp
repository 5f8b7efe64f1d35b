// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/delivery.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

#include "fleetreg/center/operations.hpp"
#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::center {

std::optional<std::string> webhook_url_problem(std::string_view url) {
  if (url.size() > max_webhook_url) return "the URL is longer than " + std::to_string(max_webhook_url) + " characters";
  for (const char ch : url)
    if (ch <= ' ' || ch >= 0x7f) return "the URL holds a space, a control or a non-ASCII character";
  constexpr std::string_view scheme = "https://";
  if (url.size() < scheme.size() || url.substr(0, scheme.size()) != scheme) return "the URL must start with https://";
  auto rest = url.substr(scheme.size());
  if (rest.find('#') != std::string_view::npos) return "the URL must not have a fragment (#…)";
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) return "the URL must not hold a user name or password";
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    const auto end = authority.find(']');
    if (end == std::string_view::npos || end == 1) return "the URL's IPv6 address is not closed with ]";
    host = authority.substr(0, end + 1);
    for (const char ch : host.substr(1, host.size() - 2))
      if (!(std::isxdigit(static_cast<unsigned char>(ch)) || ch == ':' || ch == '.'))
        return "the URL's IPv6 address may hold only hex digits, ':' and '.'";
    const auto after = authority.substr(end + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "the URL has something after its IPv6 address";
      port = after.substr(1);
      if (port.empty()) return "the URL's port is empty";
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return "the URL's port is empty";
  }
  if (host.empty()) return "the URL has no host";
  if (!authority.starts_with('['))
    for (const char ch : host)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.'))
        return "the URL's host may hold only letters, digits, '-' and '.'";
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return "the URL's port must be a number from 1 to 65535";
  }
  return std::nullopt;
}

std::string webhook_secret(const crypto::digest& server_key, std::string_view salt) {
  const std::string_view key(reinterpret_cast<const char*>(server_key.data()), server_key.size());
  return "whsec_" + crypto::hmac_sha256_hex(key, "fleetreg-webhook:" + std::string(salt));
}

std::string event_body(const alert_transition& event, const alert* subject) {
  json::value v = {{"event_id", event.id},
                   {"type", subject ? event.state : std::string("test")},
                   {"occurred_at", format_utc(event.at)},
                   {"actor", event.actor}};
  if (subject) v["alert"] = alert_json(*subject);
  // A device's own words may be malformed UTF-8: replaced, never thrown on.
  return v.dump(-1, ' ', false, json::value::error_handler_t::replace);
}

std::string event_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + crypto::hmac_sha256_hex(secret, body);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() &&
         (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n'))
    value.remove_suffix(1);
  if (value.empty() || value.size() > 12) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 0) return std::nullopt;
  return std::chrono::seconds(std::min<std::int64_t>(n, 24 * 3600));
}

std::chrono::milliseconds retry_delay(std::int64_t attempts, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap, double unit) {
  const auto shift = std::clamp<std::int64_t>(attempts - 1, 0, 40);
  const double full = std::min(static_cast<double>(base.count()) * std::ldexp(1.0, static_cast<int>(shift)),
                               static_cast<double>(cap.count()));
  const double jittered = full * (1.0 - 0.2 * std::clamp(unit, 0.0, 1.0));
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(jittered)));
}

webhook_request event_request(const crypto::digest& server_key, const webhook& hook, const alert_transition& event,
                              const alert* subject) {
  webhook_request r;
  r.url = hook.url;
  r.body = event_body(event, subject);
  r.headers = {{"Content-Type", "application/json"},
               {"User-Agent", "fleetreg-center"},
               {"X-Fleetreg-Event-Id", std::to_string(event.id)},
               {"X-Fleetreg-Event-Type", subject ? event.state : std::string("test")},
               {"X-Fleetreg-Signature", event_signature(webhook_secret(server_key, hook.salt), r.body)}};
  return r;
}

std::optional<std::string> mail_address_problem(std::string_view address) {
  if (address.empty()) return "an empty mail address";
  if (address.size() > 254) return "a mail address is longer than 254 characters";
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size())
    return "'" + header_value(address, 80) + "' is not a mail address (local@domain)";
  const auto local = address.substr(0, at), domain = address.substr(at + 1);
  if (local.size() > 64) return "a mail address's local part is longer than 64 characters";
  constexpr std::string_view atext = "!#$%&'*+/=?^_`{|}~-.";
  for (const char ch : local)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || atext.find(ch) != std::string_view::npos) ||
        static_cast<unsigned char>(ch) >= 0x80)
      return "'" + header_value(address, 80) + "' has a character a mail address may not hold unquoted";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return "'" + header_value(address, 80) + "' has a misplaced dot";
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos ||
      domain.find('.') == std::string_view::npos)
    return "'" + header_value(address, 80) + "' has no usable domain";
  for (const char ch : domain)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.') ||
        static_cast<unsigned char>(ch) >= 0x80)
      return "'" + header_value(address, 80) + "' has a domain with a character other than letters, digits, - and .";
  return std::nullopt;
}

std::optional<std::vector<std::string>> parse_recipients(std::string_view text, std::string& why) {
  std::vector<std::string> out;
  if (text.size() > 4096) {
    why = "the recipient list is longer than 4096 characters";
    return std::nullopt;
  }
  if (text == "off" || text == "none") return out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t end = i;
    while (end < text.size() && text[end] != ',' && text[end] != ' ' && text[end] != '\t') ++end;
    if (end > i) {
      const auto address = text.substr(i, end - i);
      if (const auto problem = mail_address_problem(address)) {
        why = *problem;
        return std::nullopt;
      }
      if (std::find(out.begin(), out.end(), address) == out.end()) out.emplace_back(address);
      if (out.size() > max_digest_recipients) {
        why = "at most " + std::to_string(max_digest_recipients) + " recipients";
        return std::nullopt;
      }
    }
    i = end;
  }
  return out;
}

std::string header_value(std::string_view value, std::size_t max) {
  std::string out;
  for (const char ch : value.substr(0, max)) out += (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ? ' ' : ch;
  return out;
}

std::string digest_message(const std::string& from, const std::vector<std::string>& to, const digest_batch& batch,
                           time_point now) {
  const auto first = batch.items.empty() ? 0 : batch.items.front().first.id;
  const auto last = batch.items.empty() ? 0 : batch.items.back().first.id;
  std::string recipients;
  for (const auto& r : to) recipients += (recipients.empty() ? "" : ", ") + header_value(r, 254);
  // RFC 5322 date of `now` (UTC).
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(now));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string m;
  m += "From: " + header_value(from, 254) + "\r\n";
  m += "To: " + recipients + "\r\n";
  m += "Subject: [fleetreg] " + std::to_string(batch.items.size()) + " alert events for " +
       header_value(batch.dealer.name, 64) + "\r\n";
  m += std::string("Date: ") + date + "\r\n";
  m += "Message-ID: <digest." + std::to_string(batch.dealer.id) + "." + std::to_string(first) + "-" +
       std::to_string(last) + "@fleetreg>\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  m += "Alert events of " + header_value(batch.dealer.name, 64) + " since the last digest (oldest first):\r\n\r\n";
  for (const auto& [e, a] : batch.items) {
    std::string subject = !a.terminal_key.empty() ? "terminal " + a.terminal_key
                          : !a.site_id.empty()    ? "site " + a.site_id
                                                  : "code #" + std::to_string(a.code_id);
    if (!a.customer.empty()) subject += " (" + a.customer + ")";
    std::string what = a.kind;
    if (a.supply) what += " supply " + std::to_string(*a.supply);
    if (!a.code.empty()) what += " " + a.code;
    // One line each, control characters out (a device's words), kept short.
    m += header_value(format_utc(e.at) + "  " + e.state + "  " + a.severity + "  " + what + "  " + subject + ": " +
                          a.detail + "  [alert #" + std::to_string(a.id) + ", event " + std::to_string(e.id) + "]",
                      400) +
         "\r\n";
  }
  m += "\r\nSee the Alerts page of the dealer site for what is open now.\r\n";
  return m;
}

delivery_worker::delivery_worker(operations& svc, webhook_poster post, std::size_t threads)
    : svc_(svc), post_(std::move(post)) {
  threads = std::clamp<std::size_t>(threads, 1, 32);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

delivery_worker::~delivery_worker() {
  {
    std::lock_guard lock(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void delivery_worker::wake() {
  {
    std::lock_guard lock(m_);
    ++wakes_;
  }
  cv_.notify_all();
}

void delivery_worker::run() noexcept {
  std::unique_lock lock(m_);
  while (!stopping_) {
    const auto seen = wakes_;
    lock.unlock();
    bool worked = false;
    try {
      // One at a time per thread: the threads bound the requests in flight.
      worked = svc_.deliver_next(post_);
    } catch (const std::exception& e) {
      log::error(std::string("[delivery] ") + e.what());
    } catch (...) {
      log::error("[delivery] unknown failure");
    }
    lock.lock();
    if (!worked) cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || wakes_ != seen; });
  }
}

}  // namespace fleetreg::center
