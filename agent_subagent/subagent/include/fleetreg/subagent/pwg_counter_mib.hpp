// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "fleetreg/core/counters.hpp"
#include "fleetreg/snmp/oid.hpp"

/// The part of the PWG Imaging System Counter MIB (PWG 5106.3-2008,
/// PWG-IMAGING-COUNTER-MIB, LAST-UPDATED 200803180000Z, module
/// imagingCounterMIB = 1.3.6.1.4.1.2699.1.3) that the subagent serves from a
/// terminal's counters, so that tools without FLEETREG-TERMINAL-MIB read
/// per-service counters. Every OID, column number and enumeration below is
/// taken from the module's object definitions (the pysmi-compiled module at
/// mibs.pysnmp.com, cross-checked with the table in
/// shared/design/VENDOR-COUNTERS.md A.3): an entry's columns are numbered
/// in the module from 1, the index columns first (not-accessible).
namespace fleetreg::subagent::pwg_counter_mib {

using snmp::oid_vector;
using snmp::subid;

/// icMIBObjects: everything served lies below it.
inline const oid_vector objects = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1};
/// icGeneral scalars: NaturalLanguage(1) DisplayString(0..63),
/// TotalServiceRecords(2), TotalSubunitRecords(3), TotalMediaUsedRecords(4)
/// (IcCounter32).
inline const oid_vector general = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 1};
inline constexpr subid general_natural_language = 1;
inline constexpr subid general_total_service_records = 2;
inline constexpr subid general_total_subunit_records = 3;
inline constexpr subid general_total_media_used_records = 4;

/// icKeyEntry, INDEX { icKeyIndex(1) }: ServiceType(2) IcServiceTypeTC,
/// ServiceIndex(3) 0..2147483647, SubunitType(4) IcSubunitTypeTC,
/// SubunitIndex(5) 0..2147483647.
inline const oid_vector key_entry = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 2, 1, 1};
inline constexpr subid key_service_type = 2;
inline constexpr subid key_service_index = 3;
inline constexpr subid key_subunit_type = 4;
inline constexpr subid key_subunit_index = 5;

/// icServiceEntry, INDEX { icServiceType(1), icServiceIndex(2) }: Key(3),
/// Info(4) SnmpAdminString(0..255), JobSetIndex(5) 0..32767,
/// State(6) IcServiceStateTC, StateMessage(7) SnmpAdminString(0..255),
/// PrtAlertIndex(8) 0..2147483647.
inline const oid_vector service_entry = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 3, 1, 1};
inline constexpr subid service_key = 3;
inline constexpr subid service_info = 4;
inline constexpr subid service_job_set_index = 5;
inline constexpr subid service_state = 6;
inline constexpr subid service_state_message = 7;
inline constexpr subid service_prt_alert_index = 8;

/// icImageEntry, INDEX { KeyIndex(1), WorkType(2), Persistence(3) }:
/// TotalImages(4), MonochromeImages(5), FullColorImages(6) (IcCounter32).
inline const oid_vector image_entry = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 7, 1, 1};
inline constexpr subid image_total = 4;
inline constexpr subid image_monochrome = 5;
inline constexpr subid image_full_color = 6;

/// icImpressionEntry, INDEX { KeyIndex(1), WorkType(2), Persistence(3) }:
/// TotalImps(4), MonochromeImps(5), BlankImps(6), FullColorImps(7),
/// HighlightColorImps(8) (IcCounter32).
inline const oid_vector impression_entry = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 8, 1, 1};
inline constexpr subid impression_total = 4;
inline constexpr subid impression_monochrome = 5;
inline constexpr subid impression_full_color = 7;

/// icSheetEntry, same INDEX: TotalSheets(4), MonochromeSheets(5),
/// BlankSheets(6), FullColorSheets(7), HighlightColorSheets(8).
inline const oid_vector sheet_entry = {1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 10, 1, 1};
inline constexpr subid sheet_total = 4;

/// IcWorkTypeTC workTotals(3) and IcPersistenceTC lifetime(3): the only
/// rows served (the terminal's counters are lifetime totals of all work).
inline constexpr subid work_totals = 3;
inline constexpr subid lifetime = 3;

/// IcServiceStateTC: other(1) unknown(2) idle(3) processing(4) stopped(5)
/// testing(6) down(7).
enum class service_state_value : int { unknown = 2, idle = 3, processing = 4, down = 7 };

/// IcSubunitTypeTC unknown(2): a key of a service names no subunit.
inline constexpr int subunit_type_unknown = 2;

/// IcCounter32 is Integer32 (0..2147483647). A counter past that is served
/// modulo 2^31, i.e. it wraps to 0 like a Counter32 does at 2^32: the module
/// reports wraps as an event (IcCounterEventTypeTC counterWrap(7)) rather
/// than capping. The exact 64-bit value stays in frtCounterTable (Counter64).
inline constexpr std::uint64_t ic_counter32_modulus = 1ULL << 31;

/// The icKeyIndex of each service's key. Fixed, so a key names the same
/// service whichever rows are served and across restarts.
constexpr subid key_of(service s) noexcept {
  switch (s) {
    case service::total:
      return 1;
    case service::copy:
      return 2;
    case service::print:
      return 3;
    case service::scan:
      return 4;
    case service::fax_in:
      return 5;
    case service::fax_out:
      return 6;
  }
  return 1;
}

/// True for the services that mark paper (their counters are impressions
/// and sheets, in icImpressionTable and icSheetTable); scan and fax-out
/// count scanned images, served in icImageTable.
constexpr bool marks_paper(service s) noexcept { return s != service::scan && s != service::fax_out; }

}  // namespace fleetreg::subagent::pwg_counter_mib
