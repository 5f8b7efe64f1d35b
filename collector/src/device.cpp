// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/device.hpp"

#include <algorithm>

namespace fleetreg::collector {
namespace {

int rank(reading_source s) {
  switch (s) {
    case reading_source::fleetreg_mib:
      return 0;
    case reading_source::terminal:
      return 0;
    case reading_source::printer_mib:
      return 1;
    case reading_source::ipp:
      return 2;
  }
  return 3;
}

}  // namespace

std::string device_info::why_not_registrable() const {
  if (registered_in_terminal_mode) return "registered itself with a center (terminal mode)";
  // The center refuses a whole registration for one identity it cannot take.
  if (const auto problem = validate(id)) return "reports an identity the center refuses: " + *problem;
  if (key()) return {};
  if (source == reading_source::printer_mib) {
    // Read from the standard MIBs: say which objects were missing.
    if (normalize_serial(id.serial).empty())
      return "no serial number: the device gives neither prtGeneralSerialNumber nor entPhysicalSerialNum, and no "
             "vendor profile reads one";
    return "no manufacturer: the device's sysObjectID is no known printer vendor's, and it gives neither "
           "entPhysicalMfgName nor hrDeviceDescr";
  }
  if (id.manufacturer.empty()) return "reports no manufacturer";
  return "reports no serial number and no UUID";
}

void device_info::note_sources(reading_source s) {
  const std::string name(to_string(s));
  const std::pair<const char*, const std::string*> fields[] = {
      {"manufacturer", &id.manufacturer}, {"model", &id.model}, {"serial", &id.serial}, {"uuid", &id.uuid}};
  for (const auto& [field, value] : fields)
    if (!value->empty()) field_sources[field] = name;
  if (!counters.empty()) field_sources["counters"] = name;
  if (!supplies.empty()) field_sources["supplies"] = name;
}

void merge(device_info& into, device_info&& other) {
  if (rank(other.source) < rank(into.source)) std::swap(into, other);
  auto fill = [&](std::string& mine, const std::string& theirs, const char* field) {
    if (!mine.empty() || theirs.empty()) return;
    mine = theirs;
    if (auto it = other.field_sources.find(field); it != other.field_sources.end())
      into.field_sources[field] = it->second;
  };
  fill(into.id.manufacturer, other.id.manufacturer, "manufacturer");
  fill(into.id.model, other.id.model, "model");
  fill(into.id.serial, other.id.serial, "serial");
  fill(into.id.uuid, other.id.uuid, "uuid");
  if (into.counters.empty() && !other.counters.empty()) {
    into.counters = other.counters;
    into.field_sources["counters"] = other.field_sources["counters"];
  }
  if (into.supplies.empty() && !other.supplies.empty()) {
    into.supplies = std::move(other.supplies);
    into.field_sources["supplies"] = other.field_sources["supplies"];
  }
  for (auto& [k, v] : other.extras) into.extras.try_emplace(k, v);
  for (auto& [k, v] : other.provenance) into.provenance.try_emplace(k, std::move(v));
  if (into.device_status.empty()) into.device_status = std::move(other.device_status);
  if (into.alerts.empty()) into.alerts = std::move(other.alerts);
  into.registered_in_terminal_mode = into.registered_in_terminal_mode || other.registered_in_terminal_mode;
  for (auto& v : other.seen_via)
    if (std::find(into.seen_via.begin(), into.seen_via.end(), v) == into.seen_via.end())
      into.seen_via.push_back(std::move(v));
}

}  // namespace fleetreg::collector
