// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <optional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fleetreg/center/http.hpp"
#include "fleetreg/center/limiter.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/refusal.hpp"

namespace fleetreg::center {

/// The REST API v1: a route table of plain request → result handlers.
class api {
 public:
  explicit api(operations& svc);

  /// One route: method and path pattern ("{name}" matches one segment).
  struct route {
    std::string method;
    std::string pattern;
  };
  /// Every route the API serves (compared with the OpenAPI document in tests).
  static const std::vector<route>& routes();

  /// Routes and runs one request. Never throws: failures are 5xx responses
  /// that carry the request's id.
  http::result handle(const http::request& req);

  /// True for requests answered without touching the database (/healthz):
  /// the server may run them on its I/O threads.
  static bool cheap(const http::request& req) { return req.path == "/healthz"; }

  /// Paths outside the API (the dealer site) go to `f` before a 404.
  void set_fallback(std::function<std::optional<http::response>(const http::request&)> f) { fallback_ = std::move(f); }

  /// Long-polls currently waiting (each deferred result holds one place
  /// until the server destroys it).
  std::int64_t open_long_polls() const { return long_polls_.total_in_use(); }

 private:
  http::result dispatch(const http::request& req);
  http::response healthz(const http::request& req);
  http::response registrations(const http::request& req);
  http::response add_terminals(const http::request& req);
  http::result requests(const http::request& req);
  http::response readings(const http::request& req);
  http::response status(const http::request& req);
  http::response metrics(const http::request& req);
  http::response billing(const http::request& req);
  http::response alerts(const http::request& req);
  http::response to_order(const http::request& req);

  /// 429 with Retry-After when the source made too many failed attempts of `kind`.
  std::optional<http::response> rate_limited(const http::request& req, failure_kind kind);
  /// The site of the Bearer credential, or a 401 (and a recorded failure).
  std::optional<site> authenticate(const http::request& req, http::response& refusal);
  bool monitoring_authorized(const http::request& req, http::response& refusal);
  /// The account whose billing the request reads: a dealer-site session's,
  /// or the dealer of a billing token; else nullopt and a 401, 403 or 429.
  std::optional<account> billing_reader(const http::request& req, http::response& refusal);
  /// The body's "terminals" list, keyed and within the center's limit; else
  /// nullopt and a 422 carrying the limits.
  std::optional<std::vector<std::pair<std::string, identity>>> terminals_of(const http::request& req,
                                                                            const json::value& body,
                                                                            http::response& refusal);
  /// A refusal, counted in the metrics and logged; `failure` counts against
  /// the request's source in the limiter.
  http::response refuse(const http::request& req, refusal_kind kind, const std::string& code,
                        const std::string& message, std::optional<failure_kind> failure = std::nullopt,
                        const json::value& extra = json::value::object());
  /// The answer to a refusal of the operations layer: the status of its kind;
  /// not_found as unknown_<object> without echoing what was asked.
  http::response refuse(const http::request& req, const refusal& why);

  operations& svc_;
  std::function<std::optional<http::response>(const http::request&)> fallback_;
  failure_limiter limiter_;
  keyed_slots long_polls_;
  std::mutex metrics_mutex_;
  /// When "database full" was last logged (steady clock ticks; 0: never).
  std::atomic<std::int64_t> storage_full_logged_{0};
  std::map<std::string, std::int64_t> refusals_;
  /// The per-dealer part of /metrics, computed at most once per
  /// dealer_metrics_ttl (its own mutex: refusals never wait for a query).
  std::string dealer_metrics();
  static constexpr std::chrono::seconds dealer_metrics_ttl{5};
  std::mutex dealer_metrics_mutex_;
  std::string dealer_metrics_;
  std::optional<time_point> dealer_metrics_at_;
  std::atomic<std::int64_t> readings_stored_{0};
  std::atomic<std::int64_t> registrations_{0};
};

}  // namespace fleetreg::center
