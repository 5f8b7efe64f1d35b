// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fleetreg/snmp/oid.hpp"

/// Printer vendors by IANA Private Enterprise Number, and the spellings of
/// their names devices use, so that the manufacturer of a device is the same
/// whichever object named it ("KONICA MINOLTA", "Konica Minolta" and
/// enterprise 18334 are all "Konica Minolta"). No I/O.
namespace fleetreg::snmp {

/// One printer vendor: its enterprise number, canonical name and the other
/// spellings its devices use (matched without regard to case).
struct printer_vendor {
  std::uint32_t enterprise;
  std::string_view name;
  std::span<const std::string_view> aliases;
};

/// Every vendor known here.
std::span<const printer_vendor> printer_vendors() noexcept;

/// The canonical name of the vendor whose enterprise number
/// (1.3.6.1.4.1.<n>…) `sys_object_id` is under, or nullopt.
std::optional<std::string_view> manufacturer_of(std::span<const subid> sys_object_id) noexcept;

/// The enterprise number of a manufacturer named any known way, or nullopt.
std::optional<std::uint32_t> enterprise_of(std::string_view manufacturer) noexcept;

/// The canonical spelling of a manufacturer's name when it is one of the
/// known spellings (the whole text, case and punctuation aside), or nullopt.
std::optional<std::string_view> canonical_manufacturer(std::string_view name) noexcept;

/// A description ("KONICA MINOLTA bizhub C300i") split after the known
/// vendor name it starts with.
struct vendor_and_rest {
  std::string_view manufacturer;  ///< canonical
  std::string rest;               ///< what follows, trimmed ("bizhub C300i")
};
/// nullopt when `text` does not start with a known vendor name followed by
/// the end, a space or punctuation.
std::optional<vendor_and_rest> split_vendor_prefix(std::string_view text);

}  // namespace fleetreg::snmp
