// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleetreg {

/// Size limits of identity fields (bytes of UTF-8).
inline constexpr std::size_t max_manufacturer_length = 64;
inline constexpr std::size_t max_model_length = 128;
inline constexpr std::size_t max_serial_length = 64;
inline constexpr std::size_t max_firmware_length = 64;

/// Who a terminal is. Manufacturer and serial make the key; model is an attribute.
struct identity {
  std::string manufacturer;  ///< as the device reports it, trimmed
  std::string model;
  std::string serial;
  std::string uuid;  ///< optional; lower-case canonical when set
  std::string firmware;

  friend bool operator==(const identity&, const identity&) = default;
};

/// Normalises a manufacturer for matching: trimmed, inner whitespace
/// collapsed, ASCII case-folded, corporate suffixes dropped ("Inc.", "Co.,
/// Ltd.", "Corporation"...), and vendor aliases mapped to one name
/// ("Hewlett-Packard" and "HP" both give "hp").
std::string normalize_manufacturer(std::string_view manufacturer);

/// A display name for a normalised manufacturer ("hp" gives "HP",
/// "konica minolta" gives "Konica Minolta"); unknown names are returned as given.
std::string display_manufacturer(std::string_view normalized);

/// Normalises a serial number: trimmed, ASCII upper-case.
std::string normalize_serial(std::string_view serial);

/// The terminal key: "<normalised manufacturer>:<normalised serial>", or
/// "urn:uuid:<uuid>" when there is no serial but a UUID. nullopt when neither
/// is known (the terminal cannot be registered).
std::optional<std::string> terminal_key(const identity& id);

/// Checks sizes and characters (printable UTF-8, no control characters; UUID
/// canonical). Returns the first problem as text, or nullopt when valid.
std::optional<std::string> validate(const identity& id);

/// True when `s` is valid UTF-8 without control characters and at most `max` bytes.
bool is_printable_utf8(std::string_view s, std::size_t max) noexcept;

/// `s` cut to at most `max` bytes, never inside a UTF-8 sequence.
std::string truncate_utf8(std::string_view s, std::size_t max);

/// An identity as a device reported it, fitted to what validate() and the
/// center accept: text fields cut to their limits (at a character boundary),
/// the uuid lower-cased when canonical and dropped when not. Text that is not
/// printable UTF-8 is left as it is for validate() to refuse.
void fit_to_limits(identity& id);

}  // namespace fleetreg
