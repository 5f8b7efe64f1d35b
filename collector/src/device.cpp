// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/device.hpp"

namespace fleetreg::collector {

std::string device_info::why_not_registrable() const {
  if (registered_in_terminal_mode) return "registered itself with a center (terminal mode)";
  if (key()) return {};
  if (id.manufacturer.empty()) return "reports no manufacturer";
  return "reports no serial number and no UUID";
}

}  // namespace fleetreg::collector
