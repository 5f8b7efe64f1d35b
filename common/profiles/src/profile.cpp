// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/profiles/profile.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <set>

#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"

namespace fleetreg::profiles {
namespace {

// A refusal at a line of the file; turned into "FILE:LINE: message".
struct bad_profile {
  int line;
  std::string message;
};

int line_of(const YAML::Node& n) {
  const auto m = n.Mark();
  return m.line < 0 ? 0 : m.line + 1;
}

[[noreturn]] void fail(const YAML::Node& n, std::string message) { throw bad_profile{line_of(n), std::move(message)}; }

bool is_name(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_id(std::string_view s) {
  return !s.empty() && s.size() <= 48 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Checks that `n` is a map and has only `allowed` keys (each given once).
void only_keys(const YAML::Node& n, std::initializer_list<std::string_view> allowed, std::string_view what) {
  if (!n.IsMap()) fail(n, std::string(what) + " must be a map");
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) fail(it->first, std::string(what) + ": keys must be plain words");
    const auto key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(it->first, "unknown key '" + key + "' in " + std::string(what) + " (allowed: " + list + ")");
    }
    if (!seen.insert(key).second) fail(it->first, "key '" + key + "' given twice in " + std::string(what));
  }
}

std::string scalar(const YAML::Node& n, std::string_view what) {
  if (!n.IsScalar()) fail(n, std::string(what) + " must be a single value");
  return n.Scalar();
}

std::int64_t integer(const YAML::Node& n, std::string_view what, std::int64_t lo, std::int64_t hi) {
  const auto s = scalar(n, what);
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty())
    fail(n, std::string(what) + " must be an integer, not '" + s.substr(0, 40) + "'");
  if (v < lo || v > hi)
    fail(n, std::string(what) + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", not " + s);
  return v;
}

snmp::oid_vector oid(const YAML::Node& n, std::string_view what) {
  const auto s = scalar(n, what);
  auto o = snmp::parse_oid(s);
  if (!o || o->size() < 2)
    fail(n, std::string(what) + ": '" + s.substr(0, 60) +
                "' is not a numeric OID (2-128 sub-identifiers, each at most 4294967295)");
  return *o;
}

// By value: a reference into a temporary (an iterator's value) must not outlive it.
YAML::Node list(const YAML::Node& n, std::string_view what, std::size_t least = 1) {
  if (!n.IsSequence()) fail(n, std::string(what) + " must be a list");
  if (n.size() < least) fail(n, std::string(what) + " must have at least " + std::to_string(least) + " item(s)");
  if (n.size() > max_list_items)
    fail(n, std::string(what) + " has " + std::to_string(n.size()) + " items, at most " +
                std::to_string(max_list_items) + " are allowed");
  return n;
}

std::vector<snmp::oid_vector> oid_list(const YAML::Node& n, std::string_view what) {
  std::vector<snmp::oid_vector> out;
  for (const auto& item : list(n, what)) out.push_back(oid(item, what));
  return out;
}

class parser {
 public:
  explicit parser(profile& p) : p_(p) {}

