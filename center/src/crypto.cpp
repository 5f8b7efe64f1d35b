// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/crypto.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::center::crypto {

void init() {
  if (sodium_init() < 0) throw error(exit_code::software, "libsodium cannot be initialised");
}

digest load_or_create_server_key(const std::string& path) {
  digest key{};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir)) {
      std::filesystem::create_directories(dir, ec);
      ::chmod(dir.c_str(), 0700);
    }
    randombytes_buf(key.data(), key.size());
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
    const mode_t old = ::umask(077);
    std::ofstream out(path, std::ios::trunc);
    out << hex << "\n";
    out.close();
    ::umask(old);
    if (!out) throw error(exit_code::io, "cannot write the server key file " + path);
    log::notice("generated a new server key in " + path);
    return key;
  }
  if (st.st_mode & 077)
    throw error(exit_code::config, "the server key file " + path + " is readable by others; chmod 600 it");
  std::ifstream in(path);
  std::string hex;
  in >> hex;
  std::size_t len = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.data(), key.size(), hex.c_str(), hex.size(), nullptr, &len, nullptr) != 0 || len != 32)
    throw error(exit_code::config, "the server key file " + path + " does not hold 64 hex digits");
  return key;
}

digest code_hash(const digest& server_key, std::string_view canonical_code) {
  digest out{};
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, server_key.data(), server_key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(canonical_code.data()),
                                canonical_code.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  return out;
}

std::string new_secret(std::string_view prefix) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return std::string(prefix) + b64;
}

digest secret_hash(std::string_view secret) {
  digest out{};
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return out;
}

std::string hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw error(exit_code::software, "out of memory while hashing a password");
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace fleetreg::center::crypto
