// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/outbox.hpp"

#include <algorithm>

#include "fleetreg/core/json.hpp"

namespace fleetreg::rest_client {

outbox::outbox(sqlite::database& db, const clock& clk, outbox_caps caps) : db_(db), clock_(clk), caps_(caps) {
  db_.exec(R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, terminal_key TEXT NOT NULL, created_at INTEGER NOT NULL,
  body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created_at, id);
CREATE TABLE IF NOT EXISTS outbox_stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql");
}

void outbox::count(const char* name, std::int64_t n) {
  if (n == 0) return;
  sqlite::statement up(db_,
                       "INSERT INTO outbox_stats (name, value) VALUES (?1, ?2) "
                       "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value");
  up.bind(1, std::string(name)).bind(2, n);
  up.run();
}

void outbox::refused(const std::vector<std::string>& ids) {
  sqlite::transaction tx(db_);
  sqlite::statement del(db_, "DELETE FROM outbox WHERE id = ?1");
  std::int64_t n = 0;
  for (const auto& id : ids) {
    del.bind(1, id);
    del.run();
    n += sqlite3_changes(db_.handle());
  }
  count("refused", n);
  tx.commit();
}

std::int64_t outbox::enforce_caps() {
  sqlite::transaction tx(db_);
  sqlite::statement old(db_, "DELETE FROM outbox WHERE created_at < ?1");
  old.bind(1, to_unix(clock_.now()) - caps_.max_age.count());
  old.run();
  std::int64_t n = sqlite3_changes(db_.handle());
  sqlite::statement over(db_,
                         "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY created_at, id LIMIT "
                         "max(0, (SELECT count(*) FROM outbox) - ?1))");
  over.bind(1, caps_.max_readings);
  over.run();
  n += sqlite3_changes(db_.handle());
  count("dropped", n);
  tx.commit();
  return n;
}

outbox_stats outbox::stats() {
  outbox_stats s;
  sqlite::statement q(db_, "SELECT name, value FROM outbox_stats");
  while (q.step()) {
    if (q.column_text(0) == "refused") s.refused = q.column_int(1);
    if (q.column_text(0) == "dropped") s.dropped = q.column_int(1);
  }
  return s;
}

void outbox::add(const reading& r) {
  sqlite::statement ins(db_,
                        "INSERT INTO outbox (id, terminal_key, created_at, body, next_attempt) VALUES "
                        "(?1, ?2, ?3, ?4, ?3) ON CONFLICT (id) DO NOTHING");
  ins.bind(1, r.id).bind(2, r.terminal_key).bind(3, to_unix(clock_.now())).bind(4, json::to_json(r).dump());
  ins.run();
}

std::vector<outbox_entry> outbox::due(std::size_t limit) {
  std::vector<outbox_entry> out;
  sqlite::statement q(db_,
                      "SELECT id, terminal_key, body, attempts FROM outbox WHERE next_attempt <= ?1 "
                      "ORDER BY created_at, id LIMIT ?2");
  q.bind(1, to_unix(clock_.now())).bind(2, static_cast<std::int64_t>(limit));
  while (q.step()) out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), q.column_int(3)});
  return out;
}

void outbox::acknowledged(const std::vector<std::string>& ids) {
  sqlite::transaction tx(db_);
  sqlite::statement del(db_, "DELETE FROM outbox WHERE id = ?1");
  for (const auto& id : ids) {
    del.bind(1, id);
    del.run();
  }
  tx.commit();
}

void outbox::retry_later(const std::vector<std::string>& ids, std::chrono::seconds at_least,
                         const backoff_policy& policy) {
  sqlite::transaction tx(db_);
  sqlite::statement q(db_, "SELECT attempts FROM outbox WHERE id = ?1");
  sqlite::statement up(db_, "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?1 WHERE id = ?2");
  const auto now = clock_.now();
  for (const auto& id : ids) {
    q.bind(1, id);
    const auto attempts = q.step() ? q.column_int(0) : 0;
    q.reset();
    const auto failures = static_cast<int>(std::min<std::int64_t>(attempts + 1, 64));
    const auto delay = std::max<std::chrono::milliseconds>(retry_backoff(failures, policy), at_least);
    // Rounded up to the next whole second, so the wait is never shorter than asked.
    const auto at = std::chrono::ceil<std::chrono::seconds>((now + delay).time_since_epoch()).count();
    up.bind(1, static_cast<std::int64_t>(at)).bind(2, id);
    up.run();
  }
  tx.commit();
}

std::int64_t outbox::due_now() {
  const auto now = to_unix(clock_.now());
  sqlite::statement up(db_, "UPDATE outbox SET next_attempt = ?1 WHERE next_attempt > ?1");
  up.bind(1, now);
  up.run();
  return sqlite3_changes(db_.handle());
}

std::pair<std::int64_t, std::optional<time_point>> outbox::backlog() {
  sqlite::statement q(db_, "SELECT count(*), min(created_at) FROM outbox");
  if (!q.step()) return {0, std::nullopt};
  return {q.column_int(0), q.column_is_null(1) ? std::nullopt : std::optional<time_point>(from_unix(q.column_int(1)))};
}

}  // namespace fleetreg::rest_client
