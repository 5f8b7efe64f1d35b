// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
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

/// The server key (32 random bytes, 64 hex digits) from `path`. Never makes
/// one: a new key voids every outstanding provisional code, so a missing file
/// throws fleetreg::error (exit code config) naming `fleetreg-centerctl key
/// init`; so do an unreadable or malformed file and one readable by group or
/// others.
digest load_server_key(const std::string& path);

/// Makes a new server key in `path` (mode 0600; a missing directory is made
/// 0700): written to a temporary file, synced, then linked into place, so the
/// file never exists half-written and an existing one is never replaced.
/// When `owner_dir` is given and the caller is root, the file goes to the
/// owner of that directory (the center's user owns its state directory).
/// Returns the key. Throws fleetreg::error: failure when `path` exists, io
/// when it cannot be written.
digest create_server_key(const std::string& path, const std::string& owner_dir = "");

/// A short public name of a server key (16 hex digits of a SHA-256 of a
/// domain-separated copy): backups record it, restores compare it. It tells
/// nothing about the key itself.
std::string key_fingerprint(const digest& server_key);

/// HMAC-SHA-256 of a canonical provisional code under the server key.
digest code_hash(const digest& server_key, std::string_view canonical_code);

/// HMAC-SHA-256 of `data` under `key` (any length), as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
/// `bytes` random bytes as lowercase hex.
std::string random_hex(std::size_t bytes);

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
