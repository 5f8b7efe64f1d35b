// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/terminal_reading.hpp"

#include <climits>
#include <map>

#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::snmp {
namespace {

namespace tm = terminal_mib;
namespace pm = printer_mib;

// The text of a varbind when it is an OCTET STRING, trimmed of NULs.
std::string text_of(const value& v) {
  if (v.type != value_type::octet_string) return {};
  std::string s = v.octets;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return is_printable_utf8(s, 255) ? s : std::string();
}

const value* find(const std::vector<varbind>& vbs, const oid_vector& name) {
  for (const auto& vb : vbs)
    if (vb.name == name && !vb.val.is_exception()) return &vb.val;
  return nullptr;
}

std::int32_t int_of(const value& v) {
  if (v.integer < INT32_MIN || v.integer > INT32_MAX) return supply_unknown;
  return static_cast<std::int32_t>(v.integer);
}

}  // namespace

std::optional<terminal_reading> decode_fleetreg(const std::vector<varbind>& identity,
                                                const std::vector<varbind>& counters,
                                                const std::vector<varbind>& supplies) {
  const auto* serial = find(identity, append(tm::serial_number, {0}));
  const auto* maker = find(identity, append(tm::manufacturer, {0}));
  if (!serial || !maker) return std::nullopt;
  terminal_reading d;
  d.source = reading_source::fleetreg_mib;
  d.id.manufacturer = text_of(*maker);
  d.id.serial = text_of(*serial);
  if (const auto* v = find(identity, append(tm::model, {0}))) d.id.model = text_of(*v);
  if (const auto* v = find(identity, append(tm::firmware, {0}))) d.id.firmware = text_of(*v);
  if (const auto* v = find(identity, append(tm::uuid, {0}))) d.id.uuid = text_of(*v);
  if (const auto* v = find(identity, append(tm::reg_state, {0})))
    d.registered_in_terminal_mode = v->integer == static_cast<int>(tm::reg_state_value::registered);
  // Counter table: entry.column.service
  for (const auto& vb : counters) {
    if (vb.name.size() != tm::counter_entry.size() + 2 || !starts_with(vb.name, tm::counter_entry)) continue;
    if (vb.val.type != value_type::counter64) continue;
    const auto col = vb.name[tm::counter_entry.size()];
    const auto svc = service_from_pwg(static_cast<int>(vb.name.back()));
    if (!svc) continue;
    std::optional<counter_kind> kind;
    switch (col) {
      case tm::counter_impressions:
        kind = counter_kind::impressions;
        break;
      case tm::counter_impressions_mono:
        kind = counter_kind::impressions_mono;
        break;
      case tm::counter_impressions_color:
        kind = counter_kind::impressions_color;
        break;
      case tm::counter_sheets:
        kind = counter_kind::sheets;
        break;
      default:
        break;
    }
    if (kind) d.counters.set(*svc, *kind, vb.val.unsigned_value);
  }
  // Supply table: entry.column.index
  std::map<subid, supply> rows;
  for (const auto& vb : supplies) {
    if (vb.name.size() != tm::supply_entry.size() + 2 || !starts_with(vb.name, tm::supply_entry)) continue;
    const auto col = vb.name[tm::supply_entry.size()];
    const auto idx = vb.name.back();
    if (idx < 1 || idx > 65535) continue;
    auto& s = rows[idx];
    s.index = static_cast<std::int32_t>(idx);
    switch (col) {
      case tm::supply_type:
        s.type = static_cast<supply_type>(int_of(vb.val));
        break;
      case tm::supply_description:
        s.description = text_of(vb.val);
        break;
      case tm::supply_colorant:
        s.colorant = text_of(vb.val);
        break;
      case tm::supply_max_capacity:
        s.max_capacity = int_of(vb.val);
        break;
      case tm::supply_level:
        s.level = int_of(vb.val);
        break;
      default:
        break;
    }
  }
  for (auto& [idx, s] : rows)
    if (!validate(s)) d.supplies.push_back(std::move(s));
  fit_to_limits(d.id);
  return d;
}

