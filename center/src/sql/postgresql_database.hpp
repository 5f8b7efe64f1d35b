// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "fleetreg/center/sql.hpp"
#include "fleetreg/core/unique_fd.hpp"
#include "pool.hpp"

namespace fleetreg::center::sql {

/// The error category of PostgreSQL failures (the message is the server's).
const std::error_category& postgresql_category() noexcept;

/// A PostgreSQL failure with its SQLSTATE ("" when the connection failed).
class postgresql_error : public std::system_error {
 public:
  postgresql_error(std::string sqlstate, const std::string& what, bool retry_safe = true);
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  /// The operation may run again without doing anything twice (it failed
  /// before a COMMIT was sent, or the server refused it).
  bool retry_safe() const noexcept { return retry_safe_; }

 private:
  std::string sqlstate_;
  bool retry_safe_;
};

/// PostgreSQL behind the driver seam, on libpq: a pool of connections with
/// statements prepared once per connection, SERIALIZABLE transactions, and
/// wake-ups through LISTEN/NOTIFY on a dedicated connection (re-established
/// after a loss; every waiter then re-checks, as notifications are not
/// replayed).
class postgresql_database final : public database {
 public:
  /// `uri`: a libpq connection URI. Connects once at once: an unreachable
  /// server fails the start with libpq's message.
  postgresql_database(std::string uri, std::string shown, std::size_t pool);
  ~postgresql_database() override;

  dialect kind() const noexcept override { return dialect::postgresql; }
  std::string describe() const override { return shown_; }
  lease acquire() override { return lease(*this, pool_.take()); }
  void migrate(const migrations& all) override;
  int schema_version() override;
  bool retryable(const std::exception& e) const noexcept override;
  void notify(const std::string& site_id) override;
  void on_notify(std::function<void(const std::string& site_id)> fn) override;

 protected:
  void release(std::unique_ptr<connection> c) noexcept override;

 private:
  void listen_loop();
  void deliver(const std::string& site_id);

  std::string uri_;
  std::string shown_;
  connection_pool pool_;
  std::mutex subscribers_mutex_;
  std::vector<std::function<void(const std::string&)>> subscribers_;
  unique_fd stop_read_, stop_write_;  ///< wakes the listener to stop
  std::atomic<bool> stopping_{false};
  std::thread listener_;
};

/// Rewrites `?N` parameters to PostgreSQL's `$N` outside quotes; `count`
/// receives the highest N.
std::string postgresql_parameters(std::string_view sql, int& count);

}  // namespace fleetreg::center::sql
