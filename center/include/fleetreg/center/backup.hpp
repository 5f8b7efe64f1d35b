// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/core/clock.hpp"

/// Backups of the center's database that name the server key they need.
///
/// The key itself stays out of the backup on purpose: a database without its
/// key cannot be used to brute-force provisional codes offline. A backup
/// carries the key's fingerprint instead (table `fleetreg_backup` in the
/// copy), and a restore refuses a database whose key is not the installed
/// one, because every code issued under the old key would stop working.
namespace fleetreg::center {

/// What a backup file says about itself.
struct backup_record {
  std::string made_at;          ///< UTC, RFC 3339
  std::string database;         ///< the database it is a copy of
  std::string key_file;         ///< the server key file it needs (secret_file then)
  std::string key_fingerprint;  ///< crypto::key_fingerprint of that key
};

/// Writes a consistent copy of `store` to `target` while the center may run
/// (SQLite online backup), with its backup_record: into a temporary file
/// next to `target` (mode 0600 whatever the umask, journal mode DELETE so
/// the copy is one self-contained file), synced, then renamed over `target`.
/// The copy is owned by whoever runs this (fleetreg-centerctl as root has
/// become the center's user by then). Returns the record written. Throws
/// fleetreg::error (io) when the directory is not writable, std::system_error
/// on database errors; `target` is then untouched.
backup_record write_backup(sqlite_storage& store, const config& cfg, const crypto::digest& server_key,
                           const std::string& target, time_point now);

/// The record of a backup file; nullopt for a copy without one (made by an
/// older fleetreg-centerctl, or copied by hand). Throws std::system_error
/// when `file` is not a readable SQLite database.
std::optional<backup_record> read_backup_record(const std::string& file);

/// Replaces `cfg.database` with the backup `source`, holding the database
/// lock meanwhile. Refuses, changing nothing, with fleetreg::error (failure):
/// while a center runs on the database (it holds the lock); when the backup
/// records another server key than `server_key`, unless `accept_other_key`
/// (then every code issued under the old key stops working). A copy without a
/// record is restored with a warning. Returns the record (if any). Throws
/// fleetreg::error (data) when `source` is no center database of a known
/// schema version.
std::optional<backup_record> restore_backup(const std::string& source, const config& cfg,
                                            const crypto::digest& server_key, bool accept_other_key);

}  // namespace fleetreg::center