std::optional<terminal_reading> decode_printer_mib(const std::vector<varbind>& general,
                                                   const std::vector<varbind>& supplies) {
  const auto d1 = pm::printer_device_index;
  const auto e1 = pm::entity_index;
  const auto* serial = find(general, append(pm::prt_general_entry, {17, d1}));
  const auto* descr = find(general, append(pm::hr_device_entry, {3, d1}));
  const auto* ent_serial = find(general, append(pm::ent_physical_entry, {11, e1}));
  if (!serial && !descr && !ent_serial) return std::nullopt;
  terminal_reading d;
  d.source = reading_source::printer_mib;
  if (serial) d.id.serial = text_of(*serial);
  // ENTITY-MIB, when the Printer-MIB has none.
  if (d.id.serial.empty() && ent_serial) d.id.serial = text_of(*ent_serial);
  if (descr) {
    // hrDeviceDescr is "Manufacturer Model" on most printers.
    const auto text = text_of(*descr);
    const auto space = text.find(' ');
    d.id.manufacturer = text.substr(0, space);
    d.id.model = space == std::string::npos ? std::string() : text.substr(space + 1);
  }
  if (d.id.manufacturer.empty())
    if (const auto* v = find(general, append(pm::ent_physical_entry, {12, e1}))) d.id.manufacturer = text_of(*v);
  if (d.id.model.empty())
    if (const auto* v = find(general, append(pm::ent_physical_entry, {13, e1}))) d.id.model = text_of(*v);
  if (const auto* life = find(general, append(pm::prt_marker_entry, {4, d1, 1})))
    d.counters.set(service::total, counter_kind::impressions, life->unsigned_value);
  std::map<subid, supply> rows;
  for (const auto& vb : supplies) {
    const auto& e = pm::prt_marker_supplies_entry;
    if (vb.name.size() != e.size() + 3 || !starts_with(vb.name, e) || vb.name[e.size() + 1] != d1) continue;
    const auto col = vb.name[e.size()];
    const auto idx = vb.name.back();
    if (idx < 1 || idx > 65535) continue;
    auto& s = rows[idx];
    s.index = static_cast<std::int32_t>(idx);
    switch (col) {
      case 4:
        s.klass = int_of(vb.val) == 4 ? supply_class::filled : supply_class::consumed;
        break;
      case 5:
        s.type = static_cast<supply_type>(int_of(vb.val));
        break;
      case 6:
        s.description = text_of(vb.val);
        break;
      case 7:
        s.unit = static_cast<supply_unit>(int_of(vb.val));
        break;
      case 8:
        s.max_capacity = int_of(vb.val);
        break;
      case 9:
        s.level = int_of(vb.val);
        break;
      default:
        break;
    }
  }
  for (auto& [idx, s] : rows)
    if (!validate(s)) d.supplies.push_back(std::move(s));
  fit_to_limits(d.id);
  return d;
}

std::optional<terminal_reading> read_terminal(const session_options& opts, std::error_code& ec) {
  client c(opts);
  const auto identity = c.get({append(tm::manufacturer, {0}), append(tm::model, {0}), append(tm::serial_number, {0}),
                               append(tm::firmware, {0}), append(tm::uuid, {0}), append(tm::reg_state, {0})},
                              ec);
  if (ec) return std::nullopt;
  if (find(identity, append(tm::serial_number, {0}))) {
    const auto counters = c.walk(tm::counter_entry, ec);
    if (ec) return std::nullopt;
    const auto supplies = c.walk(tm::supply_entry, ec);
    if (ec) return std::nullopt;
    return decode_fleetreg(identity, counters, supplies);
  }
  // No fleetreg MIB: the Printer-MIB, with ENTITY-MIB for what it lacks.
  const auto d1 = pm::printer_device_index;
  const auto e1 = pm::entity_index;
  const auto general = c.get({append(pm::prt_general_entry, {17, d1}), append(pm::hr_device_entry, {3, d1}),
                              append(pm::prt_marker_entry, {4, d1, 1}), append(pm::ent_physical_entry, {11, e1}),
                              append(pm::ent_physical_entry, {12, e1}), append(pm::ent_physical_entry, {13, e1})},
                             ec);
  if (ec) return std::nullopt;
  const auto supplies = c.walk(pm::prt_marker_supplies_entry, ec);
  if (ec) return std::nullopt;
  return decode_printer_mib(general, supplies);
}

}  // namespace fleetreg::snmp
