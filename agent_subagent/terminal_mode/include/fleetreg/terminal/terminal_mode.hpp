// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>

#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/terminal/config.hpp"
#include "fleetreg/terminal/store.hpp"

/// Terminal mode (the patent's second embodiment): the terminal registers
/// itself with the center and answers the center's requests without a
/// collector. The HTTP side lives here, in `fleetreg-terminal`, never in the
/// subagent; they share only the store.
namespace fleetreg::terminal {

/// Carries out a pending registration now (`resume`: also one a crash left
/// in `registering`): identity + code → formal credential stored 0600, state
/// registered. A refusal leaves state failed with the center's words; an
/// unreachable or busy center (429, 5xx) leaves it pending (same
/// Idempotency-Key next time), with the center's Retry-After in
/// `*retry_after` when given. Returns the state afterwards. Throws only on
/// local errors (store, files).
registration_state register_now(const config& cfg, store& st, bool resume, std::chrono::seconds* retry_after = nullptr);

/// `fleetreg-terminal run`: registers when a code is pending; once
/// registered, runs the reporting loop of rest_client::reporter (deliver,
/// long-poll, read on request; paced, see center_pacing) with one long-lived
/// center_client per center, answering each request with the counters and
/// supplies through the zero-loss outbox (in terminal.db,
/// synchronous=FULL; removed only on acknowledgement, retried with backoff).
/// A revoked credential stops reporting until the terminal is unregistered
/// and a new code entered; the answer to a long-poll that outlived an
/// unregister is ignored. Returns within 100 ms of `stop` being asked for,
/// also during a long-poll. Throws only on local errors (store, files).
void run(const config& cfg, const stop_signal& stop);

}  // namespace fleetreg::terminal
