// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// The driver seam under the center's storage: one SQL implementation
/// (sql_storage) runs on any engine that offers these few operations.
/// Statements use numbered parameters `?1`, `?2`… (a driver rewrites them to
/// its own syntax). Values are 64-bit integers, text or NULL: hashes are
/// stored as hex text and times as Unix seconds, so every column maps 1:1.
namespace fleetreg::center::sql {

/// The database's disk is full (SQLite SQLITE_FULL, PostgreSQL SQLSTATE 53100
/// disk_full): the statement failed and its transaction is not committed.
/// Drivers throw it in place of their own error, so that the layers above
/// (the API's 507) tell it apart by type, never by a code or a message.
class storage_full : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Which SQL dialect a connection speaks (for the few statements that differ).
enum class dialect { sqlite, postgresql };

/// One prepared statement on one connection. Bind indexes start at 1,
/// column indexes at 0. Throws std::system_error on database errors.
class cursor {
 public:
  virtual ~cursor() = default;
  virtual void bind_int(int index, std::int64_t value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_null(int index) = 0;
  /// Runs the statement on the first call; true while a row is available.
  virtual bool step() = 0;
  /// Ready to run again (bindings are kept).
  virtual void reset() noexcept = 0;
  virtual std::int64_t column_int(int col) const = 0;
  virtual std::string column_text(int col) const = 0;
  virtual bool column_is_null(int col) const = 0;
  /// Rows changed by the last run of an INSERT, UPDATE or DELETE.
  virtual std::int64_t changes() const = 0;
};

/// One connection, used by one thread at a time (see database::acquire).
class connection {
 public:
  virtual ~connection() = default;
  virtual dialect kind() const noexcept = 0;
  virtual std::unique_ptr<cursor> prepare(std::string_view sql) = 0;
  /// Runs statements that return no rows.
  virtual void exec(std::string_view sql) = 0;
  /// Starts a read-write transaction with the engine's strongest isolation
  /// (SQLite: BEGIN IMMEDIATE; PostgreSQL: SERIALIZABLE).
  virtual void begin() = 0;
  /// Starts a read-write transaction whose caller serialises by row locks:
  /// it locks what it depends on (SELECT ... FOR UPDATE) before reading it,
  /// and every later statement sees what committed before it (PostgreSQL:
  /// READ COMMITTED; SQLite, one writer at a time: BEGIN IMMEDIATE). For hot
  /// rows several centers write at once, where SERIALIZABLE would abort and
  /// re-run one of every two writers.
  virtual void begin_locking() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
};

/// A statement as a value: the API of fleetreg::sqlite::statement, on any
/// connection.
class statement {
 public:
  statement(connection& c, std::string_view sql) : cursor_(c.prepare(sql)) {}

  statement& bind(int index, std::int64_t value) {
    cursor_->bind_int(index, value);
    return *this;
  }
  statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  statement& bind(int index, std::string_view value) {
    cursor_->bind_text(index, value);
    return *this;
  }
  statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  statement& bind_null(int index) {
    cursor_->bind_null(index);
    return *this;
  }
  statement& bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  bool step() { return cursor_->step(); }
  /// Runs a statement that returns no rows, then resets it for reuse.
  void run() {
    while (cursor_->step()) {
    }
    changes_ = cursor_->changes();
    cursor_->reset();
  }
  void reset() noexcept { cursor_->reset(); }
  /// Rows changed by the last run().
  std::int64_t changes() const { return changes_; }

  std::int64_t column_int(int col) const { return cursor_->column_int(col); }
  std::string column_text(int col) const { return cursor_->column_text(col); }
  bool column_is_null(int col) const { return cursor_->column_is_null(col); }

  template <class Read>
  auto rows(Read read) -> std::vector<decltype(read(*this))> {
    std::vector<decltype(read(*this))> out;
    while (step()) out.push_back(read(*this));
    return out;
  }
  template <class Read>
  auto first(Read read) -> std::optional<decltype(read(*this))> {
    if (!step()) return std::nullopt;
    return read(*this);
  }

 private:
  std::unique_ptr<cursor> cursor_;
  std::int64_t changes_ = 0;
};

/// A transaction that rolls back unless commit() is called.
/// How a transaction isolates itself (connection::begin, begin_locking).
enum class isolation { serializable, row_locks };

class transaction {
 public:
  explicit transaction(connection& c, isolation i = isolation::serializable) : c_(c) {
    if (i == isolation::row_locks)
      c_.begin_locking();
    else
      c_.begin();
  }
  ~transaction() {
    if (!done_) c_.rollback();
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit() {
    c_.commit();
    done_ = true;
  }

 private:
  connection& c_;
  bool done_ = false;
};

/// A versioned migration: applying number N brings the schema from N-1 to N.
using migrations = std::vector<std::string_view>;

/// A database: a pool of connections, migrations and the cross-process
/// wake-up of long-polls.
class database {
 public:
  /// A connection borrowed from the pool; returned when destroyed.
  class lease {
   public:
    lease(database& owner, std::unique_ptr<connection> c) : owner_(&owner), c_(std::move(c)) {}
    lease(lease&& o) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    ~lease() {
      if (c_) owner_->release(std::move(c_));
    }
    connection& operator*() const { return *c_; }
    connection* operator->() const { return c_.get(); }

   private:
    database* owner_;
    std::unique_ptr<connection> c_;
  };

  virtual ~database() = default;
  virtual dialect kind() const noexcept = 0;
  /// Where the data is, for messages (a path, or a URL without its password).
  virtual std::string describe() const = 0;
  /// Waits for a free connection (opening one when the pool may grow).
  virtual lease acquire() = 0;
  /// Applies the migrations this database lacks, once even when several
  /// centers start at the same time. Throws fleetreg::error when the
  /// database's schema is newer than `all`.
  virtual void migrate(const migrations& all) = 0;
  /// The schema version the database has.
  virtual int schema_version() = 0;
  /// Whether a failed transaction may simply run again (serialisation
  /// failure, deadlock, lost connection before commit).
  virtual bool retryable(const std::exception& e) const noexcept = 0;

  /// Tells every waiter of `site_id`, in this process and in every other
  /// process on the same database, that a request was queued.
  virtual void notify(const std::string& site_id) = 0;
  /// Calls `fn` (on any thread) for every notification; an empty site id
  /// means "re-check every site" (notifications may have been missed).
  virtual void on_notify(std::function<void(const std::string& site_id)> fn) = 0;

 protected:
  virtual void release(std::unique_ptr<connection> c) noexcept = 0;
};

}  // namespace fleetreg::center::sql
