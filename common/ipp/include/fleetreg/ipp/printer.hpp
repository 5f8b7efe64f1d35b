// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include "fleetreg/ipp/printer_attributes.hpp"

/// IPP (RFC 8011) as the collector uses it: one Get-Printer-Attributes per
/// printer through libcups, and parsers for the attribute values that carry
/// identity, counters and supplies (no I/O in the parsers).
namespace fleetreg::ipp {

/// libcups' IPP status codes (cupsLastErrorString).
const std::error_category& ipp_category() noexcept;

/// Get-Printer-Attributes to `uri` ("ipp://host:631/ipp/print", "ipps://...").
/// `timeout` bounds the connection and each read. On failure returns nullopt,
/// sets `ec` and, when given, `why` to libcups' text. Values over 1 KiB and
/// list entries beyond 64 are dropped.
std::optional<printer_attributes> get_printer_attributes(const std::string& uri, std::chrono::milliseconds timeout,
                                                         std::error_code& ec, std::string* why = nullptr);

}  // namespace fleetreg::ipp
