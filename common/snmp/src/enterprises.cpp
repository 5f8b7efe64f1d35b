// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/enterprises.hpp"

#include <array>

namespace fleetreg::snmp {
namespace {

using namespace std::string_view_literals;

// Enterprise numbers as IANA's registry lists them
// (https://www.iana.org/assignments/enterprise-numbers); the vendors named in
// docs/ARCHITECTURE.md ("Identity") with the spellings seen in sysDescr,
// hrDeviceDescr and entPhysicalMfgName. Longer aliases first where one is a
// prefix of another does not matter: the longest match wins.
constexpr std::array hp_names = {"HP"sv, "Hewlett-Packard"sv, "Hewlett Packard"sv, "HP Inc."sv};
constexpr std::array samsung_names = {"Samsung"sv, "Samsung Electronics"sv};
constexpr std::array xerox_names = {"Xerox"sv};
constexpr std::array fujifilm_names = {"Fujifilm"sv, "Fuji Xerox"sv, "FujiXerox"sv, "FUJIFILM Business Innovation"sv};
constexpr std::array ricoh_names = {"Ricoh"sv, "Ricoh Company"sv};
constexpr std::array lexmark_names = {"Lexmark"sv, "Lexmark International"sv};
constexpr std::array dell_names = {"Dell"sv};
constexpr std::array toshiba_names = {"Toshiba"sv, "Toshiba TEC"sv};
constexpr std::array epson_names = {"Epson"sv, "Seiko Epson"sv};
constexpr std::array kyocera_names = {"Kyocera"sv, "Kyocera Document Solutions"sv, "Kyocera Mita"sv, "KyoceraMita"sv};
constexpr std::array canon_names = {"Canon"sv};
constexpr std::array oki_names = {"OKI"sv, "OKI Data"sv, "OKIDATA"sv, "Oki Electric"sv};
constexpr std::array sharp_names = {"Sharp"sv};
constexpr std::array brother_names = {"Brother"sv, "Brother Industries"sv};
constexpr std::array konica_names = {"Konica Minolta"sv, "KonicaMinolta"sv, "Konica-Minolta"sv};
constexpr std::array pantum_names = {"Pantum"sv};

constexpr std::array<printer_vendor, 16> vendors = {{
    {11, "HP", hp_names},
    {236, "Samsung", samsung_names},
    {253, "Xerox", xerox_names},
    {297, "Fujifilm", fujifilm_names},
    {367, "Ricoh", ricoh_names},
    {641, "Lexmark", lexmark_names},
    {674, "Dell", dell_names},
    {1129, "Toshiba", toshiba_names},
    {1248, "Epson", epson_names},
    {1347, "Kyocera", kyocera_names},
    {1602, "Canon", canon_names},
    {2001, "OKI", oki_names},
    {2385, "Sharp", sharp_names},
    {2435, "Brother", brother_names},
    {18334, "Konica Minolta", konica_names},
    {40093, "Pantum", pantum_names},
}};

constexpr char fold(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool is_word_char(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         static_cast<unsigned char>(c) >= 0x80;
}

// `text` starts with `name` (case folded; a space or '-' in the name matches
// any run of spaces, '-' or '_'); the length consumed, or 0.
std::size_t prefix_length(std::string_view text, std::string_view name) noexcept {
  std::size_t i = 0;
  for (std::size_t j = 0; j < name.size(); ++j) {
    if (name[j] == ' ' || name[j] == '-') {
      if (i >= text.size() || (text[i] != ' ' && text[i] != '-' && text[i] != '_')) return 0;
      while (i < text.size() && (text[i] == ' ' || text[i] == '-' || text[i] == '_')) ++i;
      continue;
    }
    if (i >= text.size() || fold(text[i]) != fold(name[j])) return 0;
    ++i;
  }
  return i;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The vendor and length of the longest known name `text` starts with, as a
// whole word.
std::optional<std::pair<const printer_vendor*, std::size_t>> longest_prefix(std::string_view text) noexcept {
  std::optional<std::pair<const printer_vendor*, std::size_t>> best;
  for (const auto& v : vendors)
    for (const auto name : v.aliases) {
      const auto n = prefix_length(text, name);
      if (n == 0 || (n < text.size() && is_word_char(text[n]) && is_word_char(text[n - 1]))) continue;
      if (!best || n > best->second) best = std::make_pair(&v, n);
    }
  return best;
}

}  // namespace

std::span<const printer_vendor> printer_vendors() noexcept { return vendors; }

std::optional<std::string_view> manufacturer_of(std::span<const subid> sys_object_id) noexcept {
  static constexpr std::array<subid, 6> enterprises = {1, 3, 6, 1, 4, 1};
  if (sys_object_id.size() <= enterprises.size() || !starts_with(sys_object_id, enterprises)) return std::nullopt;
  const auto number = sys_object_id[enterprises.size()];
  for (const auto& v : vendors)
    if (v.enterprise == number) return v.name;
  return std::nullopt;
}

std::optional<std::string_view> canonical_manufacturer(std::string_view name) noexcept {
  name = trim(name);
  // Corporate punctuation at the end ("HP Inc.", "Ricoh Co., Ltd.") aside.
  const auto found = longest_prefix(name);
  if (!found) return std::nullopt;
  auto rest = name.substr(found->second);
  while (!rest.empty() && (rest.front() == '.' || rest.front() == ',' || rest.front() == ' ')) rest.remove_prefix(1);
  for (const auto suffix : {"co"sv, "co., ltd."sv, "co.,ltd."sv, "ltd"sv, "ltd."sv, "inc"sv, "inc."sv, "corporation"sv,
                            "corp."sv, "corp"sv, "gmbh"sv, "ag"sv, "ab"sv})
    if (prefix_length(rest, suffix) == rest.size()) return found->first->name;
  return std::nullopt;
}

std::optional<std::uint32_t> enterprise_of(std::string_view manufacturer) noexcept {
  const auto canonical = canonical_manufacturer(manufacturer);
  if (!canonical) return std::nullopt;
  for (const auto& v : vendors)
    if (v.name == *canonical) return v.enterprise;
  return std::nullopt;
}

std::optional<vendor_and_rest> split_vendor_prefix(std::string_view text) {
  text = trim(text);
  const auto found = longest_prefix(text);
  if (!found) return std::nullopt;
  auto rest = text.substr(found->second);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '-' || rest.front() == '_' || rest.front() == ',' ||
                           rest.front() == ':'))
    rest.remove_prefix(1);
  return vendor_and_rest{found->first->name, std::string(trim(rest))};
}

}  // namespace fleetreg::snmp
