// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetreg/test/harness.hpp"

/// Debian's nginx as the load balancer in front of several center replicas.
namespace fleetreg::test {

/// How the balancer proxies.
struct balancer_options {
  /// Where the backends listen (their ports are the constructor's).
  std::string backend_address = "127.0.0.1";
  /// Proxy to https://backend (the replicas' certificates are not verified:
  /// they are the tests' self-signed ones).
  bool https_upstream = false;
  /// Pass a POST on to the next replica when the first failed after it was
  /// sent (nginx's `non_idempotent`). Safe for fleetreg: readings are
  /// deduplicated by their id and a registration carries an Idempotency-Key.
  bool retry_non_idempotent = true;
  /// When both are set the balancer itself listens with TLS.
  std::string tls_certificate;
  std::string tls_key;
  /// Longest wait for a replica's answer: above the center's longest
  /// long-poll (api max_wait, 60 s by default).
  std::chrono::seconds read_timeout{300};
};

/// nginx in the foreground (`daemon off; master_process off`: one process,
/// stopped by its PID) with a configuration of its own under <dir>/<name>/:
/// pid file, error and access logs and every temp path there. It listens on
/// 127.0.0.1:<free port> and spreads requests round robin over the backends
/// (HTTP/1.1 with keep-alive, no response buffering for long polls, a failed
/// replica skipped for 2 s after one error: `max_fails=1 fail_timeout=2s`).
class nginx_balancer {
 public:
  /// Writes the configuration, starts nginx and waits until it accepts
  /// connections. Throws std::runtime_error with nginx's error log.
  nginx_balancer(const temp_dir& dir, std::vector<std::uint16_t> backend_ports, balancer_options options = {},
                 std::string name = "nginx");
  ~nginx_balancer();
  nginx_balancer(const nginx_balancer&) = delete;
  nginx_balancer& operator=(const nginx_balancer&) = delete;

  /// SIGTERM (nginx's fast shutdown), SIGKILL after 10 s. Idempotent.
  void stop();
  bool running();
  pid_t pid() const;
  std::uint16_t port() const { return port_; }
  /// http://127.0.0.1:<port> (https:// when the balancer listens with TLS).
  std::string url() const;
  /// The generated nginx.conf.
  std::string config() const;
  /// nginx's error log (and its stderr) so far.
  std::string log() const;
  /// One line per request: `"<request>" <status> upstream=<addresses tried> upstream_status=<statuses>`.
  std::string access_log() const;

 private:
  std::string work_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::unique_ptr<process> proc_;
};

/// The nginx.conf text the balancer runs (exposed for tests of the text):
/// `work` holds every path nginx writes, `port` is where it listens.
std::string nginx_balancer_config(const std::string& work, std::uint16_t port,
                                  const std::vector<std::uint16_t>& backend_ports, const balancer_options& options);

}  // namespace fleetreg::test
