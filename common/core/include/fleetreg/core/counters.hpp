// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fleetreg {

/// PWG 5106.1 service types that terminals count. The MIB indexes its
/// counter table by the matching IcServiceTypeTC value (pwg_service_type).
enum class service : std::uint8_t { copy, print, scan, fax_in, fax_out, total };
inline constexpr std::array<service, 6> all_services = {service::copy,   service::print,   service::scan,
                                                        service::fax_in, service::fax_out, service::total};

/// What is counted for a service.
enum class counter_kind : std::uint8_t { impressions, impressions_mono, impressions_color, sheets };
inline constexpr std::array<counter_kind, 4> all_counter_kinds = {
    counter_kind::impressions, counter_kind::impressions_mono, counter_kind::impressions_color, counter_kind::sheets};

/// "copy", "print", "scan", "fax-in", "fax-out", "total".
std::string_view to_string(service s) noexcept;
/// "impressions", "impressions-mono", "impressions-color", "sheets".
std::string_view to_string(counter_kind k) noexcept;
std::optional<service> parse_service(std::string_view name) noexcept;
std::optional<counter_kind> parse_counter_kind(std::string_view name) noexcept;

/// The PWG Imaging System Counter MIB IcServiceTypeTC value of a service:
/// systemTotals(3), copy(4), faxIn(7), faxOut(8), print(11), scan(12).
int pwg_service_type(service s) noexcept;
std::optional<service> service_from_pwg(int value) noexcept;

/// Counters of one terminal: per service and kind an unsigned 64-bit value,
/// or unknown (the device does not report it).
class counter_set {
 public:
  std::optional<std::uint64_t> get(service s, counter_kind k) const noexcept { return values_[index(s)][index(k)]; }
  void set(service s, counter_kind k, std::uint64_t v) noexcept { values_[index(s)][index(k)] = v; }
  void clear(service s, counter_kind k) noexcept { values_[index(s)][index(k)].reset(); }
  /// Adds `delta` (an unknown counter starts from zero).
  void add(service s, counter_kind k, std::uint64_t delta) noexcept {
    auto& v = values_[index(s)][index(k)];
    v = v.value_or(0) + delta;
  }
  /// True when no counter is known.
  bool empty() const noexcept;
  /// True when any counter known in both `before` and `after` went down: a
  /// reset or a device swap, never negative usage.
  friend bool went_down(const counter_set& before, const counter_set& after) noexcept;

  friend bool operator==(const counter_set&, const counter_set&) = default;

 private:
  template <typename E>
  static constexpr std::size_t index(E e) noexcept {
    return static_cast<std::size_t>(e);
  }
  std::array<std::array<std::optional<std::uint64_t>, all_counter_kinds.size()>, all_services.size()> values_{};
};

}  // namespace fleetreg
