// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fleetreg {

/// Fills `out` with cryptographically secure random bytes (getrandom(2)).
/// Throws std::system_error when the kernel refuses.
void random_bytes(void* out, std::size_t n);

/// A random (version 4) UUID in lower-case canonical form. Throws as random_bytes.
std::string make_uuid();

/// True when `text` is a canonical UUID (8-4-4-4-12 hex digits, any case).
bool is_uuid(std::string_view text) noexcept;

}  // namespace fleetreg
