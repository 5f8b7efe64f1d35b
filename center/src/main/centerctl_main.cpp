// SPDX-License-Identifier: Apache-2.0
// fleetreg-centerctl: the center operator's command line.

#include <getopt.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/ctl.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"

int main(int argc, char** argv) {
  using namespace fleetreg;
  log::set_program("fleetreg-centerctl");
  std::string config_path;
  static const option long_options[] = {{"config", required_argument, nullptr, 'c'},
                                        {"help", no_argument, nullptr, 'h'},
                                        {"version", no_argument, nullptr, 'V'},
                                        {nullptr, 0, nullptr, 0}};
  try {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:hV", long_options, nullptr)) != -1) {
      switch (c) {
        case 'c':
          config_path = optarg;
          break;
        case 'h':
          std::printf(
              "Usage: fleetreg-centerctl [-c FILE] COMMAND [OPTION]...\n"
              "Operate a fleetreg center: accounts, codes, sites, credentials, backups.\n\n%s\n"
              "  -c, --config=FILE   configuration file (default /etc/fleetreg/center.conf)\n"
              "  -h, --help          show this help and exit\n"
              "  -V, --version       show the version and exit\n",
              center::ctl_commands_usage);
          return 0;
        case 'V':
          std::puts("fleetreg-centerctl " FLEETREG_VERSION);
          return 0;
        default:
          throw getopt_error(c, argv);
      }
    }
    const auto cfg = center::load_config(config_path);
    const std::vector<std::string> args(argv + optind, argv + argc);
    if (!center::ctl_runs_as_root(args)) become_owner_of(std::filesystem::path(cfg.database).parent_path().string());
    return center::run_ctl(cfg, args, stdout, stdin);
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
