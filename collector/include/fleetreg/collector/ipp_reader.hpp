// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include "fleetreg/collector/device.hpp"
#include "fleetreg/ipp/printer.hpp"

/// Reading a printer over IPP, the last source in the brief's order: for
/// devices found by mDNS that do not answer SNMP.
namespace fleetreg::collector {

/// Identity from printer-device-id (MFG/MDL/SN), else printer-make-and-model
/// and printer-serial-number; printer-uuid; total impressions (mono/colour),
/// sheets; supplies from printer-supply (PWG 5100.13), else CUPS'
/// marker-levels. nullopt when the printer names no manufacturer or model.
std::optional<device_info> decode_ipp(const ipp::printer_attributes& p);

/// Get-Printer-Attributes to `uri` and decode_ipp. nullopt with `ec` set
/// when it cannot be read.
std::optional<device_info> read_ipp(const std::string& uri, std::chrono::milliseconds timeout, std::error_code& ec,
                                    std::string* why = nullptr);

}  // namespace fleetreg::collector
