// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <string>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/rest_client/center_client.hpp"

namespace fleetreg::rest_client {

/// How the center took the last request, as the pacing sees it.
enum class center_state {
  accepting,     ///< answered as asked (200, 204)
  unreachable,   ///< no answer, or a 5xx without Retry-After
  asks_to_wait,  ///< 429, or 503 with Retry-After
  refusing,      ///< any other 4xx but 401, a redirect, a senseless answer: a configuration problem
};

/// The pace of one reporting loop (the collector's `run`, terminal mode's
/// `run`) towards the center, so that no answer ever makes it spin:
///
/// - 429 and 503 with Retry-After: the next poll no sooner than that (1 s..1 h);
///   429 without it as `refusing`, 503 without it as `unreachable`;
/// - unreachable (transport errors, 5xx): 2 s doubling to 1 min, with jitter;
/// - refusing: 10 s doubling to 5 min, with jitter;
/// - 400 invalid_wait with the center's max_wait below the wait asked for:
///   the wait is clamped to it from then on and the poll repeated at once;
/// - an empty answer (204) sooner than the wait asked for: the next poll
///   starts `wait` after this one did; with wait 0, short_poll_interval later;
/// - 401 (revoked) is the loop's to handle: no pause.
///
/// Each change of state is logged once (the problem, with the center's words
/// and the HTTP status; "center accepts requests again" when it is over),
/// never every attempt. Readings uploads are watched apart, for the log
/// only: their pace is the outbox's (see outbox::retry_later). Not
/// thread-safe; one per loop.
class center_pacing {
 public:
  /// Between polls when the long-poll wait is 0 (the center answers at once).
  static constexpr std::chrono::seconds short_poll_interval{30};
  /// The schedule while the center cannot be reached.
  static constexpr backoff_policy unreachable_backoff{std::chrono::seconds(2), std::chrono::minutes(1), true};
  /// The schedule while the center refuses (or asks to wait without saying how long).
  static constexpr backoff_policy refusing_backoff{std::chrono::seconds(10), std::chrono::minutes(5), true};

  /// What to do after an answer.
  struct decision {
    std::chrono::milliseconds pause{0};  ///< until the next poll
    center_state state = center_state::accepting;
    std::string message;  ///< one line for the log, or "" (nothing changed)
    log::level level = log::level::info;
  };

  /// `configured_wait`: the long-poll wait of the configuration ([run] wait).
  explicit center_pacing(std::chrono::seconds configured_wait);

  /// The wait to ask for: the configured one, or the center's maximum once
  /// it said the configured one is too long.
  std::chrono::seconds wait() const { return wait_; }

  /// Takes the answer to a poll: the pause before the next one (see
  /// until_next_poll), and the state change written to the log.
  decision after(const center_client::poll& p);
  /// Takes the outcome of an upload; writes a change of the uploads' state
  /// (refused, asked to wait, accepted again) to the log. The pause is 0:
  /// the outbox keeps each reading's next attempt.
  decision after(const center_client::delivery& d);

  /// How long until the next poll is due (0: now).
  std::chrono::milliseconds until_next_poll() const;

 private:
  struct tracker {
    center_state state = center_state::accepting;
    std::string problem;  ///< what was logged last: kind, status and the center's words
    int failures = 0;     ///< in a row, of this state
  };
  // Records an outcome in `t`; true when the state or its problem changed.
  static bool record(tracker& t, center_state state, const std::string& problem);

  std::chrono::seconds configured_wait_;
  std::chrono::seconds wait_;
  tracker polls_;
  tracker uploads_;
  std::chrono::steady_clock::time_point next_poll_{};
};

}  // namespace fleetreg::rest_client
