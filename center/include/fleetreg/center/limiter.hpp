// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fleetreg/core/clock.hpp"

/// The center's defences against guessing and hogging, kept apart from the
/// HTTP server so that handlers (and their tests) use them without sockets.
namespace fleetreg::center {

/// What a failed attempt was: each kind has its own bucket, so wrong codes
/// never lock out credentials, tokens or logins from the same address.
enum class failure_kind { code, credential, token, login, account };

/// Failed attempts per key and kind within a sliding window; past `limit` the
/// key is refused until the window moves. The key is a client (IPv4 address
/// or IPv6 /64, see peer::limit_key) or, for `account`, an account name.
/// At most `capacity` keys are remembered; the least recently seen goes first.
/// Thread-safe.
class failure_limiter {
 public:
  failure_limiter(std::int64_t limit, std::chrono::milliseconds window, std::size_t capacity = 100000);

  /// Seconds to wait when `key` is over the limit for `kind`, else 0.
  std::int64_t retry_after(std::string_view key, failure_kind kind, time_point now);
  /// Counts one failure of `key`.
  void record_failure(std::string_view key, failure_kind kind, time_point now);
  /// Keys remembered (for tests and metrics).
  std::size_t size() const;

 private:
  struct entry {
    std::string key;
    std::deque<time_point> failures;
  };
  mutable std::mutex mutex_;
  std::int64_t limit_;
  std::chrono::milliseconds window_;
  std::size_t capacity_;
  std::list<entry> lru_;  // most recently seen first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

/// At most `limit` holders at once (password hashes: argon2id takes 64 MiB
/// and a core for a while each). try_acquire gives a token that frees its
/// place when destroyed, or null when every place is taken. Thread-safe.
class bounded_gate {
 public:
  explicit bounded_gate(std::int64_t limit) : limit_(limit) {}
  using token = std::shared_ptr<void>;
  token try_acquire();
  std::int64_t in_use() const { return *in_use_; }

 private:
  std::int64_t limit_;
  std::shared_ptr<std::atomic<std::int64_t>> in_use_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

/// Places per key (long-polls per site): try_acquire(key) gives a token that
/// frees the place when destroyed, or null when `key` holds `per_key`
/// already or all keys together hold `total`. Thread-safe; tokens may outlive
/// this object.
class keyed_slots {
 public:
  keyed_slots(std::int64_t per_key, std::int64_t total);
  using token = std::shared_ptr<void>;
  token try_acquire(const std::string& key);
  std::int64_t total_in_use() const;

 private:
  struct state {
    std::mutex mutex;
    std::unordered_map<std::string, std::int64_t> held;
    std::int64_t total = 0;
  };
  std::int64_t per_key_;
  std::int64_t limit_;
  std::shared_ptr<state> state_ = std::make_shared<state>();
};

}  // namespace fleetreg::center
