// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/rest_client/client.hpp"
#include "fleetreg/rest_client/outbox.hpp"

/// The center's REST API v1 as the reporting sides use it — the collector
/// (site mode) and `fleetreg-terminal run` (terminal mode): registration with
/// a provisional code, terminals added later, the long-poll for requests, and
/// uploads from the outbox.
namespace fleetreg::rest_client {

/// Where the center is and how to reach it ([center] in the configuration).
struct center_options {
  std::string url;      ///< https://center.example:8443
  std::string ca_file;  ///< PEM CA bundle for the center's certificate; empty = the system's
  std::string proxy;    ///< http://proxy:3128 or empty
  bool allow_plain_http = false;
};

/// Throws fleetreg::error: exit_code::config for plain http when not allowed,
/// exit_code::usage when the URL is not http(s).
void check_center_url(const center_options& o);

/// The error message of a refusal ("the code has expired (code_expired)"),
/// or "HTTP <status>".
std::string center_message(const response& r);

/// The shortest and longest wait a Retry-After is taken as.
inline constexpr std::chrono::seconds retry_after_min{1};
inline constexpr std::chrono::seconds retry_after_max{3600};
/// Reads a Retry-After value (RFC 9110 10.2.3): delta-seconds, or an
/// HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms)
/// counted from `now`. Clamped to retry_after_min..retry_after_max; nullopt
/// when empty or malformed (a sign, a fraction, words, an impossible date).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, time_point now);
/// Parses an HTTP-date in any of its three forms; nullopt when malformed.
std::optional<time_point> parse_http_date(std::string_view text);
/// The center's longest long-poll wait from the body of a 400 invalid_wait:
/// {"error": {"code": "invalid_wait", "message": "...", "max_wait": 60}},
/// whole seconds 0..86400. nullopt for another error, or a max_wait that is
/// missing, negative, fractional, too large or not a number.
std::optional<std::chrono::seconds> parse_max_wait(std::string_view error_body);

/// The center asked to wait before trying again (429, 503, 5xx): temporary,
/// exit_code::unavailable. `retry_after` is the center's Retry-After, if any.
class center_busy : public error {
 public:
  center_busy(const std::string& what, std::optional<std::chrono::seconds> retry_after)
      : error(exit_code::unavailable, what), retry_after_(retry_after) {}
  std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }

 private:
  std::optional<std::chrono::seconds> retry_after_;
};

/// What the center answered for one terminal of a registration.
struct terminal_result {
  std::string key;
  /// registered, already_yours (the site holds it), pending_claim (held by
  /// another site: its dealer decides) or refused.
  std::string status;
  std::string reason;
  /// The site reports this terminal now.
  bool reporting() const { return status == "registered" || status == "already_yours"; }
};

/// The center's limits a client splits its requests by (advertised in the
/// registration answer and in 413/422 refusals).
struct center_limits {
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t max_readings_per_batch = 100;
  std::int64_t max_terminals_per_registration = 1000;
};
/// Reads the limits present in `v` (an answer's "limits" or an error object)
/// over `into`; values out of range are ignored.
void read_limits(const json::value& v, center_limits& into);

/// The center's answer to an upload, read against the ids sent.
struct reading_answers {
  bool per_reading = false;       ///< the answer had results (else: an older center stored all)
  std::vector<std::string> done;  ///< stored or duplicate: leave the outbox
  std::vector<std::pair<std::string, std::string>> refused;  ///< id, reason: leave it too, logged
  std::vector<std::string> unanswered;                       ///< sent but not in the answer: try again
};
/// Reads a 200 answer of POST /api/v1/readings. Ids not in `sent` are
/// ignored; nothing the center says makes a reading leave twice. Never throws
/// for a malformed body (then: not per reading, all done, as an older center).
reading_answers parse_reading_answers(std::string_view body, const std::vector<std::string>& sent);
/// The per-terminal answers of a registration or an addition (empty when
/// none or malformed).
std::vector<terminal_result> parse_terminal_results(std::string_view body);
/// A credential the center sends is taken only in its own form
/// (frc1_ + base64url, at most 128 characters).
bool plausible_credential(std::string_view c);

