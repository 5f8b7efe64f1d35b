// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/tcp_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>

#include "fleetreg/test/harness.hpp"

namespace fleetreg::test {

tcp_relay::tcp_relay(std::uint16_t upstream_port, std::chrono::milliseconds delay)
    : upstream_(upstream_port), delay_(delay) {
  listen_fd_ = listen_on_loopback(port_, "tcp_relay");
  acceptor_ = std::thread([this] { accept_loop(); });
}

tcp_relay::~tcp_relay() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_)
    if (w.joinable()) w.join();
}

void tcp_relay::accept_loop() {
  while (!stopping_) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) break;
    ++connections_;
    workers_.emplace_back([this, client] { serve(client); });
  }
}

void tcp_relay::serve(int client) {
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  {
    std::lock_guard lock(mutex_);
    open_.insert(client);
    open_.insert(upstream);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(upstream_);
  if (!stopping_ && ::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::thread back([this, client, upstream] { pump(upstream, client); });
    pump(client, upstream);
    back.join();
  }
  {
    std::lock_guard lock(mutex_);
    open_.erase(client);
    open_.erase(upstream);
  }
  ::close(upstream);
  ::close(client);
}

// One direction: a reader queues each chunk with the time it is due, a
// writer sends it then; the end of the stream is passed on (shutdown) in turn.
void tcp_relay::pump(int from, int to) {
  struct chunk {
    std::chrono::steady_clock::time_point due;
    std::optional<std::string> data;  // nullopt: the end
  };
  std::mutex m;
  std::condition_variable cv;
  std::deque<chunk> queue;
  std::thread writer([&] {
    while (true) {
      chunk c;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return !queue.empty(); });
        c = std::move(queue.front());
        queue.pop_front();
      }
      std::this_thread::sleep_until(c.due);
      if (!c.data) break;
      std::size_t sent = 0;
      while (sent < c.data->size()) {
        const auto n = ::send(to, c.data->data() + sent, c.data->size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      if (sent < c.data->size()) break;
    }
    ::shutdown(to, SHUT_WR);
    ::shutdown(from, SHUT_RD);  // the reader stops when the writer cannot go on
  });
  char buffer[65536];
  while (true) {
    const auto n = ::recv(from, buffer, sizeof buffer, 0);
    std::lock_guard lock(m);
    if (n <= 0) {
      queue.push_back({std::chrono::steady_clock::now() + delay_, std::nullopt});
      cv.notify_one();
      break;
    }
    queue.push_back({std::chrono::steady_clock::now() + delay_, std::string(buffer, static_cast<std::size_t>(n))});
    cv.notify_one();
  }
  writer.join();
}

}  // namespace fleetreg::test
