// SPDX-License-Identifier: Apache-2.0
// fleetreg-center: the manufacturer's server (REST API v1).

#include <getopt.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/daemon.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"

namespace {

constexpr const char* usage_text =
    "Usage: fleetreg-center [OPTION]...\n"
    "The fleetreg center: provisional codes, registrations, requests for running\n"
    "status and readings over REST (HTTPS). Runs in the foreground.\n"
    "It needs its server key ([center] secret_file) and never makes one: create\n"
    "it once with 'fleetreg-centerctl key init' (the packages do). It holds\n"
    "DATABASE.lock while it runs, so 'fleetreg-centerctl restore' waits for it to stop.\n"
    "\n"
    "  -c, --config=FILE      configuration file (default /etc/fleetreg/center.conf)\n"
    "  -t, --test-config      check the configuration and exit\n"
    "  -d, --debug[=TOPICS]   debug log\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace fleetreg;
  log::set_program("fleetreg-center");
  std::string config_path;
  bool test_only = false;
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'}, {"test-config", no_argument, nullptr, 't'},
      {"debug", optional_argument, nullptr, 'd'},  {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},      {nullptr, 0, nullptr, 0}};
  try {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:td::hV", long_options, nullptr)) != -1) {
      switch (c) {
        case 'c':
          config_path = optarg;
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
          std::puts("fleetreg-center " FLEETREG_VERSION);
          return 0;
        default:
          throw getopt_error(c, argv);
      }
    }
    if (optind < argc) throw usage_error(std::string("unexpected argument '") + argv[optind] + "'");
    const auto cfg = center::load_config(config_path);
    if (test_only) {
      std::printf("configuration OK: listen %s, database %s\n", cfg.listen.c_str(), cfg.database.c_str());
      return 0;
    }
    become_owner_of(std::filesystem::path(cfg.database).parent_path().string());
    center::run(cfg);
    return 0;
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
