// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <csignal>

#include "fleetreg/core/unique_fd.hpp"

/// The one stop mechanism of every fleetreg daemon (the center, the
/// collector's and the terminal's `run`, the subagent, the announcer).
namespace fleetreg {

/// A request to stop, set once and never cleared: a flag (for loops that test
/// one, such as the subagent's `agent_check_and_process` loop, which the
/// signal interrupts) and a self-pipe that becomes readable when it is set
/// (so that sleeps, waits and requests in flight end at once, not at their
/// next timeout).
///
/// Ownership: the process's instance (`on_termination()`) belongs to `main`;
/// its SIGTERM and SIGINT handlers only set the flag and write one byte, both
/// async-signal-safe. Libraries take a `const stop_signal&` and never install
/// handlers themselves; tests make their own instances and call request().
class stop_signal {
 public:
  /// An instance only request() sets. Throws std::system_error when no pipe
  /// can be made.
  stop_signal();
  ~stop_signal();
  stop_signal(const stop_signal&) = delete;
  stop_signal& operator=(const stop_signal&) = delete;

  /// The process's instance: at the first call (from `main`, before any
  /// thread starts) SIGTERM and SIGINT are pointed at it and SIGPIPE is
  /// ignored. Throws std::system_error when that fails.
  static stop_signal& on_termination();

  /// Asks to stop. Async-signal-safe; later calls change nothing.
  void request() noexcept;
  /// True once a stop was asked for.
  bool requested() const noexcept { return requested_ != 0; }
  /// The signal that asked to stop (SIGTERM, SIGINT), or 0.
  int signal_number() const noexcept { return signal_; }
  /// The flag itself (non-zero once a stop was asked for), for loops that
  /// must test a `volatile std::sig_atomic_t`.
  const volatile std::sig_atomic_t& flag() const noexcept { return requested_; }
  /// A descriptor that is readable from the moment a stop is asked for (for
  /// poll(2), or an Asio descriptor); never read it.
  int wake_fd() const noexcept { return read_end_.get(); }

  /// Sleeps up to `d`; returns at once, true, when a stop is (or was) asked for.
  bool wait_for(std::chrono::milliseconds d) const noexcept;
  /// Blocks until a stop is asked for.
  void wait() const noexcept;

 private:
  volatile std::sig_atomic_t requested_ = 0;
  volatile std::sig_atomic_t signal_ = 0;
  unique_fd read_end_;   ///< readable once a stop was requested
  unique_fd write_end_;  ///< written (one byte) by request()

  friend void on_stop_signal(int) noexcept;
};

}  // namespace fleetreg
