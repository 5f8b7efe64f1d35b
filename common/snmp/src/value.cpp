// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/value.hpp"

#include <ctime>

namespace fleetreg::snmp {

std::string date_and_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return std::string(8, '\0');
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int year = tm.tm_year + 1900;
  std::string s;
  s += static_cast<char>((year >> 8) & 0xff);
  s += static_cast<char>(year & 0xff);
  s += static_cast<char>(tm.tm_mon + 1);
  s += static_cast<char>(tm.tm_mday);
  s += static_cast<char>(tm.tm_hour);
  s += static_cast<char>(tm.tm_min);
  s += static_cast<char>(tm.tm_sec);
  s += '\0';  // deci-seconds
  s += '+';
  s += '\0';
  s += '\0';
  return s;
}

}  // namespace fleetreg::snmp
