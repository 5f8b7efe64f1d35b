// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <system_error>

#include "fleetreg/collector/device.hpp"
#include "fleetreg/snmp/client.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"

/// The collector's side of reading a device over SNMP: snmp::read_terminal
/// (common/snmp, shared with the Nagios plugin) does the reading and decoding;
/// this turns its answer into a device_info.
namespace fleetreg::collector {

/// A device_info from what a device's agent said: identity, counters and
/// supplies with `reading.source` recorded for each field; no address yet.
device_info device_from(snmp::terminal_reading reading);

/// Reads one device (blocking) with snmp::read_terminal and `extension` (the
/// counter profiles; may be null); the device_info names `opts.peer` as its
/// address and how it was seen. Returns nullopt and sets `ec` when it does
/// not answer. `round_trips`, when given, counts the requests. Throws
/// std::system_error when the session cannot open.
std::optional<device_info> read_device(const snmp::session_options& opts, std::error_code& ec,
                                       snmp::reading_extension* extension = nullptr,
                                       std::size_t* round_trips = nullptr);

}  // namespace fleetreg::collector
