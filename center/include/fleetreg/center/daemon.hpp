// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>

#include "fleetreg/center/config.hpp"

namespace fleetreg::center {

/// Runs fleetreg-center until SIGTERM/SIGINT: loads the server key (a missing
/// one is an error, exit code config: `fleetreg-centerctl key init` makes
/// it), takes the database lock (database_lock) for its whole run, opens the
/// database (migrating it), starts the HTTP(S) server, the request schedule
/// and the purge job. Blocks the two signals in the calling thread and waits
/// for them. Throws fleetreg::error on start-up failures.
void run(const config& cfg);

}  // namespace fleetreg::center
