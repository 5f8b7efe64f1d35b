// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <vector>

#include "fleetreg/profiles/evaluate.hpp"
#include "fleetreg/profiles/profile_set.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"

namespace fleetreg::profiles {

/// Counter profiles as a snmp::reading_extension: every profile's `exists`
/// OIDs go into the first GET; the profiles that match ask for their scalars
/// and tables; their answers are evaluated into the reading. One instance per
/// device read (it keeps what matched and the trace of the last read).
class extension final : public snmp::reading_extension {
 public:
  /// `set` is shared (a reload swaps the collector's pointer, a read in
  /// progress keeps its own). `wraps` may be null; it must outlive the read.
  explicit extension(std::shared_ptr<const profile_set> set, wrap_state* wraps = nullptr);

  std::vector<snmp::oid_vector> probe() const override;
  void plan(const std::vector<snmp::varbind>& first, std::vector<snmp::oid_vector>& scalars,
            std::vector<snmp::oid_vector>& subtrees) override;
  void apply(const std::vector<snmp::varbind>& first, const std::vector<snmp::varbind>& scalars,
             const std::vector<snmp::varbind>& walked, snmp::terminal_reading& reading) override;

  /// Every profile with whether it matched (after plan()), in priority order.
  const std::vector<match_result>& matches() const noexcept { return matches_; }
  /// The steps of the last apply().
  const std::vector<trace_line>& trace() const noexcept { return trace_; }
  /// A problem apply() met (the wrap state failing): logged, the reading goes on.
  const std::string& last_error() const noexcept { return error_; }

 private:
  std::shared_ptr<const profile_set> set_;
  wrap_state* wraps_;
  std::vector<match_result> matches_;
  std::vector<const profile*> matched_;
  std::vector<trace_line> trace_;
  std::string error_;
};

}  // namespace fleetreg::profiles
