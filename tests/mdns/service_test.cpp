// SPDX-License-Identifier: Apache-2.0
// Avahi's error codes as std::error_code (the one category for Avahi).
#include "fleetreg/mdns/service.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace fleetreg::mdns {
namespace {

TEST(MdnsService, AvahiErrorsHaveTheirOwnCategory) {
  EXPECT_EQ(std::string_view(avahi_category().name()), "avahi");
  const std::error_code ok(0, avahi_category()), failed(-1, avahi_category());  // AVAHI_OK, AVAHI_ERR_FAILURE
  EXPECT_FALSE(ok.message().empty());
  EXPECT_FALSE(failed.message().empty());
  EXPECT_NE(ok.message(), failed.message()) << "avahi_strerror's text";
  EXPECT_NE(failed, std::error_code(-1, std::generic_category()));
}

TEST(MdnsService, TheCollectorBrowsesItsOwnTypeToo) {
  EXPECT_EQ(std::string_view(printer_service_types[std::size(printer_service_types) - 1]), fleetreg_service_type);
}

}  // namespace
}  // namespace fleetreg::mdns
