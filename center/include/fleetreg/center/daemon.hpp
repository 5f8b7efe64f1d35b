// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "fleetreg/center/config.hpp"
#include "fleetreg/core/stop_signal.hpp"

namespace fleetreg::center {

/// Runs fleetreg-center until `stop` is asked for (the process's
/// stop_signal::on_termination(): SIGTERM/SIGINT; SIGPIPE ignored): loads
/// the server key (a missing one is an error, exit code config: `fleetreg-centerctl key init` makes
/// it), takes the database lock (database_lock) for its whole run, opens the
/// database (migrating it), starts the HTTP(S) server, the request schedule
/// and the purge job, then waits. Throws fleetreg::error on start-up failures.
void run(const config& cfg, const stop_signal& stop);

}  // namespace fleetreg::center