  void run(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) throw bad_profile{1, "empty file: a profile is a YAML map"};
    only_keys(root,
              {"schema", "id", "version", "vendor", "description", "priority", "sources", "match", "identity", "tables",
               "counters", "extras", "derive"},
              "the profile");
    for (const char* k : {"schema", "id", "version", "priority", "match"})
      if (!root[k]) fail(root, std::string("missing required key '") + k + "'");
    if (scalar(root["schema"], "schema") != schema_name)
      fail(root["schema"], "schema must be '" + std::string(schema_name) + "'");
    p_.id = scalar(root["id"], "id");
    if (!is_id(p_.id)) fail(root["id"], "id must be 1-48 of [a-z0-9-], not '" + p_.id.substr(0, 60) + "'");
    p_.version = integer(root["version"], "version", 1, 1000000000);
    p_.priority = static_cast<int>(integer(root["priority"], "priority", min_priority, max_priority));
    if (const auto v = root["vendor"]) {
      p_.vendor = scalar(v, "vendor");
      if (p_.vendor.empty() || !is_printable_utf8(p_.vendor, max_manufacturer_length))
        fail(v, "vendor must be 1-64 bytes of printable text");
    }
    if (const auto v = root["description"]) {
      p_.description = scalar(v, "description");
      if (!is_printable_utf8(p_.description, 200)) fail(v, "description must be at most 200 bytes of printable text");
    }
    if (const auto v = root["sources"]) {
      p_.sources = scalar(v, "sources");
      if (!is_printable_utf8(p_.sources, 4000)) fail(v, "sources must be at most 4000 bytes of printable text");
    }
    match(root["match"]);
    if (const auto v = root["tables"]) tables(v);
    if (const auto v = root["identity"]) identity(v);
    std::size_t rules = 0;
    for (const char* k : {"counters", "extras", "derive"})
      if (const auto v = root[k]) {
        if (!v.IsSequence()) fail(v, std::string(k) + " must be a list");
        rules += v.size();
        if (rules > max_rules)
          fail(v, "more than " + std::to_string(max_rules) + " counters, extras and derive rules in all");
      }
    if (const auto v = root["counters"]) counters(v);
    if (const auto v = root["extras"]) extras(v);
    if (const auto v = root["derive"]) derive(v);
  }

 private:
  profile& p_;

  void match(const YAML::Node& n) {
    only_keys(n, {"sysobjectid_prefix", "exists"}, "match");
    if (n.size() == 0) fail(n, "match needs at least one condition");
    if (const auto v = n["sysobjectid_prefix"]) p_.sysobjectid_prefixes = oid_list(v, "sysobjectid_prefix");
    if (const auto v = n["exists"]) p_.exists = oid_list(v, "exists");
  }

  void tables(const YAML::Node& n) {
    if (!n.IsMap()) fail(n, "tables must be a map of name: {base, columns}");
    if (n.size() > max_tables) fail(n, "more than " + std::to_string(max_tables) + " tables");
    for (auto it = n.begin(); it != n.end(); ++it) {
      table_def t;
      t.name = scalar(it->first, "table name");
      if (!is_name(t.name)) fail(it->first, "table name '" + t.name.substr(0, 40) + "' must be 1-32 of [a-z0-9_]");
      if (p_.table(t.name)) fail(it->first, "table '" + t.name + "' defined twice");
      const YAML::Node d = it->second;  // a copy: the iterator's value is a temporary
      only_keys(d, {"base", "columns"}, "table '" + t.name + "'");
      if (!d["base"]) fail(d, "table '" + t.name + "' needs a base");
      if (!d["columns"]) fail(d, "table '" + t.name + "' needs columns");
      t.base = oid(d["base"], "base");
      if (t.base.size() > 120) fail(d["base"], "base is too long for instances below it");
      const auto c = d["columns"];
      if (!c.IsMap() || c.size() == 0) fail(c, "columns must be a map of name: column number");
      if (c.size() > max_list_items) fail(c, "more than " + std::to_string(max_list_items) + " columns");
      for (auto ct = c.begin(); ct != c.end(); ++ct) {
        const auto name = scalar(ct->first, "column name");
        if (!is_name(name) || name == "index")
          fail(ct->first, "column name '" + name.substr(0, 40) + "' must be 1-32 of [a-z0-9_] and not 'index'");
        if (t.columns.count(name)) fail(ct->first, "column '" + name + "' given twice");
        t.columns[name] = static_cast<snmp::subid>(integer(ct->second, "column number", 0, 4294967295LL));
      }
      p_.tables.push_back(std::move(t));
    }
  }

  void identity(const YAML::Node& n) {
    only_keys(n, {"serial", "model", "manufacturer", "firmware"}, "identity");
    for (auto it = n.begin(); it != n.end(); ++it) {
      auto e = expr(it->second, 1, true);
      p_.identity[it->first.Scalar()] = std::move(e);
    }
  }

  void counters(const YAML::Node& n) {
    for (const auto& item : n) {
      only_keys(item, {"cell", "get", "first_of", "sum", "difference", "from", "scale", "reject", "wrap"}, "a counter");
      if (!item["cell"]) fail(item, "a counter needs a cell");
      counter_rule r;
      r.line = line_of(item);
      std::tie(r.svc, r.kind) = cell(item["cell"]);
      r.cell = cell_name(r.svc, r.kind);
      r.expr = expr(item, 1, false, {"cell"});
      p_.counters.push_back(std::move(r));
    }
  }

  void extras(const YAML::Node& n) {
    for (const auto& item : n) {
      only_keys(item, {"key", "get", "first_of", "sum", "difference", "from", "scale", "reject", "wrap"}, "an extra");
      if (!item["key"]) fail(item, "an extra needs a key");
      extra_rule r;
      r.line = line_of(item);
      r.key = scalar(item["key"], "key");
      if (!is_extra_key(r.key))
        fail(item["key"], "extras key '" + r.key.substr(0, 70) + "' must be 1-64 of [a-z0-9._-]");
      r.expr = expr(item, 1, false, {"key"});
      p_.extras.push_back(std::move(r));
    }
  }

  void derive(const YAML::Node& n) {
    for (const auto& item : n) {
      only_keys(item, {"cell", "sum_of", "difference_of", "copy_of"}, "a derive rule");
      if (!item["cell"]) fail(item, "a derive rule needs a cell");
      derive_rule r;
      r.line = line_of(item);
      std::tie(r.svc, r.kind) = cell(item["cell"]);
      r.cell = cell_name(r.svc, r.kind);
      const int ops = (item["sum_of"] ? 1 : 0) + (item["difference_of"] ? 1 : 0) + (item["copy_of"] ? 1 : 0);
      if (ops != 1) fail(item, "a derive rule needs exactly one of sum_of, difference_of, copy_of");
      if (const auto v = item["sum_of"]) {
        r.op = derive_operation::sum_of;
        for (const auto& c : list(v, "sum_of")) r.cells.push_back(cell_text(c));
      } else if (const auto d = item["difference_of"]) {
        r.op = derive_operation::difference_of;
        if (!d.IsSequence() || d.size() != 2) fail(d, "difference_of takes exactly two cells");
        for (const auto& c : d) r.cells.push_back(cell_text(c));
      } else {
        r.op = derive_operation::copy_of;
        r.cells.push_back(cell_text(item["copy_of"]));
      }
      for (const auto& c : r.cells)
        if (c == r.cell) fail(item, "derive rule for " + r.cell + " uses its own cell");
      p_.derive.push_back(std::move(r));
    }
  }

  static std::pair<service, counter_kind> cell(const YAML::Node& n) {
    const auto s = scalar(n, "cell");
    const auto dot = s.find('.');
    const auto svc = dot == std::string::npos ? std::nullopt : parse_service(std::string_view(s).substr(0, dot));
    const auto kind = dot == std::string::npos ? std::nullopt : parse_counter_kind(std::string_view(s).substr(dot + 1));
    if (!svc || !kind)
      fail(n, "cell '" + s.substr(0, 60) +
                  "' is not SERVICE.KIND (services copy, print, scan, fax-in, fax-out, total; kinds impressions, "
                  "impressions-mono, impressions-color, sheets)");
    return {*svc, *kind};
  }

  static std::string cell_text(const YAML::Node& n) {
    const auto [s, k] = cell(n);
    return cell_name(s, k);
  }

  // One expression: `n` holds exactly one operation key (plus modifiers and
  // the keys `skip` names, which the caller reads).
  expression expr(const YAML::Node& n, std::size_t depth, bool text,
                  std::initializer_list<std::string_view> skip = {}) {
    if (depth > max_expression_depth)
      fail(n, "expressions nested deeper than " + std::to_string(max_expression_depth) + " levels");
    expression e;
    e.line = line_of(n);
    if (n.IsScalar()) {  // a bare OID in first_of/sum/difference
      e.op = operation::get;
      e.oid = oid(n, "OID");
      return e;
    }
    if (!n.IsMap()) fail(n, "an expression must be an OID or a map with one of get, first_of, sum, difference, from");
    if (text) {
      only_keys(n, {"get", "first_of", "decode"}, "an identity expression");
    } else if (skip.size() == 0) {
      only_keys(n, {"get", "first_of", "sum", "difference", "from", "scale", "reject", "wrap"}, "an expression");
    }
    int ops = 0;
    for (const char* k : {"get", "first_of", "sum", "difference", "from"})
      if (n[k]) ++ops;
    if (ops != 1) fail(n, "an expression needs exactly one of get, first_of, sum, difference, from");
    if (const auto v = n["get"]) {
      e.op = operation::get;
      e.oid = oid(v, "get");
    } else if (const auto f = n["first_of"]) {
      e.op = operation::first_of;
      for (const auto& item : list(f, "first_of")) e.items.push_back(expr(item, depth + 1, text));
    } else if (const auto s = n["sum"]) {
      e.op = operation::sum;
      for (const auto& item : list(s, "sum")) e.items.push_back(expr(item, depth + 1, text));
    } else if (const auto d = n["difference"]) {
      e.op = operation::difference;
      if (!d.IsSequence() || d.size() != 2) fail(d, "difference takes exactly two expressions");
      for (const auto& item : d) e.items.push_back(expr(item, depth + 1, text));
    } else {
      e.op = operation::from;
      e.from = from(n["from"]);
    }
    if (const auto v = n["scale"]) {
      only_keys(v, {"multiply", "divide"}, "scale");
      if (const auto m = v["multiply"]) e.multiply = static_cast<std::uint64_t>(integer(m, "multiply", 1, 1000000000));
      if (const auto m = v["divide"]) e.divide = static_cast<std::uint64_t>(integer(m, "divide", 1, 1000000000));
    }
    if (const auto v = n["reject"])
      for (const auto& item : list(v, "reject"))
        e.reject.push_back(integer(item, "a rejected value", INT64_MIN, INT64_MAX));
    if (const auto v = n["wrap"]) {
      if (integer(v, "wrap", 32, 32) == 32) e.wrap32 = true;
    }
    if (const auto v = n["decode"]) {
      if (scalar(v, "decode") != "hex") fail(v, "decode must be 'hex'");
      e.decode_hex = true;
    }
    return e;
  }

  std::vector<where_clause> where(const YAML::Node& n, const table_def& t) {
    if (!n.IsMap() || n.size() == 0) fail(n, "where must be a map of column: [values]");
    std::vector<where_clause> out;
    for (auto it = n.begin(); it != n.end(); ++it) {
      where_clause w;
      w.column = scalar(it->first, "where column");
      if (w.column != "index" && !t.columns.count(w.column))
        fail(it->first, "table '" + t.name + "' has no column '" + w.column.substr(0, 40) + "'");
      for (const auto& item : list(it->second, "where " + w.column)) {
        if (w.column == "index") {
          const auto s = scalar(item, "index");
          auto o = snmp::parse_oid(s);
          if (!o) fail(item, "index '" + s.substr(0, 40) + "' must be dotted sub-identifiers");
          w.indexes.push_back(*o);
          continue;
        }
        const auto s = scalar(item, "where value");
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        const bool number = item.Tag() != "!" && !s.empty() && ec == std::errc() && p == s.data() + s.size();
        if (number)
          w.numbers.push_back(v);
        else
          w.texts.push_back(lower(s));
      }
      if (!w.numbers.empty() && !w.texts.empty()) fail(it->second, "where " + w.column + " mixes numbers and texts");
      out.push_back(std::move(w));
    }
    return out;
  }

  table_source from(const YAML::Node& n) {
    only_keys(n, {"table", "where", "column", "join", "index_suffix"}, "from");
    table_source f;
    if (!n["table"] || !n["column"]) fail(n, "from needs table and column");
    f.table = scalar(n["table"], "table");
    const auto* t = p_.table(f.table);
    if (!t) fail(n["table"], "no table '" + f.table.substr(0, 40) + "' is defined under tables");
    f.column = scalar(n["column"], "column");
    if (!t->columns.count(f.column))
      fail(n["column"], "table '" + f.table + "' has no column '" + f.column.substr(0, 40) + "'");
    if (const auto w = n["where"]) f.where = where(w, *t);
    if (const auto j = n["join"]) {
      only_keys(j, {"table", "where"}, "join");
      if (!j["table"] || !j["where"]) fail(j, "join needs table and where");
      f.join_table = scalar(j["table"], "join table");
      const auto* t2 = p_.table(f.join_table);
      if (!t2) fail(j["table"], "no table '" + f.join_table.substr(0, 40) + "' is defined under tables");
      f.join_where = where(j["where"], *t2);
      if (const auto s = n["index_suffix"]) {
        const auto text = scalar(s, "index_suffix");
        auto o = snmp::parse_oid(text);
        if (!o) fail(s, "index_suffix '" + text.substr(0, 40) + "' must be dotted sub-identifiers");
        f.index_suffix = *o;
      }
    } else if (n["index_suffix"]) {
      fail(n["index_suffix"], "index_suffix needs a join");
    }
    return f;
  }
};

}  // namespace

const table_def* profile::table(std::string_view name) const {
  for (const auto& t : tables)
    if (t.name == name) return &t;
  return nullptr;
}

parse_result parse_profile(std::string_view text, const std::string& file) {
  parse_result r;
  if (text.size() > max_file_size) {
    r.error = file + ":1: file is larger than " + std::to_string(max_file_size / 1024) + " KiB";
    return r;
  }
  try {
    const auto root = YAML::Load(std::string(text));
    profile p;
    p.file = file;
    parser(p).run(root);
    r.value = std::move(p);
  } catch (const bad_profile& e) {
    r.error = file + ":" + std::to_string(e.line) + ": " + e.message;
  } catch (const YAML::Exception& e) {
    r.error = file + ":" + std::to_string(e.mark.line < 0 ? 1 : e.mark.line + 1) + ": YAML: " + e.msg;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    r.error = file + ":1: " + e.what();
  }
  return r;
}

parse_result load_profile_file(const std::string& path) {
  parse_result r;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.error = path + ":0: cannot open: " + std::generic_category().message(errno);
    return r;
  }
  std::string text(max_file_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_profile(text, path);
}

}  // namespace fleetreg::profiles
