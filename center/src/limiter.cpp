// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/limiter.hpp"

#include <algorithm>

namespace fleetreg::center {
namespace {

std::string bucket(std::string_view key, failure_kind kind) {
  std::string b(1, static_cast<char>('0' + static_cast<int>(kind)));
  b += ' ';
  b += key;
  return b;
}

}  // namespace

failure_limiter::failure_limiter(std::int64_t limit, std::chrono::milliseconds window, std::size_t capacity)
    : limit_(limit), window_(window), capacity_(std::max<std::size_t>(capacity, 1)) {}

std::int64_t failure_limiter::retry_after(std::string_view key, failure_kind kind, time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = index_.find(bucket(key, kind));
  if (it == index_.end()) return 0;
  auto& q = it->second->failures;
  while (!q.empty() && q.front() + window_ <= now) q.pop_front();
  if (q.empty()) {
    lru_.erase(it->second);
    index_.erase(it);
    return 0;
  }
  if (static_cast<std::int64_t>(q.size()) < limit_) return 0;
  return std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(q.front() + window_ - now).count());
}

void failure_limiter::record_failure(std::string_view key, failure_kind kind, time_point now) {
  std::lock_guard lock(mutex_);
  auto name = bucket(key, kind);
  auto it = index_.find(name);
  if (it == index_.end()) {
    // Bound the memory an attacker can make us use: forget the least recently seen.
    if (index_.size() >= capacity_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(entry{name, {}});
    it = index_.emplace(std::move(name), lru_.begin()).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second);
  }
  auto& q = it->second->failures;
  q.push_back(now);
  while (static_cast<std::int64_t>(q.size()) > limit_ + 1) q.pop_front();
}

std::size_t failure_limiter::size() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

bounded_gate::token bounded_gate::try_acquire() {
  auto n = in_use_->load();
  do {
    if (n >= limit_) return nullptr;
  } while (!in_use_->compare_exchange_weak(n, n + 1));
  // A non-null pointer: a token tests true while it holds its place.
  return token(in_use_.get(), [counter = in_use_](void*) { --*counter; });
}

keyed_slots::keyed_slots(std::int64_t per_key, std::int64_t total) : per_key_(per_key), limit_(total) {}

keyed_slots::token keyed_slots::try_acquire(const std::string& key) {
  std::lock_guard lock(state_->mutex);
  auto& held = state_->held[key];
  if (held >= per_key_ || state_->total >= limit_) {
    if (held == 0) state_->held.erase(key);
    return nullptr;
  }
  ++held;
  ++state_->total;
  return token(state_.get(), [s = state_, key](void*) {
    std::lock_guard l(s->mutex);
    --s->total;
    if (const auto it = s->held.find(key); it != s->held.end() && --it->second <= 0) s->held.erase(it);
  });
}

std::int64_t keyed_slots::total_in_use() const {
  std::lock_guard lock(state_->mutex);
  return state_->total;
}

}  // namespace fleetreg::center
