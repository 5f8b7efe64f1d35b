// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/error.hpp"

namespace fleetreg {

int exit_code_of(const std::exception& e) noexcept {
  if (const auto* fe = dynamic_cast<const error*>(&e)) return static_cast<int>(fe->code());
  return static_cast<int>(exit_code::software);
}

}  // namespace fleetreg
