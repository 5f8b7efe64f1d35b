// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/oid.hpp"

#include <algorithm>
#include <charconv>

namespace fleetreg::snmp {

std::optional<oid_vector> parse_oid(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  oid_vector out;
  while (true) {
    const auto dot = text.find('.');
    const auto part = text.substr(0, dot);
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc{} || ptr != part.data() + part.size() || v > 0xffffffffULL) return std::nullopt;
    out.push_back(static_cast<subid>(v));
    if (out.size() > 128) return std::nullopt;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return out;
}

std::string to_string(std::span<const subid> oid) {
  std::string s;
  for (std::size_t i = 0; i < oid.size(); ++i) {
    if (i) s += '.';
    s += std::to_string(oid[i]);
  }
  return s;
}

bool starts_with(std::span<const subid> oid, std::span<const subid> prefix) noexcept {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

oid_vector append(std::span<const subid> base, std::initializer_list<subid> suffix) {
  oid_vector v(base.begin(), base.end());
  v.insert(v.end(), suffix.begin(), suffix.end());
  return v;
}

}  // namespace fleetreg::snmp
