// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "fleetreg/profiles/profile.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"
#include "fleetreg/snmp/value.hpp"

/// Matching, planning and evaluating counter profiles against a device's
/// answers. No I/O: the answers come in as varbinds, and the state 32-bit
/// counters need across readings goes through wrap_state.
namespace fleetreg::profiles {

/// Where `wrap: 32` counters keep their last raw value and how often they
/// wrapped, per terminal, cell and OID (the collector's store; a map in tests).
class wrap_state {
 public:
  virtual ~wrap_state() = default;
  /// The value to report for a 32-bit counter that reads `raw` now: raw plus
  /// 2^32 per wrap seen so far; records `raw`. A raw value more than 2^31
  /// below the last one is a wrap; a smaller drop is a reset (reported as
  /// read, so the center sees the counter go down). May throw on storage errors.
  virtual std::uint64_t unwrap(const std::string& terminal_key, const std::string& cell, const std::string& oid,
                               std::uint32_t raw) = 0;
};

/// The wrap arithmetic every wrap_state shares: the wraps count after reading
/// `raw` when the last raw value was `last` (nullopt: first reading).
std::uint64_t wraps_after(std::optional<std::uint32_t> last, std::uint64_t wraps, std::uint32_t raw) noexcept;

/// A wrap_state in memory (tests, `profile show`).
class memory_wrap_state final : public wrap_state {
 public:
  std::uint64_t unwrap(const std::string& terminal_key, const std::string& cell, const std::string& oid,
                       std::uint32_t raw) override;

 private:
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<std::uint32_t, std::uint64_t>> state_;
};

/// Whether a profile applies to a device, and if not, why.
struct match_result {
  const profile* p = nullptr;
  bool matched = false;
  std::string reason;  ///< why not ("sysObjectID 1.3.6.1.4.1.9 has none of the prefixes", …)
};

/// True when the whole of `prefix` starts `oid` (whole sub-identifiers).
bool has_prefix(const snmp::oid_vector& oid, const snmp::oid_vector& prefix) noexcept;

/// Tests `p`'s match conditions: sysObjectID.0 (from `first`, the first GET's
/// answers) against the prefixes, each `exists` OID answered with a value.
match_result match(const profile& p, const std::vector<snmp::varbind>& first);

/// What to read for the matched profiles: scalars (every `get` OID not asked
/// in `first` already) and the tables' bases to walk side by side.
struct read_plan {
  std::vector<snmp::oid_vector> scalars;
  std::vector<snmp::oid_vector> subtrees;
};
read_plan plan(const std::vector<const profile*>& matched, const std::vector<snmp::varbind>& first);

/// One step of an evaluation, for `profile show`: an OID's raw value and what
/// it gave (target "copy.impressions-mono", "extra:KEY", "identity.serial").
struct trace_line {
  std::string profile;  ///< "<id>/<version>"
  std::string target;
  std::string oid;     ///< empty for a rule's result
  std::string raw;     ///< "Counter32: 123", "INTEGER: -2", "no answer"
  std::string result;  ///< "123", "unknown (rejected)", "kept: set by a higher priority profile"
};

/// Applies `matched` (in priority order, highest first; ties by id) to
/// `reading`, which holds what the standard MIBs gave: identity fills empty
/// fields only (the profile's `vendor` as manufacturer when there is none);
/// a profile's cells and extras replace the reading's (and their provenance),
/// never a higher priority profile's; derive rules of every matched profile
/// run last and fill cells still unknown. `answers`: every varbind read
/// (first GET, scalars, walks). `wraps` may be null (a wrapped counter is then
/// reported modulo 2^32). `trace`, when given, receives each step.
/// Throws only what `wraps` throws, and bad_alloc.
void evaluate(const std::vector<const profile*>& matched, const std::vector<snmp::varbind>& answers,
              snmp::terminal_reading& reading, wrap_state* wraps = nullptr, std::vector<trace_line>* trace = nullptr);

/// A value as text for traces ("Counter32: 5", "STRING: \"A3\"", "noSuchObject").
std::string describe(const snmp::value& v);

}  // namespace fleetreg::profiles
