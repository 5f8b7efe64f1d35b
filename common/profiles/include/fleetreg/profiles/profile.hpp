// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/counters.hpp"
#include "fleetreg/snmp/oid.hpp"

/// Vendor counter profiles as data (docs/PROFILES.md): one YAML file per
/// profile says which devices it applies to, which OIDs and tables to read and
/// how their values become counter cells, extras and identity. This header
/// holds the parsed model and the parser; nothing here does I/O but
/// load_profile_file.
namespace fleetreg::profiles {

/// Limits of one profile file (a file breaking one is refused).
inline constexpr std::size_t max_file_size = 256 * 1024;
inline constexpr std::size_t max_tables = 64;
inline constexpr std::size_t max_rules = 256;  ///< counters + extras + derive
inline constexpr std::size_t max_list_items = 32;
inline constexpr std::size_t max_expression_depth = 4;
inline constexpr int min_priority = 11;
inline constexpr int max_priority = 1000;
/// The priority of the built-in Printer-MIB reading (below every profile).
inline constexpr int printer_mib_priority = 10;
inline constexpr std::string_view schema_name = "fleetreg-profile/1";

/// A row filter of a table: rows whose `column` value is one of `numbers`
/// (or whose text is one of `texts`, trimmed, case-insensitive); for
/// `column == "index"`, rows whose index is one of `indexes`.
struct where_clause {
  std::string column;
  std::vector<std::int64_t> numbers;
  std::vector<std::string> texts;  ///< lower-cased
  std::vector<snmp::oid_vector> indexes;
};

/// `from: {table, where, column, join, index_suffix}`.
struct table_source {
  std::string table;
  std::vector<where_clause> where;
  std::string column;
  std::string join_table;  ///< empty: no join
  std::vector<where_clause> join_where;
  snmp::oid_vector index_suffix;
};

enum class operation { get, first_of, sum, difference, from };

/// One value expression with its modifiers.
struct expression {
  operation op = operation::get;
  snmp::oid_vector oid;           ///< get
  std::vector<expression> items;  ///< first_of, sum, difference
  table_source from;              ///< from
  std::uint64_t multiply = 1;
  std::uint64_t divide = 1;
  std::vector<std::int64_t> reject;  ///< raw values meaning "unknown" (apply to the leaves below)
  bool wrap32 = false;               ///< 32-bit counter (applies to the leaves below)
  bool decode_hex = false;           ///< identity text given as hex bytes
  int line = 0;
};

/// A counter cell rule.
struct counter_rule {
  service svc = service::total;
  counter_kind kind = counter_kind::impressions;
  std::string cell;  ///< "copy.impressions-mono"
  expression expr;
  int line = 0;
};

/// An extras rule.
struct extra_rule {
  std::string key;
  expression expr;
  int line = 0;
};

enum class derive_operation { sum_of, difference_of, copy_of };

/// A derive rule: fills `cell` from other cells when still unknown.
struct derive_rule {
  service svc = service::total;
  counter_kind kind = counter_kind::impressions;
  std::string cell;
  derive_operation op = derive_operation::sum_of;
  std::vector<std::string> cells;
  int line = 0;
};

/// A table walked once: instances are base.<column>.<index…>.
struct table_def {
  std::string name;
  snmp::oid_vector base;
  std::map<std::string, snmp::subid> columns;
};

/// One parsed and validated profile.
struct profile {
  std::string file;  ///< where it was read from
  std::string id;
  std::int64_t version = 1;
  std::string vendor;
  std::string description;
  std::string sources;
  int priority = 100;
  std::vector<snmp::oid_vector> sysobjectid_prefixes;
  std::vector<snmp::oid_vector> exists;
  std::map<std::string, expression> identity;  ///< "serial", "model", "manufacturer", "firmware"
  std::vector<table_def> tables;
  std::vector<counter_rule> counters;
  std::vector<extra_rule> extras;
  std::vector<derive_rule> derive;

  /// "<id>/<version>", the head of every provenance it gives.
  std::string tag() const { return id + "/" + std::to_string(version); }
  const table_def* table(std::string_view name) const;
};

/// A parsed profile, or why not: "FILE:LINE: message".
struct parse_result {
  std::optional<profile> value;
  std::string error;
};

/// Parses and validates one profile's text; `file` names it in errors and in
/// profile::file. Never throws but bad_alloc.
parse_result parse_profile(std::string_view text, const std::string& file);

/// Reads (at most max_file_size bytes, else refused) and parses one file.
/// Never throws but bad_alloc.
parse_result load_profile_file(const std::string& path);

}  // namespace fleetreg::profiles
