// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cups/ipp.h>

#include "fleetreg/ipp/printer_attributes.hpp"

namespace fleetreg::ipp {

/// The attributes the collector reads, taken from a Get-Printer-Attributes
/// response as libcups decoded it (no I/O; `response` stays the caller's).
/// Values over 1 KiB or not printable UTF-8 are left empty, list entries
/// beyond 64 dropped. Does not throw but bad_alloc.
printer_attributes attributes_from(ipp_t* response);

}  // namespace fleetreg::ipp
