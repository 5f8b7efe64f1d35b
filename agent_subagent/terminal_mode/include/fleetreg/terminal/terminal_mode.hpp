// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <csignal>

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
registration_state register_now(const config& cfg, store& st, bool resume,
                                std::chrono::seconds* retry_after = nullptr);

/// `fleetreg-terminal run`: registers when a code is pending; once
/// registered, long-polls the center and answers each request with the
/// counters and supplies through the zero-loss outbox (in terminal.db,
/// synchronous=FULL; removed only on acknowledgement, retried with
/// backoff). Paced by rest_client::center_pacing: Retry-After honoured,
/// refusals backed off up to 5 minutes and logged once, the wait clamped to
/// the center's maximum, wait 0 polled every 30 s. A revoked credential
/// stops reporting until the terminal is unregistered and a new code
/// entered; the answer to a long-poll that outlived an unregister is
/// ignored. Returns when keep_running becomes 0 (a pause ends within 100 ms).
void run(const config& cfg, volatile std::sig_atomic_t& keep_running);

}  // namespace fleetreg::terminal
