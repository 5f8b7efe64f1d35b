// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/reading.hpp"

#include <algorithm>

#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg {

std::string_view to_string(reading_source s) noexcept {
  switch (s) {
    case reading_source::fleetreg_mib:
      return "fleetreg-mib";
    case reading_source::printer_mib:
      return "printer-mib";
    case reading_source::ipp:
      return "ipp";
    case reading_source::terminal:
      return "terminal";
  }
  return "unknown";
}

std::optional<reading_source> parse_reading_source(std::string_view name) noexcept {
  for (auto s :
       {reading_source::fleetreg_mib, reading_source::printer_mib, reading_source::ipp, reading_source::terminal})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

bool is_extra_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > 64) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(key.front())) return false;
  return std::all_of(key.begin(), key.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::string cell_name(service s, counter_kind k) { return std::string(to_string(s)) + "." + std::string(to_string(k)); }

bool is_provenance_key(std::string_view key) noexcept {
  if (key == "supplies" || key == "alerts" || key == "device_status") return true;
  if (key.starts_with("extra:")) return is_extra_key(key.substr(6));
  for (const char* field : {"identity.manufacturer", "identity.model", "identity.serial", "identity.firmware"})
    if (key == field) return true;
  const auto dot = key.find('.');
  if (dot == std::string_view::npos) return false;
  return parse_service(key.substr(0, dot)) && parse_counter_kind(key.substr(dot + 1));
}

bool is_device_status(std::string_view status) noexcept {
  for (const char* name : {"unknown", "running", "warning", "testing", "down"})
    if (status == name) return true;
  return false;
}

std::optional<std::string> validate(const device_alert& a) {
  auto name_ok = [](std::string_view n) {
    return !n.empty() && n.size() <= max_alert_name_length && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
  };
  if (a.severity != "critical" && a.severity != "warning" && a.severity != "info")
    return "alert severity must be critical, warning or info";
  if (!name_ok(a.group)) return "alert group must be a name of up to 40 letters, digits or '-'";
  if (!name_ok(a.code)) return "alert code must be a name of up to 40 letters, digits or '-'";
  if (!name_ok(a.source)) return "alert source must be a name of up to 40 letters, digits or '-'";
  if (!is_printable_utf8(a.description, max_alert_description_length))
    return "alert description is longer than 255 bytes or holds control characters";
  return std::nullopt;
}

reading make_reading(std::string terminal_key, time_point now, reading_source source) {
  reading r;
  r.id = make_uuid();
  r.terminal_key = std::move(terminal_key);
  r.taken = now;
  r.source = source;
  return r;
}

}  // namespace fleetreg
