// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/json.hpp"

#include "fleetreg/core/random.hpp"

namespace fleetreg::json {
namespace {

constexpr std::size_t max_supplies = 64;
constexpr std::size_t max_id_length = 64;

bool fail(std::string& why, std::string text) {
  why = std::move(text);
  return false;
}

// The same for functions returning an optional.
std::nullopt_t refuse(std::string& why, std::string text) {
  why = std::move(text);
  return std::nullopt;
}

bool int32_member(const value& o, const char* key, std::int32_t& out, std::string& why, bool required) {
  const auto it = o.find(key);
  if (it == o.end()) return required ? fail(why, std::string(key) + " is missing") : true;
  if (!it->is_number_integer()) return fail(why, std::string(key) + " must be an integer");
  const auto v = it->get<std::int64_t>();
  if (v < INT32_MIN || v > INT32_MAX) return fail(why, std::string(key) + " is out of range");
  out = static_cast<std::int32_t>(v);
  return true;
}

}  // namespace

bool optional_string(const value& obj, const char* key, std::string& out, std::string& why, std::size_t max_length) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    out.clear();
    return true;
  }
  if (!it->is_string()) return fail(why, std::string(key) + " must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (!is_printable_utf8(s, max_length))
    return fail(
        why, std::string(key) + " is longer than " + std::to_string(max_length) + " bytes or holds control characters");
  out = s;
  return true;
}

std::optional<value> parse(std::string_view text, std::string& why) {
  auto v = value::parse(text.begin(), text.end(), nullptr, false);
  if (v.is_discarded()) {
    why = "the body is not valid JSON";
    return std::nullopt;
  }
  return v;
}

value to_json(const identity& id) {
  value v = {{"manufacturer", id.manufacturer}, {"model", id.model}, {"serial", id.serial}};
  if (!id.uuid.empty()) v["uuid"] = id.uuid;
  if (!id.firmware.empty()) v["firmware"] = id.firmware;
  return v;
}

std::optional<identity> identity_from(const value& v, std::string& why) {
  if (!v.is_object()) return refuse(why, "a terminal must be an object");
  identity id;
  if (!optional_string(v, "manufacturer", id.manufacturer, why, max_manufacturer_length) ||
      !optional_string(v, "model", id.model, why, max_model_length) ||
      !optional_string(v, "serial", id.serial, why, max_serial_length) ||
      !optional_string(v, "uuid", id.uuid, why, 36) ||
      !optional_string(v, "firmware", id.firmware, why, max_firmware_length))
    return std::nullopt;
  if (auto problem = validate(id)) return refuse(why, *problem);
  return id;
}

value to_json(const counter_set& c) {
  value out = value::object();
  for (auto s : all_services) {
    value row = value::object();
    for (auto k : all_counter_kinds)
      if (const auto x = c.get(s, k)) row[std::string(to_string(k))] = *x;
    if (!row.empty()) out[std::string(to_string(s))] = row;
  }
  return out;
}

std::optional<counter_set> counters_from(const value& v, std::string& why) {
  if (!v.is_object()) return refuse(why, "counters must be an object");
  counter_set c;
  for (const auto& [sname, row] : v.items()) {
    const auto s = parse_service(sname);
    // The name is cut at a character boundary: the reason goes into a JSON body.
    if (!s) return refuse(why, "unknown service '" + truncate_utf8(sname, 32) + "'");
    if (!row.is_object()) return refuse(why, "counters of " + sname + " must be an object");
    for (const auto& [kname, x] : row.items()) {
      const auto k = parse_counter_kind(kname);
      if (!k) return refuse(why, "unknown counter kind '" + truncate_utf8(kname, 32) + "'");
      if (!x.is_number_unsigned())
        return refuse(why, "counter " + sname + "/" + kname + " must be an unsigned 64-bit integer");
      c.set(*s, *k, x.get<std::uint64_t>());
    }
  }
  return c;
}

value to_json(const supply& s) {
  return {{"index", s.index},
          {"type", std::string(to_string(s.type))},
          {"class", s.klass == supply_class::filled ? "filled" : "consumed"},
          {"unit", static_cast<int>(s.unit)},
          {"description", s.description},
          {"colorant", s.colorant},
          {"max_capacity", s.max_capacity},
          {"level", s.level}};
}

std::optional<supply> supply_from(const value& v, std::string& why) {
  if (!v.is_object()) return refuse(why, "a supply must be an object");
  supply s;
  std::string type, klass;
  std::int32_t unit = static_cast<std::int32_t>(supply_unit::impressions);
  if (!int32_member(v, "index", s.index, why, true) || !int32_member(v, "level", s.level, why, true) ||
      !int32_member(v, "max_capacity", s.max_capacity, why, true) || !int32_member(v, "unit", unit, why, false) ||
      !optional_string(v, "type", type, why, 32) || !optional_string(v, "class", klass, why, 16) ||
      !optional_string(v, "description", s.description, why, max_supply_description_length) ||
      !optional_string(v, "colorant", s.colorant, why, max_colorant_length))
    return std::nullopt;
  const auto t = type.empty() ? std::optional<supply_type>(supply_type::unknown) : parse_supply_type(type);
  if (!t) return refuse(why, "unknown supply type '" + type + "'");
  s.type = *t;
  if (klass == "filled")
    s.klass = supply_class::filled;
  else if (klass.empty() || klass == "consumed")
    s.klass = supply_class::consumed;
  else
    return refuse(why, "supply class must be consumed or filled");
  s.unit = static_cast<supply_unit>(unit);
  if (auto problem = validate(s)) return refuse(why, *problem);
  return s;
}

