// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "fleetreg/center/database_lock.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg::center {
namespace {

constexpr const char* record_table = "fleetreg_backup";

void sync_path(const std::string& path, int flags) {
  const unique_fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    const int saved = errno;
    throw error(exit_code::io, "cannot sync " + path + ": " + std::strerror(saved));
  }
}

// Removes the temporary copy unless it was renamed into place.
struct temp_file {
  std::string path;
  bool keep = false;
  ~temp_file() {
    if (keep) return;
    ::unlink(path.c_str());
    ::unlink((path + "-journal").c_str());
  }
};

}  // namespace

backup_record write_backup(sqlite_storage& store, const config& cfg, const crypto::digest& server_key,
                           const std::string& target, time_point now) {
  namespace fs = std::filesystem;
  const auto dir = fs::path(target).parent_path().string();
  temp_file temp{target + ".tmp-XXXXXX"};
  unique_fd fd(::mkstemp(temp.path.data()));
  if (!fd) {
    const int saved = errno;
    temp.keep = true;  // nothing was made
    throw error(exit_code::io, "cannot write a backup into " + (dir.empty() ? std::string(".") : dir) + ": " +
                                   std::strerror(saved) + " (fleetreg-centerctl runs as uid " +
                                   std::to_string(::geteuid()) + ", the owner of the database's directory)");
  }
  // Password hashes and customer data: 0600 whatever the umask says.
  const bool private_mode = ::fchmod(fd.get(), 0600) == 0;
  const int saved = errno;
  fd.reset();
  if (!private_mode) throw error(exit_code::io, "cannot chmod " + temp.path + ": " + std::strerror(saved));

  store.backup(temp.path);
  backup_record record;
  record.made_at = format_utc(now);
  record.database = cfg.database;
  record.key_file = cfg.secret_file;
  record.key_fingerprint = crypto::key_fingerprint(server_key);
  {
    sqlite::database copy(temp.path, sqlite::open_mode::read_write);
    // The live database is WAL; the copy is one file that needs no -wal beside it.
    copy.exec("PRAGMA journal_mode = DELETE");
    copy.exec(std::string("DROP TABLE IF EXISTS ") + record_table + "; CREATE TABLE " + record_table +
              " (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
    sqlite::statement ins(copy, std::string("INSERT INTO ") + record_table + " (name, value) VALUES (?1, ?2)");
    auto put = [&](std::string_view name, std::string_view value) {
      ins.bind(1, name).bind(2, value);
      ins.run();
    };
    put("made_at", record.made_at);
    put("database", record.database);
    put("key_file", record.key_file);
    put("key_fingerprint", record.key_fingerprint);
  }
  sync_path(temp.path, O_RDONLY);
  if (::rename(temp.path.c_str(), target.c_str()) != 0)
    throw error(exit_code::io, "cannot rename " + temp.path + " to " + target + ": " + std::strerror(errno));
  temp.keep = true;
  sync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
  return record;
}

std::optional<backup_record> read_backup_record(const std::string& file) {
  sqlite::database db(file, sqlite::open_mode::read_only);
  {
    sqlite::statement t(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    t.bind(1, record_table);
    if (!t.step()) return std::nullopt;
  }
  backup_record r;
  sqlite::statement q(db, std::string("SELECT name, value FROM ") + record_table);
  while (q.step()) {
    const auto name = q.column_text(0);
    const auto value = q.column_text(1);
    if (name == "made_at") r.made_at = value;
    if (name == "database") r.database = value;
    if (name == "key_file") r.key_file = value;
    if (name == "key_fingerprint") r.key_fingerprint = value;
  }
  return r;
}

std::optional<backup_record> restore_backup(const std::string& source, const config& cfg,
                                            const crypto::digest& server_key, bool accept_other_key) {
  const auto where = parse_database_location(cfg.database);
  if (where.kind != database_location::engine::sqlite)
    throw error(exit_code::usage,
                "restore replaces a SQLite center's file; a PostgreSQL center is restored with pg_restore "
                "(docs/OPERATIONS.md)");
  const auto& path = where.target;
  const auto lock = database_lock::try_acquire(path);
  if (!lock)
    throw error(exit_code::failure, "fleetreg-center is running on " + path + " (it holds " +
                                        database_lock::path_for(path) +
                                        "): stop it first (systemctl stop fleetreg-center), then restore");
  if (::access(source.c_str(), R_OK) != 0)
    throw error(exit_code::io, "cannot read the backup " + source + ": " + std::strerror(errno));
  const auto record = read_backup_record(source);
  const auto installed = crypto::key_fingerprint(server_key);
  if (!record) {
    log::warning(source +
                 " records no server key (made by an older fleetreg-centerctl or copied by hand): "
                 "restored without checking that " +
                 cfg.secret_file + " is the key it was used with");
  } else if (record->key_fingerprint != installed) {
    if (!accept_other_key)
      throw error(exit_code::failure, source + " was made with the server key " + record->key_fingerprint + " (" +
                                          record->key_file + "), but " + cfg.secret_file + " holds the key " +
                                          installed +
                                          ": put back the key file of that backup, or restore with --accept-other-key "
                                          "(every provisional code issued before then stops working)");
    log::warning("restoring " + source + " made with the server key " + record->key_fingerprint + " under the key " +
                 installed + ": provisional codes issued before then no longer work");
  }
  sqlite_storage::restore(source, path);
  // The record describes the backup file, not the database it became.
  sqlite::database db(path, sqlite::open_mode::read_write);
  db.exec(std::string("DROP TABLE IF EXISTS ") + record_table);
  return record;
}

}  // namespace fleetreg::center
