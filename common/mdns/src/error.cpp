// SPDX-License-Identifier: Apache-2.0
#include <avahi-common/error.h>

#include "fleetreg/mdns/service.hpp"

namespace fleetreg::mdns {
namespace {

class avahi_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "avahi"; }
  std::string message(int code) const override { return avahi_strerror(code); }
};

}  // namespace

const std::error_category& avahi_category() noexcept {
  static const avahi_error_category category;
  return category;
}

}  // namespace fleetreg::mdns
