// SPDX-License-Identifier: Apache-2.0
// The collector's sweep: a /24 of loopback addresses, in a private network
// namespace made for the run, where 20 agents answer (plain snmpd with
// Printer-MIB overrides and an SNMPv3 user), 1 s timeout, no retry. Measures
// in one run: `fleetreg-collector discover` over v2c and over SNMPv3 authPriv
// (asynchronous sweep with asynchronous engine-ID probes, then identity and
// counters of every responder), a sequential `snmpget -t 1 -r 0` loop over
// the same addresses, and the collector's peak RSS.
// Usage: fleetreg-bench-collector

#include <sys/resource.h>
#include <sys/stat.h>
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

namespace {

struct discover_result {
  double seconds = 0;
  std::size_t found = 0, with_counters = 0;
  double rss_mib = 0;
  bool ok = false;
};

// `fleetreg-collector discover` as a separate process, so that its peak RSS is its own.
discover_result discover(const fleetreg::test::temp_dir& dir, const std::string& config) {
  using steady = std::chrono::steady_clock;
  discover_result out;
  const auto start = steady::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(dir.file("discover.json").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDOUT_FILENO);
    const std::string bin = fleetreg::test::built_program("fleetreg-collector");
    execl(bin.c_str(), bin.c_str(), "-c", config.c_str(), "discover", "--json", nullptr);
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  out.seconds = std::chrono::duration<double>(steady::now() - start).count();
  out.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  out.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::ifstream in(dir.file("discover.json"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string why;
  if (const auto found = fleetreg::json::parse(text, why)) {
    out.found = found->size();
    for (const auto& d : *found) out.with_counters += d["counters"].contains("total") ? 1 : 0;
  }
  return out;
}

}  // namespace

int main() {
  using namespace fleetreg;
  using namespace std::chrono_literals;
  using steady = std::chrono::steady_clock;
  test::enter_private_namespace();  // every packet of the run stays in it
  test::temp_dir dir;
  const auto port = test::free_port(true);
  std::vector<std::unique_ptr<test::snmpd_daemon>> agents;
  for (int i = 1; i <= 20; ++i)
    agents.push_back(std::make_unique<test::snmpd_daemon>(
        dir, "agent" + std::to_string(i),
        std::vector<std::string>{"override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"Lexmark MX" + std::to_string(i) + "\"",
                                 "override .1.3.6.1.2.1.43.5.1.1.17.1 octet_str \"LX-" + std::to_string(i) + "\"",
                                 "override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter " + std::to_string(1000 * i),
                                 "createUser fleetmon SHA-256 \"auth-pass-123\" AES \"priv-pass-123\"",
                                 "rouser fleetmon priv"},
        "127.0.6." + std::to_string(i * 12), port));
  const std::string common =
      "[snmp]\nranges = 127.0.6.0/24\nport = " + std::to_string(port) + "\ntimeout = 1s\nretries = 0\n";
  std::ofstream(dir.file("v2c.conf")) << "[collector]\nstate_dir = " << dir.file("state") << "\n"
                                      << common << "[mdns]\nenabled = no\n";
  std::ofstream(dir.file("snmp.secrets")) << "[v3]\nuser = fleetmon\nauth_protocol = sha256\n"
                                          << "auth_passphrase = auth-pass-123\npriv_passphrase = priv-pass-123\n";
  ::chmod(dir.file("snmp.secrets").c_str(), 0600);
  std::ofstream(dir.file("v3.conf")) << "[collector]\nstate_dir = " << dir.file("state") << "\n"
                                     << common << "secrets_file = " << dir.file("snmp.secrets")
                                     << "\n[mdns]\nenabled = no\n";
  const auto v2c = discover(dir, dir.file("v2c.conf"));
  const auto v3 = discover(dir, dir.file("v3.conf"));

  // The same addresses, one snmpget at a time.
  const auto seq_start = steady::now();
  int answered = 0;
  for (int host = 1; host <= 254; ++host) {
    const auto r =
        test::run({"snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0", "-Oqv",
                   "127.0.6." + std::to_string(host) + ":" + std::to_string(port), ".1.3.6.1.2.1.43.5.1.1.17.1"},
                  {{"MIBS", ""}, {"SNMP_PERSISTENT_DIR", dir.path()}});
    answered += r.exit_code == 0 ? 1 : 0;
  }
  const double seq_s = std::chrono::duration<double>(steady::now() - seq_start).count();

  std::printf("| measure | v2c | SNMPv3 authPriv |\n|---|---|---|\n");
  std::printf("| fleetreg-collector discover: terminals found (of 20), with counters | %zu, %zu | %zu, %zu |\n",
              v2c.found, v2c.with_counters, v3.found, v3.with_counters);
  std::printf("| fleetreg-collector discover: wall time for the /24, s | %.2f | %.2f |\n", v2c.seconds, v3.seconds);
  std::printf("| target: (retries + 1) x timeout + 0.5 s | 1.50 | 1.50 |\n");
  std::printf("| fleetreg-collector peak RSS, MiB | %.1f | %.1f |\n", v2c.rss_mib, v3.rss_mib);
  std::printf("| sequential snmpget -t 1 -r 0 loop (v2c): answered, wall time s | %d, %.1f | |\n", answered, seq_s);
  std::printf(
      "\n254 addresses (127.0.6.0/24, loopback of a private network namespace), 20 answering, "
      "1 s timeout, no retry\n");
  return v2c.ok && v3.ok ? 0 : 1;
}
