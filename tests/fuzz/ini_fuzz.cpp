// SPDX-License-Identifier: Apache-2.0
// INI configuration text: fleetreg::config::ini_file::parse, then the real
// option table of the terminal (terminal::config_from, shared by
// fleetreg-terminal and fleetreg-subagent), then every entry of the file
// bound once through each kind of target (string, integer, bool, duration)
// so that every value meets every converter, and the collector's CIDR ranges
// ([snmp] ranges) through expand_cidr.
// Invariants: only configuration_error escapes; bound values lie in their
// declared range; an error names the file.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetreg/collector/sweep.hpp"
#include "fleetreg/core/config.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/terminal/config.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;
namespace fc = fleetreg::config;
using std::chrono::milliseconds;

constexpr const char* source = "fuzz.conf";

void check_error(const configuration_error& e) {
  if (std::string_view(e.what()).find(source) == std::string_view::npos)
    broken(std::string("configuration_error does not name the file: ") + e.what());
}

void terminal_table(const fc::ini_file& ini) {
  try {
    const auto c = terminal::config_from(ini);
    if (c.mdns_snmp_port < 1 || c.mdns_snmp_port > 65535) broken("[mdns] snmp_port out of range");
    if (c.wait < milliseconds{0} || c.wait > std::chrono::seconds{300}) broken("[run] wait out of range");
    if (c.refresh_interval < milliseconds{100}) broken("[subagent] refresh_interval out of range");
    if (c.center_url.size() > 255 || c.mdns_name.size() > 63) broken("a string longer than its limit");
  } catch (const configuration_error& e) {
    check_error(e);
  }
}

// Every entry of the file through one kind of target, chosen per pass.
void each_kind(const fc::ini_file& ini, int kind) {
  const auto n = ini.entries().size();
  std::vector<std::string> strings(n);
  std::vector<std::int64_t> integers(n);
  const auto bools = std::make_unique<bool[]>(n);  // not vector<bool>: a target needs a bool*
  std::vector<milliseconds> durations(n);
  std::vector<fc::option> table;
  std::size_t i = 0;
  for (const auto& [where, e] : ini.entries()) {
    fc::option o{where.first, where.second, fc::bool_target{&bools[i]}};
    switch (kind) {
      case 0:
        o.target = fc::string_target{&strings[i], 64};
        break;
      case 1:
        o.target = fc::integer_target{&integers[i], -1000, 65535};
        break;
      case 2:
        break;
      default:
        o.target = fc::duration_target{&durations[i], milliseconds{100}, std::chrono::hours{24 * 7}};
        break;
    }
    table.push_back(o);
    ++i;
  }
  try {
    fc::apply_options(ini, table);
  } catch (const configuration_error& e) {
    check_error(e);
    return;
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (strings[k].size() > 64) broken("string longer than its limit");
    if (integers[k] < -1000 || integers[k] > 65535) broken("integer out of range");
    if (kind == 3 && (durations[k] < milliseconds{100} || durations[k] > std::chrono::hours{24 * 7}))
      broken("duration out of range");
  }
}

// The collector splits [snmp] ranges at commas and checks each with expand_cidr.
void ranges(const fc::ini_file& ini) {
  const auto* e = ini.find("snmp", "ranges");
  if (!e) return;
  std::string_view list = e->value;
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (const auto peers = collector::expand_cidr(std::string(item)); peers && peers->size() > 65536)
      broken("expand_cidr gave more than a /16");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  if (const auto d = fc::parse_duration(text); d && *d < milliseconds{0}) broken("negative duration");
  fc::ini_file ini;
  try {
    ini = fc::ini_file::parse(text, source);
  } catch (const configuration_error& e) {
    check_error(e);
    return 0;
  }
  for (const auto& [where, e] : ini.entries()) {
    if (where.first.empty() || where.second.empty()) broken("an entry without section or key");
    if (ini.find(where.first, where.second) != &e) broken("find() does not find an entry");
  }
  terminal_table(ini);
  for (int kind = 0; kind < 4; ++kind) each_kind(ini, kind);
  ranges(ini);
  return 0;
}
