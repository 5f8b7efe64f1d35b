// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/state.hpp"

#include <array>
#include <utility>

namespace fleetreg::terminal {
namespace {

constexpr std::array<std::pair<device_state, std::string_view>, 4> device_names = {{
    {device_state::idle, "idle"},
    {device_state::busy, "busy"},
    {device_state::error, "error"},
    {device_state::unknown, "unknown"},
}};

constexpr std::array<std::pair<registration_state, std::string_view>, 6> registration_names = {{
    {registration_state::unregistered, "unregistered"},
    {registration_state::pending, "pending"},
    {registration_state::registering, "registering"},
    {registration_state::registered, "registered"},
    {registration_state::failed, "failed"},
    {registration_state::revoked, "revoked"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, n] : table)
    if (v == value) return n;
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name) {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(device_state s) noexcept { return name_of(device_names, s); }
std::optional<device_state> parse_device_state(std::string_view n) noexcept { return value_of(device_names, n); }
std::string_view to_string(registration_state s) noexcept { return name_of(registration_names, s); }
std::optional<registration_state> parse_registration_state(std::string_view n) noexcept {
  return value_of(registration_names, n);
}

bool registration_in_effect(registration_state s) noexcept {
  return s == registration_state::registering || s == registration_state::registered ||
         s == registration_state::revoked;
}

std::optional<std::string> registration_write_refused(registration_state s, registration_write w) {
  if (s == registration_state::registering)
    return std::string("a registration is in progress; try again when it has ended");
  if (w == registration_write::unregister || !registration_in_effect(s)) return std::nullopt;
  const std::string what = w == registration_write::center_url ? "the center URL" : "a provisional code";
  return "the terminal is " + std::string(to_string(s)) + ": " + what +
         " can be entered only after the terminal is unregistered";
}

}  // namespace fleetreg::terminal
