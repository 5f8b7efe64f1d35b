// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/terminal_reading.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <set>
#include <span>

#include "fleetreg/snmp/enterprises.hpp"
#include "fleetreg/snmp/printer_alerts.hpp"
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

namespace {

// Every answered varbind of the first GET and the walks, by name (the
// first answer for a name wins), so that a column's rows come in OID order.
class answers {
 public:
  answers(const std::vector<varbind>& first, const std::vector<varbind>& walked) {
    for (const auto* part : {&first, &walked})
      for (const auto& vb : *part)
        if (!vb.val.is_exception() && vb.name.size() <= 128) by_name_.try_emplace(vb.name, &vb.val);
  }
  bool empty() const noexcept { return by_name_.empty(); }
  const value* at(const oid_vector& name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  // Calls f(index, value) for each row of entry.column whose index has
  // `index_length` sub-identifiers.
  template <typename F>
  void column(const oid_vector& entry, subid col, std::size_t index_length, F&& f) const {
    const auto prefix = append(entry, {col});
    for (auto it = by_name_.lower_bound(prefix); it != by_name_.end() && starts_with(it->first, prefix); ++it)
      if (it->first.size() == prefix.size() + index_length)
        f(std::span<const subid>(it->first).subspan(prefix.size()), *it->second);
  }

 private:
  std::map<oid_vector, const value*> by_name_;
};

constexpr std::size_t max_printer_rows = 16;
constexpr std::size_t max_markers = 64;
constexpr std::size_t max_supplies = 256;
constexpr std::size_t max_alert_rows = 256;

// A counter's value: Counter32/64, Gauge32 or a non-negative INTEGER.
std::optional<std::uint64_t> count_of(const value& v) {
  switch (v.type) {
    case value_type::counter32:
    case value_type::counter64:
    case value_type::gauge32:
      return v.unsigned_value;
    case value_type::integer:
      if (v.integer >= 0) return static_cast<std::uint64_t>(v.integer);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// PrtMarkerCounterUnitTC as an extras name.
std::string unit_name(std::int64_t unit) {
  switch (unit) {
    case 3:
      return "ten-thousandths-of-inches";
    case 4:
      return "micrometers";
    case 5:
      return "characters";
    case 6:
      return "lines";
    case 7:
      return "impressions";
    case 8:
      return "sheets";
    case 9:
      return "dot-row";
    case 11:
      return "hours";
    case 16:
      return "feet";
    case 17:
      return "meters";
    default:
      return unit >= 0 && unit <= 2147483647 ? "unit-" + std::to_string(unit) : "unit-other";
  }
}

void note(terminal_reading& d, const std::string& key, std::string text) {
  if (d.provenance.size() >= max_provenance && !d.provenance.count(key)) return;
  d.provenance[key] = truncate_utf8(text, max_provenance_length);
}

std::string oid_text(const oid_vector& base, std::initializer_list<subid> suffix) {
  return to_string(append(base, suffix));
}

// Alert text: printable, cut to the limit (on a character boundary).
std::string alert_text(const value& v) {
  if (v.type != value_type::octet_string) return {};
  std::string s = truncate_utf8(v.octets.substr(0, 4 * max_alert_description_length), max_alert_description_length);
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return is_printable_utf8(s, max_alert_description_length) ? s : std::string();
}

// The model in a description that does not start with a vendor's name:
// up to the first ';' or ',' (sysDescr often lists more after them).
std::string first_clause(std::string_view text) {
  const auto cut = text.find_first_of(";,");
  auto s = std::string(text.substr(0, cut));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::optional<terminal_reading> decode_printer_mib(const std::vector<varbind>& first,
                                                   const std::vector<varbind>& walked) {
  const answers a(first, walked);
  if (a.empty()) return std::nullopt;
  terminal_reading d;
  d.source = reading_source::printer_mib;
  note_system(d, first);
  if (d.sys_object_id.empty() && d.sys_descr.empty()) note_system(d, walked);

  // The printer rows: hrDevice rows typed hrDevicePrinter, else row 1.
  std::set<subid> rows;
  a.column(pm::hr_device_entry, pm::hr_device_type, 1, [&](std::span<const subid> i, const value& v) {
    if (v.type == value_type::object_id && v.oid == pm::hr_device_printer_type && i[0] >= 1 &&
        rows.size() < max_printer_rows)
      rows.insert(i[0]);
  });
  if (rows.empty()) rows.insert(pm::printer_device_index);
  const subid r1 = *rows.begin();
  const auto e1 = pm::entity_index;

  // Identity: serial, manufacturer, model from every source, in order.
  auto text_at = [&](const oid_vector& name) -> std::string {
    const auto* v = a.at(name);
    return v ? text_of(*v) : std::string();
  };
  for (const auto& name : {append(pm::prt_general_entry, {pm::prt_general_serial_number, r1}),
                           append(pm::prt_general_entry, {pm::prt_general_serial_number, 1})}) {
    if (!d.id.serial.empty()) break;
    d.id.serial = text_at(name);
    if (!d.id.serial.empty()) note(d, "identity.serial", "printer-mib " + to_string(name));
  }
  if (d.id.serial.empty()) {
    const auto name = append(pm::ent_physical_entry, {11, e1});
    d.id.serial = text_at(name);
    if (!d.id.serial.empty()) note(d, "identity.serial", "entity-mib " + to_string(name));
  }
  auto descr_name = append(pm::hr_device_entry, {pm::hr_device_descr, r1});
  auto descr = text_at(descr_name);
  if (descr.empty() && r1 != 1) {
    descr_name = append(pm::hr_device_entry, {pm::hr_device_descr, 1});
    descr = text_at(descr_name);
  }
  const auto ent_mfg_name = append(pm::ent_physical_entry, {12, e1});
  const auto ent_model_name = append(pm::ent_physical_entry, {13, e1});
  const auto ent_mfg = text_at(ent_mfg_name);
  const auto ent_model = text_at(ent_model_name);
  const auto descr_vendor = split_vendor_prefix(descr);
  const auto sys_vendor = split_vendor_prefix(d.sys_descr);
  bool first_word = false;
  if (const auto m = manufacturer_of(d.sys_object_id)) {
    d.id.manufacturer = std::string(*m);
    note(d, "identity.manufacturer", "snmpv2-mib sysObjectID.0 " + to_string(d.sys_object_id));
  } else if (!ent_mfg.empty()) {
    const auto c = canonical_manufacturer(ent_mfg);
    d.id.manufacturer = c ? std::string(*c) : ent_mfg;
    note(d, "identity.manufacturer", "entity-mib " + to_string(ent_mfg_name));
  } else if (descr_vendor) {
    d.id.manufacturer = std::string(descr_vendor->manufacturer);
    note(d, "identity.manufacturer", "host-resources-mib " + to_string(descr_name));
  } else if (sys_vendor) {
    d.id.manufacturer = std::string(sys_vendor->manufacturer);
    note(d, "identity.manufacturer", "snmpv2-mib " + to_string(pm::sys_descr));
  } else if (!descr.empty()) {
    // The last resort: "Manufacturer Model".
    d.id.manufacturer = descr.substr(0, descr.find(' '));
    first_word = true;
    note(d, "identity.manufacturer", "host-resources-mib " + to_string(descr_name) + " (first word)");
  }
  if (!ent_model.empty()) {
    d.id.model = ent_model;
    note(d, "identity.model", "entity-mib " + to_string(ent_model_name));
  } else if (!descr.empty()) {
    if (descr_vendor)
      d.id.model = descr_vendor->rest;
    else if (first_word)
      d.id.model = descr.find(' ') == std::string::npos ? std::string() : descr.substr(descr.find(' ') + 1);
    else
      d.id.model = descr;
    if (!d.id.model.empty()) note(d, "identity.model", "host-resources-mib " + to_string(descr_name));
  }
  if (d.id.model.empty() && !d.sys_descr.empty() && (sys_vendor || !d.id.manufacturer.empty())) {
    d.id.model = first_clause(sys_vendor ? std::string_view(sys_vendor->rest) : std::string_view(d.sys_descr));
    if (!d.id.model.empty()) note(d, "identity.model", "snmpv2-mib " + to_string(pm::sys_descr));
  }

  // Counters: each row's markers; per unit, the row's first marker counts in
  // the total, the others go to extras.
  struct marker {
    std::optional<std::uint64_t> life;
    std::int64_t unit = 7;  // impressions when the agent does not say
  };
  std::map<std::pair<subid, subid>, marker> markers;
  a.column(pm::prt_marker_entry, pm::prt_marker_life_count, 2, [&](std::span<const subid> i, const value& v) {
    if (rows.count(i[0]) && markers.size() < max_markers)
      if (const auto n = count_of(v)) markers[{i[0], i[1]}].life = n;
  });
  a.column(pm::prt_marker_entry, pm::prt_marker_counter_unit, 2, [&](std::span<const subid> i, const value& v) {
    if (const auto it = markers.find({i[0], i[1]}); it != markers.end() && v.type == value_type::integer)
      it->second.unit = v.integer;
  });
  struct total {
    std::uint64_t sum = 0;
    std::string oids;
  };
  std::map<std::int64_t, total> totals;
  std::set<std::pair<subid, std::int64_t>> counted;  // (row, unit)
  for (const auto& [index, m] : markers) {
    if (!m.life) continue;
    const auto oid = oid_text(pm::prt_marker_entry, {pm::prt_marker_life_count, index.first, index.second});
    if (counted.insert({index.first, m.unit}).second) {
      auto& t = totals[m.unit];
      t.sum = *m.life > UINT64_MAX - t.sum ? UINT64_MAX : t.sum + *m.life;
      t.oids += (t.oids.empty() ? "" : "+") + oid;
      continue;
    }
    const auto key =
        "marker." + std::to_string(index.first) + "." + std::to_string(index.second) + "." + unit_name(m.unit);
    if (is_extra_key(key) && d.extras.size() < max_extras) {
      d.extras[key] = *m.life;
      note(d, "extra:" + key, "printer-mib " + oid);
    }
  }
  for (const auto& [unit, t] : totals) {
    if (unit == 7 || unit == 8) {
      const auto kind = unit == 7 ? counter_kind::impressions : counter_kind::sheets;
      d.counters.set(service::total, kind, t.sum);
      note(d, cell_name(service::total, kind), "printer-mib " + t.oids);
    } else if (d.extras.size() < max_extras) {
      const auto key = "total.marker-" + unit_name(unit);
      d.extras[key] = t.sum;
      note(d, "extra:" + key, "printer-mib " + t.oids);
    }
  }

  // Supplies of every printer row; the first row's keep their index, the
  // others' are row × 65536 + index.
  std::map<std::int32_t, supply> supplies;
  for (const subid col : {4, 5, 6, 7, 8, 9})
    a.column(pm::prt_marker_supplies_entry, col, 2, [&](std::span<const subid> i, const value& v) {
      const auto row = i[0], idx = i[1];
      if (!rows.count(row) || idx < 1 || idx > 65535) return;
      if (row != r1 && row > 32767) return;
      const auto index = static_cast<std::int32_t>(row == r1 ? idx : row * 65536 + idx);
      if (!supplies.count(index) && supplies.size() >= max_supplies) return;
      auto& s = supplies[index];
      s.index = index;
      switch (col) {
        case 4:
          s.klass = int_of(v) == 4 ? supply_class::filled : supply_class::consumed;
          break;
        case 5:
          s.type = supply_type_from_code(int_of(v));
          break;
        case 6:
          s.description = text_of(v);
          break;
        case 7:
          s.unit = static_cast<supply_unit>(int_of(v));
          break;
        case 8:
          s.max_capacity = int_of(v);
          break;
        case 9:
          s.level = int_of(v);
          break;
        default:
          break;
      }
    });
  for (auto& [idx, s] : supplies)
    if (!validate(s)) d.supplies.push_back(std::move(s));
  if (!d.supplies.empty()) note(d, "supplies", "printer-mib " + to_string(pm::prt_marker_supplies_entry));

  // Device state: the worst hrDeviceStatus of the printer rows.
  static constexpr std::array<std::string_view, 6> status_names = {"",        "unknown", "running",
                                                                   "warning", "testing", "down"};
  static constexpr std::array<int, 6> status_rank = {0, 1, 2, 4, 3, 5};
  std::int64_t worst = 0;
  for (const auto row : rows)
    if (const auto* v = a.at(append(pm::hr_device_entry, {pm::hr_device_status, row}));
        v && v->type == value_type::integer && v->integer >= 1 && v->integer <= 5 &&
        status_rank[static_cast<std::size_t>(v->integer)] > status_rank[static_cast<std::size_t>(worst)]) {
      worst = v->integer;
      note(d, "device_status", "host-resources-mib " + oid_text(pm::hr_device_entry, {pm::hr_device_status, row}));
    }
  d.device_status = std::string(status_names[static_cast<std::size_t>(worst)]);

  // Alerts: hrPrinterDetectedErrorState and prtAlertTable of the printer rows.
  std::vector<device_alert> state, table;
  for (const auto row : rows)
    if (const auto* v = a.at(append(pm::hr_printer_entry, {pm::hr_printer_detected_error_state, row}));
        v && v->type == value_type::octet_string)
      for (auto& x : decode_error_state(v->octets)) state.push_back(std::move(x));
  struct alert_row {
    std::int64_t severity = 1, group = 1, code = 1;
    std::string description;
  };
  std::map<std::pair<subid, subid>, alert_row> alert_rows;
  for (const subid col : {pm::prt_alert_severity, pm::prt_alert_group, pm::prt_alert_code, pm::prt_alert_description})
    a.column(pm::prt_alert_entry, col, 2, [&](std::span<const subid> i, const value& v) {
      if (!rows.count(i[0])) return;
      const std::pair<subid, subid> key{i[0], i[1]};
      if (!alert_rows.count(key) && alert_rows.size() >= max_alert_rows) return;
      auto& r = alert_rows[key];
      const auto n = v.type == value_type::integer ? v.integer : std::int64_t{-1};
      if (col == pm::prt_alert_severity) r.severity = n;
      if (col == pm::prt_alert_group) r.group = n;
      if (col == pm::prt_alert_code) r.code = n;
      if (col == pm::prt_alert_description) r.description = alert_text(v);
    });
  for (auto& [key, r] : alert_rows)
    table.push_back({alert_severity_name(r.severity), alert_group_name(r.group), alert_code_name(r.code),
                     std::move(r.description), "prtAlertTable"});
  std::string alert_sources;
  if (!table.empty()) alert_sources = "printer-mib " + to_string(pm::prt_alert_entry);
  if (!state.empty())
    alert_sources += (alert_sources.empty() ? "host-resources-mib " : "+") + to_string(pm::hr_printer_entry) + "." +
                     std::to_string(pm::hr_printer_detected_error_state);
  d.alerts = combine_alerts(std::move(table), std::move(state));
  if (!d.alerts.empty()) note(d, "alerts", alert_sources);

  fit_to_limits(d.id);
  return d;
}

std::vector<oid_vector> first_get_oids() {
  const auto d1 = pm::printer_device_index;
  const auto e1 = pm::entity_index;
  // The fleetreg MIB's identity, and the standard identity scalars of a
  // printer at hrDeviceIndex 1 (the tables come in the walk).
  return {append(tm::manufacturer, {0}),
          append(tm::model, {0}),
          append(tm::serial_number, {0}),
          append(tm::firmware, {0}),
          append(tm::uuid, {0}),
          append(tm::reg_state, {0}),
          append(pm::prt_general_entry, {pm::prt_general_serial_number, d1}),
          append(pm::hr_device_entry, {pm::hr_device_descr, d1}),
          append(pm::ent_physical_entry, {11, e1}),
          append(pm::ent_physical_entry, {12, e1}),
          append(pm::ent_physical_entry, {13, e1}),
          pm::sys_object_id,
          pm::sys_descr};
}

std::vector<oid_vector> printer_mib_subtrees() {
  std::vector<oid_vector> subtrees = {append(pm::hr_device_entry, {pm::hr_device_type}),
                                      append(pm::hr_device_entry, {pm::hr_device_descr}),
                                      append(pm::hr_device_entry, {pm::hr_device_status}),
                                      append(pm::hr_printer_entry, {pm::hr_printer_detected_error_state}),
                                      append(pm::prt_general_entry, {pm::prt_general_serial_number}),
                                      append(pm::prt_marker_entry, {pm::prt_marker_counter_unit}),
                                      append(pm::prt_marker_entry, {pm::prt_marker_life_count})};
  for (const subid col : {4, 5, 6, 7, 8, 9}) subtrees.push_back(append(pm::prt_marker_supplies_entry, {col}));
  for (const subid col : {pm::prt_alert_severity, pm::prt_alert_group, pm::prt_alert_code, pm::prt_alert_description})
    subtrees.push_back(append(pm::prt_alert_entry, {col}));
  return subtrees;
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
  auto first_oids = first_get_oids();
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
  // No fleetreg MIB: the Printer-MIB's and HOST-RESOURCES-MIB's columns,
  // and whatever the extension asks for, walked side by side.
  std::vector<oid_vector> scalars;
  auto subtrees = printer_mib_subtrees();
  if (extension) extension->plan(first, scalars, subtrees);
  std::vector<varbind> scalar_answers;
  if (!scalars.empty()) {
    ++trips;
    scalar_answers = c.get(scalars, ec);
    if (ec) return std::nullopt;
  }
  const auto walked = c.walk_many(subtrees, ec, 20000, 16, &trips);
  if (ec) return std::nullopt;
  // A device that answered is listed even when it names nothing.
  auto d = decode_printer_mib(first, walked);
  if (!d) {
    d.emplace();
    d->source = reading_source::printer_mib;
  }
  note_system(*d, first);
  if (extension) extension->apply(first, scalar_answers, walked, *d);
  return d;
}

}  // namespace fleetreg::snmp
