// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/state.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <utility>
#include <vector>

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

std::string canonical_sys_object_id(std::string_view oid) {
  if (oid.starts_with('.')) oid.remove_prefix(1);
  return std::string(oid);
}

std::optional<std::string> validate_sys_object_id(std::string_view oid) {
  if (oid.size() > max_sys_object_id_length) return "a sysObjectID has at most 255 characters";
  const auto text = canonical_sys_object_id(oid);
  std::vector<std::uint32_t> arcs;
  std::string_view rest(text);
  while (true) {
    const auto dot = rest.find('.');
    const auto arc = rest.substr(0, dot);
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(arc.data(), arc.data() + arc.size(), v);
    if (arc.empty() || ec != std::errc{} || ptr != arc.data() + arc.size() || (arc.size() > 1 && arc[0] == '0'))
      return "a sysObjectID is numbers separated by dots, like 1.3.6.1.4.1.367.1.1";
    arcs.push_back(v);
    if (arcs.size() > 128) return "a sysObjectID has at most 128 numbers";
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  // 1.3.6.1.4.1 is iso.org.dod.internet.private.enterprises; the next arc
  // is the vendor's IANA enterprise number, and a device type lies below it.
  constexpr std::array<std::uint32_t, 6> enterprises = {1, 3, 6, 1, 4, 1};
  if (arcs.size() < enterprises.size() + 2 || !std::equal(enterprises.begin(), enterprises.end(), arcs.begin()))
    return "a sysObjectID lies under the vendor's enterprise number, 1.3.6.1.4.1.<enterprise>.<...>";
  return std::nullopt;
}

std::optional<std::string> validate(const system_info& s) {
  if (!s.sys_object_id.empty())
    if (auto why = validate_sys_object_id(s.sys_object_id)) return why;
  const std::pair<std::string_view, std::string_view> texts[] = {{"sysDescr", s.sys_descr},
                                                                 {"sysName", s.sys_name},
                                                                 {"sysContact", s.sys_contact},
                                                                 {"sysLocation", s.sys_location}};
  for (const auto& [name, value] : texts) {
    if (!is_printable_utf8(value, max_system_text_length))
      return std::string(name) + " is longer than 255 bytes or not printable UTF-8";
    if (!value.empty() && (value.front() == ' ' || value.back() == ' '))
      return std::string(name) + " starts or ends with a blank";
  }
  return std::nullopt;
}

}  // namespace fleetreg::terminal
