// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/error.hpp"

#include <getopt.h>

namespace fleetreg {

usage_error getopt_error(int result, char** argv) {
  if (result == ':')
    return usage_error(std::string("option -") + static_cast<char>(optopt) + " needs a value (see --help)");
  return usage_error(std::string("unknown option '") + argv[optind - 1] + "' (see --help)");
}

int exit_code_of(const std::exception& e) noexcept {
  if (const auto* fe = dynamic_cast<const error*>(&e)) return static_cast<int>(fe->code());
  return static_cast<int>(exit_code::software);
}

}  // namespace fleetreg
