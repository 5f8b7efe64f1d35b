// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/report.hpp"

#include <cstdio>

#include "fleetreg/core/log.hpp"

namespace fleetreg::terminal {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string lpad(std::string s, std::size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

std::string counter_text(const counter_set& c, service s, counter_kind k) {
  const auto v = c.get(s, k);
  return v ? std::to_string(*v) : "-";
}

std::string level_text(const supply& s) {
  if (s.level == supply_some_remaining) return "some remaining";
  if (s.level == supply_unknown) return "unknown";
  std::string t = std::to_string(s.level);
  if (s.max_capacity > 0) t += "/" + std::to_string(s.max_capacity);
  if (const auto p = s.percent()) t += " (" + std::to_string(*p) + "%)";
  return t;
}

}  // namespace

std::string format_text(const terminal_state& t) {
  std::string o;
  const auto key = terminal_key(t.id);
  o += "Terminal      " + t.id.manufacturer + " " + t.id.model + "\n";
  o += "Serial        " + t.id.serial + "\n";
  o += "Key           " + key.value_or("(none)") + "\n";
  if (!t.id.firmware.empty()) o += "Firmware      " + t.id.firmware + "\n";
  if (!t.id.uuid.empty()) o += "UUID          " + t.id.uuid + "\n";
  o += "sysObjectID   " + (t.system.sys_object_id.empty() ? "(not set: snmpd's own)" : t.system.sys_object_id) + "\n";
  o += "sysDescr      " + sys_descr_of(t) + "\n";
  o += "sysName       " + sys_name_of(t) + "\n";
  if (!t.system.sys_contact.empty()) o += "sysContact    " + t.system.sys_contact + "\n";
  if (!t.system.sys_location.empty()) o += "sysLocation   " + t.system.sys_location + "\n";
  o += "Status        " + std::string(to_string(t.status.state));
  if (!t.status.message.empty()) o += " (" + t.status.message + ")";
  o +=
      "\n\nCounters      " + lpad("impressions", 12) + lpad("mono", 12) + lpad("color", 12) + lpad("sheets", 12) + "\n";
  for (auto s : all_services) {
    o += "  " + pad(std::string(to_string(s)), 12);
    for (auto k : all_counter_kinds) o += lpad(counter_text(t.counters, s, k), 12);
    o += "\n";
  }
  o += "\nSupplies\n";
  for (const auto& s : t.supplies)
    o += "  " + std::to_string(s.index) + "  " + pad(s.description, 20) + level_text(s) + "\n";
  const auto& r = t.registration;
  o += "\nRegistration  " + std::string(to_string(r.state)) + "\n";
  if (!r.center_url.empty()) o += "  center      " + r.center_url + "\n";
  if (r.code_pending) o += "  code        entered, waiting for 'fleetreg-terminal run'\n";
  if (!r.site_id.empty()) o += "  site        " + r.site_id + "\n";
  if (r.last_report) o += "  last report " + format_utc(*r.last_report) + "\n";
  if (!r.last_error.empty())
    o +=
        "  last error  " + r.last_error + (r.last_error_time ? " (" + format_utc(*r.last_error_time) + ")" : "") + "\n";
  return o;
}

std::string format_json(const terminal_state& t) {
  std::string o = "{\"identity\":{";
  o += "\"manufacturer\":" + json_string(t.id.manufacturer);
  o += ",\"model\":" + json_string(t.id.model);
  o += ",\"serial\":" + json_string(t.id.serial);
  o += ",\"uuid\":" + json_string(t.id.uuid);
  o += ",\"firmware\":" + json_string(t.id.firmware);
  const auto key = terminal_key(t.id);
  o += ",\"key\":" + (key ? json_string(*key) : std::string("null"));
  o += "},\"system\":{\"sys_object_id\":" + json_string(t.system.sys_object_id);
  o += ",\"sys_descr\":" + json_string(sys_descr_of(t)) + ",\"sys_name\":" + json_string(sys_name_of(t));
  o += ",\"sys_contact\":" + json_string(t.system.sys_contact);
  o += ",\"sys_location\":" + json_string(t.system.sys_location);
  o += "},\"status\":{\"state\":" + json_string(to_string(t.status.state)) +
       ",\"message\":" + json_string(t.status.message) + "},\"counters\":{";
  bool first_service = true;
  for (auto s : all_services) {
    std::string row;
    for (auto k : all_counter_kinds)
      if (const auto v = t.counters.get(s, k))
        row += (row.empty() ? "" : ",") + json_string(to_string(k)) + ":" + std::to_string(*v);
    if (row.empty()) continue;
    o += (first_service ? "" : ",") + json_string(to_string(s)) + ":{" + row + "}";
    first_service = false;
  }
  o += "},\"supplies\":[";
  for (std::size_t i = 0; i < t.supplies.size(); ++i) {
    const auto& s = t.supplies[i];
    if (i) o += ",";
    o += "{\"index\":" + std::to_string(s.index) + ",\"type\":" + json_string(to_string(s.type)) +
         ",\"description\":" + json_string(s.description) + ",\"colorant\":" + json_string(s.colorant) +
         ",\"max_capacity\":" + std::to_string(s.max_capacity) + ",\"level\":" + std::to_string(s.level) + "}";
  }
  const auto& r = t.registration;
  o += "],\"registration\":{\"state\":" + json_string(to_string(r.state)) +
       ",\"center_url\":" + json_string(r.center_url) + ",\"code_pending\":" + (r.code_pending ? "true" : "false") +
       ",\"site_id\":" + json_string(r.site_id) +
       ",\"last_report\":" + (r.last_report ? json_string(format_utc(*r.last_report)) : "null") +
       ",\"last_error\":" + json_string(r.last_error) +
       ",\"last_error_time\":" + (r.last_error_time ? json_string(format_utc(*r.last_error_time)) : "null") + "}}\n";
  return o;
}

std::string sys_descr_of(const terminal_state& t) {
  if (!t.system.sys_descr.empty()) return t.system.sys_descr;
  std::string d = t.id.manufacturer.empty() ? t.id.model : t.id.manufacturer + " " + t.id.model;
  if (!t.id.firmware.empty()) d += "; firmware " + t.id.firmware;
  return truncate_utf8(d, max_system_text_length);
}

std::string sys_name_of(const terminal_state& t) {
  if (!t.system.sys_name.empty()) return t.system.sys_name;
  const auto word = t.id.manufacturer.substr(0, t.id.manufacturer.find(' '));
  std::string name;
  for (char c : word + "-" + t.id.serial)
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') name += c;
  while (name.starts_with('-')) name.erase(0, 1);
  while (name.ends_with('-')) name.pop_back();
  return name.substr(0, 63);  // a DNS label, as a host name would be
}

std::string format_snmpd_identity(const terminal_state& t) {
  std::string o = "# The system group of fleetreg terminal " + terminal_key(t.id).value_or("(no key)") +
                  ", written by\n"
                  "# 'fleetreg-terminal snmpd-config' from the terminal's store; regenerate it\n"
                  "# after changing the identity, then restart snmpd. Objects set here are\n"
                  "# read-only over SNMP (snmpd.conf(5)).\n";
  if (t.system.sys_object_id.empty())
    o += "# No sysObjectID recorded ('fleetreg-terminal set-system --sys-object-id OID'):\n"
         "# snmpd answers with its own.\n";
  else
    o += "sysObjectID ." + t.system.sys_object_id + "\n";
  o += "sysDescr " + sys_descr_of(t) + "\n";
  if (const auto name = sys_name_of(t); !name.empty()) o += "sysName " + name + "\n";
  if (!t.system.sys_contact.empty()) o += "sysContact " + t.system.sys_contact + "\n";
  if (!t.system.sys_location.empty()) o += "sysLocation " + t.system.sys_location + "\n";
  return o;
}

std::string format_unregister_audit(std::string_view who, const registration_record& before,
                                    const forgotten_registration& forgotten) {
  return "audit: terminal unregistered " + std::string(who) + " was=" + std::string(to_string(before.state)) +
         " site=" + log::quote(before.site_id) + " center_url=" + log::quote(before.center_url) +
         " readings_dropped=" + std::to_string(forgotten.readings_dropped) +
         " credential=" + (forgotten.credential_removed ? "deleted" : "none");
}

}  // namespace fleetreg::terminal
