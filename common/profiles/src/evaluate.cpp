// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/profiles/evaluate.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <set>

#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::profiles {

std::uint64_t wraps_after(std::optional<std::uint32_t> last, std::uint64_t wraps, std::uint32_t raw) noexcept {
  if (last && raw<*last&& * last - raw> 0x80000000U) return wraps + 1;
  return wraps;
}

std::uint64_t memory_wrap_state::unwrap(const std::string& terminal_key, const std::string& cell,
                                        const std::string& oid, std::uint32_t raw) {
  const auto k = std::make_tuple(terminal_key, cell, oid);
  const auto it = state_.find(k);
  const auto wraps =
      it == state_.end() ? wraps_after(std::nullopt, 0, raw) : wraps_after(it->second.first, it->second.second, raw);
  state_[k] = {raw, wraps};
  return raw + (wraps << 32);
}

bool has_prefix(const snmp::oid_vector& oid, const snmp::oid_vector& prefix) noexcept {
  return snmp::starts_with(oid, prefix);
}

std::string describe(const snmp::value& v) {
  using t = snmp::value_type;
  switch (v.type) {
    case t::integer:
      return "INTEGER: " + std::to_string(v.integer);
    case t::octet_string: {
      std::string shown;
      bool printable = is_printable_utf8(v.octets, 4096);
      if (printable) return "STRING: \"" + v.octets.substr(0, 80) + (v.octets.size() > 80 ? "…" : "") + "\"";
      static const char* hex = "0123456789ABCDEF";
      for (std::size_t i = 0; i < v.octets.size() && i < 32; ++i) {
        const auto c = static_cast<unsigned char>(v.octets[i]);
        shown += (i ? " " : "") + std::string{hex[c >> 4], hex[c & 15]};
      }
      return "Hex-STRING: " + shown;
    }
    case t::object_id:
      return "OID: " + snmp::to_string(v.oid);
    case t::counter32:
      return "Counter32: " + std::to_string(v.unsigned_value);
    case t::gauge32:
      return "Gauge32: " + std::to_string(v.unsigned_value);
    case t::timeticks:
      return "Timeticks: " + std::to_string(v.unsigned_value);
    case t::counter64:
      return "Counter64: " + std::to_string(v.unsigned_value);
    case t::ip_address:
      return "IpAddress";
    case t::null:
      return "NULL";
    case t::no_such_object:
      return "noSuchObject";
    case t::no_such_instance:
      return "noSuchInstance";
    case t::end_of_mib_view:
      return "endOfMibView";
    default:
      return "type " + std::to_string(static_cast<int>(v.type));
  }
}

