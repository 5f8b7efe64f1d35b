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
#include "fleetreg/center/operations.hpp"

namespace fleetreg::center {

/// Failed attempts (bad code, bad credential, bad token) per source address
/// within a minute; past the limit the source gets 429 until the window moves.
class rate_limiter {
 public:
  explicit rate_limiter(std::int64_t per_minute) : limit_(per_minute) {}
  /// Seconds to wait when `peer` is over the limit, else 0.
  std::int64_t retry_after(const std::string& peer, time_point now);
  void record_failure(const std::string& peer, time_point now);

 private:
  std::mutex mutex_;
  std::int64_t limit_;
  std::map<std::string, std::deque<time_point>> failures_;
};

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

  /// Routes and runs one request. Never throws: failures are 5xx responses.
  http::result handle(const http::request& req);

  /// Paths outside the API (the dealer site) go to `f` before a 404.
  void set_fallback(std::function<std::optional<http::response>(const http::request&)> f) { fallback_ = std::move(f); }

  /// Long-polls currently waiting (the listener keeps this up to date).
  std::atomic<std::int64_t> open_long_polls{0};

 private:
  http::result dispatch(const http::request& req);
  http::response healthz(const http::request& req);
  http::response registrations(const http::request& req);
  http::response add_terminals(const http::request& req);
  http::result requests(const http::request& req);
  http::response readings(const http::request& req);
  http::response status(const http::request& req);
  http::response metrics(const http::request& req);

  /// 429 with Retry-After when the source made too many failed attempts.
  std::optional<http::response> rate_limited(const http::request& req);
  /// The site of the Bearer credential, or a 401 (and a recorded failure).
  std::optional<site> authenticate(const http::request& req, http::response& refusal);
  bool monitoring_authorized(const http::request& req, http::response& refusal);
  http::response refuse(const http::request& req, int status, const std::string& code, const std::string& message,
                        bool counts_as_failure);

  operations& svc_;
  std::function<std::optional<http::response>(const http::request&)> fallback_;
  rate_limiter limiter_;
  std::mutex metrics_mutex_;
  std::map<std::string, std::int64_t> refusals_;
  std::atomic<std::int64_t> readings_stored_{0};
  std::atomic<std::int64_t> registrations_{0};
};

}  // namespace fleetreg::center
