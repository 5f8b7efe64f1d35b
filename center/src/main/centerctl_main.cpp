// SPDX-License-Identifier: Apache-2.0
// fleetreg-centerctl: the center operator's command line.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/ctl.hpp"
#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"

int main(int argc, char** argv) {
  using namespace fleetreg;
  log::set_program("fleetreg-centerctl");
  try {
    std::string config_path;
    std::vector<std::string> args;
    const std::string usage = std::string(
                                  "Usage: fleetreg-centerctl [-c FILE] COMMAND [OPTION]...\n"
                                  "Operate a fleetreg center: accounts, codes, sites, credentials, backups.\n\n") +
                              center::ctl_commands_usage +
                              "\n"
                              "  -c, --config=FILE   configuration file (default /etc/fleetreg/center.conf)\n"
                              "  -h, --help          show this help and exit\n"
                              "  -V, --version       show the version and exit\n";
    if (const auto done = command_line::parser("fleetreg-centerctl", usage)
                              .config(&config_path)
                              .sub_commands()
                              .parse(argc, argv, &args))
      return *done;
    const auto cfg = center::load_config(config_path);
    if (!center::ctl_runs_as_root(args)) become_owner_of(center::owner_directory(cfg));
    return center::run_ctl(cfg, args, stdout, stdin);
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
