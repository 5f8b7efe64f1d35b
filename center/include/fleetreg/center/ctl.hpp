// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "fleetreg/center/config.hpp"

namespace fleetreg::center {

/// Usage text of fleetreg-centerctl's commands.
extern const char* const ctl_commands_usage;

/// True for the commands fleetreg-centerctl runs before it gives up root
/// (`key init`: the key file sits beside the configuration, where only root
/// may write; the file is handed to the center's user). The others run as
/// the owner of the database's directory.
bool ctl_runs_as_root(const std::vector<std::string>& args);

/// Runs one fleetreg-centerctl command (`args` = command and its options)
/// against the center's database and server key, printing to `out`; a
/// password is read from the first line of `in`. Returns the exit code;
/// throws fleetreg::error (usage, data, failure) with one line to print.
int run_ctl(const config& cfg, const std::vector<std::string>& args, std::FILE* out, std::FILE* in);

}  // namespace fleetreg::center