value to_json(const reading& r) {
  value sup = value::array();
  for (const auto& s : r.supplies) sup.push_back(to_json(s));
  value v = {{"id", r.id},
             {"terminal", r.terminal_key},
             {"taken_at", format_utc(r.taken)},
             {"source", std::string(to_string(r.source))},
             {"counters", to_json(r.counters)},
             {"supplies", sup}};
  if (!r.request_id.empty()) v["request_id"] = r.request_id;
  if (!r.extras.empty()) v["extras"] = r.extras;
  if (!r.provenance.empty()) v["provenance"] = r.provenance;
  if (!r.device_status.empty()) v["device_status"] = r.device_status;
  if (!r.alerts.empty()) {
    value alerts = value::array();
    for (const auto& a : r.alerts) alerts.push_back(to_json(a));
    v["alerts"] = alerts;
  }
  return v;
}

value to_json(const device_alert& a) {
  value v = {{"severity", a.severity}, {"group", a.group}, {"code", a.code}, {"source", a.source}};
  if (!a.description.empty()) v["description"] = a.description;
  return v;
}

std::optional<device_alert> alert_from(const value& v, std::string& why) {
  if (!v.is_object()) return refuse(why, "an alert must be an object");
  device_alert a;
  if (!optional_string(v, "severity", a.severity, why, 16) ||
      !optional_string(v, "group", a.group, why, max_alert_name_length) ||
      !optional_string(v, "code", a.code, why, max_alert_name_length) ||
      !optional_string(v, "source", a.source, why, max_alert_name_length) ||
      !optional_string(v, "description", a.description, why, max_alert_description_length))
    return std::nullopt;
  if (auto problem = validate(a)) return refuse(why, *problem);
  return a;
}

bool reading_details_from(const value& v, reading& r, std::string& why) {
  if (const auto e = v.find("extras"); e != v.end() && !e->is_null()) {
    if (!e->is_object() || e->size() > max_extras) return fail(why, "extras must be an object of at most 64 counters");
    for (const auto& [key, x] : e->items()) {
      if (!is_extra_key(key))
        return fail(why, "extras key '" + truncate_utf8(key, 32) + "' is not 1-64 of [a-z0-9._-]");
      if (!x.is_number_unsigned()) return fail(why, "extras " + key + " must be an unsigned 64-bit integer");
      r.extras[key] = x.get<std::uint64_t>();
    }
  }
  if (const auto p = v.find("provenance"); p != v.end() && !p->is_null()) {
    if (!p->is_object() || p->size() > max_provenance)
      return fail(why, "provenance must be an object of at most 128 entries");
    for (const auto& [key, x] : p->items()) {
      if (!is_provenance_key(key))
        return fail(why, "provenance key '" + truncate_utf8(key, 32) + "' names no counter, extra or field");
      if (!x.is_string() || !is_printable_utf8(x.get_ref<const std::string&>(), max_provenance_length))
        return fail(why, "provenance of " + key + " must be printable text of at most 240 bytes");
      r.provenance[key] = x.get<std::string>();
    }
  }
  if (!optional_string(v, "device_status", r.device_status, why, 16)) return false;
  if (!r.device_status.empty() && !is_device_status(r.device_status))
    return fail(why, "device_status must be unknown, running, warning, testing or down");
  if (const auto a = v.find("alerts"); a != v.end() && !a->is_null()) {
    if (!a->is_array() || a->size() > max_alerts) return fail(why, "alerts must be an array of at most 32");
    for (const auto& x : *a) {
      auto one = alert_from(x, why);
      if (!one) return false;
      r.alerts.push_back(std::move(*one));
    }
  }
  return true;
}

std::optional<reading> reading_from(const value& v, std::string& why) {
  if (!v.is_object()) return refuse(why, "a reading must be an object");
  reading r;
  std::string taken, source;
  if (!optional_string(v, "id", r.id, why, max_id_length) ||
      !optional_string(v, "terminal", r.terminal_key, why, 160) || !optional_string(v, "taken_at", taken, why, 40) ||
      !optional_string(v, "source", source, why, 32) ||
      !optional_string(v, "request_id", r.request_id, why, max_id_length))
    return std::nullopt;
  if (!is_uuid(r.id)) return refuse(why, "reading id must be a UUID");
  if (r.terminal_key.empty()) return refuse(why, "reading names no terminal");
  const auto t = parse_utc(taken);
  if (!t) return refuse(why, "taken_at must be an RFC 3339 time");
  r.taken = *t;
  const auto src =
      source.empty() ? std::optional<reading_source>(reading_source::fleetreg_mib) : parse_reading_source(source);
  if (!src) return refuse(why, "unknown reading source '" + source + "'");
  r.source = *src;
  const auto c = v.find("counters");
  if (c == v.end()) return refuse(why, "reading has no counters");
  auto counters = counters_from(*c, why);
  if (!counters) return std::nullopt;
  r.counters = *counters;
  if (const auto s = v.find("supplies"); s != v.end() && !s->is_null()) {
    if (!s->is_array() || s->size() > max_supplies) return refuse(why, "supplies must be an array of at most 64");
    for (const auto& x : *s) {
      auto one = supply_from(x, why);
      if (!one) return std::nullopt;
      r.supplies.push_back(std::move(*one));
    }
  }
  if (!reading_details_from(v, r, why)) return std::nullopt;
  return r;
}

}  // namespace fleetreg::json
