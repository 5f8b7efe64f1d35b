// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/ipp/printer_attributes.hpp"

#include <algorithm>
#include <cctype>

namespace fleetreg::ipp {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::map<std::string, std::string> split_pairs(std::string_view text, char separator, bool upper) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto end = text.find(';');
    const auto item = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const auto sep = item.find(separator);
    if (sep == std::string_view::npos) continue;
    std::string key(trim(item.substr(0, sep)));
    if (key.empty()) continue;
    std::transform(key.begin(), key.end(), key.begin(),
                   [upper](unsigned char c) { return static_cast<char>(upper ? std::toupper(c) : std::tolower(c)); });
    out.emplace(std::move(key), std::string(trim(item.substr(sep + 1))));
  }
  return out;
}

}  // namespace

const std::vector<std::string> requested_attributes = {"printer-make-and-model",
                                                       "printer-device-id",
                                                       "printer-uuid",
                                                       "printer-serial-number",
                                                       "printer-name",
                                                       "printer-firmware-string-version",
                                                       "printer-impressions-completed",
                                                       "printer-impressions-completed-col",
                                                       "printer-media-sheets-completed",
                                                       "printer-supply",
                                                       "printer-supply-description",
                                                       "marker-names",
                                                       "marker-types",
                                                       "marker-levels"};

std::map<std::string, std::string> parse_device_id(std::string_view text) { return split_pairs(text, ':', true); }

std::map<std::string, std::string> parse_supply(std::string_view text) { return split_pairs(text, '=', false); }

}  // namespace fleetreg::ipp
