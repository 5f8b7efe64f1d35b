// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/records.hpp"

/// Delivery of alert events to dealers' webhooks (issue 19 step 4): the pure
/// rules (URL check, event body, signature, backoff) and the worker threads.
/// The HTTP client is webhook_client.hpp (libcurl); the queue is storage's.
namespace fleetreg::center {

/// The longest webhook URL accepted.
inline constexpr std::size_t max_webhook_url = 2048;

/// Why `url` is no webhook URL, or nullopt when it is one: https:// only, at
/// most max_webhook_url bytes of printable ASCII without spaces, a host, an
/// optional port 1-65535, no user name or password, no fragment.
std::optional<std::string> webhook_url_problem(std::string_view url);

/// The webhook's signing secret: "whsec_" + HMAC-SHA-256(server key,
/// "fleetreg-webhook:" + salt) in hex. The database holds only the salt, so a
/// copy of it (a backup) signs nothing without the server key.
std::string webhook_secret(const crypto::digest& server_key, std::string_view salt);

/// The JSON body of one event: {"event_id", "type" (raised, acknowledged,
/// cleared), "occurred_at", "actor", "alert": alert_json(now)}; a test
/// event (event_id 0) has type "test" and no alert.
std::string event_body(const alert_transition& event, const alert* subject);

/// "sha256=" + hex HMAC-SHA-256 of `body` under `secret`: the
/// X-Fleetreg-Signature header.
std::string event_signature(std::string_view secret, std::string_view body);

/// A Retry-After header's delay in seconds (delta-seconds only; an HTTP date
/// or anything else: nullopt), at most a day.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

/// How long to wait before attempt `attempts` + 1: base·2^(attempts-1),
/// at most `cap`, then shortened by up to a fifth at random (`unit` in
/// [0, 1): the jitter, so that replicas and receivers do not stay in step).
std::chrono::milliseconds retry_delay(std::int64_t attempts, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap, double unit);

/// One POST to a webhook.
struct webhook_request {
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// What a POST came back with.
struct webhook_response {
  std::int64_t status = 0;  ///< HTTP status; 0 when none came (see error)
  std::string error;        ///< the transport's reason when there was no status
  std::optional<std::chrono::seconds> retry_after;
};

/// Sends one request (webhook_client::post, or a test's).
using webhook_poster = std::function<webhook_response(const webhook_request&)>;

/// The request for one event to one webhook: the body and its headers
/// (Content-Type, X-Fleetreg-Event-Id, X-Fleetreg-Event-Type, X-Fleetreg-Signature).
webhook_request event_request(const crypto::digest& server_key, const webhook& hook, const alert_transition& event,
                              const alert* subject);

// E-mail digests.

/// The most recipients of one dealer's digest.
inline constexpr std::size_t max_digest_recipients = 10;

/// A mail address as a digest takes it: local@domain, at most 254 bytes, the
/// local part of RFC 5322 atext and dots (no quoting), the domain of
/// letters, digits, '-' and dots, no control character, space or CR/LF
/// anywhere (so it cannot end a header line). Why not, or nullopt.
std::optional<std::string> mail_address_problem(std::string_view address);

/// A digest's recipient list as typed: addresses separated by commas and/or
/// spaces, 1..max_digest_recipients of them, duplicates dropped; "off" or
/// "" gives an empty list (no digest). nullopt with `why` otherwise.
std::optional<std::vector<std::string>> parse_recipients(std::string_view text, std::string& why);

/// `value` fit for a mail header: CR, LF and other control characters
/// become spaces, and it is cut to `max` bytes.
std::string header_value(std::string_view value, std::size_t max = 200);

/// The digest mail (RFC 5322, CRLF lines, UTF-8 text): From `from`, To
/// `to`, Subject "[fleetreg] N alert events for <dealer>", Date `now`,
/// Message-ID <digest.<dealer id>.<first event>-<last event>@fleetreg> (the
/// same for a resend of the same events: receivers may deduplicate), one
/// line per transition, oldest first.
std::string digest_message(const std::string& from, const std::vector<std::string>& to, const digest_batch& batch,
                           time_point now);

/// Sends one mail: from, recipients, the message; "" when the relay took
/// it, else why not (smtp_client::send, or a test's).
using mail_sender = std::function<std::string(const std::string&, const std::vector<std::string>&, const std::string&)>;

class operations;

/// The delivery worker of a center: `threads` threads claim due deliveries
/// (operations::claim_deliveries) and attempt them with `post`; at most
/// `threads` requests are in flight. Idle threads wake every second or on
/// wake() (operations::publish calls it). Nothing thrown escapes a thread.
/// The destructor stops the threads; a request in flight ends by its own
/// timeout (webhook_client: 10 s at most), its lease makes it due again.
class delivery_worker {
 public:
  delivery_worker(operations& svc, webhook_poster post, std::size_t threads);
  ~delivery_worker();
  delivery_worker(const delivery_worker&) = delete;
  delivery_worker& operator=(const delivery_worker&) = delete;
  /// Makes idle threads look for due deliveries now.
  void wake();

 private:
  void run() noexcept;
  operations& svc_;
  webhook_poster post_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t wakes_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace fleetreg::center
