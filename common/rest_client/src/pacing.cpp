// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/pacing.hpp"

#include <algorithm>

namespace fleetreg::rest_client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string in_seconds(milliseconds d) { return std::to_string(std::chrono::ceil<seconds>(d).count()) + " s"; }

// Asked to wait: 429 always, 503 only when it says how long (else the center is down).
bool asks_to_wait(int status, const std::optional<seconds>& retry_after) {
  return status == 429 || (status == 503 && retry_after);
}

}  // namespace

center_pacing::center_pacing(seconds configured_wait)
    : configured_wait_(std::max(configured_wait, seconds::zero())), wait_(configured_wait_) {}

bool center_pacing::record(tracker& t, center_state state, const std::string& problem) {
  const bool changed = state != t.state || problem != t.problem;
  t.failures = state == center_state::accepting ? 0 : state == t.state ? t.failures + 1 : 1;
  t.state = state;
  t.problem = problem;
  return changed;
}

center_pacing::decision center_pacing::after(const center_client::poll& p) {
  decision d;
  if (p.revoked) {
    d.state = polls_.state;  // the loop stops reporting; nothing to pace
  } else if (p.status == 400 && p.max_wait && *p.max_wait < wait_) {
    // The center said how long it holds a long-poll: ask for no more, from now on.
    d.state = polls_.state;
    d.level = log::level::notice;
    d.message = "the center accepts long-polls of at most " + in_seconds(*p.max_wait) + ": [run] wait " +
                in_seconds(configured_wait_) + " is clamped to " + in_seconds(*p.max_wait);
    wait_ = *p.max_wait;
  } else if (p.status == 0 || (p.status >= 500 && !asks_to_wait(p.status, p.retry_after))) {
    d.state = center_state::unreachable;
    const auto problem = "center unreachable: " + p.error;
    const bool changed = record(polls_, d.state, problem);
    d.pause = retry_backoff(polls_.failures, unreachable_backoff);
    d.level = log::level::warning;
    if (changed) d.message = problem + "; trying again with backoff up to 1 min";
  } else if (asks_to_wait(p.status, p.retry_after)) {
    d.state = center_state::asks_to_wait;
    const auto problem = "the center asks to wait: " + p.error + ", HTTP " + std::to_string(p.status);
    const bool changed = record(polls_, d.state, problem);
    d.pause = p.retry_after ? milliseconds(*p.retry_after) : retry_backoff(polls_.failures, refusing_backoff);
    d.level = log::level::warning;
    if (changed) d.message = problem + "; next poll in " + in_seconds(d.pause);
  } else if (p.status == 204 || (p.status == 200 && p.error.empty())) {
    d.state = center_state::accepting;
    if (record(polls_, d.state, "")) {
      d.level = log::level::notice;
      d.message = "center accepts requests again";
    }
    // An empty answer before the wait asked for is over (a center or proxy
    // that does not hold long-polls, or wait 0): the next poll starts one
    // period after this one did. Requests were answered at once: poll again.
    const milliseconds period = wait_ > seconds::zero() ? milliseconds(wait_) : short_poll_interval;
    if (p.request_ids.empty() && !p.new_credential) d.pause = std::max(milliseconds::zero(), period - p.elapsed);
  } else {
    d.state = center_state::refusing;
    const auto problem = "the center refuses the long-poll: " + p.error + ", HTTP " + std::to_string(p.status);
    const bool changed = record(polls_, d.state, problem);
    d.pause = retry_backoff(polls_.failures, refusing_backoff);
    d.level = log::level::err;
    if (changed)
      d.message = problem + "; check the configuration ([center] url, [run] wait); polls back off up to 5 min";
  }
  if (!d.message.empty()) log::write(d.level, d.message);
  next_poll_ = std::chrono::steady_clock::now() + d.pause;
  return d;
}

center_pacing::decision center_pacing::after(const center_client::delivery& u) {
  decision d;
  d.state = uploads_.state;
  // Nothing sent, revoked (the loop's), or not reached (the polls say that).
  if (u.revoked || u.status == 0 || (u.status >= 500 && !asks_to_wait(u.status, u.retry_after))) return d;
  if (u.status == 200 && u.error.empty()) {
    d.state = center_state::accepting;
    if (record(uploads_, d.state, "")) {
      d.level = log::level::notice;
      d.message = "center accepts readings again";
    }
  } else if (asks_to_wait(u.status, u.retry_after)) {
    d.state = center_state::asks_to_wait;
    const auto problem =
        "the center asks to wait before the next upload: " + u.error + ", HTTP " + std::to_string(u.status);
    d.level = log::level::warning;
    if (record(uploads_, d.state, problem))
      d.message = problem + "; the readings wait in the outbox" +
                  (u.retry_after ? " for " + in_seconds(*u.retry_after) : std::string());
  } else {
    d.state = center_state::refusing;
    const auto problem = "the center refuses the readings: " + u.error + ", HTTP " + std::to_string(u.status);
    d.level = log::level::err;
    if (record(uploads_, d.state, problem))
      d.message = problem + "; they stay in the outbox and are sent again with backoff up to 5 min";
  }
  if (!d.message.empty()) log::write(d.level, d.message);
  return d;
}

milliseconds center_pacing::until_next_poll() const {
  const auto left = next_poll_ - std::chrono::steady_clock::now();
  return left > std::chrono::steady_clock::duration::zero() ? std::chrono::ceil<milliseconds>(left)
                                                            : milliseconds::zero();
}

}  // namespace fleetreg::rest_client
