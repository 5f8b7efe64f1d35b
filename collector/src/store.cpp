// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::collector {
namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS registration (
  id INTEGER PRIMARY KEY CHECK (id = 1), center_url TEXT NOT NULL, site_id TEXT NOT NULL,
  registered_at INTEGER, last_upload INTEGER, revoked INTEGER NOT NULL DEFAULT 0, terminals TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, terminal_key TEXT NOT NULL, created_at INTEGER NOT NULL,
  body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_registration (code TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL);
)sql";

sqlite::database open_db(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw error(exit_code::io, "cannot create state directory " + dir + ": " + ec.message());
  // 0711: other users (a monitoring plugin) may open status.json by name but
  // not list the directory; the database and the credential are 0600.
  ::chmod(dir.c_str(), 0711);
  const mode_t old = ::umask(077);
  sqlite::database db(dir + "/collector.db", sqlite::open_mode::create);
  ::umask(old);
  return db;
}

}  // namespace

store::store(const std::string& state_dir, const clock& clk) : dir_(state_dir), db_(open_db(state_dir)), clock_(clk) {
  db_.exec("PRAGMA journal_mode = WAL");
  // FULL: a reading is on disk before it is sent.
  db_.exec("PRAGMA synchronous = FULL");
  db_.exec(schema);
}

registration_state store::registration() {
  registration_state r;
  sqlite::statement q(db_, "SELECT center_url, site_id, registered_at, last_upload, revoked, terminals FROM registration");
  if (!q.step()) return r;
  r.center_url = q.column_text(0);
  r.site_id = q.column_text(1);
  if (!q.column_is_null(2)) r.registered_at = from_unix(q.column_int(2));
  if (!q.column_is_null(3)) r.last_upload = from_unix(q.column_int(3));
  r.revoked = q.column_int(4) != 0;
  std::string why;
  if (auto list = json::parse(q.column_text(5), why); list && list->is_array())
    for (const auto& k : *list)
      if (k.is_string()) r.terminals.push_back(k.get<std::string>());
  return r;
}

void store::set_registration(const std::string& center_url, const std::string& site_id,
                             const std::vector<std::string>& terminals, const std::string& credential) {
  // The credential first, 0600 from the first byte, replaced atomically.
  const auto tmp = dir_ + "/credential.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw error(exit_code::io, "cannot write " + tmp);
  const std::string line = credential + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), (dir_ + "/credential").c_str()) != 0)
    throw error(exit_code::io, "cannot store the credential in " + dir_);
  json::value keys = terminals;
  sqlite::statement up(db_, "INSERT INTO registration (id, center_url, site_id, registered_at, revoked, terminals) "
                            "VALUES (1, ?1, ?2, ?3, 0, ?4) ON CONFLICT (id) DO UPDATE SET center_url = excluded.center_url, "
                            "site_id = excluded.site_id, registered_at = excluded.registered_at, revoked = 0, "
                            "terminals = excluded.terminals");
  up.bind(1, center_url).bind(2, site_id).bind(3, to_unix(clock_.now())).bind(4, keys.dump());
  up.run();
}

std::string store::credential() const {
  std::ifstream in(dir_ + "/credential");
  std::string c;
  std::getline(in, c);
  return c;
}

void store::set_terminals(const std::vector<std::string>& keys) {
  json::value list = keys;
  sqlite::statement up(db_, "UPDATE registration SET terminals = ?1");
  up.bind(1, list.dump());
  up.run();
}

void store::set_revoked(bool revoked) {
  sqlite::statement up(db_, "UPDATE registration SET revoked = ?1");
  up.bind(1, revoked ? 1 : 0);
  up.run();
}

std::string store::idempotency_key(const std::string& canonical_code) {
  sqlite::statement q(db_, "SELECT idempotency_key FROM pending_registration WHERE code = ?1");
  q.bind(1, canonical_code);
  if (q.step()) return q.column_text(0);
  q.reset();
  const auto key = make_uuid();
  sqlite::statement ins(db_, "INSERT INTO pending_registration (code, idempotency_key) VALUES (?1, ?2)");
  ins.bind(1, canonical_code).bind(2, key);
  ins.run();
  return key;
}

