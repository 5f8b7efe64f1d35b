// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/progress.hpp"

#include <cmath>
#include <cstdio>
#include <string_view>

namespace fleetreg::collector {
namespace {

bool probing(const discovery_step& s) { return std::string_view(s.what) == "probed"; }

std::string duration_text(double seconds) {
  const auto total = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
  return buf;
}

// Items per second; 0 when nothing is known yet.
double rate_of(const discovery_step& s, std::chrono::milliseconds elapsed) {
  if (elapsed.count() <= 0 || s.done == 0) return 0;
  return static_cast<double>(s.done) * 1000.0 / static_cast<double>(elapsed.count());
}

std::string rate_text(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, rate >= 10 ? "%.0f/s" : "%.1f/s", rate);
  return buf;
}

}  // namespace

std::string format_progress(const discovery_step& step, std::chrono::milliseconds elapsed) {
  const bool probe = probing(step);
  std::string line = std::string(step.what) + " " + std::to_string(step.done) + "/" + std::to_string(step.total) +
                     (probe ? " addresses, " + std::to_string(step.found) + " found"
                            : " devices, " + std::to_string(step.found) + " read");
  const double rate = rate_of(step, elapsed);
  line += ", " + (rate > 0 ? rate_text(rate) : std::string("-/s"));
  const auto left = step.total > step.done ? step.total - step.done : 0;
  line += ", ETA " + (left == 0  ? std::string("0:00")
                      : rate > 0 ? duration_text(static_cast<double>(left) / rate)
                                 : std::string("?"));
  return line;
}

std::string format_summary(const discovery_step& step, std::chrono::milliseconds elapsed) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", static_cast<double>(elapsed.count()) / 1000.0);
  const double rate = rate_of(step, elapsed);
  if (probing(step))
    return "probed " + std::to_string(step.total) + " addresses in " + secs +
           (rate > 0 ? " (" + rate_text(rate) + ")" : std::string()) + ": " + std::to_string(step.found) + " answered";
  return "read " + std::to_string(step.found) + " of " + std::to_string(step.total) + " devices in " + secs;
}

}  // namespace fleetreg::collector
