// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>

#include "fleetreg/center/config.hpp"

namespace fleetreg::center {

/// Runs fleetreg-center until SIGTERM/SIGINT: opens the database (migrating
/// it), loads or creates the server key, starts the HTTP(S) server, the
/// request schedule and the purge job. Blocks the two signals in the calling
/// thread and waits for them. Throws fleetreg::error on start-up failures.
void run(const config& cfg);

}  // namespace fleetreg::center
