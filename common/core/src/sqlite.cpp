// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/sqlite.hpp"

namespace fleetreg::sqlite {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int rc) const override { return sqlite3_errstr(rc); }
};

}  // namespace

const std::error_category& sqlite_category() noexcept {
  static const category c;
  return c;
}

database::database(const std::string& path, open_mode mode, std::chrono::milliseconds busy_timeout) : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case open_mode::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case open_mode::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case open_mode::create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // owned even on failure: sqlite3_open_v2 may allocate a handle
  if (rc != SQLITE_OK) throw std::system_error(rc, sqlite_category(), "cannot open database " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count()));
}

void database::check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  throw std::system_error(rc, sqlite_category(), std::string(what) + " (" + path_ + "): " + sqlite3_errmsg(db_.get()));
}

void database::exec(std::string_view sql) {
  const std::string s(sql);
  check(sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, nullptr), "exec");
}

void database::copy_into(database& target) {
  sqlite3_backup* b = sqlite3_backup_init(target.handle(), "main", db_.get(), "main");
  if (!b) target.check(sqlite3_errcode(target.handle()), "backup");
  const int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) target.check(rc, "backup");
}

std::int64_t database::data_version() {
  if (!data_version_) data_version_.emplace(*this, "PRAGMA data_version");
  std::int64_t v = 0;
  if (data_version_->step()) v = data_version_->column_int(0);
  data_version_->reset();
  return v;
}

statement::statement(database& db, std::string_view sql) : db_(&db) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &raw, nullptr);
  stmt_.reset(raw);
  db.check(rc, "prepare");
}

statement& statement::bind(int index, std::int64_t value) {
  db_->check(sqlite3_bind_int64(stmt_.get(), index, value), "bind");
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  db_->check(sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT),
             "bind");
  return *this;
}

statement& statement::bind_null(int index) {
  db_->check(sqlite3_bind_null(stmt_.get(), index), "bind");
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_.get());
  db_->check(rc, "step");
  return false;
}

void statement::run() {
  while (step()) {
  }
  reset();
}

void statement::reset() noexcept { sqlite3_reset(stmt_.get()); }

std::string statement::column_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_.get(), col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col)));
}

transaction::transaction(database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace fleetreg::sqlite
