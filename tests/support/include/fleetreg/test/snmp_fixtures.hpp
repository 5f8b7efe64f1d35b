// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/snmp/client.hpp"
#include "fleetreg/test/harness.hpp"

/// Real daemons of the terminal side for integration tests: a private snmpd
/// (AgentX master on a unix socket, UDP on a loopback port) and a simulated
/// terminal (its store, its fleetreg-subagent).
namespace fleetreg::test {

/// A private snmpd: `MIBS= SNMP_PERSISTENT_DIR=<dir> snmpd -f -LOn -C -I ...`,
/// with snmpd's own host-resources device modules off so that the
/// subagent's hrDeviceTable row does not clash. Communities: "public"
/// read-only and "private" read-write, both from 127.0.0.1 only.
class snmpd_daemon {
 public:
  /// Starts snmpd and waits until it answers sysUpTime.0. Throws on failure.
  /// `address`/`port`: where it listens (default 127.0.0.1 and a free port).
  /// `test_communities`: "public" (read) and "private" (write) from
  /// 127.0.0.0/8; off when `extra_config` brings its own access rules.
  snmpd_daemon(const temp_dir& dir, std::string name = "snmpd", std::vector<std::string> extra_config = {},
               std::string address = "127.0.0.1", std::uint16_t port = 0, bool test_communities = true);
  ~snmpd_daemon();

  /// Starts again on the same port and socket (after stop()).
  void start();
  void stop();
  /// Net-SNMP peer address "udp:127.0.0.1:<port>".
  std::string peer() const;
  const std::string& agentx_socket() const { return socket_; }
  /// Client options for v2c with `community`.
  snmp::session_options v2c(const std::string& community = "public") const;
  /// Client options for SNMPv3 user `user` at `level`, SHA-256/AES with the
  /// tests' passphrases "auth-pass-123" and "priv-pass-123".
  snmp::session_options v3(const std::string& user, snmp::security_level level) const;
  /// The snmpd log so far.
  std::string log() const;
  /// snmpd's process id (0 when stopped).
  int pid() const;

 private:
  const temp_dir& dir_;
  std::string name_;
  std::string work_;
  std::string socket_;
  std::string address_;
  std::uint16_t port_;
  std::unique_ptr<process> proc_;
};

/// A simulated terminal: a state directory made with `fleetreg-terminal init`
/// and, once started, its fleetreg-subagent attached to an snmpd.
class sim_terminal {
 public:
  /// Runs `fleetreg-terminal init` with the given identity and `extra_init`
  /// (e.g. {"--sys-object-id", OID}). Throws on failure.
  sim_terminal(const temp_dir& dir, std::string name, const std::string& manufacturer, const std::string& model,
               const std::string& serial, bool color = false, std::vector<std::string> extra_init = {});
  ~sim_terminal();

  /// Runs `fleetreg-terminal -s <state> args...`.
  command_result terminal(std::vector<std::string> args) const;
  /// Starts fleetreg-subagent against `agentx_socket`.
  void start_subagent(const std::string& agentx_socket, std::vector<std::string> extra_args = {});
  /// Stops it (SIGTERM) and returns its exit code.
  int stop_subagent();
  process* subagent() { return subagent_.get(); }
  const std::string& state_dir() const { return state_dir_; }

 private:
  const temp_dir& dir_;
  std::string name_;
  std::string state_dir_;
  std::unique_ptr<process> subagent_;
};

/// GETs one object; nullopt on a transport error (timeouts included).
std::optional<snmp::value> get_one(const snmp::session_options& opts, const snmp::oid_vector& oid);

}  // namespace fleetreg::test
