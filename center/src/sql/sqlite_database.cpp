// SPDX-License-Identifier: Apache-2.0
#include "sqlite_database.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/core/sqlite.hpp"

namespace fleetreg::center::sql {
namespace {

// Runs `f`; SQLite's "database or disk is full" becomes the seam's storage_full.
template <class F>
auto full_checked(F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::system_error& e) {
    if (e.code().category() == sqlite::sqlite_category() && (e.code().value() & 0xff) == SQLITE_FULL)
      throw storage_full(e.what());
    throw;
  }
}

class sqlite_cursor final : public cursor {
 public:
  sqlite_cursor(sqlite::database& db, std::string_view text) : db_(db), stmt_(db, text) {}
  void bind_int(int index, std::int64_t value) override { stmt_.bind(index, value); }
  void bind_text(int index, std::string_view value) override { stmt_.bind(index, value); }
  void bind_null(int index) override { stmt_.bind_null(index); }
  bool step() override {
    const bool row = full_checked([this] { return stmt_.step(); });
    if (!row) changes_ = sqlite3_changes64(db_.handle());
    return row;
  }
  void reset() noexcept override { stmt_.reset(); }
  std::int64_t column_int(int col) const override { return stmt_.column_int(col); }
  std::string column_text(int col) const override { return stmt_.column_text(col); }
  bool column_is_null(int col) const override { return stmt_.column_is_null(col); }
  std::int64_t changes() const override { return changes_; }

 private:
  sqlite::database& db_;
  sqlite::statement stmt_;
  std::int64_t changes_ = 0;
};

class sqlite_connection final : public connection {
 public:
  explicit sqlite_connection(sqlite::database db) : db_(std::move(db)) {}
  dialect kind() const noexcept override { return dialect::sqlite; }
  std::unique_ptr<cursor> prepare(std::string_view text) override { return std::make_unique<sqlite_cursor>(db_, text); }
  void exec(std::string_view text) override {
    full_checked([&] { db_.exec(text); });
  }
  void begin() override {
    full_checked([this] { db_.exec("BEGIN IMMEDIATE"); });
  }
  void begin_locking() override { begin(); }
  void commit() override {
    full_checked([this] { db_.exec("COMMIT"); });
  }
  void rollback() noexcept override {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Nothing was open (a failed COMMIT already ended it).
    }
  }
  sqlite::database& raw() { return db_; }

 private:
  sqlite::database db_;
};

sqlite::database open_file(const std::string& path) {
  const mode_t old = ::umask(077);  // the database holds hashes and customer data
  try {
    sqlite::database db(path, sqlite::open_mode::create);
    ::umask(old);
    return db;
  } catch (...) {
    ::umask(old);
    throw;
  }
}

