// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetreg {

using time_point = std::chrono::system_clock::time_point;

/// Wall-clock source, injectable so that expiry and staleness are testable.
class clock {
 public:
  virtual ~clock() = default;
  /// The current UTC time.
  virtual time_point now() const = 0;
};

/// The real system clock.
class system_clock_source final : public clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  /// A process-wide instance.
  static const system_clock_source& instance() noexcept;
};

/// A clock that only moves when told to (tests).
class manual_clock final : public clock {
 public:
  explicit manual_clock(time_point start) : now_(start) {}
  time_point now() const override { return now_; }
  void advance(std::chrono::system_clock::duration d) { now_ += d; }
  void set(time_point t) { now_ = t; }

 private:
  time_point now_;
};

/// The system clock shifted by a fixed offset. Used by integration tests to
/// start a daemon "eight days later" (FLEETREG_TEST_CLOCK_OFFSET).
class offset_clock final : public clock {
 public:
  explicit offset_clock(std::chrono::seconds offset) : offset_(offset) {}
  time_point now() const override { return std::chrono::system_clock::now() + offset_; }

 private:
  std::chrono::seconds offset_;
};

/// A schedule of retries after failures in a row.
struct backoff_policy {
  std::chrono::seconds first{2};  ///< the wait after the first failure
  std::chrono::seconds most{60};  ///< no wait is longer (before the jitter)
  /// Adds up to a quarter at random, so that many reporters do not return to
  /// a recovering center at the same moment.
  bool jitter = true;
};
/// How long to wait before the next try after `failures` failures in a row
/// (1 or more): `first`, doubled for each further failure up to `most`, plus
/// the jitter. Never throws (without a random source the jitter is left out).
std::chrono::milliseconds retry_backoff(int failures, const backoff_policy& policy = {}) noexcept;

/// Formats as RFC 3339 UTC with seconds ("2026-11-25T16:08:05Z").
std::string format_utc(time_point t);
/// Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)"; nullopt when malformed.
std::optional<time_point> parse_utc(std::string_view text);

/// Seconds since the Unix epoch.
inline std::int64_t to_unix(time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline time_point from_unix(std::int64_t s) { return time_point{std::chrono::seconds{s}}; }

}  // namespace fleetreg
