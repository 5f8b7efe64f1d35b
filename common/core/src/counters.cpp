// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/counters.hpp"

namespace fleetreg {

std::string_view to_string(service s) noexcept {
  switch (s) {
    case service::copy:
      return "copy";
    case service::print:
      return "print";
    case service::scan:
      return "scan";
    case service::fax_in:
      return "fax-in";
    case service::fax_out:
      return "fax-out";
    case service::total:
      return "total";
  }
  return "unknown";
}

std::string_view to_string(counter_kind k) noexcept {
  switch (k) {
    case counter_kind::impressions:
      return "impressions";
    case counter_kind::impressions_mono:
      return "impressions-mono";
    case counter_kind::impressions_color:
      return "impressions-color";
    case counter_kind::sheets:
      return "sheets";
  }
  return "unknown";
}

std::optional<service> parse_service(std::string_view name) noexcept {
  for (auto s : all_services)
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::optional<counter_kind> parse_counter_kind(std::string_view name) noexcept {
  for (auto k : all_counter_kinds)
    if (to_string(k) == name) return k;
  return std::nullopt;
}

int pwg_service_type(service s) noexcept {
  switch (s) {
    case service::total:
      return 3;
    case service::copy:
      return 4;
    case service::fax_in:
      return 7;
    case service::fax_out:
      return 8;
    case service::print:
      return 11;
    case service::scan:
      return 12;
  }
  return 2;  // unknown(2)
}

std::optional<service> service_from_pwg(int value) noexcept {
  for (auto s : all_services)
    if (pwg_service_type(s) == value) return s;
  return std::nullopt;
}

bool counter_set::empty() const noexcept {
  for (const auto& row : values_)
    for (const auto& v : row)
      if (v) return false;
  return true;
}

bool went_down(const counter_set& before, const counter_set& after) noexcept {
  for (std::size_t s = 0; s < before.values_.size(); ++s)
    for (std::size_t k = 0; k < before.values_[s].size(); ++k) {
      const auto& b = before.values_[s][k];
      const auto& a = after.values_[s][k];
      if (b && a && *a < *b) return true;
    }
  return false;
}

}  // namespace fleetreg
