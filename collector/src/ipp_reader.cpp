// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/ipp_reader.hpp"

#include <charconv>

namespace fleetreg::collector {
namespace {

std::string first_of(const std::map<std::string, std::string>& m, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = m.find(k); it != m.end() && !it->second.empty()) return it->second;
  return {};
}

std::optional<std::int32_t> number(const std::map<std::string, std::string>& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  std::int32_t v = 0;
  const auto& s = it->second;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// PWG 5100.13 / CUPS marker type keywords → PrtMarkerSuppliesTypeTC.
supply_type type_from_keyword(std::string k) {
  std::erase(k, '-');
  for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (k == "toner") return supply_type::toner;
  if (k == "tonercartridge") return supply_type::toner_cartridge;
  if (k == "wastetoner") return supply_type::waste_toner;
  if (k == "ink") return supply_type::ink;
  if (k == "inkcartridge") return supply_type::ink_cartridge;
  if (k == "opc" || k == "photoconductor") return supply_type::opc;
  if (k == "developer") return supply_type::developer;
  if (k == "fuser") return supply_type::fuser;
  return supply_type::other;
}

std::optional<supply> supply_from_pwg(const std::string& text, const std::string& description, std::int32_t fallback) {
  const auto f = ipp::parse_supply(text);
  if (f.empty()) return std::nullopt;
  supply s;
  s.index = number(f, "index").value_or(fallback);
  s.klass = first_of(f, {"class"}) == "supplyThatIsFilled" ? supply_class::filled : supply_class::consumed;
  s.type = type_from_keyword(first_of(f, {"type"}));
  const auto unit = first_of(f, {"unit"});
  s.unit = unit == "percent"       ? supply_unit::percent
           : unit == "impressions" ? supply_unit::impressions
           : unit == "sheets"      ? supply_unit::sheets
                                   : supply_unit::items;
  s.max_capacity = number(f, "maxcapacity").value_or(supply_unknown);
  s.level = number(f, "level").value_or(supply_unknown);
  s.colorant = truncate_utf8(first_of(f, {"colorantname"}), max_colorant_length);
  if (s.colorant == "unknown" || s.colorant == "no-color") s.colorant.clear();
  s.description =
      truncate_utf8(description.empty() ? first_of(f, {"type"}) : description, max_supply_description_length);
  if (validate(s)) return std::nullopt;
  return s;
}

}  // namespace

std::optional<device_info> decode_ipp(const ipp::printer_attributes& p) {
  const auto id = ipp::parse_device_id(p.device_id);
  device_info d;
  d.source = reading_source::ipp;
  d.id.manufacturer = first_of(id, {"MFG", "MANUFACTURER"});
  d.id.model = first_of(id, {"MDL", "MODEL"});
  d.id.serial = first_of(id, {"SN", "SERN", "SERIALNUMBER", "SERIAL"});
  if (d.id.serial.empty()) d.id.serial = p.serial_number;
  if (d.id.manufacturer.empty() && !p.make_and_model.empty()) {
    // "Manufacturer Model ..." as in the PPD/IPP convention.
    const auto space = p.make_and_model.find(' ');
    d.id.manufacturer = p.make_and_model.substr(0, space);
    if (d.id.model.empty() && space != std::string::npos) d.id.model = p.make_and_model.substr(space + 1);
  }
  if (d.id.model.empty()) d.id.model = p.make_and_model;
  if (d.id.manufacturer.empty() && d.id.model.empty()) return std::nullopt;
  if (p.uuid.starts_with("urn:uuid:")) d.id.uuid = p.uuid.substr(9);
  d.id.firmware = p.firmware;
  if (p.impressions) {
    d.counters.set(service::total, counter_kind::impressions, *p.impressions);
    if (p.impressions_color && *p.impressions_color <= *p.impressions) {
      d.counters.set(service::total, counter_kind::impressions_color, *p.impressions_color);
      d.counters.set(service::total, counter_kind::impressions_mono, *p.impressions - *p.impressions_color);
    }
  }
  if (p.sheets) d.counters.set(service::total, counter_kind::sheets, *p.sheets);
  for (std::size_t i = 0; i < p.supplies.size(); ++i)
    if (auto s = supply_from_pwg(p.supplies[i], i < p.supply_descriptions.size() ? p.supply_descriptions[i] : "",
                                 static_cast<std::int32_t>(i + 1)))
      d.supplies.push_back(std::move(*s));
  if (d.supplies.empty()) {
    // CUPS' marker-* attributes: levels in percent, -1 when unknown.
    for (std::size_t i = 0; i < p.marker_levels.size() && i < 64; ++i) {
      supply s;
      s.index = static_cast<std::int32_t>(i + 1);
      s.unit = supply_unit::percent;
      s.max_capacity = 100;
      const int level = p.marker_levels[i];
      s.level = level >= 0 && level <= 100 ? level : supply_unknown;
      s.type = i < p.marker_types.size() ? type_from_keyword(p.marker_types[i]) : supply_type::other;
      s.description =
          truncate_utf8(i < p.marker_names.size() ? p.marker_names[i] : "marker", max_supply_description_length);
      if (!validate(s)) d.supplies.push_back(std::move(s));
    }
  }
  fit_to_limits(d.id);
  d.note_sources(reading_source::ipp);
  return d;
}

std::optional<device_info> read_ipp(const std::string& uri, std::chrono::milliseconds timeout, std::error_code& ec,
                                    std::string* why) {
  const auto attrs = ipp::get_printer_attributes(uri, timeout, ec, why);
  if (!attrs) return std::nullopt;
  auto d = decode_ipp(*attrs);
  if (d) {
    d->address = uri;
    d->seen_via.push_back("ipp " + uri);
  }
  return d;
}

}  // namespace fleetreg::collector
