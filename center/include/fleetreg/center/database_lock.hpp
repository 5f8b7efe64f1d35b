// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg::center {

/// An exclusive flock(2) on `<database>.lock`, next to the database. The
/// running center holds it for its whole life and `fleetreg-centerctl
/// restore` while it replaces the database, so neither starts while the
/// other runs. The kernel drops the lock when its holder ends in any way
/// (SIGKILL, a crash), so a stale lock file never blocks anything.
class database_lock {
 public:
  /// The lock of `database`, taken without waiting; nullopt when another
  /// process holds it. The lock file is made (0600) when missing. Throws
  /// fleetreg::error (io) when it cannot be opened.
  static std::optional<database_lock> try_acquire(const std::string& database);

  // Movable, not copyable; closing the last descriptor drops the flock.

  /// The lock file's path (`<database>.lock`).
  static std::string path_for(const std::string& database);

 private:
  explicit database_lock(unique_fd fd) noexcept : fd_(std::move(fd)) {}
  unique_fd fd_;
};

}  // namespace fleetreg::center
