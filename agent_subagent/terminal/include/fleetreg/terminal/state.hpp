// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/supply.hpp"

/// The state of one terminal, as its store holds it.
namespace fleetreg::terminal {

/// What the terminal is doing (frtStatusState).
enum class device_state { idle, busy, error, unknown };
std::string_view to_string(device_state s) noexcept;
std::optional<device_state> parse_device_state(std::string_view name) noexcept;

/// The terminal's own registration with a center (terminal mode).
enum class registration_state { unregistered, pending, registering, registered, failed, revoked };
std::string_view to_string(registration_state s) noexcept;
std::optional<registration_state> parse_registration_state(std::string_view name) noexcept;

/// A change to the registration that a serviceperson asks for (an SNMP SET
/// or the panel).
enum class registration_write { center_url, provisional_code, unregister };

/// True while a registration is in effect or being made (registering,
/// registered, revoked): the terminal holds, or is about to hold, a
/// credential of that center and readings taken for it.
bool registration_in_effect(registration_state s) noexcept;

/// The rule for registration writes. The center URL and a provisional code
/// may be written only while no registration is in effect (unregistered,
/// pending, failed), so an existing credential and its readings never go to
/// another center; unregister is allowed in every state but registering
/// (the center's answer is on its way). Returns why `w` is refused in state
/// `s`, in words for a log line or the panel, or nullopt when it is allowed.
std::optional<std::string> registration_write_refused(registration_state s, registration_write w);

struct device_status {
  device_state state = device_state::idle;
  std::string message;  ///< why, for a serviceperson; empty when idle
};

struct registration_info {
  registration_state state = registration_state::unregistered;
  std::string center_url;
  bool code_pending = false;  ///< a provisional code waits for `fleetreg-terminal run`
  std::string site_id;
  std::optional<time_point> last_report;
  std::string last_error;
  std::optional<time_point> last_error_time;
};

/// How the terminal introduces itself to SNMP managers: MIB-II's system
/// group, which snmpd serves from the snippet `fleetreg-terminal
/// snmpd-config` writes (a real terminal's firmware sets its own). Empty
/// fields are left to snmpd's defaults.
struct system_info {
  std::string sys_object_id;  ///< dotted, under 1.3.6.1.4.1.<enterprise> (validate_sys_object_id)
  std::string sys_descr;      ///< "" = "<manufacturer> <model>; firmware <firmware>" (sys_descr_of)
  std::string sys_name;       ///< "" = derived from the identity (sys_name_of)
  std::string sys_contact;
  std::string sys_location;

  friend bool operator==(const system_info&, const system_info&) = default;
};

/// Longest sysDescr/sysName/sysContact/sysLocation (DisplayString, and
/// below snmpd's own limit of 255 bytes for these directives).
inline constexpr std::size_t max_system_text_length = 255;
/// Longest sysObjectID, in characters of its dotted form.
inline constexpr std::size_t max_sys_object_id_length = 255;

/// Checks a vendor sysObjectID: dotted decimal (a leading dot allowed), each
/// arc at most 4294967295, at most 128 arcs, strictly under
/// 1.3.6.1.4.1.<enterprise> (at least one arc after the enterprise number).
/// The problem in words, or nullopt.
std::optional<std::string> validate_sys_object_id(std::string_view oid);
/// Checks every field of `s` (sysObjectID as above; the texts printable UTF-8
/// of at most 255 bytes, without leading or trailing blanks, which snmpd.conf
/// would drop). The first problem, or nullopt.
std::optional<std::string> validate(const system_info& s);
/// `oid` without a leading dot (the form stored and shown).
std::string canonical_sys_object_id(std::string_view oid);

/// Everything the subagent serves, read in one transaction.
struct terminal_state {
  identity id;
  system_info system;
  counter_set counters;
  std::vector<supply> supplies;
  device_status status;
  registration_info registration;
};

}  // namespace fleetreg::terminal
