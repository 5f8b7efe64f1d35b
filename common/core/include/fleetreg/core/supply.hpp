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

/// Supply types, numbered as IANA-PRINTER-MIB PrtMarkerSuppliesTypeTC.
enum class supply_type : std::int32_t {
  other = 1,
  unknown = 2,
  toner = 3,
  waste_toner = 4,
  ink = 5,
  opc = 9,
  developer = 10,
  fuser = 15
};

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

/// Checks ranges (level ≥ -3, capacity ≥ -2, level ≤ capacity when both are
/// known) and text; the first problem as text, or nullopt.
std::optional<std::string> validate(const supply& s);

}  // namespace fleetreg
