// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/supply.hpp"

#include <array>
#include <utility>

#include "fleetreg/core/identity.hpp"

namespace fleetreg {
namespace {

constexpr std::array<std::pair<supply_type, std::string_view>, 8> type_names = {{
    {supply_type::other, "other"},
    {supply_type::unknown, "unknown"},
    {supply_type::toner, "toner"},
    {supply_type::waste_toner, "waste-toner"},
    {supply_type::ink, "ink"},
    {supply_type::opc, "drum"},
    {supply_type::developer, "developer"},
    {supply_type::fuser, "fuser"},
}};

}  // namespace

std::optional<int> supply::percent() const noexcept {
  if (max_capacity <= 0 || level < 0) return std::nullopt;
  const auto p = static_cast<std::int64_t>(level) * 100 / max_capacity;
  return static_cast<int>(p > 100 ? 100 : p);
}

std::string_view to_string(supply_type t) noexcept {
  for (const auto& [v, name] : type_names)
    if (v == t) return name;
  return "unknown";
}

std::optional<supply_type> parse_supply_type(std::string_view name) noexcept {
  for (const auto& [v, n] : type_names)
    if (n == name) return v;
  return std::nullopt;
}

std::optional<std::string> validate(const supply& s) {
  if (s.index < 1) return "supply index must be 1 or more";
  if (s.max_capacity < supply_unknown) return "supply max capacity below -2";
  if (s.level < supply_some_remaining) return "supply level below -3";
  if (s.max_capacity >= 0 && s.level > s.max_capacity) return "supply level above its max capacity";
  if (!is_printable_utf8(s.description, max_supply_description_length))
    return "supply description too long or not printable UTF-8";
  if (!is_printable_utf8(s.colorant, max_colorant_length)) return "supply colorant too long or not printable UTF-8";
  return std::nullopt;
}

}  // namespace fleetreg
