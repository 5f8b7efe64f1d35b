// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

/// INI configuration files: parsed without I/O from text, then bound
/// table-driven into a validated struct. All errors throw fleetreg::configuration_error
/// with "source:line: message".
namespace fleetreg::config {

/// One parsed INI file: [section] key = value. Comments start with '#' or ';'.
class ini_file {
 public:
  struct entry {
    std::string value;
    int line = 0;
  };

  /// Parses `text` (at most 1 MiB); `source` names it in error messages.
  /// Throws configuration_error on syntax errors and duplicate keys.
  static ini_file parse(std::string_view text, std::string source);
  /// Reads and parses a file. Throws configuration_error when it cannot be read.
  static ini_file load(const std::string& path);

  /// The entry for section/key, or nullptr.
  const entry* find(std::string_view section, std::string_view key) const;
  /// Every entry, keyed by (section, key).
  const std::map<std::pair<std::string, std::string>, entry, std::less<>>& entries() const { return entries_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::map<std::pair<std::string, std::string>, entry, std::less<>> entries_;
};

/// Where a bound value goes, with its validation.
struct string_target {
  std::string* value;
  std::size_t max_length = 4096;
};
struct integer_target {
  std::int64_t* value;
  std::int64_t min;
  std::int64_t max;
};
struct bool_target {
  bool* value;
};
/// A duration written with a unit suffix: "500ms", "30s", "15m", "24h", "7d".
struct duration_target {
  std::chrono::milliseconds* value;
  std::chrono::milliseconds min;
  std::chrono::milliseconds max;
};

/// One row of a configuration table: section, key and where the value goes.
struct option {
  std::string_view section;
  std::string_view key;
  std::variant<string_target, integer_target, bool_target, duration_target> target;
};

/// Applies every row of `table` that the file sets; keys the file sets that
/// are not in the table are an error (a typo must not silently fall back to a
/// default). Throws configuration_error naming the file and line.
void apply_options(const ini_file& file, std::span<const option> table);

/// Parses a duration with unit (ms, s, m, h, d); nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace fleetreg::config
