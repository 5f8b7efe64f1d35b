// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/stop_signal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace fleetreg {

namespace {
// The instance the handlers set: written once, before they are installed.
stop_signal* process_stop = nullptr;
}  // namespace

void on_stop_signal(int sig) noexcept {
  if (process_stop == nullptr) return;
  if (!process_stop->signal_) process_stop->signal_ = sig;
  process_stop->request();
}

namespace {
extern "C" void stop_signal_handler(int sig) { on_stop_signal(sig); }
}  // namespace

stop_signal::stop_signal() {
  // Both ends close on exec; the write end never blocks (a full pipe is
  // readable already).
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot make the stop signal's pipe");
  read_end_.reset(ends[0]);
  write_end_.reset(ends[1]);
}

stop_signal::~stop_signal() = default;

stop_signal& stop_signal::on_termination() {
  static stop_signal instance;
  static const bool installed = [] {
    process_stop = &instance;
    struct sigaction sa {};
    sa.sa_handler = stop_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // poll/select still end with EINTR; reads and writes go on
    for (const int sig : {SIGTERM, SIGINT})
      if (::sigaction(sig, &sa, nullptr) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot install the stop signal's handler");
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)installed;
  return instance;
}

void stop_signal::request() noexcept {
  const int saved = errno;  // a handler must leave errno as it found it
  if (!requested_) {
    requested_ = 1;
    const char byte = 1;
    (void)!::write(write_end_.get(), &byte, 1);
  }
  errno = saved;
}

bool stop_signal::wait_for(std::chrono::milliseconds d) const noexcept {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!requested()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) return false;
    pollfd p{read_end_.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), 60'000)));
  }
  return true;
}

void stop_signal::wait() const noexcept {
  while (!requested()) {
    pollfd p{read_end_.get(), POLLIN, 0};
    ::poll(&p, 1, -1);
  }
}

}  // namespace fleetreg
