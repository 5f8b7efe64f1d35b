// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>

namespace fleetreg {

/// A request to reload (SIGHUP), taken by the daemon's loop at its next turn.
/// Ownership as stop_signal: the process's instance (`on_hangup()`) belongs
/// to `main`; its handler only sets a flag (async-signal-safe); libraries
/// take a `reload_signal&` and tests make their own and call request().
class reload_signal {
 public:
  reload_signal() = default;
  reload_signal(const reload_signal&) = delete;
  reload_signal& operator=(const reload_signal&) = delete;

  /// The process's instance: at the first call (from `main`, before any
  /// thread starts) SIGHUP is pointed at it. Throws std::system_error when
  /// that fails.
  static reload_signal& on_hangup();

  /// Asks for a reload. Async-signal-safe.
  void request() noexcept { pending_ = 1; }
  /// True (once) when a reload was asked for since the last take().
  bool take() noexcept {
    if (!pending_) return false;
    pending_ = 0;
    return true;
  }

 private:
  volatile std::sig_atomic_t pending_ = 0;
};

}  // namespace fleetreg
