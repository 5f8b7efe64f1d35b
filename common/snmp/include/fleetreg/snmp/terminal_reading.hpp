// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "fleetreg/core/counters.hpp"
#include "fleetreg/core/identity.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/supply.hpp"
#include "fleetreg/snmp/client.hpp"

/// Reading a terminal (or any printer) over SNMP, in the brief's order of
/// preference: the fleetreg terminal MIB, else the standard Printer-MIB
/// (RFC 3805) with HOST-RESOURCES-MIB and ENTITY-MIB. Shared by the collector
/// and the Nagios plugin. The decoders take varbinds and do no I/O.
namespace fleetreg::snmp {

/// What a device's agent says about it.
struct terminal_reading {
  identity id;  ///< fitted to the center's limits (fit_to_limits)
  counter_set counters;
  std::vector<supply> supplies;                          ///< only those that validate
  reading_source source = reading_source::fleetreg_mib;  ///< fleetreg_mib or printer_mib
  std::map<std::string, std::uint64_t> extras;           ///< as reading::extras
  std::map<std::string, std::string> provenance;         ///< as reading::provenance
  std::string device_status;                             ///< as reading::device_status
  std::vector<device_alert> alerts;                      ///< as reading::alerts
  oid_vector sys_object_id;                              ///< sysObjectID.0, empty when not answered
  std::string sys_descr;                                 ///< sysDescr.0, empty when not answered
  /// frtRegState is registered: the terminal registered itself with a center
  /// (terminal mode).
  bool registered_in_terminal_mode = false;
};

/// Identity, counters, supplies and registration state from the fleetreg
/// MIB's varbinds (a GET of the identity scalars and walks of the counter and
/// supply tables); nullopt when the device does not serve the MIB.
/// Does not throw but bad_alloc.
std::optional<terminal_reading> decode_fleetreg(const std::vector<varbind>& identity,
                                                const std::vector<varbind>& counters,
                                                const std::vector<varbind>& supplies);

/// The same from the standard MIBs (RFC 3805 Printer-MIB, RFC 2790
/// HOST-RESOURCES-MIB, ENTITY-MIB, SNMPv2-MIB), given the first GET's
/// answers and the walked columns (read_terminal's; either may hold any of
/// them): every hrDevice printer row (hrDeviceType hrDevicePrinter, else row
/// 1) with all its markers (prtMarkerLifeCount by prtMarkerCounterUnit:
/// total.impressions, total.sheets, other units and further markers in
/// extras), supplies, hrDeviceStatus and alerts (hrPrinterDetectedErrorState,
/// prtAlertTable); identity from sysObjectID's enterprise, ENTITY-MIB, then
/// hrDeviceDescr/sysDescr (docs/ARCHITECTURE.md, "Reading a printer"), each
/// value's source in provenance. nullopt when nothing answered at all.
/// Does not throw but bad_alloc.
std::optional<terminal_reading> decode_printer_mib(const std::vector<varbind>& first,
                                                   const std::vector<varbind>& walked);

/// What a caller adds to the reading of a device that does not serve the
/// fleetreg MIB (the collector's counter profiles): OIDs for the first GET,
/// then, knowing its answers, scalars to GET and subtrees to walk alongside
/// the Printer-MIB tables, and finally the answers to fold into the reading.
class reading_extension {
 public:
  virtual ~reading_extension() = default;
  /// Instance OIDs added to the device's first GET (e.g. profiles' `exists`).
  virtual std::vector<oid_vector> probe() const = 0;
  /// From the first GET's answers (sysObjectID.0 among them): what else to read.
  virtual void plan(const std::vector<varbind>& first, std::vector<oid_vector>& scalars,
                    std::vector<oid_vector>& subtrees) = 0;
  /// Folds the answers into `reading` (already decoded from the standard MIBs).
  virtual void apply(const std::vector<varbind>& first, const std::vector<varbind>& scalars,
                     const std::vector<varbind>& walked, terminal_reading& reading) = 0;
};

/// The OIDs of a device's first GET (before any extension's probe): the
/// fleetreg MIB's identity, the standard identity scalars, sysObjectID and sysDescr.
std::vector<oid_vector> first_get_oids();
/// The Printer-MIB and HOST-RESOURCES-MIB columns read_terminal walks side
/// by side for a device without the fleetreg MIB.
std::vector<oid_vector> printer_mib_subtrees();

/// Reads one device at `opts.peer` (blocking): the fleetreg MIB when it
/// serves one, else the standard MIBs (with `extension`, when given): one
/// GET, then every column walked side by side (two round trips for a printer
/// whose tables fit one GETBULK answer). Returns nullopt and sets `ec` when
/// it does not answer; any device that answers gets a reading, even one that
/// names nothing (source printer_mib, empty identity). `round_trips`, when
/// given, counts the requests.
/// Throws std::system_error when the session cannot open (see client).
std::optional<terminal_reading> read_terminal(const session_options& opts, std::error_code& ec,
                                              reading_extension* extension = nullptr,
                                              std::size_t* round_trips = nullptr);

}  // namespace fleetreg::snmp
