// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/supply.hpp"

namespace fleetreg {

/// Where a reading's values came from, in order of preference.
enum class reading_source { fleetreg_mib, printer_mib, ipp, terminal };

std::string_view to_string(reading_source s) noexcept;
std::optional<reading_source> parse_reading_source(std::string_view name) noexcept;

/// A condition the device reports about itself: a row of the Printer-MIB's
/// prtAlertTable, a bit of hrPrinterDetectedErrorState, or hrDeviceStatus.
struct device_alert {
  std::string severity;     ///< "critical", "warning" or "info"
  std::string group;        ///< the part concerned: "input", "marker", "markerSupplies", "cover", … (a name)
  std::string code;         ///< what happened: "jam", "doorOpen", "markerSupplyEmpty", "serviceRequested", … (a name)
  std::string description;  ///< the device's own words, may be empty
  std::string source;       ///< "prtAlertTable", "hrPrinterDetectedErrorState" or "hrDeviceStatus"
  friend bool operator==(const device_alert&, const device_alert&) = default;
};

/// Limits on what one reading may carry beside its counters.
inline constexpr std::size_t max_extras = 64;
inline constexpr std::size_t max_provenance = 128;
inline constexpr std::size_t max_provenance_length = 240;
inline constexpr std::size_t max_alerts = 32;
inline constexpr std::size_t max_alert_name_length = 40;
inline constexpr std::size_t max_alert_description_length = 255;

/// An extras key: 1–64 of [a-z0-9._-], starting with a letter or digit
/// ("copy.impressions-mono.a3", "total.impressions.two-color").
bool is_extra_key(std::string_view key) noexcept;
/// A provenance key: a counter cell ("copy.impressions-mono"), "extra:" and an
/// extras key, "supplies" or "identity.<field>".
bool is_provenance_key(std::string_view key) noexcept;
/// The name of a counter cell in extras and provenance: "copy.impressions-mono".
std::string cell_name(service s, counter_kind k);
/// hrDeviceStatus names: "unknown", "running", "warning", "testing", "down".
bool is_device_status(std::string_view status) noexcept;
/// The first problem of an alert (names as [A-Za-z0-9-] up to 40, a known
/// severity, printable description), or nullopt.
std::optional<std::string> validate(const device_alert& a);

/// One reading of a terminal's running status. `id` is unique (a UUID made
/// when the reading is taken) so that a re-sent reading is never counted twice.
struct reading {
  std::string id;
  std::string terminal_key;
  time_point taken{};
  counter_set counters;
  std::vector<supply> supplies;
  reading_source source = reading_source::fleetreg_mib;
  std::string request_id;  ///< the center request it answers, or empty
  /// Counters outside the (service, kind) cells: per paper size, extra colour
  /// modes, duplex, … keyed as is_extra_key says; billing may weight them.
  std::map<std::string, std::uint64_t> extras;
  /// Where each value came from: cell or "extra:<key>" → "<profile>/<version>
  /// <oid>[+<oid>…]" (or "printer-mib <oid>", "fleetreg-mib", "ipp <attribute>").
  std::map<std::string, std::string> provenance;
  /// hrDeviceStatus of the device's printer, or empty when not read.
  std::string device_status;
  /// What the device reports as wrong (at most max_alerts).
  std::vector<device_alert> alerts;
};

/// Makes a reading with a fresh id taken at `now`. Throws as make_uuid().
reading make_reading(std::string terminal_key, time_point now, reading_source source);

}  // namespace fleetreg
