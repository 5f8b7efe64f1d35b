// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/reading.hpp"

#include "fleetreg/core/random.hpp"

namespace fleetreg {

std::string_view to_string(reading_source s) noexcept {
  switch (s) {
    case reading_source::fleetreg_mib:
      return "fleetreg-mib";
    case reading_source::printer_mib:
      return "printer-mib";
    case reading_source::ipp:
      return "ipp";
    case reading_source::terminal:
      return "terminal";
  }
  return "unknown";
}

std::optional<reading_source> parse_reading_source(std::string_view name) noexcept {
  for (auto s :
       {reading_source::fleetreg_mib, reading_source::printer_mib, reading_source::ipp, reading_source::terminal})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

reading make_reading(std::string terminal_key, time_point now, reading_source source) {
  reading r;
  r.id = make_uuid();
  r.terminal_key = std::move(terminal_key);
  r.taken = now;
  r.source = source;
  return r;
}

}  // namespace fleetreg
