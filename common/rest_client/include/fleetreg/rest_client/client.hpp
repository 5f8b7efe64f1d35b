// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include "fleetreg/core/stop_signal.hpp"

/// The one HTTP client of fleetreg (cpprestsdk behind a small interface), for
/// the collector, the terminal's `run` daemon and the tests: JSON over HTTPS,
/// certificates verified by default.
namespace fleetreg::rest_client {

struct options {
  std::string base_url;    ///< "https://center.example:8443"
  std::string ca_file;     ///< PEM CA bundle; empty = the system's
  bool verify_tls = true;  ///< never off outside tests
  std::string proxy;       ///< "http://proxy:3128" or empty
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// When set, a request in flight (a long-poll) is given up within 100 ms of
  /// a stop being asked for; it then fails like a transport error. Not owned.
  const stop_signal* stop = nullptr;
};

struct response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< names lower-cased
};

class client {
 public:
  /// Throws std::invalid_argument for a malformed base URL.
  explicit client(const options& o);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// One request; transport failures (refused, TLS, timeout) come back in `ec`
  /// (generic category, with the reason in `error_text`), HTTP errors as statuses.
  response request(const std::string& method, const std::string& path_and_query, const std::string& body,
                   const std::map<std::string, std::string>& headers, std::error_code& ec,
                   std::string* error_text = nullptr);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fleetreg::rest_client
