// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/files.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg::collector {
namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS registration (
  id INTEGER PRIMARY KEY CHECK (id = 1), center_url TEXT NOT NULL, site_id TEXT NOT NULL,
  registered_at INTEGER, last_upload INTEGER, revoked INTEGER NOT NULL DEFAULT 0, terminals TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending_registration (code TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counter_wrap (
  terminal_key TEXT NOT NULL, cell TEXT NOT NULL, oid TEXT NOT NULL, last_raw INTEGER NOT NULL,
  wraps INTEGER NOT NULL, PRIMARY KEY (terminal_key, cell, oid));
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

// FULL: a reading is on disk before it is sent. A page cache of 512 KiB
// instead of SQLite's 2 MiB: the outbox is written once and read once, the
// kernel's cache holds the file anyway, and a collector reading 1,000
// devices stays within its memory budget (docs/BENCHMARKS.md, issue 18).
static sqlite::database& prepared(sqlite::database& db) {
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA cache_size = -512");
  db.exec(schema);
  return db;
}

store::store(const std::string& state_dir, const clock& clk, rest_client::outbox_caps caps)
    : dir_(state_dir), db_(open_db(state_dir)), clock_(clk), outbox_(prepared(db_), clk, caps) {}

registration_state store::registration() {
  registration_state r;
  sqlite::statement q(db_,
                      "SELECT center_url, site_id, registered_at, last_upload, revoked, terminals FROM registration");
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
  // The credential first (0600 from the first byte, replaced atomically).
  write_private_file(dir_ + "/credential", credential + "\n");
  json::value keys = terminals;
  sqlite::statement up(db_,
                       "INSERT INTO registration (id, center_url, site_id, registered_at, revoked, terminals) "
                       "VALUES (1, ?1, ?2, ?3, 0, ?4) ON CONFLICT (id) DO UPDATE SET center_url = excluded.center_url, "
                       "site_id = excluded.site_id, registered_at = excluded.registered_at, revoked = 0, "
                       "terminals = excluded.terminals");
  up.bind(1, center_url).bind(2, site_id).bind(3, to_unix(clock_.now())).bind(4, keys.dump());
  up.run();
}

std::string store::credential() const { return read_first_line(dir_ + "/credential"); }

void store::set_credential(const std::string& credential) {
  write_private_file(dir_ + "/credential", credential + "\n");
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

void store::set_last_upload() {
  sqlite::statement up(db_, "UPDATE registration SET last_upload = ?1");
  up.bind(1, to_unix(clock_.now()));
  up.run();
}

void store::write_status(bool center_reachable, const std::string& last_error) {
  const auto reg = registration();
  const auto [size, oldest] = outbox_.backlog();
  const auto lost = outbox_.stats();
  json::value v = {{"registered", !reg.site_id.empty() && !reg.revoked},
                   {"revoked", reg.revoked},
                   {"center", reg.center_url},
                   {"terminals", reg.terminals.size()},
                   {"center_reachable", center_reachable},
                   {"last_error", last_error},
                   {"last_upload", reg.last_upload ? json::value(format_utc(*reg.last_upload)) : json::value()},
                   {"outbox", size},
                   {"outbox_oldest", oldest ? json::value(format_utc(*oldest)) : json::value()},
                   {"readings_refused", lost.refused},
                   {"readings_dropped", lost.dropped},
                   {"updated", format_utc(clock_.now())}};
  // Replaced atomically; world-readable on purpose (no secret in it).
  const auto tmp = dir_ + "/status.json.tmp";
  const auto path = dir_ + "/status.json";
  const auto text = v.dump(2) + "\n";
  unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd) {
    ::fchmod(fd.get(), 0644);
    const bool ok = ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
    fd.reset();  // closed before the rename
    if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return;
    ::unlink(tmp.c_str());
  }
  // A full disk has no room for a second copy: rewritten in place (its own
  // blocks, freed by the truncation, take the new text), so that it still
  // says why nothing is stored. A reader may see it half-written meanwhile.
  unique_fd in_place(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (in_place) [[maybe_unused]]
    const auto n = ::write(in_place.get(), text.data(), text.size());
}

std::uint64_t store::unwrap(const std::string& terminal_key, const std::string& cell, const std::string& oid,
                            std::uint32_t raw) {
  std::optional<std::uint32_t> last;
  std::uint64_t wraps = 0;
  {
    sqlite::statement q(db_,
                        "SELECT last_raw, wraps FROM counter_wrap WHERE terminal_key = ?1 AND cell = ?2 AND oid = ?3");
    q.bind(1, terminal_key).bind(2, cell).bind(3, oid);
    if (q.step()) {
      last = static_cast<std::uint32_t>(q.column_int(0) & 0xFFFFFFFF);
      wraps = q.column_u64(1);
    }
  }
  wraps = profiles::wraps_after(last, wraps, raw);
  sqlite::statement up(
      db_,
      "INSERT INTO counter_wrap (terminal_key, cell, oid, last_raw, wraps) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (terminal_key, cell, oid) DO UPDATE SET last_raw = excluded.last_raw, "
      "wraps = excluded.wraps");
  up.bind(1, terminal_key).bind(2, cell).bind(3, oid).bind(4, static_cast<std::int64_t>(raw)).bind_u64(5, wraps);
  up.run();
  return raw + (wraps << 32);
}

}  // namespace fleetreg::collector
