// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/http_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "fleetreg/test/harness.hpp"

namespace fleetreg::test {
namespace {

// Reads one HTTP message (headers and a Content-Length body) from fd,
// starting with what is already in `buffer`; false on EOF or error.
bool read_message(int fd, std::string& buffer, std::string& message) {
  while (true) {
    const auto end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string head = buffer.substr(0, end + 4);
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      std::size_t length = 0;
      if (const auto cl = lower.find("content-length:"); cl != std::string::npos)
        length = std::stoul(lower.substr(cl + 15, lower.find("\r\n", cl) - cl - 15));
      if (buffer.size() >= end + 4 + length) {
        message = buffer.substr(0, end + 4 + length);
        buffer.erase(0, end + 4 + length);
        return true;
      }
    }
    char chunk[65536];
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

http_proxy::http_proxy(std::uint16_t upstream_port) : upstream_(upstream_port) {
  listen_fd_ = listen_on_loopback(port_, "http_proxy");
  acceptor_ = std::thread([this] { accept_loop(); });
}

http_proxy::~http_proxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
}

void http_proxy::tunnel(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char chunk[65536];
  while (!stopping_) {
    if (::poll(fds, 2, 200) < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto n = ::recv(fds[i].fd, chunk, sizeof chunk, 0);
      if (n <= 0 || !send_all(fds[1 - i].fd, std::string(chunk, static_cast<std::size_t>(n)))) return;
    }
  }
}

std::vector<std::string> http_proxy::request_lines() const {
  std::lock_guard lock(mutex_);
  return request_lines_;
}

void http_proxy::drop_replies(const std::string& prefix, int count) {
  prefix_ = prefix;
  to_drop_ = count;
}

void http_proxy::accept_loop() {
  while (!stopping_) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) break;
    workers_.emplace_back([this, client] { serve(client); });
  }
}

void http_proxy::serve(int client) {
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(upstream_);
  timeval tv{2, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string from_client, from_upstream, request, response;
    while (!stopping_) {
      if (!read_message(client, from_client, request)) {
        if (errno == EAGAIN && !stopping_) continue;  // idle keep-alive
        break;
      }
      {
        std::lock_guard lock(mutex_);
        request_lines_.push_back(request.substr(0, request.find("\r\n")));
      }
      if (request.rfind("CONNECT ", 0) == 0) {
        // A forward proxy's tunnel (HTTPS): to the upstream port whatever the
        // target says, bytes both ways until one side closes.
        if (!send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n") ||
            (!from_client.empty() && !send_all(upstream, from_client)))
          break;
        tunnel(client, upstream);
        break;
      }
      if (!send_all(upstream, request) || !read_message(upstream, from_upstream, response)) break;
      if (request.rfind(prefix_, 0) == 0 && !prefix_.empty() && to_drop_ > 0) {
        --to_drop_;
        ++dropped_;
        break;  // stored upstream; the answer never reaches the client
      }
      if (!send_all(client, response)) break;
    }
  }
  ::close(upstream);
  ::close(client);
}

}  // namespace fleetreg::test
