// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "fleetreg/snmp/oid.hpp"
#include "fleetreg/snmp/value.hpp"
#include "fleetreg/terminal/state.hpp"

/// What the subagent serves, computed from a terminal's state without any
/// SNMP I/O: FLEETREG-TERMINAL-MIB plus the standard objects third-party
/// tools read first (hrDeviceTable/hrPrinterTable row 1, prtGeneral serial
/// and name, prtMarkerLifeCount and unit, prtMarkerSuppliesTable) and the
/// PWG Imaging System Counter MIB's per-service counters
/// (pwg_counter_mib.hpp). MIB-II's system group is snmpd's (the terminal's
/// snippet from `fleetreg-terminal snmpd-config`).
namespace fleetreg::subagent {

/// One object instance and its value.
struct entry {
  snmp::oid_vector name;
  snmp::value val;
};

/// A sorted, immutable snapshot of every served instance.
class mib_view {
 public:
  mib_view() = default;
  /// Builds the view of `state`.
  static mib_view build(const terminal::terminal_state& state);

  /// The instance named exactly `name`, or nullptr.
  const entry* find(std::span<const snmp::subid> name) const noexcept;
  /// The first instance after `name` that lies under `within`, or nullptr.
  const entry* next(std::span<const snmp::subid> name, std::span<const snmp::subid> within) const noexcept;
  /// True when `name` minus its last sub-identifier is the prefix of an
  /// instance: a GET of it is noSuchInstance rather than noSuchObject.
  bool object_exists(std::span<const snmp::subid> name) const noexcept;

  const std::vector<entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<entry> entries_;
};

/// The objects a SET may write: frtRegCenterUrl, frtRegProvisionalCode, frtRegAction.
enum class set_target { center_url, provisional_code, action };

/// Decides what a SET of `name` does: a writable target, or the error-status
/// to refuse it with (notWritable for existing read-only objects, noCreation
/// for instances that do not exist).
std::variant<set_target, snmp::error_status> classify_set(const mib_view& view, std::span<const snmp::subid> name);

/// Checks the value of a SET for `target`: wrongType unless an OCTET STRING
/// (an INTEGER for frtRegAction), wrongLength past the size limit, wrongValue
/// for a malformed URL or code or an action other than none or unregister.
snmp::error_status check_set_value(set_target target, const snmp::value& v);

/// The registration write a SET with a checked value asks for; nullopt for
/// frtRegAction none(1), which changes nothing. Whether it is allowed depends
/// on the registration state (terminal::registration_write_refused).
std::optional<terminal::registration_write> requested_write(set_target target, const snmp::value& v);

/// The MIB name of a SET target's instance, for log lines ("frtRegCenterUrl.0").
const char* object_name(set_target target) noexcept;

}  // namespace fleetreg::subagent
