// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "fleetreg/center/sql.hpp"

namespace fleetreg::center::sql {

/// Connections handed out one thread at a time: idle ones are reused, new
/// ones are opened (by `open`) while fewer than `max` exist, else the caller
/// waits for one to come back.
class connection_pool {
 public:
  connection_pool(std::size_t max, std::function<std::unique_ptr<connection>()> open)
      : max_(max), open_(std::move(open)) {}

  std::unique_ptr<connection> take() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_count_;
    lock.unlock();
    try {
      return open_();
    } catch (...) {
      lock.lock();
      --open_count_;
      cv_.notify_one();
      throw;
    }
  }

  /// Returns a connection; a null one (dropped as broken) frees its place.
  void give_back(std::unique_ptr<connection> c) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (c)
        idle_.push_back(std::move(c));
      else
        --open_count_;
    }
    cv_.notify_one();
  }

  /// Closes the idle connections (the busy ones close when given back null).
  void drop_idle() noexcept {
    std::lock_guard lock(mutex_);
    open_count_ -= idle_.size();
    idle_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t open_count_ = 0;
  std::size_t max_;
  std::function<std::unique_ptr<connection>()> open_;
};

}  // namespace fleetreg::center::sql
