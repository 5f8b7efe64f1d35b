// SPDX-License-Identifier: Apache-2.0
// fleetreg-subagent: serves a terminal's MIB to snmpd over AgentX.

#include <getopt.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"
#include "fleetreg/subagent/agent.hpp"
#include "fleetreg/terminal/config.hpp"
#include "fleetreg/terminal/store.hpp"

namespace {

constexpr const char* usage_text =
    "Usage: fleetreg-subagent [OPTION]...\n"
    "Serve a terminal's FLEETREG-TERMINAL-MIB, hrDeviceTable/hrPrinterTable and\n"
    "Printer-MIB objects to snmpd over AgentX. Runs in the foreground.\n"
    "\n"
    "  -c, --config=FILE      configuration file (default /etc/fleetreg/terminal.conf)\n"
    "  -s, --state-dir=DIR    terminal state directory (overrides [terminal] state_dir)\n"
    "  -x, --agentx=SOCKET    snmpd's AgentX socket (overrides [subagent] agentx_socket)\n"
    "  -t, --test-config      check the configuration and the store, then exit\n"
    "  -d, --debug[=TOPICS]   debug log; TOPICS: store, agentx (default: all)\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n";

void on_signal(int) { fleetreg::subagent::keep_running = 0; }

}  // namespace

int main(int argc, char** argv) {
  using namespace fleetreg;
  log::set_program("fleetreg-subagent");
  std::string config_path, state_dir, agentx;
  bool test_only = false;
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'}, {"state-dir", required_argument, nullptr, 's'},
      {"agentx", required_argument, nullptr, 'x'}, {"test-config", no_argument, nullptr, 't'},
      {"debug", optional_argument, nullptr, 'd'},  {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},      {nullptr, 0, nullptr, 0}};
  try {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:s:x:td::hV", long_options, nullptr)) != -1) {
      switch (c) {
        case 'c':
          config_path = optarg;
          break;
        case 's':
          state_dir = optarg;
          break;
        case 'x':
          agentx = optarg;
          break;
        case 't':
          test_only = true;
          break;
        case 'd':
          log::enable_debug(optarg ? optarg : "");
          break;
        case 'h':
          std::fputs(usage_text, stdout);
          return 0;
        case 'V':
          std::puts("fleetreg-subagent " FLEETREG_VERSION);
          return 0;
        default:
          throw getopt_error(c, argv);
      }
    }
    if (optind < argc) throw usage_error(std::string("unexpected argument '") + argv[optind] + "'");

    auto cfg = terminal::load_config(config_path);
    if (!state_dir.empty()) cfg.state_dir = state_dir;
    if (!agentx.empty()) cfg.agentx_socket = agentx;
    become_owner_of(cfg.state_dir);
    if (test_only) {
      terminal::store check(cfg.state_dir);  // throws when there is no usable store
      std::printf("configuration OK: state %s, AgentX socket %s\n", check.path().c_str(), cfg.agentx_socket.c_str());
      return 0;
    }

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    subagent::run(cfg);
    return 0;
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
