// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "fleetreg/terminal/state.hpp"

namespace fleetreg::terminal {

/// A readable multi-line report of a terminal's state (`fleetreg-terminal show`).
/// The provisional code is never shown, only whether one is pending.
std::string format_text(const terminal_state& t);
/// The same as one JSON object (`show --json`).
std::string format_json(const terminal_state& t);

}  // namespace fleetreg::terminal
