// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "fleetreg/collector/device.hpp"
#include "fleetreg/snmp/client.hpp"

/// Reading a device over SNMP, in the brief's order of preference: the
/// fleetreg terminal MIB, else the standard Printer-MIB (RFC 3805) and
/// HOST-RESOURCES-MIB. The decoders take varbinds and do no I/O.
namespace fleetreg::collector {

/// Identity, counters, supplies and registration state from the fleetreg
/// MIB's varbinds (a GET of the identity scalars and walks of the counter and
/// supply tables); nullopt when the device does not serve the MIB.
std::optional<device_info> decode_fleetreg(const std::vector<snmp::varbind>& identity,
                                           const std::vector<snmp::varbind>& counters,
                                           const std::vector<snmp::varbind>& supplies);

/// The same from RFC 3805 objects: prtGeneralSerialNumber, hrDeviceDescr
/// ("Manufacturer Model"), prtMarkerLifeCount (total impressions) and
/// prtMarkerSuppliesTable; ENTITY-MIB entPhysicalSerialNum/MfgName/ModelName
/// of entity 1 where those are missing. nullopt when none of them answers.
std::optional<device_info> decode_printer_mib(const std::vector<snmp::varbind>& general,
                                              const std::vector<snmp::varbind>& supplies);

/// Reads one device (blocking; the asynchronous sweep builds on the same
/// decoders). Returns nullopt and sets `ec` when it does not answer.
std::optional<device_info> read_device(const snmp::session_options& opts, std::error_code& ec);

}  // namespace fleetreg::collector
