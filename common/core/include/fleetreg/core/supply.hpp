// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetreg {

/// RFC 3805 sentinel values of prtMarkerSuppliesLevel / MaxCapacity.
inline constexpr std::int32_t supply_other = -1;           ///< no restriction
inline constexpr std::int32_t supply_unknown = -2;         ///< level or capacity unknown
inline constexpr std::int32_t supply_some_remaining = -3;  ///< level only: some left

/// Supply types, numbered as IANA-PRINTER-MIB PrtMarkerSuppliesTypeTC (the
/// whole list, 1–36, as of its 2016 revision). Names in JSON are the TC's in
/// lower case with dashes ("toner-cartridge"), but opc is "drum".
enum class supply_type : std::int32_t {
  other = 1,
  unknown = 2,
  toner = 3,
  waste_toner = 4,
  ink = 5,
  ink_cartridge = 6,
  ink_ribbon = 7,
  waste_ink = 8,
  opc = 9,
  developer = 10,
  fuser_oil = 11,
  solid_wax = 12,
  ribbon_wax = 13,
  waste_wax = 14,
  fuser = 15,
  corona_wire = 16,
  fuser_oil_wick = 17,
  cleaner_unit = 18,
  fuser_cleaning_pad = 19,
  transfer_unit = 20,
  toner_cartridge = 21,
  fuser_oiler = 22,
  water = 23,
  waste_water = 24,
  glue_water_additive = 25,
  waste_paper = 26,
  binding_supply = 27,
  banding_supply = 28,
  stitching_wire = 29,
  shrink_wrap = 30,
  paper_wrap = 31,
  staples = 32,
  inserts = 33,
  covers = 34,
  matte_toner = 35,
  matte_ink = 36
};

/// The supply type numbered `code` in PrtMarkerSuppliesTypeTC, or unknown
/// for a number outside it.
supply_type supply_type_from_code(std::int64_t code) noexcept;

/// Whether a supply is used up or filled up (PrtMarkerSuppliesClassTC).
enum class supply_class : std::int32_t { consumed = 3, filled = 4 };

/// Units of level and capacity, numbered as PrtMarkerSuppliesSupplyUnitTC.
enum class supply_unit : std::int32_t { impressions = 7, sheets = 8, items = 18, percent = 19 };

/// Limits on supply text.
inline constexpr std::size_t max_supply_description_length = 255;
inline constexpr std::size_t max_colorant_length = 63;

/// One marker supply (toner, drum, waste container) with RFC 3805 semantics.
struct supply {
  std::int32_t index = 1;  ///< 1-based, stable per terminal
  supply_type type = supply_type::toner;
  supply_class klass = supply_class::consumed;
  supply_unit unit = supply_unit::impressions;
  std::string description;  ///< "Black Toner Cartridge"
  std::string colorant;     ///< "black", "cyan", ... or empty
  std::int32_t max_capacity = supply_unknown;
  std::int32_t level = supply_unknown;

  /// Level as a percentage of capacity when both are known; nullopt otherwise.
  std::optional<int> percent() const noexcept;
  friend bool operator==(const supply&, const supply&) = default;
};

std::string_view to_string(supply_type t) noexcept;
std::optional<supply_type> parse_supply_type(std::string_view name) noexcept;
/// Toner or ink in any packaging (toner, tonerCartridge, matteToner, ink,
/// inkCartridge, matteInk): what runs out and is ordered.
bool is_marking_agent(supply_type t) noexcept;

/// Checks ranges (level ≥ -3, capacity ≥ -2, level ≤ capacity when both are
/// known) and text; the first problem as text, or nullopt.
std::optional<std::string> validate(const supply& s);

}  // namespace fleetreg
