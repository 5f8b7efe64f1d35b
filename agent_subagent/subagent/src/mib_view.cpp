// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/subagent/mib_view.hpp"

#include <algorithm>

#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/subagent/pwg_counter_mib.hpp"
#include "fleetreg/terminal/store.hpp"

namespace fleetreg::subagent {
namespace {

namespace tm = snmp::terminal_mib;
namespace pm = snmp::printer_mib;
namespace pwg = pwg_counter_mib;
using snmp::append;
using snmp::oid_vector;
using snmp::value;
using snmp::value_type;

bool oid_less(std::span<const snmp::subid> a, std::span<const snmp::subid> b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

value integer(std::int64_t v) { return value::make_integer(v); }
value text(std::string s) { return value::make_string(std::move(s)); }
value unsigned_of(value_type t, std::uint64_t v) {
  value x;
  x.type = t;
  x.unsigned_value = v;
  return x;
}
value object_id(oid_vector o) {
  value x;
  x.type = value_type::object_id;
  x.oid = std::move(o);
  return x;
}
std::string truncate(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  // Cut on a UTF-8 boundary.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  s.resize(n);
  return s;
}

int status_value(terminal::device_state s) {
  switch (s) {
    case terminal::device_state::idle:
      return static_cast<int>(tm::status_value::idle);
    case terminal::device_state::busy:
      return static_cast<int>(tm::status_value::busy);
    case terminal::device_state::error:
      return static_cast<int>(tm::status_value::error);
    case terminal::device_state::unknown:
      break;
  }
  return static_cast<int>(tm::status_value::unknown);
}

int reg_state_value(terminal::registration_state s) {
  return static_cast<int>(s) + 1;  // same order as frtRegState, from unregistered(1)
}

// hrDeviceStatus: unknown(1), running(2), warning(3), testing(4), down(5).
int hr_device_status(const terminal::terminal_state& t, bool low_toner) {
  switch (t.status.state) {
    case terminal::device_state::error:
      return 5;
    case terminal::device_state::unknown:
      return 1;
    default:
      return low_toner ? 3 : 2;
  }
}

// hrPrinterStatus: other(1), unknown(2), idle(3), printing(4), warmup(5).
int hr_printer_status(terminal::device_state s) {
  switch (s) {
    case terminal::device_state::idle:
      return 3;
    case terminal::device_state::busy:
      return 4;
    case terminal::device_state::error:
      return 1;
    case terminal::device_state::unknown:
      break;
  }
  return 2;
}

// IcServiceStateTC of the terminal's state.
pwg::service_state_value service_state(terminal::device_state s) {
  switch (s) {
    case terminal::device_state::idle:
      return pwg::service_state_value::idle;
    case terminal::device_state::busy:
      return pwg::service_state_value::processing;
    case terminal::device_state::error:
      return pwg::service_state_value::down;
    case terminal::device_state::unknown:
      break;
  }
  return pwg::service_state_value::unknown;
}

// An IcCounter32 (Integer32 0..2^31-1) of a 64-bit counter: modulo 2^31.
value ic_counter(std::uint64_t v) { return integer(static_cast<std::int64_t>(v % pwg::ic_counter32_modulus)); }

// PWG-IMAGING-COUNTER-MIB rows of the terminal's counters (see
// pwg_counter_mib.hpp): the general scalars, a key and a service row per
// service with any known counter (as frtCounterTable), and for each its
// workTotals/lifetime row of icImpressionTable and icSheetTable (services
// that mark paper) or icImageTable (scan, fax-out). Unknown counters are
// left out, never served as 0.
void add_pwg_counters(const terminal::terminal_state& t, std::vector<entry>& e) {
  auto add = [&](oid_vector name, value val) { e.push_back({std::move(name), std::move(val)}); };
  const auto& c = t.counters;
  std::int64_t services = 0;
  for (auto s : all_services) {
    const auto known = [&](counter_kind k) { return c.get(s, k).has_value(); };
    if (!std::any_of(all_counter_kinds.begin(), all_counter_kinds.end(), known)) continue;
    ++services;
    const auto key = pwg::key_of(s);
    const auto type = static_cast<snmp::subid>(pwg_service_type(s));
    add(append(pwg::key_entry, {pwg::key_service_type, key}), integer(pwg_service_type(s)));
    add(append(pwg::key_entry, {pwg::key_service_index, key}), integer(1));
    add(append(pwg::key_entry, {pwg::key_subunit_type, key}), integer(pwg::subunit_type_unknown));
    add(append(pwg::key_entry, {pwg::key_subunit_index, key}), integer(0));  // no subunit

    add(append(pwg::service_entry, {pwg::service_key, type, 1}), integer(key));
    add(append(pwg::service_entry, {pwg::service_info, type, 1}),
        text(s == service::total ? "system totals" : std::string(to_string(s))));
    add(append(pwg::service_entry, {pwg::service_job_set_index, type, 1}), integer(0));
    add(append(pwg::service_entry, {pwg::service_state, type, 1}),
        integer(static_cast<int>(service_state(t.status.state))));
    add(append(pwg::service_entry, {pwg::service_state_message, type, 1}), text(truncate(t.status.message, 255)));
    add(append(pwg::service_entry, {pwg::service_prt_alert_index, type, 1}), integer(0));

    const auto row = [&](const oid_vector& entry_oid, snmp::subid column, counter_kind k) {
      if (const auto v = c.get(s, k))
        add(append(entry_oid, {column, key, pwg::work_totals, pwg::lifetime}), ic_counter(*v));
    };
    if (pwg::marks_paper(s)) {
      row(pwg::impression_entry, pwg::impression_total, counter_kind::impressions);
      row(pwg::impression_entry, pwg::impression_monochrome, counter_kind::impressions_mono);
      row(pwg::impression_entry, pwg::impression_full_color, counter_kind::impressions_color);
      row(pwg::sheet_entry, pwg::sheet_total, counter_kind::sheets);
    } else {
      row(pwg::image_entry, pwg::image_total, counter_kind::impressions);
      row(pwg::image_entry, pwg::image_monochrome, counter_kind::impressions_mono);
      row(pwg::image_entry, pwg::image_full_color, counter_kind::impressions_color);
    }
  }
  add(append(pwg::general, {pwg::general_natural_language, 0}), text("en"));
  add(append(pwg::general, {pwg::general_total_service_records, 0}), integer(services));
  add(append(pwg::general, {pwg::general_total_subunit_records, 0}), integer(0));
  add(append(pwg::general, {pwg::general_total_media_used_records, 0}), integer(0));
}

}  // namespace

mib_view mib_view::build(const terminal::terminal_state& t) {
  mib_view v;
  auto& e = v.entries_;
  auto add = [&](oid_vector name, value val) { e.push_back({std::move(name), std::move(val)}); };

  // FLEETREG-TERMINAL-MIB identity.
  add(append(tm::manufacturer, {0}), text(t.id.manufacturer));
  add(append(tm::model, {0}), text(t.id.model));
  add(append(tm::serial_number, {0}), text(t.id.serial));
  add(append(tm::firmware, {0}), text(t.id.firmware));
  add(append(tm::uuid, {0}), text(t.id.uuid));

  // Counter table: a row per service with any known counter.
  for (auto s : all_services) {
    const auto idx = static_cast<snmp::subid>(pwg_service_type(s));
    bool any = false;
    const std::pair<counter_kind, tm::counter_column> columns[] = {
        {counter_kind::impressions, tm::counter_impressions},
        {counter_kind::impressions_mono, tm::counter_impressions_mono},
        {counter_kind::impressions_color, tm::counter_impressions_color},
        {counter_kind::sheets, tm::counter_sheets}};
    for (const auto& [kind, col] : columns)
      if (const auto c = t.counters.get(s, kind)) {
        add(append(tm::counter_entry, {col, idx}), unsigned_of(value_type::counter64, *c));
        any = true;
      }
    if (any) add(append(tm::counter_entry, {tm::counter_service_name, idx}), text(std::string(to_string(s))));
  }

  // Supplies, in both the fleetreg MIB and prtMarkerSuppliesTable.
  bool low_toner = false, no_toner = false;
  for (const auto& s : t.supplies) {
    const auto i = static_cast<snmp::subid>(s.index);
    const auto pct = s.percent();
    add(append(tm::supply_entry, {tm::supply_type, i}), integer(static_cast<int>(s.type)));
    add(append(tm::supply_entry, {tm::supply_description, i}), text(truncate(s.description, 255)));
    add(append(tm::supply_entry, {tm::supply_colorant, i}), text(s.colorant));
    add(append(tm::supply_entry, {tm::supply_max_capacity, i}), integer(s.max_capacity));
    add(append(tm::supply_entry, {tm::supply_level, i}), integer(s.level));
    add(append(tm::supply_entry, {tm::supply_level_percent, i}),
        integer(pct ? *pct : (s.level == supply_some_remaining ? supply_some_remaining : supply_unknown)));

    const auto d = pm::printer_device_index;
    add(append(pm::prt_marker_supplies_entry, {2, d, i}), integer(1));  // MarkerIndex
    add(append(pm::prt_marker_supplies_entry, {3, d, i}), integer(0));  // ColorantIndex: none
    add(append(pm::prt_marker_supplies_entry, {4, d, i}), integer(static_cast<int>(s.klass)));
    add(append(pm::prt_marker_supplies_entry, {5, d, i}), integer(static_cast<int>(s.type)));
    add(append(pm::prt_marker_supplies_entry, {6, d, i}), text(truncate(s.description, 255)));
    add(append(pm::prt_marker_supplies_entry, {7, d, i}), integer(static_cast<int>(s.unit)));
    add(append(pm::prt_marker_supplies_entry, {8, d, i}), integer(s.max_capacity));
    add(append(pm::prt_marker_supplies_entry, {9, d, i}), integer(s.level));
    if (s.type == supply_type::toner && pct) {
      low_toner = low_toner || *pct < 10;
      no_toner = no_toner || s.level == 0;
    }
  }

  // Status and registration.
  add(append(tm::status_state, {0}), integer(status_value(t.status.state)));
  add(append(tm::status_message, {0}), text(truncate(t.status.message, 255)));
  const auto& r = t.registration;
  add(append(tm::reg_state, {0}), integer(reg_state_value(r.state)));
  add(append(tm::reg_center_url, {0}), text(r.center_url));
  add(append(tm::reg_provisional_code, {0}), text(""));  // a secret: never read back
  add(append(tm::reg_site_id, {0}), text(r.site_id));
  add(append(tm::reg_last_report, {0}), text(snmp::date_and_time(r.last_report ? to_unix(*r.last_report) : 0)));
  add(append(tm::reg_last_error, {0}), text(truncate(r.last_error, 255)));
  add(append(tm::reg_last_error_time, {0}),
      text(snmp::date_and_time(r.last_error_time ? to_unix(*r.last_error_time) : 0)));
  add(append(tm::reg_action, {0}), integer(static_cast<int>(tm::reg_action_value::none)));

  // HOST-RESOURCES-MIB: the printer is device 1.
  const auto d = pm::printer_device_index;
  std::string descr = t.id.manufacturer.empty() ? t.id.model : t.id.manufacturer + " " + t.id.model;
  add(append(pm::hr_device_entry, {1, d}), integer(static_cast<std::int64_t>(d)));
  add(append(pm::hr_device_entry, {2, d}), object_id(pm::hr_device_printer_type));
  add(append(pm::hr_device_entry, {3, d}), text(truncate(descr, 64)));
  add(append(pm::hr_device_entry, {4, d}), object_id({0, 0}));
  add(append(pm::hr_device_entry, {5, d}), integer(hr_device_status(t, low_toner)));
  add(append(pm::hr_device_entry, {6, d}), unsigned_of(value_type::counter32, 0));
  add(append(pm::hr_printer_entry, {1, d}), integer(hr_printer_status(t.status.state)));
  // hrPrinterDetectedErrorState BITS: lowToner(2), noToner(3), serviceRequested(7).
  unsigned char bits = 0;
  if (low_toner) bits |= 0x20;
  if (no_toner) bits |= 0x10;
  if (t.status.state == terminal::device_state::error) bits |= 0x01;
  add(append(pm::hr_printer_entry, {2, d}), text(std::string(1, static_cast<char>(bits))));

  // Printer-MIB general and marker groups.
  add(append(pm::prt_general_entry, {16, d}), text(truncate(descr, 127)));
  add(append(pm::prt_general_entry, {17, d}), text(truncate(t.id.serial, 255)));
  add(append(pm::prt_marker_entry, {2, d, 1}), integer(4));  // electrophotographicLaser
  add(append(pm::prt_marker_entry, {3, d, 1}), integer(7));  // impressions
  const auto life = t.counters.get(service::total, counter_kind::impressions).value_or(0);
  add(append(pm::prt_marker_entry, {4, d, 1}), unsigned_of(value_type::counter32, life & 0xffffffffULL));

  add_pwg_counters(t, e);

  std::sort(e.begin(), e.end(), [](const entry& a, const entry& b) { return oid_less(a.name, b.name); });
  return v;
}

const entry* mib_view::find(std::span<const snmp::subid> name) const noexcept {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                                   [](const entry& a, std::span<const snmp::subid> n) { return oid_less(a.name, n); });
  if (it == entries_.end() || !std::equal(it->name.begin(), it->name.end(), name.begin(), name.end())) return nullptr;
  return &*it;
}

const entry* mib_view::next(std::span<const snmp::subid> name, std::span<const snmp::subid> within) const noexcept {
  const auto it = std::upper_bound(entries_.begin(), entries_.end(), name,
                                   [](std::span<const snmp::subid> n, const entry& a) { return oid_less(n, a.name); });
  if (it == entries_.end() || !snmp::starts_with(it->name, within)) return nullptr;
  return &*it;
}

bool mib_view::object_exists(std::span<const snmp::subid> name) const noexcept {
  if (name.empty()) return false;
  const auto prefix = name.first(name.size() - 1);
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), prefix,
                                   [](const entry& a, std::span<const snmp::subid> n) { return oid_less(a.name, n); });
  return it != entries_.end() && snmp::starts_with(it->name, prefix);
}

