// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/snmp_reader.hpp"

#include <utility>

namespace fleetreg::collector {

device_info device_from(snmp::terminal_reading reading) {
  device_info d;
  d.id = std::move(reading.id);
  d.counters = std::move(reading.counters);
  d.supplies = std::move(reading.supplies);
  d.extras = std::move(reading.extras);
  d.provenance = std::move(reading.provenance);
  d.device_status = std::move(reading.device_status);
  d.alerts = std::move(reading.alerts);
  d.source = reading.source;
  d.registered_in_terminal_mode = reading.registered_in_terminal_mode;
  d.note_sources(d.source);
  return d;
}

std::optional<device_info> read_device(const snmp::session_options& opts, std::error_code& ec,
                                       snmp::reading_extension* extension, std::size_t* round_trips) {
  auto reading = snmp::read_terminal(opts, ec, extension, round_trips);
  if (!reading) return std::nullopt;
  auto d = device_from(std::move(*reading));
  d.address = opts.peer;
  d.seen_via.push_back("snmp " + opts.peer);
  return d;
}

}  // namespace fleetreg::collector
