// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/supply.hpp"

namespace fleetreg::collector {

/// What the collector learned about one device, and where each part came from.
struct device_info {
  std::string address;  ///< how it was reached ("udp:127.0.0.11:161")
  identity id;
  counter_set counters;
  std::vector<supply> supplies;
  std::map<std::string, std::uint64_t> extras;           ///< as reading::extras
  std::map<std::string, std::string> provenance;         ///< as reading::provenance
  std::string device_status;                             ///< as reading::device_status
  std::vector<device_alert> alerts;                      ///< as reading::alerts
  reading_source source = reading_source::fleetreg_mib;  ///< where identity and counters came from
  /// Which source gave each field ("manufacturer", "model", "serial", "uuid",
  /// "counters", "supplies" → "fleetreg-mib", "printer-mib", "ipp").
  std::map<std::string, std::string> field_sources;
  /// How the device was found, one line each ("snmp udp:10.0.0.5:161",
  /// "mdns _ipp._tcp 'Front desk'", "ipp ipp://10.0.0.5:631/ipp/print").
  std::vector<std::string> seen_via;
  /// The terminal registered itself with a center (terminal mode): the
  /// collector lists it and leaves it alone.
  bool registered_in_terminal_mode = false;

  /// The terminal key, or nullopt with `why_not` when it cannot be registered.
  std::optional<std::string> key() const { return terminal_key(id); }
  std::string why_not_registrable() const;
  /// Records `source` for every field this device has (after decoding).
  void note_sources(reading_source source);
};

/// Folds `other` (the same terminal seen another way) into `into`: the
/// better source (fleetreg MIB, then Printer-MIB, then IPP) keeps its
/// counters and supplies; identity fields missing in one are taken from the
/// other with their source; `seen_via` is the union.
void merge(device_info& into, device_info&& other);

}  // namespace fleetreg::collector
