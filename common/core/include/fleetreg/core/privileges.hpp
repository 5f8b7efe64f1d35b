// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace fleetreg {

/// When the program runs as root and `dir` belongs to another user (the
/// packages' fleetreg-center, fleetreg-collector and fleetreg-terminal system
/// users own their state directories), becomes that user and its groups for
/// good; called after the configuration is read, before the state is
/// opened: files an operator's `sudo fleetreg-…`
/// creates stay the daemon's. Returns the user switched to; empty when
/// nothing changed (not root, `dir` missing or root's). Throws error
/// (exit_code::failure) when the switch fails.
std::string become_owner_of(const std::string& dir);

}  // namespace fleetreg