class center_client {
 public:
  /// `timeout` bounds each request (above the long-poll wait for polling);
  /// `stop`, when set, ends a request in flight early (see options::stop).
  /// One client keeps its HTTP connection and the limits it learnt: reuse it.
  /// Throws like check_center_url.
  center_client(const center_options& o, std::chrono::milliseconds timeout, const stop_signal* stop = nullptr);
  ~center_client();

  struct registration {
    std::string site_id;
    std::string credential;
    std::vector<terminal_result> results;  ///< one per terminal sent, in order
  };
  /// POST /api/v1/registrations with an Idempotency-Key (the same for every
  /// retry with this code, so a lost answer never makes a second site). More
  /// terminals than the center takes per request: the first ones register,
  /// the others are added with the new credential (one registration).
  /// Throws fleetreg::error: exit_code::unavailable when the center cannot be
  /// reached; center_busy (exit_code::unavailable) when it asks to wait (429,
  /// 503, any 5xx: the code stays good); exit_code::failure with the center's
  /// words when it refused the registration itself.
  registration register_terminals(const std::string& canonical_code, const json::value& registering_side,
                                  const json::value& terminals, const std::string& idempotency_key);

  struct added {
    std::string error;                     ///< why (some of) the terminals could not be sent, or ""
    std::vector<terminal_result> results;  ///< one per terminal the center answered
  };
  /// POST /api/v1/sites/self/terminals, split under the center's limits.
  added add_terminals(const std::string& credential, const json::value& terminals);

  struct poll {
    bool reachable = false;  ///< the center answered, with a status below 500
    bool revoked = false;    ///< 401: the credential no longer works
    std::vector<std::string> request_ids;
    /// A new credential sent by rotation (kind rotate_credential): store it,
    /// then use it; its first use confirms the rotation.
    std::optional<std::string> new_credential;
    std::string error;  ///< why the answer holds no requests list, or "" (200, 204)
    int status = 0;     ///< the HTTP status, 0 when the center was not reached
    /// Retry-After of a 429 or 503, clamped to 1 s..1 h (see parse_retry_after).
    std::optional<std::chrono::seconds> retry_after;
    /// The center's longest long-poll wait, from a 400 invalid_wait's error body.
    std::optional<std::chrono::seconds> max_wait;
    std::chrono::milliseconds elapsed{0};  ///< how long the request took
  };
  /// GET /api/v1/requests?wait=N: the requests for running status waiting
  /// for this site (empty after `wait` without one: 204).
  poll wait_for_requests(const std::string& credential, std::chrono::seconds wait);

  struct delivery {
    std::int64_t acknowledged = 0;
    std::int64_t refused = 0;  ///< refused by the center (or too large to send): out of the outbox, logged
    /// Terminals of refused readings the site does not hold any more
    /// (not_at_site): stop reading them.
    std::vector<std::string> gone_terminals;
    bool revoked = false;
    std::string error;  ///< why the last attempt failed, or ""
    int status = 0;     ///< HTTP status of the last upload; 0: not reached, or nothing was due (error "")
    std::optional<std::chrono::seconds> retry_after;  ///< of a 429 or 503, as in poll
  };
  /// Sends due outbox entries in batches under the center's limits until none
  /// is due or sending fails. The center answers per reading: stored and
  /// duplicate ones leave the outbox, refused ones too (logged, counted in
  /// the outbox's stats). A 413 makes the batches smaller (a single reading
  /// too large is refused here); a 422 of the whole batch sends its readings
  /// one by one to find the one it cannot take. Transport errors, 5xx and 429
  /// back off, not sooner than a Retry-After; 401 is `revoked`; other
  /// refusals keep the readings and back off too.
  delivery deliver(outbox& box, const std::string& credential);

  const center_limits& limits() const { return limits_; }

 private:
  // One POST of readings; fills `out`, returns false when delivery must stop.
  bool send_batch(outbox& box, const std::string& credential, const std::vector<outbox_entry>& batch, delivery& out);
  added add_chunked(const std::string& credential, const json::value& terminals);

  center_limits limits_;
  std::string url_;
  std::unique_ptr<client> http_;
};

}  // namespace fleetreg::rest_client
