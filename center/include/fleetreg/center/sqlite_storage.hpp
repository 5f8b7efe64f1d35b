// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "fleetreg/center/sql_storage.hpp"

namespace fleetreg::center {

/// The default store: sql_storage on one SQLite file (WAL, synchronous=FULL:
/// a commit is on disk before the answer leaves). Backup and restore use
/// SQLite's online backup.
class sqlite_storage final : public sql_storage {
 public:
  /// Opens (creating when missing) and migrates the database at `path`.
  explicit sqlite_storage(const std::string& path);

  /// Consistent copy of the live database into `target` (SQLite online backup).
  void backup(const std::string& target);
  /// Replaces the database at `path` (the center must be stopped) with `source`.
  static void restore(const std::string& source, const std::string& path);
};

}  // namespace fleetreg::center
