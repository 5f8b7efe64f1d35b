// SPDX-License-Identifier: Apache-2.0
// fleetreg-center: the manufacturer's server (REST API v1).

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/sql_storage.hpp"
#include "fleetreg/center/daemon.hpp"
#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"
#include "fleetreg/core/stop_signal.hpp"

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
  try {
    std::string config_path;
    bool test_only = false;
    if (const auto done = command_line::parser("fleetreg-center", usage_text)
                              .config(&config_path)
                              .test_config(&test_only)
                              .debug()
                              .parse(argc, argv))
      return *done;
    const auto cfg = center::load_config(config_path);
    if (test_only) {
      std::printf("configuration OK: listen %s, database %s\n", cfg.listen.c_str(),
                  center::parse_database_location(cfg.database).shown().c_str());
      return 0;
    }
    become_owner_of(center::owner_directory(cfg));
    center::run(cfg, stop_signal::on_termination());
    return 0;
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
