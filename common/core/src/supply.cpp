// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/supply.hpp"

#include <array>
#include <utility>

#include "fleetreg/core/identity.hpp"

namespace fleetreg {
namespace {

// In PrtMarkerSuppliesTypeTC order; the first eight names are stored by centers
// already and must not change.
constexpr std::array<std::pair<supply_type, std::string_view>, 36> type_names = {{
    {supply_type::other, "other"},
    {supply_type::unknown, "unknown"},
    {supply_type::toner, "toner"},
    {supply_type::waste_toner, "waste-toner"},
    {supply_type::ink, "ink"},
    {supply_type::ink_cartridge, "ink-cartridge"},
    {supply_type::ink_ribbon, "ink-ribbon"},
    {supply_type::waste_ink, "waste-ink"},
    {supply_type::opc, "drum"},
    {supply_type::developer, "developer"},
    {supply_type::fuser_oil, "fuser-oil"},
    {supply_type::solid_wax, "solid-wax"},
    {supply_type::ribbon_wax, "ribbon-wax"},
    {supply_type::waste_wax, "waste-wax"},
    {supply_type::fuser, "fuser"},
    {supply_type::corona_wire, "corona-wire"},
    {supply_type::fuser_oil_wick, "fuser-oil-wick"},
    {supply_type::cleaner_unit, "cleaner-unit"},
    {supply_type::fuser_cleaning_pad, "fuser-cleaning-pad"},
    {supply_type::transfer_unit, "transfer-unit"},
    {supply_type::toner_cartridge, "toner-cartridge"},
    {supply_type::fuser_oiler, "fuser-oiler"},
    {supply_type::water, "water"},
    {supply_type::waste_water, "waste-water"},
    {supply_type::glue_water_additive, "glue-water-additive"},
    {supply_type::waste_paper, "waste-paper"},
    {supply_type::binding_supply, "binding-supply"},
    {supply_type::banding_supply, "banding-supply"},
    {supply_type::stitching_wire, "stitching-wire"},
    {supply_type::shrink_wrap, "shrink-wrap"},
    {supply_type::paper_wrap, "paper-wrap"},
    {supply_type::staples, "staples"},
    {supply_type::inserts, "inserts"},
    {supply_type::covers, "covers"},
    {supply_type::matte_toner, "matte-toner"},
    {supply_type::matte_ink, "matte-ink"},
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

supply_type supply_type_from_code(std::int64_t code) noexcept {
  if (code < 1 || code > static_cast<std::int64_t>(type_names.size())) return supply_type::unknown;
  return static_cast<supply_type>(code);
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

bool is_marking_agent(supply_type t) noexcept {
  switch (t) {
    case supply_type::toner:
    case supply_type::toner_cartridge:
    case supply_type::matte_toner:
    case supply_type::ink:
    case supply_type::ink_cartridge:
    case supply_type::matte_ink:
      return true;
    default:
      return false;
  }
}

}  // namespace fleetreg
