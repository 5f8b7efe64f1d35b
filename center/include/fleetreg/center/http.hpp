// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fleetreg/core/json.hpp"

/// Plain HTTP request and response values: what handlers take and give. The
/// Boost.Beast server (src/http/) converts to and from these, so handlers are
/// tested without any socket.
namespace fleetreg::center::http {

struct request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< decoded path, no query
  /// The path as sent, escapes kept: a route whose segments carry names or
  /// keys (which may hold '/', sent as %2F) splits this and decodes each
  /// segment. Empty in requests built in code; `path` stands in then.
  std::string raw_path;
  std::map<std::string, std::string> query;    ///< decoded query parameters
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string peer;  ///< client address, for rate limits and logs
  std::string id;    ///< request id, in 5xx bodies and the log

  /// A header value, or "" (name in lower case).
  std::string header(const std::string& name) const;
  /// The value of the cookie `name` in the Cookie header, or "".
  std::string cookie(const std::string& name) const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A JSON response.
response json_response(int status, const json::value& body);
/// The contract's error form: {"error": {"code": ..., "message": ...}}, with
/// the members of `extra` (an object) added to "error".
response error_response(int status, const std::string& code, const std::string& message,
                        const json::value& extra = json::value::object());

/// The cookies of a Cookie header (the first of a repeated name wins).
std::map<std::string, std::string> parse_cookies(std::string_view header);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`). False when an
/// escape is malformed ("%zz", "%4"); `out` is then unspecified.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space = false);

/// Splits a request target ("/path?a=1&b=%20") into the decoded path and
/// query. Refuses (false, with why) malformed escapes, a path not starting
/// with '/', control characters in the decoded path, and more than
/// `max_parameters` parameters. Repeated names keep the first value.
bool parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query,
                  std::string& why, std::size_t max_parameters = 64);

/// A long-poll: the server calls `poll` now and whenever `key` is notified,
/// and answers with what it returns; after `wait` it answers `timeout`.
/// No thread is held while waiting.
struct deferred {
  std::string key;
  std::chrono::milliseconds wait{};
  std::function<std::optional<response>()> poll;
  response timeout;
  std::shared_ptr<void> slot;  ///< the long-poll's place; freed when this is destroyed
};

using result = std::variant<response, deferred>;

}  // namespace fleetreg::center::http
