// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleetreg/center/sql.hpp"
#include "fleetreg/core/unique_fd.hpp"
#include "pool.hpp"

namespace fleetreg::center::sql {

/// SQLite behind the driver seam: one file in WAL mode with synchronous=FULL
/// (a commit is on disk before the answer leaves), one connection handed to
/// one thread at a time (SQLite has one writer anyway). Cross-process
/// notifications use a unix datagram socket `<path>.notify`.
class sqlite_database final : public database {
 public:
  /// Opens (creating when missing, 0600) the file at `path`.
  explicit sqlite_database(const std::string& path);
  ~sqlite_database() override;

  dialect kind() const noexcept override { return dialect::sqlite; }
  std::string describe() const override { return path_; }
  lease acquire() override { return lease(*this, pool_.take()); }
  void migrate(const migrations& all) override;
  int schema_version() override;
  bool retryable(const std::exception&) const noexcept override { return false; }
  void notify(const std::string& site_id) override;
  void on_notify(std::function<void(const std::string& site_id)> fn) override;

  /// Consistent copy of the live database into `target` (SQLite online backup).
  void backup(const std::string& target);
  /// Replaces the database at `path` (the center must be stopped) with
  /// `source`, a fleetreg center database of schema 1..`newest`.
  static void restore(const std::string& source, const std::string& path, int newest);

 protected:
  void release(std::unique_ptr<connection> c) noexcept override { pool_.give_back(std::move(c)); }

 private:
  void listen_loop();

  std::string path_;
  std::string notify_path_;
  connection_pool pool_;
  std::mutex subscribers_mutex_;
  std::vector<std::function<void(const std::string&)>> subscribers_;
  unique_fd listen_fd_;  ///< the notification socket, bound to notify_path_
  std::atomic<bool> stopping_{false};
  std::thread listener_;
};

}  // namespace fleetreg::center::sql
