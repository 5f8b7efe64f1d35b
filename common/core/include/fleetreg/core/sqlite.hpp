// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

/// RAII wrapper around SQLite: one owner per handle, errors as
/// std::system_error in sqlite_category() carrying the extended result code.
namespace fleetreg::sqlite {

/// The error category for SQLite result codes (messages from sqlite3_errstr).
const std::error_category& sqlite_category() noexcept;

struct db_deleter {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct stmt_deleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

class database;

/// A prepared statement. Bind indexes start at 1, column indexes at 0.
/// Methods throw std::system_error on SQLite errors.
class statement {
 public:
  statement(database& db, std::string_view sql);

  statement& bind(int index, std::int64_t value);
  statement& bind(int index, std::string_view value);
  statement& bind_null(int index);
  /// Binds the value, or NULL when there is none.
  statement& bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  /// Stores an unsigned 64-bit value bit-for-bit in SQLite's signed INTEGER.
  statement& bind_u64(int index, std::uint64_t value) { return bind(index, static_cast<std::int64_t>(value)); }

  /// Advances; true while a row is available, false when done.
  bool step();
  /// Runs a statement that returns no rows, then resets it for reuse.
  void run();
  /// Resets so the statement can run again (bindings are kept).
  void reset() noexcept;

  std::int64_t column_int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  std::uint64_t column_u64(int col) const { return static_cast<std::uint64_t>(column_int(col)); }
  std::string column_text(int col) const;
  bool column_is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

  /// Steps through every remaining row, turning each into a T with `read(*this)`.
  template <class Read>
  auto rows(Read read) -> std::vector<decltype(read(*this))> {
    std::vector<decltype(read(*this))> out;
    while (step()) out.push_back(read(*this));
    return out;
  }
  /// The first row read with `read(*this)`, or nothing when there is no row.
  template <class Read>
  auto first(Read read) -> std::optional<decltype(read(*this))> {
    if (!step()) return std::nullopt;
    return read(*this);
  }

 private:
  database* db_;
  std::unique_ptr<sqlite3_stmt, stmt_deleter> stmt_;
};

/// How a database is opened.
enum class open_mode { read_only, read_write, create };

/// One connection. Opened with a busy timeout so that concurrent writers in
/// other processes wait instead of failing.
class database {
 public:
  /// Opens `path`. Throws std::system_error when it cannot be opened.
  database(const std::string& path, open_mode mode,
           std::chrono::milliseconds busy_timeout = std::chrono::milliseconds{5000});

  /// Runs one or more statements without results. Throws std::system_error.
  void exec(std::string_view sql);
  /// Copies this whole database into `target` with SQLite's online backup
  /// (consistent even while other connections write). Throws std::system_error.
  void copy_into(database& target);
  /// PRAGMA data_version: changes when another connection commits.
  std::int64_t data_version();
  /// Last error text of this connection (for error messages).
  std::string last_error() const { return sqlite3_errmsg(db_.get()); }
  sqlite3* handle() const noexcept { return db_.get(); }
  const std::string& path() const noexcept { return path_; }

  /// Throws std::system_error for a non-OK result code `rc`.
  void check(int rc, std::string_view what) const;

 private:
  std::string path_;
  std::unique_ptr<sqlite3, db_deleter> db_;
  std::optional<statement> data_version_;
};

/// A transaction that rolls back unless commit() is called.
class transaction {
 public:
  /// BEGIN IMMEDIATE: takes the write lock up front so that a read-modify-write
  /// never fails half-way with SQLITE_BUSY.
  explicit transaction(database& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  database& db_;
  bool done_ = false;
};

}  // namespace fleetreg::sqlite
