// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <memory>
#include <string>

#include "fleetreg/core/json.hpp"
#include "fleetreg/rest_client/client.hpp"
#include "fleetreg/test/harness.hpp"

/// The real fleetreg-center for integration tests: its own config, database
/// and server key in a temp dir, on a free loopback port, over HTTPS with a
/// CA made for the test (openssl) or over plain HTTP.
namespace fleetreg::test {

class center_daemon {
 public:
  struct options {
    bool tls = true;
    std::string extra_config;     ///< appended to the [center]... file as is
    bool create_key = true;       ///< run `fleetreg-centerctl key init`, as an installation does
    std::string database{};       ///< [center] database; empty: center.db in the directory
    std::string name = "center";  ///< names its config (<name>.conf) and log: replicas share a directory
    std::string key_file{};       ///< another center's server key (a replica); empty: its own
  };
  /// Writes the configuration (and the test CA and certificate for TLS) and
  /// creates the server key (`key_file()`) unless told not to. Throws on
  /// failure. Does not start the daemon.
  center_daemon(const temp_dir& dir, options o);
  ~center_daemon();

  /// Starts fleetreg-center and waits until /healthz answers. `env` extra
  /// variables (FLEETREG_TEST_CLOCK_OFFSET). Throws when it does not come up.
  void start(std::map<std::string, std::string> env = {});
  void stop();
  process* daemon() { return proc_.get(); }

  /// Runs fleetreg-centerctl with this center's configuration.
  command_result ctl(std::vector<std::string> args, const std::string& stdin_text = "") const;
  /// Creates a dealer account and issues a code for `customer`; returns the code.
  std::string dealer_and_code(const std::string& dealer, const std::string& customer) const;

  const std::string& url() const { return url_; }
  const std::string& config_path() const { return config_; }
  const std::string& database() const { return database_; }
  const std::string& key_file() const { return key_; }
  const std::string& ca_file() const { return ca_; }
  /// A client that trusts the test CA.
  rest_client::client client() const;

  /// One JSON call; `body` may be null. Returns status and parsed body (null
  /// when empty or not JSON).
  std::pair<int, json::value> call(const std::string& method, const std::string& path, const json::value& body,
                                   const std::string& bearer = "",
                                   const std::map<std::string, std::string>& headers = {}) const;

 private:
  const temp_dir& dir_;
  options options_;
  std::string url_, config_, database_, key_, ca_;
  std::unique_ptr<process> proc_;
};

}  // namespace fleetreg::test
