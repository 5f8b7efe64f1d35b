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

// sysObjectID.0 and sysDescr.0 from the first GET.
void note_system(terminal_reading& d, const std::vector<varbind>& first) {
  if (const auto* v = find(first, pm::sys_object_id); v && v->type == value_type::object_id) d.sys_object_id = v->oid;
  if (const auto* v = find(first, pm::sys_descr)) d.sys_descr = text_of(*v);
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

std::optional<terminal_reading> read_terminal(const session_options& opts, std::error_code& ec,
                                              reading_extension* extension, std::size_t* round_trips) {
  client c(opts);
  std::size_t trips = 0;
  struct count_trips {
    std::size_t& trips;
    std::size_t* out;
    ~count_trips() {
      if (out) *out += trips;
    }
  } counted{trips, round_trips};
  const auto d1 = pm::printer_device_index;
  const auto e1 = pm::entity_index;
  std::vector<oid_vector> first_oids = {append(tm::manufacturer, {0}),
                                        append(tm::model, {0}),
                                        append(tm::serial_number, {0}),
                                        append(tm::firmware, {0}),
                                        append(tm::uuid, {0}),
                                        append(tm::reg_state, {0}),
                                        append(pm::prt_general_entry, {17, d1}),
                                        append(pm::hr_device_entry, {3, d1}),
                                        append(pm::prt_marker_entry, {4, d1, 1}),
                                        append(pm::ent_physical_entry, {11, e1}),
                                        append(pm::ent_physical_entry, {12, e1}),
                                        append(pm::ent_physical_entry, {13, e1}),
                                        pm::sys_object_id,
                                        pm::sys_descr};
  if (extension)
    for (auto& o : extension->probe()) first_oids.push_back(std::move(o));
  ++trips;
  const auto first = c.get(first_oids, ec);
  if (ec) return std::nullopt;
  if (find(first, append(tm::serial_number, {0}))) {
    const auto tables = c.walk_many({tm::counter_entry, tm::supply_entry}, ec, 100000, 32, &trips);
    if (ec) return std::nullopt;
    auto d = decode_fleetreg(first, tables, tables);
    if (d) note_system(*d, first);
    return d;
  }
  // No fleetreg MIB: the Printer-MIB, with ENTITY-MIB for what it lacks, and
  // whatever the extension asks for, read side by side.
  std::vector<oid_vector> scalars, subtrees = {pm::prt_marker_supplies_entry};
  const std::size_t standard_subtrees = subtrees.size();
  if (extension) extension->plan(first, scalars, subtrees);
  std::vector<varbind> scalar_answers;
  if (!scalars.empty()) {
    ++trips;
    scalar_answers = c.get(scalars, ec);
    if (ec) return std::nullopt;
  }
  const auto walked = c.walk_many(subtrees, ec, 100000, 32, &trips);
  if (ec) return std::nullopt;
  (void)standard_subtrees;
  auto d = decode_printer_mib(first, walked);
  if (!d) return d;
  note_system(*d, first);
  if (extension) extension->apply(first, scalar_answers, walked, *d);
  return d;
}

}  // namespace fleetreg::snmp
