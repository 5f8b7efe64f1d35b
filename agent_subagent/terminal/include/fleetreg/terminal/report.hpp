// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <string_view>

#include "fleetreg/terminal/state.hpp"
#include "fleetreg/terminal/store.hpp"

namespace fleetreg::terminal {

/// A readable multi-line report of a terminal's state (`fleetreg-terminal show`).
/// The provisional code is never shown, only whether one is pending.
std::string format_text(const terminal_state& t);
/// The same as one JSON object (`show --json`).
std::string format_json(const terminal_state& t);

/// The audit line of an unregister, for the log: who asked (`who`, already
/// in key=value form), the registration it ended (state, site, center) and
/// what was forgotten (readings dropped, credential removed).
std::string format_unregister_audit(std::string_view who, const registration_record& before,
                                    const forgotten_registration& forgotten);

}  // namespace fleetreg::terminal
