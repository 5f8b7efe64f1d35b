// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

/// A TCP relay on loopback that holds every chunk it relays for a fixed
/// delay, both ways: the latency of a slow link, where the kernel's netem
/// qdisc is not available (drill suite, issue 18). Bytes are neither lost nor
/// reordered; loss is made with nftables.
namespace fleetreg::test {

class tcp_relay {
 public:
  /// Listens on 127.0.0.1 (a free port) and relays each connection to
  /// 127.0.0.1:`upstream_port`, every chunk `delay` after it was read.
  /// Throws std::runtime_error when it cannot listen.
  tcp_relay(std::uint16_t upstream_port, std::chrono::milliseconds delay);
  ~tcp_relay();
  tcp_relay(const tcp_relay&) = delete;
  tcp_relay& operator=(const tcp_relay&) = delete;

  std::uint16_t port() const { return port_; }
  /// Connections accepted so far.
  int connections() const { return connections_; }

 private:
  void accept_loop();
  void serve(int client);
  void pump(int from, int to);

  std::uint16_t upstream_;
  std::chrono::milliseconds delay_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::set<int> open_;  // sockets to shut down on destruction
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace fleetreg::test
