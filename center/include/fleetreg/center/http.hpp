// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fleetreg/core/json.hpp"

/// Plain HTTP request and response values: what handlers take and give. The
/// cpprestsdk listener (src/http/) converts to and from these, so handlers are
/// tested without any socket.
namespace fleetreg::center::http {

struct request {
  std::string method;                          ///< "GET", "POST", ...
  std::string path;                            ///< decoded path, no query
  std::map<std::string, std::string> query;    ///< decoded query parameters
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string peer;  ///< client address, for rate limits and logs

  /// A header value, or "" (name in lower case).
  std::string header(const std::string& name) const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A JSON response.
response json_response(int status, const json::value& body);
/// The contract's error form: {"error": {"code": ..., "message": ...}}.
response error_response(int status, const std::string& code, const std::string& message);

/// A long-poll: the listener calls `poll` now and whenever `key` is notified,
/// and answers with what it returns; after `wait` it answers `timeout`.
/// No thread is held while waiting.
struct deferred {
  std::string key;
  std::chrono::milliseconds wait{};
  std::function<std::optional<response>()> poll;
  response timeout;
};

using result = std::variant<response, deferred>;

}  // namespace fleetreg::center::http
