// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

/// Provisional codes as people type them: 11 random symbols (55 bits) and one
/// check symbol from Crockford's base32 alphabet (no I, L, O or U), written
/// in three groups of four: "K7QM-3XPA-9TW5". Reading is forgiving (case,
/// spaces, dashes, O for 0, I and L for 1); the check symbol catches every
/// single mistyped symbol and every swap of two neighbours before anything is
/// sent. Secrets handling (the keyed hash the center stores) is not here.
namespace fleetreg::provisional_code {

/// Random symbols in a code (5 bits each: 55 bits).
inline constexpr std::size_t data_symbols = 11;

/// A new code from getrandom(2), in canonical form. Throws std::system_error
/// when the kernel refuses randomness.
std::string generate();

/// The canonical form ("XXXX-XXXX-XXXX") of a typed code, or the empty string
/// with `why` set to one human sentence when it is not a well-formed code.
std::string normalize(std::string_view typed, std::string* why = nullptr);

/// The check symbol for `data` (11 symbols of the alphabet, canonical case).
char check_symbol(std::string_view data);

}  // namespace fleetreg::provisional_code
