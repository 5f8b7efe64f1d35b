// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/sqlite.hpp"

namespace fleetreg::rest_client {

/// One reading waiting in the outbox.
struct outbox_entry {
  std::string id;
  std::string terminal_key;
  std::string body;  ///< the reading as JSON (the upload form)
  std::int64_t attempts = 0;
};

/// The zero-loss outbox of a reporting side (collector, terminal in terminal
/// mode): a table `outbox` in the owner's SQLite database, which must run with
/// synchronous=FULL. A reading is committed here before it is sent and leaves
/// only when the center acknowledged it; its UUID makes a re-send harmless.
/// Methods throw std::system_error (sqlite_category) on database errors.
/// How much an outbox keeps when the center cannot take its readings.
struct outbox_caps {
  std::int64_t max_readings = 200000;                         ///< beyond: the oldest are dropped
  std::chrono::seconds max_age{std::chrono::hours(24 * 90)};  ///< older: dropped
};

/// Readings that left the outbox without being stored at the center.
struct outbox_stats {
  std::int64_t refused = 0;  ///< the center refused them (reason logged)
  std::int64_t dropped = 0;  ///< over the caps (oldest first)
};

class outbox {
 public:
  /// Creates the tables when missing.
  outbox(sqlite::database& db, const clock& clk, outbox_caps caps = {});

  /// Commits a reading (durable before this returns); a second add of the
  /// same id changes nothing.
  void add(const reading& r);
  /// Up to `limit` readings whose next attempt is due, oldest first.
  std::vector<outbox_entry> due(std::size_t limit);
  /// The center stored (or already had) these: they leave the outbox.
  void acknowledged(const std::vector<std::string>& ids);
  /// The center refused these for good (reason, e.g. not_at_site): they
  /// leave the outbox, counted in stats().refused.
  void refused(const std::vector<std::string>& ids);
  /// Drops the oldest readings over max_readings and those older than
  /// max_age (counted in stats().dropped); returns how many.
  std::int64_t enforce_caps();
  outbox_stats stats();
  /// The retry schedule after a failure to send: 1 s doubling up to 5 min,
  /// plus up to 25 %, counted in the entry's attempts.
  static constexpr backoff_policy retry_policy{std::chrono::seconds(1), std::chrono::minutes(5), true};
  /// Sending failed: try again after `policy`'s backoff for the entry's
  /// attempts, and not before `at_least` from now (the center's Retry-After).
  void retry_later(const std::vector<std::string>& ids, std::chrono::seconds at_least = std::chrono::seconds::zero(),
                   const backoff_policy& policy = retry_policy);
  /// The center answers again: every reading waiting out a backoff is due
  /// now (their attempts stay counted). Returns how many were waiting.
  std::int64_t due_now();
  /// Number of readings waiting and the time of the oldest.
  std::pair<std::int64_t, std::optional<time_point>> backlog();

 private:
  void count(const char* name, std::int64_t n);

  sqlite::database& db_;
  const clock& clock_;
  outbox_caps caps_;
};

}  // namespace fleetreg::rest_client
