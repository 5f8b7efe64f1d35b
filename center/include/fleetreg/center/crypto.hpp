// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

/// The center's secrets, on libsodium: the server key that makes code hashes
/// useless to whoever steals the database, formal credentials and monitoring
/// tokens (256 random bits, stored as SHA-256), and account passwords (argon2id).
namespace fleetreg::center::crypto {

using digest = std::array<unsigned char, 32>;

/// Initialises libsodium. Throws fleetreg::error when it cannot.
void init();

/// The server key (32 random bytes, hex) from `path`; generated (mode 0600,
/// directory created 0700) when missing. Throws fleetreg::error when the file
/// is unreadable, malformed, or readable by group or others.
digest load_or_create_server_key(const std::string& path);

/// HMAC-SHA-256 of a canonical provisional code under the server key.
digest code_hash(const digest& server_key, std::string_view canonical_code);

/// A new formal credential or monitoring token: `prefix` + 256 random bits in
/// base64url (no padding).
std::string new_secret(std::string_view prefix);
/// SHA-256 of a credential or token (they carry 256 random bits: no slow hash needed).
digest secret_hash(std::string_view secret);

/// argon2id hash in libsodium's string form (interactive limits). Throws
/// fleetreg::error when out of memory.
std::string hash_password(std::string_view password);
/// Constant-time check of a password against hash_password's output.
bool verify_password(std::string_view password, const std::string& hash);

}  // namespace fleetreg::center::crypto