std::variant<set_target, snmp::error_status> classify_set(const mib_view& view, std::span<const snmp::subid> name) {
  const auto is = [&](const oid_vector& object) {
    return name.size() == object.size() + 1 && snmp::starts_with(name, object) && name.back() == 0;
  };
  if (is(tm::reg_center_url)) return set_target::center_url;
  if (is(tm::reg_provisional_code)) return set_target::provisional_code;
  if (is(tm::reg_action)) return set_target::action;
  if (view.find(name)) return snmp::error_status::not_writable;
  // No such instance: noCreation for an instance of a known object, else
  // notWritable (RFC 3416 4.2.5: the object is not accessible for writing).
  return view.object_exists(name) ? snmp::error_status::no_creation : snmp::error_status::not_writable;
}

snmp::error_status check_set_value(set_target target, const snmp::value& v) {
  if (target == set_target::action) {
    if (v.type != value_type::integer) return snmp::error_status::wrong_type;
    return v.integer == static_cast<int>(tm::reg_action_value::none) ||
                   v.integer == static_cast<int>(tm::reg_action_value::unregister)
               ? snmp::error_status::no_error
               : snmp::error_status::wrong_value;
  }
  if (v.type != value_type::octet_string) return snmp::error_status::wrong_type;
  switch (target) {
    case set_target::center_url:
      if (v.octets.size() > terminal::max_center_url_length) return snmp::error_status::wrong_length;
      // An empty URL clears it; anything else must be a URL.
      if (!v.octets.empty() && terminal::validate_center_url(v.octets)) return snmp::error_status::wrong_value;
      break;
    case set_target::provisional_code:
      if (v.octets.size() > terminal::max_provisional_code_length) return snmp::error_status::wrong_length;
      if (terminal::validate_code(v.octets)) return snmp::error_status::wrong_value;
      break;
    case set_target::action:
      break;
  }
  return snmp::error_status::no_error;
}

std::optional<terminal::registration_write> requested_write(set_target target, const snmp::value& v) {
  switch (target) {
    case set_target::center_url:
      return terminal::registration_write::center_url;
    case set_target::provisional_code:
      return terminal::registration_write::provisional_code;
    case set_target::action:
      if (v.integer == static_cast<int>(tm::reg_action_value::unregister))
        return terminal::registration_write::unregister;
      break;
  }
  return std::nullopt;
}

const char* object_name(set_target target) noexcept {
  switch (target) {
    case set_target::center_url:
      return "frtRegCenterUrl.0";
    case set_target::provisional_code:
      return "frtRegProvisionalCode.0";
    case set_target::action:
      break;
  }
  return "frtRegAction.0";
}

}  // namespace fleetreg::subagent
