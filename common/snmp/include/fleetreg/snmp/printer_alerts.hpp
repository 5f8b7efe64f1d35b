// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/reading.hpp"

/// A printer's own account of what is wrong with it: the bits of
/// HOST-RESOURCES-MIB hrPrinterDetectedErrorState (RFC 2790, bits 8–14 from
/// RFC 3805) and rows of the Printer-MIB's prtAlertTable, as device_alerts
/// (common/core reading.hpp). No I/O; every input is size-limited.
namespace fleetreg::snmp {

/// The alerts the bits of an hrPrinterDetectedErrorState value name (bit 0
/// is the most significant bit of the first octet; bits past 14 and octets
/// past the second are ignored), source "hrPrinterDetectedErrorState".
std::vector<device_alert> decode_error_state(std::string_view octets);

/// PrtAlertSeverityLevelTC → "critical" (3), "warning" (4, 5: a
/// warningBinaryChangeEvent), else "info" (other(1)).
std::string alert_severity_name(std::int64_t severity);
/// PrtAlertGroupTC name ("markerSupplies"), "group-<n>" for one it lacks.
std::string alert_group_name(std::int64_t group);
/// PrtAlertCodeTC name ("jam", "markerTonerEmpty"), "code-<n>" for one it lacks.
std::string alert_code_name(std::int64_t code);

/// The alerts of both sources as a reading carries them: at most
/// max_alerts, critical first, then warning, then info (each in the order
/// given); an error-state alert whose condition a prtAlertTable row also
/// reports (e.g. jammed and jam) is dropped, as is any exact duplicate.
std::vector<device_alert> combine_alerts(std::vector<device_alert> table, std::vector<device_alert> state);

}  // namespace fleetreg::snmp
