// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>

#include "fleetreg/snmp/oid.hpp"

/// Numeric OIDs of FLEETREG-TERMINAL-MIB (mibs/FLEETREG-TERMINAL-MIB.txt), for
/// the subagent that serves it and the managers that read it. Debian ships no
/// IETF base MIBs, so nothing here depends on MIB files at run time.
namespace fleetreg::snmp::terminal_mib {

/// netSnmpPlaypen.3737 (until an IANA Private Enterprise Number is registered).
inline const oid_vector root = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3737};
inline const oid_vector objects = append(root, {1});

// Identity scalars (append .0 for the instance).
inline const oid_vector manufacturer = append(root, {1, 1, 1});
inline const oid_vector model = append(root, {1, 1, 2});
inline const oid_vector serial_number = append(root, {1, 1, 3});
inline const oid_vector firmware = append(root, {1, 1, 4});
inline const oid_vector uuid = append(root, {1, 1, 5});

/// frtCounterEntry; column N of service S is entry.N.S (S = IcServiceTypeTC).
inline const oid_vector counter_entry = append(root, {1, 2, 1, 1});
enum counter_column : subid {
  counter_service_name = 2,
  counter_impressions = 3,
  counter_impressions_mono = 4,
  counter_impressions_color = 5,
  counter_sheets = 6,
};

/// frtSupplyEntry; column N of supply I is entry.N.I.
inline const oid_vector supply_entry = append(root, {1, 3, 1, 1});
enum supply_column : subid {
  supply_type = 2,
  supply_description = 3,
  supply_colorant = 4,
  supply_max_capacity = 5,
  supply_level = 6,
  supply_level_percent = 7,
};

inline const oid_vector status_state = append(root, {1, 4, 1});
inline const oid_vector status_message = append(root, {1, 4, 2});

inline const oid_vector reg_state = append(root, {1, 5, 1});
inline const oid_vector reg_center_url = append(root, {1, 5, 2});
inline const oid_vector reg_provisional_code = append(root, {1, 5, 3});
inline const oid_vector reg_site_id = append(root, {1, 5, 4});
inline const oid_vector reg_last_report = append(root, {1, 5, 5});
inline const oid_vector reg_last_error = append(root, {1, 5, 6});
inline const oid_vector reg_last_error_time = append(root, {1, 5, 7});
inline const oid_vector reg_action = append(root, {1, 5, 8});

/// frtStatusState values.
enum class status_value : int { idle = 1, busy = 2, error = 3, unknown = 4 };
/// frtRegState values.
enum class reg_state_value : int {
  unregistered = 1,
  pending = 2,
  registering = 3,
  registered = 4,
  failed = 5,
  revoked = 6
};
/// frtRegAction values: reads none; writing unregister ends the registration.
enum class reg_action_value : int { none = 1, unregister = 2 };

}  // namespace fleetreg::snmp::terminal_mib

/// Standard objects a terminal serves for third-party tools: HOST-RESOURCES-MIB
/// (RFC 2790) and Printer-MIB (RFC 3805). The printer is hrDeviceIndex 1.
namespace fleetreg::snmp::printer_mib {

inline const oid_vector sys_uptime_instance = {1, 3, 6, 1, 2, 1, 1, 3, 0};
inline const oid_vector sys_descr = {1, 3, 6, 1, 2, 1, 1, 1, 0};
inline const oid_vector sys_object_id = {1, 3, 6, 1, 2, 1, 1, 2, 0};
inline const oid_vector sys_name = {1, 3, 6, 1, 2, 1, 1, 5, 0};
inline const oid_vector hr_device_table = {1, 3, 6, 1, 2, 1, 25, 3, 2};
/// hrDeviceEntry: .2 hrDeviceType, .3 hrDeviceDescr, .5 hrDeviceStatus.
inline const oid_vector hr_device_entry = {1, 3, 6, 1, 2, 1, 25, 3, 2, 1};
enum hr_device_column : subid { hr_device_type = 2, hr_device_descr = 3, hr_device_status = 5 };
inline const oid_vector hr_device_printer_type = {1, 3, 6, 1, 2, 1, 25, 3, 1, 5};
inline const oid_vector hr_printer_table = {1, 3, 6, 1, 2, 1, 25, 3, 5};
/// hrPrinterEntry: .1 hrPrinterStatus, .2 hrPrinterDetectedErrorState.
inline const oid_vector hr_printer_entry = {1, 3, 6, 1, 2, 1, 25, 3, 5, 1};
enum hr_printer_column : subid { hr_printer_status = 1, hr_printer_detected_error_state = 2 };
inline const oid_vector printer_mib = {1, 3, 6, 1, 2, 1, 43};
/// prtGeneralEntry: .16 prtGeneralPrinterName, .17 prtGeneralSerialNumber.
inline const oid_vector prt_general_entry = {1, 3, 6, 1, 2, 1, 43, 5, 1, 1};
inline constexpr subid prt_general_serial_number = 17;
/// prtMarkerEntry: .3 prtMarkerCounterUnit, .4 prtMarkerLifeCount.
inline const oid_vector prt_marker_entry = {1, 3, 6, 1, 2, 1, 43, 10, 2, 1};
enum prt_marker_column : subid { prt_marker_counter_unit = 3, prt_marker_life_count = 4 };
/// prtMarkerSuppliesEntry: .4 class .5 type .6 description .7 unit .8 max .9 level.
inline const oid_vector prt_marker_supplies_entry = {1, 3, 6, 1, 2, 1, 43, 11, 1, 1};
/// prtAlertEntry: .2 severity .4 group .7 code .8 description (index
/// hrDeviceIndex.prtAlertIndex).
inline const oid_vector prt_alert_entry = {1, 3, 6, 1, 2, 1, 43, 18, 1, 1};
enum prt_alert_column : subid {
  prt_alert_severity = 2,
  prt_alert_group = 4,
  prt_alert_code = 7,
  prt_alert_description = 8
};
/// ENTITY-MIB entPhysicalEntry (RFC 6933): .11 entPhysicalSerialNum,
/// .12 entPhysicalMfgName, .13 entPhysicalModelName.
inline const oid_vector ent_physical_entry = {1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1};

inline constexpr subid printer_device_index = 1;
/// The entPhysicalIndex read: the first entity, the chassis on most printers.
inline constexpr subid entity_index = 1;

}  // namespace fleetreg::snmp::printer_mib