// One datagram to the notification socket at `path` from a socket of its own;
// nobody listening is not an error.
void send_datagram(const std::string& path, std::string_view data, int flags) noexcept {
  const unique_fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ::sendto(fd.get(), data.data(), data.size(), flags, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

int user_version(sqlite::database& db) {
  sqlite::statement v(db, "PRAGMA user_version");
  return v.step() ? static_cast<int>(v.column_int(0)) : 0;
}

}  // namespace

sqlite_database::sqlite_database(const std::string& path)
    : path_(path), notify_path_(path + ".notify"), pool_(1, [path] {
        auto db = open_file(path);
        db.exec("PRAGMA journal_mode = WAL");
        // FULL: every commit syncs the WAL, so an acknowledged reading survives a
        // power cut, not only a crash of the center (NORMAL would only give that).
        db.exec("PRAGMA synchronous = FULL");
        db.exec("PRAGMA foreign_keys = ON");
        // 64 MiB of page cache: the readings' primary-key index (random UUIDs)
        // is touched all over; the default 2 MiB makes every insert a page read.
        db.exec("PRAGMA cache_size = -65536");
        return std::make_unique<sqlite_connection>(std::move(db));
      }) {
  // Open now: a file that cannot be opened fails the start, not the first request.
  pool_.give_back(pool_.take());
}

sqlite_database::~sqlite_database() {
  stopping_ = true;
  if (listen_fd_) {
    ::shutdown(listen_fd_.get(), SHUT_RDWR);
    send_datagram(notify_path_, "", 0);  // wakes the blocking recv
  }
  if (listener_.joinable()) listener_.join();
  if (listen_fd_) {
    listen_fd_.reset();
    ::unlink(notify_path_.c_str());
  }
}

int sqlite_database::schema_version() {
  auto c = acquire();
  return user_version(static_cast<sqlite_connection&>(*c).raw());
}

void sqlite_database::migrate(const migrations& all) {
  auto c = acquire();
  auto& db = static_cast<sqlite_connection&>(*c).raw();
  int current = user_version(db);
  const int newest = static_cast<int>(all.size());
  if (current > newest)
    throw error(exit_code::io, path_ + " has schema version " + std::to_string(current) +
                                   ", newer than this program (" + std::to_string(newest) + ")");
  for (; current < newest; ++current) {
    sqlite::transaction tx(db);
    db.exec(all[static_cast<std::size_t>(current)]);
    db.exec("PRAGMA user_version = " + std::to_string(current + 1));
    tx.commit();
    log::info("database " + path_ + " migrated to schema version " + std::to_string(current + 1));
  }
}

void sqlite_database::backup(const std::string& target) {
  auto c = acquire();
  sqlite::database out(target, sqlite::open_mode::create);
  static_cast<sqlite_connection&>(*c).raw().copy_into(out);
}

void sqlite_database::restore(const std::string& source, const std::string& path, int newest) {
  sqlite::database in(source, sqlite::open_mode::read_only);
  const auto v = user_version(in);
  if (v < 1 || v > newest) throw error(exit_code::data, source + " is not a fleetreg center database");
  sqlite::database out(path, sqlite::open_mode::create);
  in.copy_into(out);
}

void sqlite_database::notify(const std::string& site_id) {
  std::vector<std::function<void(const std::string&)>> subs;
  {
    std::lock_guard lock(subscribers_mutex_);
    subs = subscribers_;
  }
  if (!subs.empty()) {
    for (const auto& fn : subs) fn(site_id);
    return;
  }
  // Another process (fleetreg-centerctl): tell the running center, if any.
  send_datagram(notify_path_, site_id, MSG_DONTWAIT);
}

void sqlite_database::on_notify(std::function<void(const std::string& site_id)> fn) {
  std::lock_guard lock(subscribers_mutex_);
  subscribers_.push_back(std::move(fn));
  if (listen_fd_) return;
  listen_fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (notify_path_.size() >= sizeof a.sun_path) {
    log::warning("notification socket path too long; fleetreg-centerctl requests wait for the next long-poll");
    return;
  }
  std::strncpy(a.sun_path, notify_path_.c_str(), sizeof a.sun_path - 1);
  ::unlink(notify_path_.c_str());
  if (::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    log::warning("cannot bind " + notify_path_ + ": " + std::strerror(errno));
    return;
  }
  ::chmod(notify_path_.c_str(), 0600);
  listener_ = std::thread([this] { listen_loop(); });
}

void sqlite_database::listen_loop() {
  char buf[128];
  while (!stopping_) {
    const auto n = ::recv(listen_fd_.get(), buf, sizeof buf, 0);
    if (stopping_) break;
    if (n <= 0) continue;
    const std::string site_id(buf, static_cast<std::size_t>(n));
    if (!is_uuid(site_id)) continue;
    std::vector<std::function<void(const std::string&)>> subs;
    {
      std::lock_guard lock(subscribers_mutex_);
      subs = subscribers_;
    }
    for (const auto& fn : subs) fn(site_id);
  }
}

}  // namespace fleetreg::center::sql
