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

/// The sysDescr a terminal presents: its own when set, else
/// "<manufacturer> <model>; firmware <firmware>" (without the firmware part
/// when it is unknown), cut to 255 bytes.
std::string sys_descr_of(const terminal_state& t);
/// The sysName a terminal presents: its own when set, else the first word of
/// the manufacturer and the serial, letters, digits and '-' only
/// ("RICOH-3110R820014"), as printers name themselves on the network.
std::string sys_name_of(const terminal_state& t);

/// The snmpd.conf snippet that makes snmpd serve the terminal's system
/// group (`fleetreg-terminal snmpd-config`): sysObjectID (when known),
/// sysDescr, sysName, sysContact and sysLocation (when set). Values set
/// there are read-only over SNMP (snmpd.conf(5)). The texts are validated
/// single lines, so each directive takes the rest of its line verbatim.
std::string format_snmpd_identity(const terminal_state& t);

/// The audit line of an unregister, for the log: who asked (`who`, already
/// in key=value form), the registration it ended (state, site, center) and
/// what was forgotten (readings dropped, credential removed).
std::string format_unregister_audit(std::string_view who, const registration_record& before,
                                    const forgotten_registration& forgotten);

}  // namespace fleetreg::terminal