void store::forget_idempotency_key(const std::string& canonical_code) {
  sqlite::statement del(db_, "DELETE FROM pending_registration WHERE code = ?1");
  del.bind(1, canonical_code);
  del.run();
}

void store::add(const reading& r) {
  sqlite::statement ins(db_, "INSERT INTO outbox (id, terminal_key, created_at, body, next_attempt) VALUES "
                             "(?1, ?2, ?3, ?4, ?3) ON CONFLICT (id) DO NOTHING");
  ins.bind(1, r.id).bind(2, r.terminal_key).bind(3, to_unix(clock_.now())).bind(4, json::to_json(r).dump());
  ins.run();
}

std::vector<outbox_entry> store::due(std::size_t limit) {
  std::vector<outbox_entry> out;
  sqlite::statement q(db_, "SELECT id, body, attempts FROM outbox WHERE next_attempt <= ?1 "
                           "ORDER BY created_at, id LIMIT ?2");
  q.bind(1, to_unix(clock_.now())).bind(2, static_cast<std::int64_t>(limit));
  while (q.step()) out.push_back({q.column_text(0), q.column_text(1), q.column_int(2)});
  return out;
}

void store::acknowledged(const std::vector<std::string>& ids) {
  sqlite::transaction tx(db_);
  sqlite::statement del(db_, "DELETE FROM outbox WHERE id = ?1");
  for (const auto& id : ids) {
    del.bind(1, id);
    del.run();
  }
  sqlite::statement up(db_, "UPDATE registration SET last_upload = ?1");
  up.bind(1, to_unix(clock_.now()));
  up.run();
  tx.commit();
}

void store::retry_later(const std::vector<std::string>& ids) {
  sqlite::transaction tx(db_);
  sqlite::statement q(db_, "SELECT attempts FROM outbox WHERE id = ?1");
  sqlite::statement up(db_, "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?1 WHERE id = ?2");
  for (const auto& id : ids) {
    q.bind(1, id);
    const auto attempts = q.step() ? q.column_int(0) : 0;
    q.reset();
    // 1 s, 2 s, 4 s … up to 5 minutes, plus up to 25 % jitter so that many
    // collectors do not return to a recovering center at the same moment.
    const std::int64_t base = std::min<std::int64_t>(300, std::int64_t{1} << std::min<std::int64_t>(attempts, 9));
    unsigned char r = 0;
    random_bytes(&r, 1);
    const auto delay = base + base * r / 1024;
    up.bind(1, to_unix(clock_.now()) + delay).bind(2, id);
    up.run();
  }
  tx.commit();
}

void store::write_status(bool center_reachable, const std::string& last_error) {
  const auto reg = registration();
  const auto [size, oldest] = backlog();
  json::value v = {{"registered", !reg.site_id.empty() && !reg.revoked},
                   {"revoked", reg.revoked},
                   {"center", reg.center_url},
                   {"terminals", reg.terminals.size()},
                   {"center_reachable", center_reachable},
                   {"last_error", last_error},
                   {"last_upload", reg.last_upload ? json::value(format_utc(*reg.last_upload)) : json::value()},
                   {"outbox", size},
                   {"outbox_oldest", oldest ? json::value(format_utc(*oldest)) : json::value()},
                   {"updated", format_utc(clock_.now())}};
  // Replaced atomically; world-readable on purpose (no secret in it).
  const auto tmp = dir_ + "/status.json.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ::fchmod(fd, 0644);
  const auto text = v.dump(2) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (ok) ::rename(tmp.c_str(), (dir_ + "/status.json").c_str());
}

std::pair<std::int64_t, std::optional<time_point>> store::backlog() {
  sqlite::statement q(db_, "SELECT count(*), min(created_at) FROM outbox");
  if (!q.step()) return {0, std::nullopt};
  return {q.column_int(0), q.column_is_null(1) ? std::nullopt : std::optional<time_point>(from_unix(q.column_int(1)))};
}

}  // namespace fleetreg::collector
