// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

/// A small HTTP/1.1 proxy on loopback for failure tests: it forwards every
/// request to the upstream port and, while armed, forwards a matching request
/// but drops the upstream's answer and closes the client's connection — "the
/// center stored the upload, the reply was lost". Also a forward proxy for
/// HTTPS: CONNECT opens a tunnel to the upstream port. Content-Length framing only.
namespace fleetreg::test {

class http_proxy {
 public:
  /// Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:`upstream_port`.
  explicit http_proxy(std::uint16_t upstream_port);
  ~http_proxy();

  std::uint16_t port() const { return port_; }
  /// Drops the answers to the next `count` requests whose request line starts with `prefix`.
  void drop_replies(const std::string& prefix, int count);
  /// How many answers were dropped so far.
  int dropped() const { return dropped_; }
  /// The first line of every request received ("CONNECT 127.0.0.1:8443 HTTP/1.1").
  std::vector<std::string> request_lines() const;

 private:
  void accept_loop();
  void serve(int client);
  void tunnel(int a, int b);

  std::uint16_t upstream_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> to_drop_{0};
  std::atomic<int> dropped_{0};
  std::string prefix_;
  mutable std::mutex mutex_;
  std::vector<std::string> request_lines_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace fleetreg::test