namespace {

using answer_map = std::map<snmp::oid_vector, const snmp::value*>;

const snmp::value* find(const std::vector<snmp::varbind>& vbs, const snmp::oid_vector& name) {
  for (const auto& vb : vbs)
    if (vb.name == name && !vb.val.is_exception() && vb.val.type != snmp::value_type::null) return &vb.val;
  return nullptr;
}

std::string trimmed_text(std::string s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// "41 42 43", "41:42:43" or "414243" as bytes; nullopt when not hex text.
std::optional<std::string> from_hex(std::string_view s) {
  std::string out;
  int nibble = -1;
  for (char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else if (c == ' ' || c == ':' || c == '-' || c == '\0') {
      if (nibble >= 0) return std::nullopt;
      continue;
    } else {
      return std::nullopt;
    }
    if (nibble < 0) {
      nibble = d;
    } else {
      out.push_back(static_cast<char>(nibble * 16 + d));
      nibble = -1;
    }
  }
  if (nibble >= 0 || out.empty()) return std::nullopt;
  return out;
}

// A table's rows: index → column → value.
using rows_t = std::map<snmp::oid_vector, std::map<snmp::subid, std::pair<snmp::oid_vector, const snmp::value*>>>;

// The modifiers that apply to the leaves below an expression.
struct leaf_rules {
  std::vector<std::int64_t> reject;
  bool wrap32 = false;
};

struct outcome {
  std::optional<std::uint64_t> value;
  std::vector<std::string> oids;  // for provenance
};

class evaluator {
 public:
  evaluator(const std::vector<snmp::varbind>& answers, wrap_state* wraps, std::vector<trace_line>* trace)
      : wraps_(wraps), trace_(trace) {
    for (const auto& vb : answers)
      if (!vb.val.is_exception() && vb.val.type != snmp::value_type::null) answers_.emplace(vb.name, &vb.val);
  }

  void set_key(std::string key) { key_ = std::move(key); }

  outcome number(const profile& p, const expression& e, const std::string& target, leaf_rules rules) {
    rules.reject.insert(rules.reject.end(), e.reject.begin(), e.reject.end());
    rules.wrap32 = rules.wrap32 || e.wrap32;
    outcome out;
    switch (e.op) {
      case operation::get:
        out = leaf(p, e.oid, target, rules);
        break;
      case operation::first_of:
        for (const auto& item : e.items) {
          out = number(p, item, target, rules);
          if (out.value) break;
        }
        break;
      case operation::sum: {
        std::uint64_t total = 0;
        bool known = true;
        for (const auto& item : e.items) {
          auto o = number(p, item, target, rules);
          out.oids.insert(out.oids.end(), o.oids.begin(), o.oids.end());
          if (!o.value || __builtin_add_overflow(total, *o.value, &total)) known = false;
        }
        if (known) out.value = total;
        break;
      }
      case operation::difference: {
        auto a = number(p, e.items[0], target, rules);
        auto b = number(p, e.items[1], target, rules);
        out.oids = a.oids;
        out.oids.insert(out.oids.end(), b.oids.begin(), b.oids.end());
        if (a.value && b.value && *a.value >= *b.value) out.value = *a.value - *b.value;
        break;
      }
      case operation::from:
        out = from(p, e.from, target, rules);
        break;
    }
    if (out.value && (e.multiply != 1 || e.divide != 1)) {
      std::uint64_t v = 0;
      if (__builtin_mul_overflow(*out.value, e.multiply, &v))
        out.value.reset();
      else
        out.value = v / e.divide;
    }
    return out;
  }

  // Identity text.
  std::optional<std::string> text(const profile& p, const expression& e, const std::string& target,
                                  std::vector<std::string>& oids, bool hex = false) {
    hex = hex || e.decode_hex;
    if (e.op == operation::first_of) {
      for (const auto& item : e.items)
        if (auto t = text(p, item, target, oids, hex)) return t;
      return std::nullopt;
    }
    if (e.op != operation::get) return std::nullopt;
    const auto oid_text = snmp::to_string(e.oid);
    const auto it = answers_.find(e.oid);
    if (it == answers_.end()) {
      note(p, target, oid_text, "no answer", "unknown");
      return std::nullopt;
    }
    const auto& v = *it->second;
    std::string s;
    if (v.type == snmp::value_type::octet_string) {
      s = trimmed_text(v.octets);
      if (hex) {
        if (auto d = from_hex(s))
          s = trimmed_text(*d);
        else if (!is_printable_utf8(s, 255))
          s.clear();
      }
    } else if (v.type == snmp::value_type::integer) {
      s = std::to_string(v.integer);
    }
    if (s.empty() || !is_printable_utf8(s, 255)) {
      note(p, target, oid_text, describe(v), "unknown (not printable text)");
      return std::nullopt;
    }
    note(p, target, oid_text, describe(v), "\"" + s + "\"");
    oids.push_back(oid_text);
    return s;
  }

  void note(const profile& p, const std::string& target, std::string oid, std::string raw, std::string result) {
    if (trace_) trace_->push_back({p.tag(), target, std::move(oid), std::move(raw), std::move(result)});
  }

 private:
  answer_map answers_;
  std::map<std::string, rows_t> tables_;  // by "<profile id>/<table>"
  wrap_state* wraps_;
  std::vector<trace_line>* trace_;
  std::string key_;

  // One instance's value as a counter, by the leaf rules.
  outcome leaf(const profile& p, const snmp::oid_vector& oid, const std::string& target, const leaf_rules& rules) {
    outcome out;
    const auto oid_text = snmp::to_string(oid);
    const auto it = answers_.find(oid);
    if (it == answers_.end()) {
      note(p, target, oid_text, "no answer", "unknown");
      return out;
    }
    out.oids.push_back(oid_text);
    out.value = counter(p, *it->second, oid_text, target, rules);
    return out;
  }

  std::optional<std::uint64_t> counter(const profile& p, const snmp::value& v, const std::string& oid_text,
                                       const std::string& target, const leaf_rules& rules) {
    using t = snmp::value_type;
    const auto raw = describe(v);
    std::optional<std::int64_t> signed_value;  // for reject
    std::optional<std::uint64_t> value;
    switch (v.type) {
      case t::integer:
        signed_value = v.integer;
        break;
      case t::counter32:
      case t::gauge32:
      case t::counter64:
        value = v.unsigned_value;
        if (v.unsigned_value <= static_cast<std::uint64_t>(INT64_MAX))
          signed_value = static_cast<std::int64_t>(v.unsigned_value);
        break;
      case t::octet_string: {
        const auto s = trimmed_text(v.octets);
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (s.empty() || s.size() > 20 || ec != std::errc() || end != s.data() + s.size()) {
          note(p, target, oid_text, raw, "unknown (not a counter value)");
          return std::nullopt;
        }
        value = n;
        if (n <= static_cast<std::uint64_t>(INT64_MAX)) signed_value = static_cast<std::int64_t>(n);
        break;
      }
      default:
        note(p, target, oid_text, raw, "unknown (not a counter value)");
        return std::nullopt;
    }
    if (signed_value && std::find(rules.reject.begin(), rules.reject.end(), *signed_value) != rules.reject.end()) {
      note(p, target, oid_text, raw, "unknown (rejected value)");
      return std::nullopt;
    }
    if (v.type == t::integer) {
      if (v.integer >= 0) {
        value = static_cast<std::uint64_t>(v.integer);
      } else if (rules.wrap32 && v.integer >= INT32_MIN) {
        value = static_cast<std::uint64_t>(v.integer + 0x100000000LL);
      } else {
        note(p, target, oid_text, raw, "unknown (negative)");
        return std::nullopt;
      }
    }
    if (rules.wrap32 && *value <= 0xFFFFFFFFULL) {
      const auto raw32 = static_cast<std::uint32_t>(*value);
      if (wraps_ && !key_.empty()) value = wraps_->unwrap(key_, target, oid_text, raw32);
      note(p, target, oid_text, raw, std::to_string(*value) + " (32-bit counter)");
      return value;
    }
    note(p, target, oid_text, raw, std::to_string(*value));
    return value;
  }

  const rows_t& rows(const profile& p, const table_def& t) {
    const auto k = p.id + "/" + t.name;
    if (const auto it = tables_.find(k); it != tables_.end()) return it->second;
    auto& r = tables_[k];
    for (auto it = answers_.lower_bound(t.base); it != answers_.end() && snmp::starts_with(it->first, t.base); ++it) {
      if (it->first.size() < t.base.size() + 2) continue;
      const auto col = it->first[t.base.size()];
      snmp::oid_vector index(it->first.begin() + static_cast<std::ptrdiff_t>(t.base.size()) + 1, it->first.end());
      r[std::move(index)][col] = {it->first, it->second};
    }
    return r;
  }

  static bool row_matches(const table_def& t, const snmp::oid_vector& index,
                          const std::map<snmp::subid, std::pair<snmp::oid_vector, const snmp::value*>>& row,
                          const std::vector<where_clause>& where) {
    for (const auto& w : where) {
      if (w.column == "index") {
        if (std::find(w.indexes.begin(), w.indexes.end(), index) == w.indexes.end()) return false;
        continue;
      }
      const auto c = row.find(t.columns.at(w.column));
      if (c == row.end()) return false;
      const auto& v = *c->second.second;
      if (!w.numbers.empty()) {
        std::optional<std::int64_t> n;
        if (v.type == snmp::value_type::integer)
          n = v.integer;
        else if ((v.type == snmp::value_type::counter32 || v.type == snmp::value_type::gauge32 ||
                  v.type == snmp::value_type::counter64) &&
                 v.unsigned_value <= static_cast<std::uint64_t>(INT64_MAX))
          n = static_cast<std::int64_t>(v.unsigned_value);
        if (!n || std::find(w.numbers.begin(), w.numbers.end(), *n) == w.numbers.end()) return false;
      } else {
        if (v.type != snmp::value_type::octet_string) return false;
        const auto s = lower(trimmed_text(v.octets));
        if (std::find(w.texts.begin(), w.texts.end(), s) == w.texts.end()) return false;
      }
    }
    return true;
  }

  outcome from(const profile& p, const table_source& f, const std::string& target, const leaf_rules& rules) {
    outcome out;
    const auto& t = *p.table(f.table);
    const auto& r = rows(p, t);
    std::set<snmp::oid_vector> wanted_indexes;
    const bool joined = !f.join_table.empty();
    if (joined) {
      const auto& t2 = *p.table(f.join_table);
      for (const auto& [index, row] : rows(p, t2))
        if (row_matches(t2, index, row, f.join_where)) {
          auto full = index;
          full.insert(full.end(), f.index_suffix.begin(), f.index_suffix.end());
          wanted_indexes.insert(std::move(full));
        }
    }
    const auto col = t.columns.at(f.column);
    std::uint64_t total = 0;
    std::size_t chosen = 0;
    bool known = true;
    for (const auto& [index, row] : r) {
      if (joined && !wanted_indexes.count(index)) continue;
      if (!row_matches(t, index, row, f.where)) continue;
      ++chosen;
      const auto c = row.find(col);
      if (c == row.end()) {
        note(p, target,
             snmp::to_string(snmp::oid_vector(t.base)) + "." + std::to_string(col) + "." + snmp::to_string(index),
             "no answer", "unknown");
        known = false;
        continue;
      }
      const auto oid_text = snmp::to_string(c->second.first);
      out.oids.push_back(oid_text);
      const auto v = counter(p, *c->second.second, oid_text, target, rules);
      if (!v || __builtin_add_overflow(total, *v, &total)) known = false;
    }
    if (chosen == 0) note(p, target, snmp::to_string(t.base), "no row matches", "unknown");
    if (chosen > 0 && known) out.value = total;
    return out;
  }
};

std::string provenance_of(const profile& p, const std::vector<std::string>& oids) {
  std::string s = p.tag() + " ";
  for (std::size_t i = 0; i < oids.size(); ++i) s += (i ? "+" : "") + oids[i];
  return truncate_utf8(s, max_provenance_length);
}

std::string* identity_field(identity& id, const std::string& name) {
  if (name == "serial") return &id.serial;
  if (name == "model") return &id.model;
  if (name == "manufacturer") return &id.manufacturer;
  if (name == "firmware") return &id.firmware;
  return nullptr;
}

}  // namespace

match_result match(const profile& p, const std::vector<snmp::varbind>& first) {
  match_result r{&p, false, {}};
  if (!p.sysobjectid_prefixes.empty()) {
    const auto* v = find(first, snmp::printer_mib::sys_object_id);
    if (!v || v->type != snmp::value_type::object_id) {
      r.reason = "the device gave no sysObjectID";
      return r;
    }
    if (std::none_of(p.sysobjectid_prefixes.begin(), p.sysobjectid_prefixes.end(),
                     [&](const snmp::oid_vector& pre) { return has_prefix(v->oid, pre); })) {
      r.reason = "sysObjectID " + snmp::to_string(v->oid) + " has none of its prefixes";
      return r;
    }
  }
  for (const auto& o : p.exists)
    if (!find(first, o)) {
      r.reason = "no value at " + snmp::to_string(o);
      return r;
    }
  r.matched = true;
  return r;
}

read_plan plan(const std::vector<const profile*>& matched, const std::vector<snmp::varbind>& first) {
  read_plan out;
  std::set<snmp::oid_vector> asked;
  for (const auto& vb : first) asked.insert(vb.name);
  auto add_scalar = [&](const snmp::oid_vector& o) {
    if (asked.insert(o).second) out.scalars.push_back(o);
  };
  auto gets = [&](const expression& e, auto& self) -> void {
    if (e.op == operation::get) add_scalar(e.oid);
    for (const auto& item : e.items) self(item, self);
  };
  std::vector<snmp::oid_vector> bases;
  for (const auto* p : matched) {
    for (const auto& [field, e] : p->identity) gets(e, gets);
    for (const auto& r : p->counters) gets(r.expr, gets);
    for (const auto& r : p->extras) gets(r.expr, gets);
    // Only the columns a table names: a vendor table holds many more.
    for (const auto& t : p->tables)
      for (const auto& [name, column] : t.columns) bases.push_back(snmp::append(t.base, {column}));
  }
  // Each subtree once; one inside another is walked with it.
  std::sort(bases.begin(), bases.end());
  for (const auto& b : bases)
    if (out.subtrees.empty() || !snmp::starts_with(b, out.subtrees.back())) out.subtrees.push_back(b);
  return out;
}

void evaluate(const std::vector<const profile*>& matched_in, const std::vector<snmp::varbind>& answers,
              snmp::terminal_reading& reading, wrap_state* wraps, std::vector<trace_line>* trace) {
  auto matched = matched_in;
  std::stable_sort(matched.begin(), matched.end(), [](const profile* a, const profile* b) {
    return a->priority != b->priority ? a->priority > b->priority : a->id < b->id;
  });
  evaluator ev(answers, wraps, trace);

  // 1. Identity: what the standard MIBs left empty, and a model or firmware
  // they only parsed out of a description text (the vendor's own object
  // comes before text parsing). The manufacturer is never replaced: it is
  // part of the terminal key.
  auto from_text = [&reading](const std::string& field) {
    if (field != "model" && field != "firmware") return false;
    const auto it = reading.provenance.find("identity." + field);
    return it != reading.provenance.end() &&
           (it->second.starts_with("host-resources-mib ") || it->second.starts_with("snmpv2-mib 1.3.6.1.2.1.1.1.0"));
  };
  std::set<std::string> set_by_profile;
  for (const auto* p : matched) {
    for (const auto& [field, e] : p->identity) {
      auto* slot = identity_field(reading.id, field);
      if (!slot || set_by_profile.count(field) || (!slot->empty() && !from_text(field))) continue;
      std::vector<std::string> oids;
      if (auto t = ev.text(*p, e, "identity." + field, oids)) {
        *slot = *t;
        set_by_profile.insert(field);
        reading.provenance["identity." + field] = provenance_of(*p, oids);
      }
    }
    if (reading.id.manufacturer.empty() && !p->vendor.empty()) {
      reading.id.manufacturer = p->vendor;
      reading.provenance["identity.manufacturer"] = p->tag() + " vendor";
      ev.note(*p, "identity.manufacturer", "", "vendor", "\"" + p->vendor + "\"");
    }
  }
  fit_to_limits(reading.id);
  ev.set_key(terminal_key(reading.id).value_or(""));

  // 2. Cells and extras: the highest priority profile that gives a value wins.
  std::set<std::string> set_cells;
  for (const auto* p : matched) {
    for (const auto& r : p->counters) {
      if (set_cells.count(r.cell)) {
        ev.note(*p, r.cell, "", "", "skipped: already set by a higher priority profile or an earlier rule");
        continue;
      }
      const auto o = ev.number(*p, r.expr, r.cell, {});
      if (!o.value) {
        ev.note(*p, r.cell, "", "", "unknown");
        continue;
      }
      reading.counters.set(r.svc, r.kind, *o.value);
      reading.provenance[r.cell] = provenance_of(*p, o.oids);
      set_cells.insert(r.cell);
      ev.note(*p, r.cell, "", "", "= " + std::to_string(*o.value));
    }
    for (const auto& r : p->extras) {
      const auto name = "extra:" + r.key;
      if (set_cells.count(name)) {
        ev.note(*p, name, "", "", "skipped: already set by a higher priority profile or an earlier rule");
        continue;
      }
      const auto o = ev.number(*p, r.expr, name, {});
      if (!o.value) {
        ev.note(*p, name, "", "", "unknown");
        continue;
      }
      if (!reading.extras.count(r.key) && reading.extras.size() >= max_extras) {
        ev.note(*p, name, "", "", "dropped: a reading carries at most " + std::to_string(max_extras) + " extras");
        continue;
      }
      reading.extras[r.key] = *o.value;
      reading.provenance[name] = provenance_of(*p, o.oids);
      set_cells.insert(name);
      ev.note(*p, name, "", "", "= " + std::to_string(*o.value));
    }
  }

  // 3. Derive: last, and only into cells still unknown.
  for (const auto* p : matched) {
    for (const auto& r : p->derive) {
      if (reading.counters.get(r.svc, r.kind)) continue;
      std::vector<std::optional<std::uint64_t>> in;
      for (const auto& c : r.cells) {
        const auto dot = c.find('.');
        in.push_back(reading.counters.get(*parse_service(std::string_view(c).substr(0, dot)),
                                          *parse_counter_kind(std::string_view(c).substr(dot + 1))));
      }
      std::optional<std::uint64_t> v;
      std::string how;
      const bool all = std::all_of(in.begin(), in.end(), [](const auto& x) { return x.has_value(); });
      switch (r.op) {
        case derive_operation::sum_of: {
          how = "sum_of";
          std::uint64_t total = 0;
          bool ok = all;
          for (const auto& x : in)
            if (x && __builtin_add_overflow(total, *x, &total)) ok = false;
          if (ok) v = total;
          break;
        }
        case derive_operation::difference_of:
          how = "difference_of";
          if (all && *in[0] >= *in[1]) v = *in[0] - *in[1];
          break;
        case derive_operation::copy_of:
          how = "copy_of";
          if (all) v = *in[0];
          break;
      }
      std::string from;
      for (const auto& c : r.cells) from += (from.empty() ? "" : "+") + c;
      if (!v) {
        ev.note(*p, r.cell, "", "derived " + how + " " + from, "unknown");
        continue;
      }
      reading.counters.set(r.svc, r.kind, *v);
      reading.provenance[r.cell] = truncate_utf8(p->tag() + " derived " + how + " " + from, max_provenance_length);
      ev.note(*p, r.cell, "", "derived " + how + " " + from, "= " + std::to_string(*v));
    }
  }
}

}  // namespace fleetreg::profiles
