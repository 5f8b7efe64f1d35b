// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/identity.hpp"

#include <array>
#include <utility>

#include "fleetreg/core/random.hpp"

namespace fleetreg {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool ends_with_word(const std::string& s, std::string_view word) {
  return s.size() > word.size() && s.ends_with(word) && s[s.size() - word.size() - 1] == ' ';
}

// Corporate suffixes, compared after folding and dropping punctuation.
constexpr std::array<std::string_view, 12> suffixes = {
    "inc", "incorporated", "corp", "corporation", "co ltd", "ltd", "limited", "gmbh", "ag", "co", "company", "llc"};

// Vendor aliases (folded form → one name). Kept short: names seen in
// printer-make-and-model, hrDeviceDescr and IEEE 1284 MFG fields.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> aliases = {{
    {"hewlett packard", "hp"},
    {"hewlett-packard", "hp"},
    {"hp inc", "hp"},
    {"konica-minolta", "konica minolta"},
    {"konicaminolta", "konica minolta"},
    {"kyocera mita", "kyocera"},
    {"kyocera document solutions", "kyocera"},
    {"kyoceramita", "kyocera"},
    {"seiko epson", "epson"},
    {"oki data", "oki"},
    {"okidata", "oki"},
    {"toshiba tec", "toshiba"},
    {"fuji xerox", "fujifilm"},
    {"fujifilm business innovation", "fujifilm"},
    {"ricoh company", "ricoh"},
    {"brother industries", "brother"},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> display_names = {{
    {"hp", "HP"},
    {"konica minolta", "Konica Minolta"},
    {"oki", "OKI"},
    {"fujifilm", "FUJIFILM"},
    {"epson", "Epson"},
    {"kyocera", "Kyocera"},
}};

}  // namespace

std::string normalize_manufacturer(std::string_view manufacturer) {
  // Fold case, turn punctuation other than '-' and '&' into spaces, collapse spaces.
  std::string folded;
  bool pending_space = false;
  for (char c : trim(manufacturer)) {
    const bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                      c == '&' || static_cast<unsigned char>(c) >= 0x80;
    if (!keep) {
      pending_space = !folded.empty();
      continue;
    }
    if (pending_space) folded += ' ';
    pending_space = false;
    folded += lower(c);
  }
  // Drop corporate suffixes, repeatedly ("Co., Ltd.").
  for (bool changed = true; changed;) {
    changed = false;
    for (auto suffix : suffixes) {
      if (ends_with_word(folded, suffix)) {
        folded.resize(folded.size() - suffix.size() - 1);
        changed = true;
      }
    }
  }
  for (const auto& [from, to] : aliases)
    if (folded == from) return std::string(to);
  return folded;
}

std::string display_manufacturer(std::string_view normalized) {
  for (const auto& [from, to] : display_names)
    if (normalized == from) return std::string(to);
  std::string out(normalized);
  bool start = true;
  for (auto& c : out) {
    if (start) c = upper(c);
    start = (c == ' ' || c == '-');
  }
  return out;
}

std::string normalize_serial(std::string_view serial) {
  std::string out(trim(serial));
  for (auto& c : out) c = upper(c);
  return out;
}

std::optional<std::string> terminal_key(const identity& id) {
  const auto serial = normalize_serial(id.serial);
  const auto maker = normalize_manufacturer(id.manufacturer);
  if (!serial.empty() && !maker.empty()) return maker + ":" + serial;
  if (!id.uuid.empty() && is_uuid(id.uuid)) {
    std::string u = "urn:uuid:";
    for (char c : id.uuid) u += lower(c);
    return u;
  }
  return std::nullopt;
}

bool is_printable_utf8(std::string_view s, std::size_t max) noexcept {
  if (s.size() > max) return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates, out of range, C1 controls.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
      return false;
    i += len;
  }
  return true;
}

std::string truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  // Back off continuation bytes (10xxxxxx) so that the cut falls before a lead byte.
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

void fit_to_limits(identity& id) {
  id.manufacturer = truncate_utf8(id.manufacturer, max_manufacturer_length);
  id.model = truncate_utf8(id.model, max_model_length);
  id.serial = truncate_utf8(id.serial, max_serial_length);
  id.firmware = truncate_utf8(id.firmware, max_firmware_length);
  if (is_uuid(id.uuid))
    for (auto& c : id.uuid) c = lower(c);
  else
    id.uuid.clear();
}

std::optional<std::string> validate(const identity& id) {
  struct field {
    std::string_view name;
    const std::string& value;
    std::size_t max;
  };
  const field fields[] = {{"manufacturer", id.manufacturer, max_manufacturer_length},
                          {"model", id.model, max_model_length},
                          {"serial", id.serial, max_serial_length},
                          {"firmware", id.firmware, max_firmware_length}};
  for (const auto& f : fields) {
    if (f.value.size() > f.max) return std::string(f.name) + " is longer than " + std::to_string(f.max) + " bytes";
    if (!is_printable_utf8(f.value, f.max)) return std::string(f.name) + " holds control characters or invalid UTF-8";
  }
  if (!id.uuid.empty() && !is_uuid(id.uuid)) return "uuid is not a canonical UUID";
  return std::nullopt;
}

}  // namespace fleetreg
