// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/snmpsim_fleet.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fs = std::filesystem;

namespace fleetreg::test {
namespace {

constexpr const char* sim_user = "nobody";
constexpr const char* sim_group = "nogroup";

// A network namespace with nothing but loopback (what the test mains make):
// /proc/net/dev lists this namespace's interfaces. (Comparing with PID 1's
// namespace does not work in containers, where /proc/1 is not readable.)
bool in_loopback_only_netns() {
  std::ifstream dev("/proc/net/dev");
  std::string line;
  int interfaces = 0;
  bool only_lo = true;
  for (int n = 0; std::getline(dev, line); ++n) {
    if (n < 2) continue;  // two header lines
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    ++interfaces;
    only_lo = only_lo && name == "lo";
  }
  return interfaces > 0 && only_lo;
}

void allow_low_ports() {
  if (!in_loopback_only_netns())
    throw std::runtime_error("snmpsim_fleet: ports below 1024 only in a network namespace with nothing but loopback");
  std::ofstream out("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  out << "0\n";
  out.close();
  if (!out) throw std::runtime_error("snmpsim_fleet: cannot set net.ipv4.ip_unprivileged_port_start (run as root)");
}

}  // namespace

snmpsim_fleet::snmpsim_fleet(const temp_dir& dir, std::vector<device> devices, std::string name)
    : dir_(dir), name_(std::move(name)), devices_(std::move(devices)) {
  if (devices_.empty()) throw std::runtime_error("snmpsim_fleet: no recordings");
  const auto* pw = ::getpwnam(sim_user);
  const auto* gr = ::getgrnam(sim_group);
  if (!pw || !gr) throw std::runtime_error("snmpsim_fleet: no user nobody / group nogroup");
  const auto uid = pw->pw_uid;
  const auto gid = gr->gr_gid;

  // snmpsimd (as nobody) must reach its data through the test's 0700 dir.
  fs::permissions(dir_.path(), fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  const fs::path work = dir_.file(name_);
  const auto data = work / "data";
  const auto cache = work / "cache";
  fs::create_directories(data / "public");
  fs::create_directories(cache);
  for (const auto& d : {work, data, data / "public"})
    fs::permissions(d, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
  if (::chown(cache.c_str(), uid, gid) != 0) throw std::runtime_error("snmpsim_fleet: cannot chown the cache dir");

  bool low_port = false;
  std::vector<std::string> argv = {"/usr/bin/snmpsimd",
                                   "--v2c-arch",
                                   "--data-dir=" + data.string(),
                                   "--cache-dir=" + cache.string(),
                                   std::string("--process-user=") + sim_user,
                                   std::string("--process-group=") + sim_group};
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const auto& d = devices_[i];
    // Endpoint n is transport domain 1.3.6.1.6.1.1.n: its data file.
    const auto file = data / "public" / ("1.3.6.1.6.1.1." + std::to_string(i) + ".snmprec");
    fs::copy_file(d.recording, file, fs::copy_options::overwrite_existing);
    fs::permissions(file,
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    argv.push_back("--agent-udpv4-endpoint=" + d.address + ":" + std::to_string(d.port));
    low_port = low_port || d.port < 1024;
  }
  if (low_port) allow_low_ports();

  const auto started = std::chrono::steady_clock::now();
  proc_ = std::make_unique<process>(argv, dir_, name_);
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const bool up = wait_until(
        [&] {
          if (!proc_->running()) return true;  // reported below
          auto probe = v2c(i);
          probe.timeout = 300ms;
          probe.retries = 0;
          return get_one(probe, snmp::printer_mib::sys_object_id).has_value();
        },
        120s);
    if (!up || !proc_->running())
      throw std::runtime_error("snmpsimd did not serve " + devices_[i].recording + " at " + peer(i) + ": " +
                               proc_->log().substr(0, 4000));
  }
  start_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

snmpsim_fleet::~snmpsim_fleet() { stop(); }

void snmpsim_fleet::stop() {
  if (proc_) proc_->stop();
  proc_.reset();
}

std::string snmpsim_fleet::peer(std::size_t i) const {
  const auto& d = devices_.at(i);
  return "udp:" + d.address + ":" + std::to_string(d.port);
}

snmp::session_options snmpsim_fleet::v2c(std::size_t i) const {
  snmp::session_options o;
  o.peer = peer(i);
  o.community = "public";
  o.timeout = 2s;
  o.retries = 1;
  return o;
}

std::string snmpsim_fleet::log() const { return proc_ ? proc_->log() : std::string(); }

}  // namespace fleetreg::test
