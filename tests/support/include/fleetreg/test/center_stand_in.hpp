// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

/// A stand-in for the center, for the clients' tests: a tiny HTTP/1.1 server
/// (Boost.Beast) on 127.0.0.1 that answers every request at once with what a
/// script says, and records each request (method, target, arrival time).
namespace fleetreg::test {

class center_stand_in {
 public:
  /// A request as it arrived.
  struct request {
    std::string method;
    std::string target;  ///< "/api/v1/requests?wait=25"
    std::chrono::steady_clock::time_point at;
  };
  /// What to answer.
  struct answer {
    int status = 204;
    std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. {"Retry-After", "10"}
    std::string body;                                          ///< sent as application/json when not empty
  };
  /// Called on the server's thread for every request.
  using script = std::function<answer(const request&)>;

  /// Listens on a free port of 127.0.0.1 and serves on a thread of its own.
  /// Throws std::system_error when it cannot listen.
  explicit center_stand_in(script answers);
  /// Stops serving (open connections are closed).
  ~center_stand_in();
  center_stand_in(const center_stand_in&) = delete;
  center_stand_in& operator=(const center_stand_in&) = delete;

  /// "http://127.0.0.1:<port>"
  std::string url() const;
  /// Every request so far, in the order they arrived.
  std::vector<request> requests() const;

  /// The center's JSON error body: {"error": {"code": ..., "message": ...}}
  /// plus `extra` members inside "error" (a JSON fragment such as "\"max_wait\": 60").
  static std::string error_body(const std::string& code, const std::string& message, const std::string& extra = "");

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fleetreg::test
