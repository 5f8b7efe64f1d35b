// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetreg::ipp {

/// The printer attributes the collector reads; absent ones stay empty.
struct printer_attributes {
  std::string make_and_model;                      ///< printer-make-and-model
  std::string device_id;                           ///< printer-device-id (IEEE 1284 "MFG:..;MDL:..;SN:..;")
  std::string uuid;                                ///< printer-uuid ("urn:uuid:...")
  std::string serial_number;                       ///< printer-serial-number (PWG 5100.13)
  std::string name;                                ///< printer-name
  std::string firmware;                            ///< printer-firmware-string-version (first)
  std::optional<std::uint64_t> impressions;        ///< printer-impressions-completed
  std::optional<std::uint64_t> impressions_color;  ///< printer-impressions-completed-col
  std::optional<std::uint64_t> sheets;             ///< printer-media-sheets-completed
  std::vector<std::string> supplies;               ///< printer-supply (one "key=value;" string each)
  std::vector<std::string> supply_descriptions;    ///< printer-supply-description
  std::vector<std::string> marker_names;           ///< marker-names (CUPS)
  std::vector<std::string> marker_types;           ///< marker-types
  std::vector<int> marker_levels;                  ///< marker-levels (percent, -1 unknown)
};

/// The attributes asked for ("all" does not include the counters).
extern const std::vector<std::string> requested_attributes;

/// IEEE 1284 device ID "KEY:value;KEY:value;" → keys upper-cased, values
/// trimmed; malformed pairs are skipped.
std::map<std::string, std::string> parse_device_id(std::string_view text);

/// A printer-supply value "index=1;class=supplyThatIsConsumed;type=toner;..."
/// (PWG 5100.13) → keys lower-cased.
std::map<std::string, std::string> parse_supply(std::string_view text);

}  // namespace fleetreg::ipp
