// SPDX-License-Identifier: Apache-2.0
// The collector's sweep: a /24 of loopback addresses where 20 agents answer
// (plain snmpd with Printer-MIB overrides), 1 s timeout, no retry. Measures in
// one run: `fleetreg-collector discover` (asynchronous sweep, then identity and
// counters of every responder) and a sequential `snmpget -t 1 -r 0` loop over
// the same addresses; and the collector's peak RSS.
// Usage: fleetreg-bench-collector

#include <sys/resource.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "fleetreg/core/json.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

int main() {
  using namespace fleetreg;
  using namespace std::chrono_literals;
  using steady = std::chrono::steady_clock;
  test::temp_dir dir;
  const auto port = test::free_port(true);
  std::vector<std::unique_ptr<test::snmpd_daemon>> agents;
  for (int i = 1; i <= 20; ++i)
    agents.push_back(std::make_unique<test::snmpd_daemon>(
        dir, "agent" + std::to_string(i),
        std::vector<std::string>{"override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"Lexmark MX" + std::to_string(i) + "\"",
                                 "override .1.3.6.1.2.1.43.5.1.1.17.1 octet_str \"LX-" + std::to_string(i) + "\"",
                                 "override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter " + std::to_string(1000 * i)},
        "127.0.6." + std::to_string(i * 12), port));
  std::ofstream(dir.file("collector.conf")) << "[collector]\nstate_dir = " << dir.file("state") << "\n"
                                            << "[snmp]\nranges = 127.0.6.0/24\nport = " << port
                                            << "\ntimeout = 1s\nretries = 0\n";

  // The collector, as a separate process so that its peak RSS is its own.
  const auto start = steady::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = ::open(dir.file("discover.json").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, STDOUT_FILENO);
    const std::string bin = test::built_program("fleetreg-collector");
    execl(bin.c_str(), bin.c_str(), "-c", dir.file("collector.conf").c_str(), "discover", "--json", nullptr);
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  const double collector_s = std::chrono::duration<double>(steady::now() - start).count();
  std::ifstream in(dir.file("discover.json"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string why;
  const auto found = json::parse(text, why);
  std::size_t with_counters = 0;
  if (found)
    for (const auto& d : *found) with_counters += d["counters"].contains("total") ? 1 : 0;

  // The same addresses, one snmpget at a time.
  const auto seq_start = steady::now();
  int answered = 0;
  for (int host = 1; host <= 254; ++host) {
    const auto r = test::run({"snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0", "-Oqv",
                              "127.0.6." + std::to_string(host) + ":" + std::to_string(port),
                              ".1.3.6.1.2.1.43.5.1.1.17.1"},
                             {{"MIBS", ""}, {"SNMP_PERSISTENT_DIR", dir.path()}});
    answered += r.exit_code == 0 ? 1 : 0;
  }
  const double seq_s = std::chrono::duration<double>(steady::now() - seq_start).count();

  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| fleetreg-collector discover: terminals found (of 20), with counters | %zu, %zu |\n",
              found ? found->size() : 0, with_counters);
  std::printf("| fleetreg-collector discover: wall time for the /24, s | %.2f |\n", collector_s);
  std::printf("| target: (retries + 1) x timeout + 0.5 s | 1.50 |\n");
  std::printf("| fleetreg-collector peak RSS, MiB | %.1f |\n", usage.ru_maxrss / 1024.0);
  std::printf("| sequential snmpget -t 1 -r 0 loop: answered, wall time s | %d, %.1f |\n", answered, seq_s);
  std::printf("\n254 addresses (127.0.6.0/24, loopback), 20 answering, 1 s timeout, no retry\n");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
