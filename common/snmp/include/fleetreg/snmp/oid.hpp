// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetreg::snmp {

/// One sub-identifier (Net-SNMP's `oid` is an unsigned long on Linux).
using subid = unsigned long;
/// An object identifier as a sequence of sub-identifiers.
using oid_vector = std::vector<subid>;

/// Parses dotted numeric form ("1.3.6.1.2.1.1.3.0", a leading dot allowed).
/// nullopt when malformed, empty, longer than 128 sub-identifiers, or a
/// sub-identifier exceeds 2^32-1.
std::optional<oid_vector> parse_oid(std::string_view text);
/// Dotted numeric form without a leading dot.
std::string to_string(std::span<const subid> oid);
/// True when `oid` starts with `prefix`.
bool starts_with(std::span<const subid> oid, std::span<const subid> prefix) noexcept;
/// Concatenates a base and suffix sub-identifiers.
oid_vector append(std::span<const subid> base, std::initializer_list<subid> suffix);

}  // namespace fleetreg::snmp
