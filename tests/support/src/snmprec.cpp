// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/snmprec.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fleetreg::test {
namespace {

template <typename T>
bool number(const std::string& s, T& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

snmprec_agent snmprec_agent::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ":0: cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

snmprec_agent snmprec_agent::parse(const std::string& text, const std::string& source) {
  snmprec_agent a;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  auto fail = [&](const std::string& why) { throw std::runtime_error(source + ":" + std::to_string(n) + ": " + why); };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto bar1 = line.find('|');
    const auto bar2 = bar1 == std::string::npos ? bar1 : line.find('|', bar1 + 1);
    if (bar2 == std::string::npos) fail("not OID|TAG|VALUE");
    const auto oid = snmp::parse_oid(line.substr(0, bar1));
    if (!oid) fail("bad OID");
    const auto tag = line.substr(bar1 + 1, bar2 - bar1 - 1);
    const auto text_value = line.substr(bar2 + 1);
    snmp::value v;
    std::uint64_t u = 0;
    if (tag == "2") {
      v.type = snmp::value_type::integer;
      if (!number(text_value, v.integer)) fail("bad INTEGER");
    } else if (tag == "4") {
      v = snmp::value::make_string(text_value);
    } else if (tag == "4x") {
      v.type = snmp::value_type::octet_string;
      if (text_value.size() % 2) fail("odd hex length");
      for (std::size_t i = 0; i < text_value.size(); i += 2) {
        unsigned byte = 0;
        const auto [p, ec] = std::from_chars(text_value.data() + i, text_value.data() + i + 2, byte, 16);
        if (ec != std::errc() || p != text_value.data() + i + 2) fail("bad hex");
        v.octets.push_back(static_cast<char>(byte));
      }
    } else if (tag == "6") {
      v.type = snmp::value_type::object_id;
      auto o = snmp::parse_oid(text_value);
      if (!o) fail("bad OBJECT IDENTIFIER value");
      v.oid = *o;
    } else if (tag == "64") {
      v.type = snmp::value_type::ip_address;
      v.octets = text_value;
    } else if (tag == "65" || tag == "66" || tag == "67" || tag == "70") {
      v.type = tag == "65"   ? snmp::value_type::counter32
               : tag == "66" ? snmp::value_type::gauge32
               : tag == "67" ? snmp::value_type::timeticks
                             : snmp::value_type::counter64;
      if (!number(text_value, u) || (tag != "70" && u > 0xFFFFFFFFULL)) fail("bad unsigned value");
      v.unsigned_value = u;
    } else {
      fail("unknown tag '" + tag + "'");
    }
    a.rows_.push_back({*oid, std::move(v)});
  }
  std::stable_sort(a.rows_.begin(), a.rows_.end(),
                   [](const snmp::varbind& x, const snmp::varbind& y) { return x.name < y.name; });
  for (std::size_t i = 1; i < a.rows_.size(); ++i)
    if (a.rows_[i].name == a.rows_[i - 1].name)
      throw std::runtime_error(source + ": OID " + snmp::to_string(a.rows_[i].name) + " given twice");
  return a;
}

std::vector<snmp::varbind> snmprec_agent::get(const std::vector<snmp::oid_vector>& oids) const {
  std::vector<snmp::varbind> out;
  for (const auto& o : oids) {
    const auto it = std::lower_bound(rows_.begin(), rows_.end(), o,
                                     [](const snmp::varbind& r, const snmp::oid_vector& k) { return r.name < k; });
    if (it != rows_.end() && it->name == o) {
      out.push_back(*it);
    } else {
      snmp::varbind vb{o, {}};
      vb.val.type = snmp::value_type::no_such_object;
      out.push_back(std::move(vb));
    }
  }
  return out;
}

std::vector<snmp::varbind> snmprec_agent::walk_many(const std::vector<snmp::oid_vector>& roots,
                                                    std::size_t* round_trips, std::size_t repetitions) const {
  std::vector<snmp::varbind> out;
  std::size_t most_requests = 0;
  for (const auto& root : roots) {
    const auto first = std::upper_bound(rows_.begin(), rows_.end(), root,
                                        [](const snmp::oid_vector& k, const snmp::varbind& r) { return k < r.name; });
    std::size_t n = 0;
    for (auto it = first; it != rows_.end() && snmp::starts_with(it->name, root); ++it, ++n) out.push_back(*it);
    // A cursor ends at the first object past its subtree: n objects and that
    // one, `repetitions` per request.
    most_requests = std::max(most_requests, n / repetitions + 1);
  }
  if (round_trips && !roots.empty()) *round_trips += most_requests;
  return out;
}

std::vector<std::string> snmprec_agent::snmpd_config() const {
  std::vector<std::string> out;
  const auto sys_descr = *snmp::parse_oid("1.3.6.1.2.1.1.1.0");
  const auto sys_object_id = *snmp::parse_oid("1.3.6.1.2.1.1.2.0");
  for (const auto& r : rows_) {
    const auto& v = r.val;
    const auto printable = [&](const std::string& s) {
      if (s.find_first_of("\"\\\n") != std::string::npos || s.empty())
        throw std::runtime_error("snmpd override cannot carry " + snmp::to_string(r.name));
      return s;
    };
    if (r.name == sys_descr && v.type == snmp::value_type::octet_string) {
      out.push_back("sysdescr " + printable(v.octets));
      continue;
    }
    if (r.name == sys_object_id && v.type == snmp::value_type::object_id) {
      out.push_back("sysobjectid ." + snmp::to_string(v.oid));
      continue;
    }
    std::string line = "override ." + snmp::to_string(r.name) + " ";
    switch (v.type) {
      case snmp::value_type::integer:
        line += "integer " + std::to_string(v.integer);
        break;
      case snmp::value_type::octet_string:
        line += "octet_str \"" + printable(v.octets) + "\"";
        break;
      case snmp::value_type::object_id:
        line += "object_id ." + snmp::to_string(v.oid);
        break;
      case snmp::value_type::counter32:
        line += "counter " + std::to_string(v.unsigned_value);
        break;
      case snmp::value_type::gauge32:
        line += "unsigned " + std::to_string(v.unsigned_value);
        break;
      case snmp::value_type::timeticks:
        line += "timeticks " + std::to_string(v.unsigned_value);
        break;
      default:
        throw std::runtime_error("snmpd override cannot carry " + snmp::to_string(r.name));
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace fleetreg::test
