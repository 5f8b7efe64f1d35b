// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/ipp/response.hpp"

#include <algorithm>
#include <cstring>

#include "fleetreg/core/identity.hpp"

namespace fleetreg::ipp {
namespace {

constexpr std::size_t max_value = 1024;
constexpr int max_entries = 64;

std::string text(ipp_t* response, const char* name) {
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  if (!a) return {};
  const char* v = ippGetString(a, 0, nullptr);
  if (!v || std::strlen(v) > max_value || !is_printable_utf8(v, max_value)) return {};
  return v;
}

std::vector<std::string> texts(ipp_t* response, const char* name) {
  std::vector<std::string> out;
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  if (!a) return out;
  const int n = std::min(ippGetCount(a), max_entries);
  for (int i = 0; i < n; ++i) {
    if (ippGetValueTag(a) == IPP_TAG_STRING) {  // octetString (printer-supply)
      int len = 0;
      const auto* data = static_cast<const char*>(ippGetOctetString(a, i, &len));
      std::string v = data && len > 0 && static_cast<std::size_t>(len) <= max_value ? std::string(data, len) : "";
      out.push_back(is_printable_utf8(v, max_value) ? v : "");
    } else {
      const char* v = ippGetString(a, i, nullptr);
      out.push_back(v && std::strlen(v) <= max_value && is_printable_utf8(v, max_value) ? v : "");
    }
  }
  return out;
}

std::optional<std::uint64_t> integer(ipp_t* response, const char* name) {
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_INTEGER);
  if (!a) return std::nullopt;
  const int v = ippGetInteger(a, 0);
  if (v < 0) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

}  // namespace

printer_attributes attributes_from(ipp_t* r) {
  printer_attributes p;
  p.make_and_model = text(r, "printer-make-and-model");
  p.device_id = text(r, "printer-device-id");
  p.uuid = text(r, "printer-uuid");
  p.serial_number = text(r, "printer-serial-number");
  p.name = text(r, "printer-name");
  p.firmware = text(r, "printer-firmware-string-version");
  p.impressions = integer(r, "printer-impressions-completed");
  p.impressions_color = integer(r, "printer-impressions-completed-col");
  p.sheets = integer(r, "printer-media-sheets-completed");
  p.supplies = texts(r, "printer-supply");
  p.supply_descriptions = texts(r, "printer-supply-description");
  p.marker_names = texts(r, "marker-names");
  p.marker_types = texts(r, "marker-types");
  if (ipp_attribute_t* a = ippFindAttribute(r, "marker-levels", IPP_TAG_INTEGER))
    for (int i = 0; i < std::min(ippGetCount(a), max_entries); ++i) p.marker_levels.push_back(ippGetInteger(a, i));
  return p;
}

}  // namespace fleetreg::ipp
