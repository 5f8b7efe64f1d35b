// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/snmp_fixtures.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::test {

snmpd_daemon::snmpd_daemon(const temp_dir& dir, std::string name, std::vector<std::string> extra_config,
                           std::string address, std::uint16_t port, bool test_communities)
    : dir_(dir),
      name_(std::move(name)),
      work_(dir.file(name_)),
      address_(std::move(address)),
      port_(port ? port : free_port(true)) {
  ::mkdir(work_.c_str(), 0700);
  socket_ = work_ + "/agentx.sock";
  std::ofstream conf(work_ + "/fleetreg-snmpd.conf");
  conf << "master agentx\n"
       << "agentXSocket unix:" << socket_ << "\n"
       << "agentXPerms 0600 0700\n"
       << "dontLogTCPWrappersConnects yes\n";
  if (test_communities) conf << "rocommunity public 127.0.0.0/8\nrwcommunity private 127.0.0.0/8\n";
  // snmpd saves its persistent state as snmpd.conf in SNMP_PERSISTENT_DIR:
  // keep that apart from this configuration file.
  for (const auto& line : extra_config) conf << line << "\n";
  conf.close();
  start();
}

snmpd_daemon::~snmpd_daemon() { stop(); }

void snmpd_daemon::start() {
  std::map<std::string, std::string> env{{"MIBS", ""}, {"SNMP_PERSISTENT_DIR", work_ + "/persistent"}};
  // A sanitizer build's fleetreg.so (dlmod) needs the sanitizers' runtimes
  // in the uninstrumented snmpd (tests/CMakeLists.txt sets this then).
  if (const char* preload = std::getenv("FLEETREG_TEST_SNMPD_PRELOAD"); preload && *preload) {
    env["LD_PRELOAD"] = preload;
    env["ASAN_OPTIONS"] = "detect_leaks=0";
  }
  proc_ = std::make_unique<process>(
      std::vector<std::string>{"/usr/sbin/snmpd", "-f", "-LOn", "-C",
                               // No SMUX (port 199 would clash between instances) and no
                               // host-resources device modules: the subagent owns row 1.
                               "-I", "-smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition", "-c",
                               work_ + "/fleetreg-snmpd.conf", "udp:" + address_ + ":" + std::to_string(port_)},
      dir_, name_, env);
  const bool up = wait_until([&] {
    if (!proc_->running()) return true;  // reported below
    auto probe = v2c();
    probe.timeout = 200ms;
    probe.retries = 0;
    return get_one(probe, snmp::printer_mib::sys_uptime_instance).has_value();
  });
  if (!up || !proc_->running()) throw std::runtime_error("snmpd did not start: " + proc_->log());
}

void snmpd_daemon::stop() {
  if (proc_) proc_->stop();
  proc_.reset();
}

std::string snmpd_daemon::peer() const { return "udp:" + address_ + ":" + std::to_string(port_); }

snmp::session_options snmpd_daemon::v2c(const std::string& community) const {
  snmp::session_options o;
  o.peer = peer();
  o.community = community;
  o.timeout = 2s;
  o.retries = 1;
  return o;
}

snmp::session_options snmpd_daemon::v3(const std::string& user, snmp::security_level level) const {
  auto o = v2c();
  o.version = snmp::snmp_version::v3;
  o.user = user;
  o.level = level;
  o.auth = snmp::auth_protocol::sha256;
  o.auth_passphrase = "auth-pass-123";
  o.priv_passphrase = "priv-pass-123";
  return o;
}

std::string snmpd_daemon::log() const { return proc_ ? proc_->log() : std::string(); }

int snmpd_daemon::pid() const { return proc_ ? static_cast<int>(proc_->pid()) : 0; }

sim_terminal::sim_terminal(const temp_dir& dir, std::string name, const std::string& manufacturer,
                           const std::string& model, const std::string& serial, bool color,
                           std::vector<std::string> extra_init)
    : dir_(dir), name_(std::move(name)), state_dir_(dir.file(name_ + "-state")) {
  std::vector<std::string> args = {"init", "--manufacturer", manufacturer, "--model", model, "--serial",
                                   serial, "--firmware",     "1.0.0",      "--uuid",  "auto"};
  if (color) args.push_back("--color");
  args.insert(args.end(), extra_init.begin(), extra_init.end());
  const auto r = terminal(args);
  if (r.exit_code != 0) throw std::runtime_error("fleetreg-terminal init failed: " + r.err);
}

sim_terminal::~sim_terminal() { stop_subagent(); }

command_result sim_terminal::terminal(std::vector<std::string> args) const {
  std::vector<std::string> argv = {built_program("fleetreg-terminal"), "-s", state_dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

void sim_terminal::start_subagent(const std::string& agentx_socket, std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {built_program("fleetreg-subagent"), "-s", state_dir_, "-x", agentx_socket};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  subagent_ = std::make_unique<process>(argv, dir_, name_ + "-subagent");
}

int sim_terminal::stop_subagent() {
  if (!subagent_) return -1;
  const int rc = subagent_->stop();
  subagent_.reset();
  return rc;
}

std::optional<snmp::value> get_one(const snmp::session_options& opts, const snmp::oid_vector& oid) {
  try {
    snmp::client c(opts);
    std::error_code ec;
    auto vbs = c.get({oid}, ec);
    if (ec || vbs.size() != 1) return std::nullopt;
    return vbs.front().val;
  } catch (const std::system_error&) {
    return std::nullopt;
  }
}

}  // namespace fleetreg::test
