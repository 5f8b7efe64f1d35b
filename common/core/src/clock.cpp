// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/clock.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "fleetreg/core/random.hpp"

namespace fleetreg {

const system_clock_source& system_clock_source::instance() noexcept {
  static const system_clock_source c;
  return c;
}

std::string format_utc(time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<time_point> parse_utc(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || s.size() > 35) return std::nullopt;
  if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, se))
    return std::nullopt;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t pos = 19;
  std::chrono::milliseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) frac += std::chrono::milliseconds{(s[pos] - '0') * scale};
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const std::chrono::sys_seconds at = std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                                      std::chrono::seconds{se} - std::chrono::minutes{offset_min};
  // Nothing before the epoch, as for years before 1970 ("1970-01-01T00:30:00+01:00"
  // too). system_clock counts nanoseconds in 64 bits: a time after April 2262
  // does not fit (converting it would overflow, which is undefined behaviour).
  constexpr auto latest = std::chrono::floor<std::chrono::seconds>(time_point::max());
  if (at < std::chrono::sys_seconds{} || at >= latest) return std::nullopt;
  return time_point{at} + frac;
}

std::chrono::milliseconds retry_backoff(int failures, const backoff_policy& policy) noexcept {
  // first * 2^(failures-1), computed without overflow: stop doubling at `most`.
  const std::chrono::milliseconds most = std::max(policy.first, policy.most);
  std::chrono::milliseconds wait = policy.first;
  for (int i = 1; i < failures && wait > std::chrono::milliseconds::zero() && wait < most; ++i) wait *= 2;
  wait = std::min(wait, most);
  if (!policy.jitter) return wait;
  unsigned char r = 0;
  try {
    random_bytes(&r, 1);
  } catch (...) {
    return wait;  // no randomness: the bare schedule still backs off
  }
  return wait + wait * r / 1024;  // up to a quarter more
}

}  // namespace fleetreg
