// SPDX-License-Identifier: Apache-2.0
// GETs per second on a fleetreg-subagent object next to snmpd's own
// sysUpTime.0, measured in one run against the same snmpd, and the
// subagent's resident memory; then the same object served by fleetreg.so
// inside a second snmpd (`dlmod`, issue 20) next to that snmpd's own
// sysUpTime.0, and the memory the module adds to snmpd (its private pages
// beside the first snmpd's, which has no module).
// Usage: fleetreg-bench-subagent [SECONDS_PER_PHASE]

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "fleetreg/snmp/client.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace {

using namespace fleetreg;
using clock_type = std::chrono::steady_clock;

// Synchronous GETs of `oid` for `seconds`; returns GETs per second.
double gets_per_second(snmp::client& c, const snmp::oid_vector& oid, double seconds) {
  std::size_t n = 0;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::error_code ec;
  while (clock_type::now() < end) {
    const auto vbs = c.get({oid}, ec);
    if (ec || vbs.empty() || vbs[0].val.is_exception()) {
      std::fprintf(stderr, "GET %s failed: %s\n", snmp::to_string(oid).c_str(), ec.message().c_str());
      std::exit(1);
    }
    ++n;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(clock_type::now() - start).count();
}

// A "Field:   N kB" value from /proc/<pid>/<file>.
long proc_kib(pid_t pid, const std::string& file, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const double phase = argc > 1 ? std::stod(argv[1]) : 3.0;
  test::temp_dir dir;
  test::snmpd_daemon snmpd(dir);
  test::sim_terminal term(dir, "bench", "Konica Minolta", "bizhub C300i", "BENCH0001", true);
  term.start_subagent(snmpd.agentx_socket());
  const auto serial = snmp::append(snmp::terminal_mib::serial_number, {0});
  const auto copies = snmp::append(snmp::terminal_mib::counter_entry, {snmp::terminal_mib::counter_impressions, 4});
  if (!test::wait_until([&] { return test::get_one(snmpd.v2c(), serial).has_value(); })) {
    std::fprintf(stderr, "subagent did not come up\n%s", term.subagent()->log().c_str());
    return 1;
  }
  // The second anchor: a minimal C subagent with one scalar on the same snmpd.
  const snmp::oid_vector minimal_scalar = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4242, 1, 0};
  test::process minimal({FLEETREG_MINIMAL_SUBAGENT, snmpd.agentx_socket()}, dir, "minimal-subagent");
  if (!test::wait_until([&] { return test::get_one(snmpd.v2c(), minimal_scalar).has_value(); })) {
    std::fprintf(stderr, "the minimal subagent did not come up\n%s", minimal.log().c_str());
    return 1;
  }
  snmp::client c(snmpd.v2c());
  // Warm up every path, then alternate phases so that drift hits all alike.
  gets_per_second(c, snmp::printer_mib::sys_uptime_instance, 0.5);
  gets_per_second(c, copies, 0.5);
  gets_per_second(c, minimal_scalar, 0.5);
  double native = 0, sub = 0, bare = 0;
  const int rounds = 3;
  for (int i = 0; i < rounds; ++i) {
    native += gets_per_second(c, snmp::printer_mib::sys_uptime_instance, phase);
    sub += gets_per_second(c, copies, phase);
    bare += gets_per_second(c, minimal_scalar, phase);
  }
  native /= rounds;
  sub /= rounds;
  bare /= rounds;

  // The module: a second snmpd with fleetreg.so, serving the same store.
  const auto conf = dir.file("dlmod-terminal.conf");
  std::ofstream(conf) << "[terminal]\nstate_dir = " << term.state_dir() << "\n";
  test::snmpd_daemon inside(dir, "snmpd-dlmod",
                            {std::string("dlmod fleetreg ") + FLEETREG_DLMOD_SO, "fleetregConfig " + conf});
  if (!test::wait_until([&] { return test::get_one(inside.v2c(), serial).has_value(); })) {
    std::fprintf(stderr, "the module did not serve\n%s", inside.log().c_str());
    return 1;
  }
  snmp::client m(inside.v2c());
  gets_per_second(m, snmp::printer_mib::sys_uptime_instance, 0.5);
  gets_per_second(m, copies, 0.5);
  double native_m = 0, module = 0;
  for (int i = 0; i < rounds; ++i) {
    native_m += gets_per_second(m, snmp::printer_mib::sys_uptime_instance, phase);
    module += gets_per_second(m, copies, phase);
  }
  native_m /= rounds;
  module /= rounds;
  const auto private_kib = [](pid_t p) {
    return proc_kib(p, "smaps_rollup", "Private_Clean") + proc_kib(p, "smaps_rollup", "Private_Dirty");
  };
  const auto plain_private = private_kib(snmpd.pid()), module_private = private_kib(inside.pid());
  const auto plain_rss = proc_kib(snmpd.pid(), "status", "VmRSS"),
             module_rss = proc_kib(inside.pid(), "status", "VmRSS");
  const pid_t pid = term.subagent()->pid();
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| snmpd sysUpTime.0 (native), GETs/s | %.0f |\n", native);
  std::printf("| subagent frtCounterImpressions.4 (AgentX), GETs/s | %.0f |\n", sub);
  std::printf("| ratio subagent / native (target >= 0.65) | %.2f |\n", sub / native);
  std::printf("| minimal C subagent, one scalar (AgentX), GETs/s | %.0f |\n", bare);
  std::printf("| ratio minimal subagent / native | %.2f |\n", bare / native);
  std::printf("| subagent VmRSS after the run, MiB | %.1f |\n",
              static_cast<double>(proc_kib(pid, "status", "VmRSS")) / 1024.0);
  std::printf("| subagent VmHWM (peak RSS), MiB | %.1f |\n",
              static_cast<double>(proc_kib(pid, "status", "VmHWM")) / 1024.0);
  // Shared library pages count in full in RSS; PSS splits them with snmpd,
  // private pages are what this process alone costs.
  std::printf("| subagent PSS, MiB | %.1f |\n", static_cast<double>(proc_kib(pid, "smaps_rollup", "Pss")) / 1024.0);
  std::printf("| subagent private (clean + dirty), MiB | %.1f |\n",
              static_cast<double>(proc_kib(pid, "smaps_rollup", "Private_Clean") +
                                  proc_kib(pid, "smaps_rollup", "Private_Dirty")) /
                  1024.0);
  std::printf("| snmpd with fleetreg.so: sysUpTime.0 (native), GETs/s | %.0f |\n", native_m);
  std::printf("| snmpd with fleetreg.so: frtCounterImpressions.4 (module), GETs/s | %.0f |\n", module);
  std::printf("| ratio module / native (target >= 0.95) | %.2f |\n", module / native_m);
  std::printf(
      "| snmpd private (clean + dirty), MiB: without the module / with it / added (target <= 2) "
      "| %.1f / %.1f / %.1f |\n",
      static_cast<double>(plain_private) / 1024.0, static_cast<double>(module_private) / 1024.0,
      static_cast<double>(module_private - plain_private) / 1024.0);
  std::printf("| snmpd VmRSS, MiB: without the module / with it | %.1f / %.1f |\n",
              static_cast<double>(plain_rss) / 1024.0, static_cast<double>(module_rss) / 1024.0);
  std::printf(
      "\n%d rounds of %.1f s per path, one synchronous v2c client, udp 127.0.0.1; the snmpd without the "
      "module is the subagent's AgentX master\n",
      rounds, phase);
  return 0;
}
