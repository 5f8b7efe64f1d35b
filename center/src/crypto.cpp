// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/crypto.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg::center::crypto {

void init() {
  if (sodium_init() < 0) throw error(exit_code::software, "libsodium cannot be initialised");
}

digest load_server_key(const std::string& path) {
  digest key{};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      throw error(exit_code::config, "the server key file " + path +
                                         " does not exist: put back the one from your backups, or create a key once "
                                         "with 'fleetreg-centerctl key init' (a new key voids every outstanding "
                                         "provisional code)");
    throw error(exit_code::config, "cannot read the server key file " + path + ": " + std::strerror(errno));
  }
  if (st.st_mode & 077)
    throw error(exit_code::config, "the server key file " + path + " is readable by others; chmod 600 it");
  std::ifstream in(path);
  if (!in) throw error(exit_code::config, "cannot read the server key file " + path + ": " + std::strerror(errno));
  std::string hex;
  in >> hex;
  std::size_t len = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.data(), key.size(), hex.c_str(), hex.size(), nullptr, &len, nullptr) != 0 || len != 32)
    throw error(exit_code::config, "the server key file " + path + " does not hold 64 hex digits");
  return key;
}

digest create_server_key(const std::string& path, const std::string& owner_dir) {
  namespace fs = std::filesystem;
  struct stat st {};
  auto exists = [&] {
    return error(exit_code::failure, "the server key file " + path +
                                         " exists already: a new key would void every outstanding provisional code "
                                         "(delete the file first if that is what you want)");
  };
  if (::lstat(path.c_str(), &st) == 0) throw exists();
  // Run as root, what is made goes to the owner of `owner_dir`.
  std::optional<std::pair<uid_t, gid_t>> owner;
  struct stat owner_st {};
  if (!owner_dir.empty() && ::geteuid() == 0 && ::stat(owner_dir.c_str(), &owner_st) == 0 && owner_st.st_uid != 0)
    owner.emplace(owner_st.st_uid, owner_st.st_gid);
  const auto dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::exists(dir)) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw error(exit_code::io, "cannot create the directory " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    if (owner && ::chown(dir.c_str(), owner->first, owner->second) != 0)
      throw error(exit_code::io,
                  "cannot give " + dir.string() + " to the owner of " + owner_dir + ": " + std::strerror(errno));
  }

  digest key{};
  randombytes_buf(key.data(), key.size());
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
  std::string text = std::string(hex) + "\n";
  sodium_memzero(hex, sizeof hex);

  // A temporary file (mkstemp: 0600), synced, then link()ed to the name:
  // link never replaces an existing file, so two key inits cannot both win.
  std::string temp = path + ".new-XXXXXX";
  unique_fd fd(::mkstemp(temp.data()));
  if (!fd) throw error(exit_code::io, "cannot write the server key file " + path + ": " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    const int saved = errno;
    fd.reset();
    ::unlink(temp.c_str());
    return error(exit_code::io, what + ": " + std::strerror(saved));
  };
  if (::fchmod(fd.get(), 0600) != 0) throw fail("cannot chmod " + temp);
  if (owner && ::fchown(fd.get(), owner->first, owner->second) != 0)
    throw fail("cannot give " + temp + " to the owner of " + owner_dir);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd.get()) != 0)
    throw fail("cannot write the server key file " + path);
  sodium_memzero(text.data(), text.size());
  fd.reset();
  if (::link(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    if (saved == EEXIST) throw exists();
    throw error(exit_code::io, "cannot write the server key file " + path + ": " + std::strerror(saved));
  }
  ::unlink(temp.c_str());
  // The new name must survive a power cut too.
  if (const unique_fd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dfd)
    ::fsync(dfd.get());
  return key;
}

std::string key_fingerprint(const digest& server_key) {
  static constexpr std::string_view label = "fleetreg server key fingerprint v1";
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(label.data()), label.size());
  crypto_hash_sha256_update(&st, server_key.data(), server_key.size());
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, out, 8);
  return hex;
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

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  digest out{};
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  std::string hex(out.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), out.data(), out.size());
  hex.pop_back();
  return hex;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
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
