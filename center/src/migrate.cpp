// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/migrate.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>

#include "fleetreg/center/database_lock.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::center {
namespace {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start) { return std::chrono::duration<double>(steady::now() - start).count(); }

// Names come from center_tables() and the engines' catalogues; quoted all
// the same (both engines read "x" as an identifier).
std::string identifier(std::string_view name) {
  std::string out = "\"";
  for (const char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + identifier(c);
  return out;
}

// The SHA-256 of one row's canonical form, added into a 256-bit sum.
class row_sum {
 public:
  void add(const sql::statement& q, int columns) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (int col = 0; col < columns; ++col) {
      if (q.column_is_null(col)) {
        crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>("N"), 1);
        continue;
      }
      const auto value = q.column_text(col);
      const auto head = "V" + std::to_string(value.size()) + ":";
      crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(head.data()), head.size());
      crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(value.data()), value.size());
    }
    std::array<unsigned char, crypto_hash_sha256_BYTES> h{};
    crypto_hash_sha256_final(&st, h.data());
    // Big-endian bytes into four 64-bit limbs, least significant first.
    unsigned carry = 0;
    for (std::size_t limb = 0; limb < 4; ++limb) {
      std::uint64_t v = 0;
      for (std::size_t b = 0; b < 8; ++b) v = (v << 8) | h[(3 - limb) * 8 + b];
      const std::uint64_t sum = limbs_[limb] + v;
      const unsigned overflow = sum < v ? 1U : 0U;
      limbs_[limb] = sum + carry;
      carry = overflow | (limbs_[limb] < sum ? 1U : 0U);
    }
    ++rows_;
  }
  table_checksum result() const {
    static constexpr char digits[] = "0123456789abcdef";
    table_checksum out;
    out.rows = rows_;
    for (std::size_t limb = 4; limb-- > 0;)
      for (int shift = 60; shift >= 0; shift -= 4) out.hex += digits[(limbs_[limb] >> shift) & 15U];
    return out;
  }
  std::int64_t rows() const { return rows_; }

 private:
  std::array<std::uint64_t, 4> limbs_{};
  std::int64_t rows_ = 0;
};

// Calls `report` with the rows done at most every `every` (checking the
// clock once per 256 rows).
class meter {
 public:
  meter(const migrate_options& o, std::string what, std::int64_t total)
      : o_(o), what_(std::move(what)), total_(total), start_(steady::now()), last_(start_) {}
  void tick(std::int64_t done) {
    if (!o_.progress || (done & 255) != 0) return;
    const auto now = steady::now();
    if (now - last_ < o_.progress_every) return;
    last_ = now;
    const auto rate = static_cast<double>(done) / std::max(1e-9, seconds_since(start_));
    o_.progress(what_ + ": " + std::to_string(done) + " of " + std::to_string(total_) + " rows (" +
                std::to_string(static_cast<long long>(rate)) + " rows/s)");
  }

 private:
  const migrate_options& o_;
  std::string what_;
  std::int64_t total_;
  steady::time_point start_, last_;
};

std::vector<std::string> strings(sql::statement& q) {
  return q.rows([](const sql::statement& r) { return r.column_text(0); });
}

std::vector<std::string> sqlite_tables(sql::connection& c) {
  // fleetreg_backup is a backup file's own record, not the center's data.
  sql::statement q(c,
                   "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                   "AND name <> 'fleetreg_backup' ORDER BY name");
  return strings(q);
}

std::vector<std::string> sqlite_columns(sql::connection& c, std::string_view table) {
  sql::statement q(c, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  q.bind(1, table);
  return strings(q);
}

std::vector<std::string> postgresql_columns(sql::connection& c, std::string_view table) {
  sql::statement q(c,
                   "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                   "AND table_name = ?1 ORDER BY ordinal_position");
  q.bind(1, table);
  return strings(q);
}

std::vector<std::string> postgresql_tables(sql::connection& c) {
  sql::statement q(c,
                   "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                   "ORDER BY table_name");
  return strings(q);
}

// "a, b, c" (the first `most`, then "…").
std::string joined(const std::vector<std::string>& names, std::size_t most = 100) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + names[i];
  return names.size() > most ? out + ", …" : out;
}

// "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)…" for `rows` rows.
std::string insert_sql(std::string_view table, const std::vector<std::string>& columns, std::size_t rows) {
  std::string out = "INSERT INTO " + identifier(table) + " (" + column_list(columns) + ") VALUES ";
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    out += r ? ", (" : "(";
    for (std::size_t c = 0; c < columns.size(); ++c) out += (c ? ", ?" : "?") + std::to_string(++n);
    out += ')';
  }
  return out;
}

// Streams `table` from `from` into `to` in multi-row INSERTs of `per_batch`
// rows; only one batch is held in memory. Returns the rows copied.
std::int64_t copy_table(sql::connection& from, sql::connection& to, std::string_view table,
                        const std::vector<std::string>& columns, std::size_t per_batch, meter& m) {
  const int width = static_cast<int>(columns.size());
  std::vector<std::optional<std::string>> batch;
  batch.reserve(per_batch * columns.size());
  sql::statement full(to, insert_sql(table, columns, per_batch));
  auto flush = [&](sql::statement& ins) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (batch[i])
        ins.bind(index, std::string_view(*batch[i]));
      else
        ins.bind_null(index);
    }
    ins.run();
    batch.clear();
  };
  sql::statement q(from, "SELECT " + column_list(columns) + " FROM " + identifier(table));
  std::int64_t rows = 0;
  while (q.step()) {
    for (int col = 0; col < width; ++col)
      batch.push_back(q.column_is_null(col) ? std::nullopt : std::optional(q.column_text(col)));
    if (batch.size() == per_batch * columns.size()) flush(full);
    m.tick(++rows);
  }
  if (!batch.empty()) {
    sql::statement tail(to, insert_sql(table, columns, batch.size() / columns.size()));
    flush(tail);
  }
  return rows;
}

// Moves the identity sequences of `table` past its copied ids, so that the
// next code, token or audit line gets a higher id.
void advance_sequences(sql::connection& to, std::string_view table) {
  sql::statement q(to,
                   "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                   "AND table_name = ?1 AND is_identity = 'YES'");
  q.bind(1, table);
  for (const auto& column : strings(q)) {
    sql::statement set(to, "SELECT setval(pg_get_serial_sequence(?1, ?2), coalesce(max(" + identifier(column) +
                               "), 0) + 1, false) FROM " + identifier(table));
    set.bind(1, identifier(table)).bind(2, column);
    set.run();
  }
}

// Drops what the move created in the (formerly empty) target.
void drop_created_schema(sql::database& target) noexcept {
  try {
    auto c = target.acquire();
    std::string names = "fleetreg_schema";
    for (const auto table : center_tables()) names += ", " + identifier(table);
    c->exec("DROP TABLE IF EXISTS " + names + " CASCADE");
  } catch (const std::exception& e) {
    log::warning(std::string("could not drop the tables this move made in ") + target.describe() + ": " + e.what());
  }
}

}  // namespace

const std::vector<std::string_view>& center_tables() {
  // clang-format off
  static const std::vector<std::string_view> tables = {
      "accounts",          "codes",     "sites",    "credentials",
      "idempotency_keys",  "terminals", "requests", "readings",
      "monitoring_tokens", "purges",    "audit",    "retired_terminals",
      "web_sessions",      "ownership", "claims",   "billing_closed",
      "alerts",            "alert_history",
      "webhooks",          "deliveries", "digest_items"};
  // clang-format on
  return tables;
}

table_checksum checksum_table(sql::connection& c, std::string_view table, const std::vector<std::string>& columns,
                              const std::function<void(std::int64_t rows)>& tick) {
  const auto select = "SELECT " + column_list(columns) + " FROM " + identifier(table);
  const int width = static_cast<int>(columns.size());
  row_sum sum;
  if (c.kind() == sql::dialect::sqlite) {
    sql::statement q(c, select);  // SQLite steps row by row: nothing piles up
    while (q.step()) {
      sum.add(q, width);
      if (tick) tick(sum.rows());
    }
    return sum.result();
  }
  // libpq hands over a whole result at once: fetch through a cursor.
  c.exec("DECLARE fleetreg_checksum NO SCROLL CURSOR FOR " + select);
  sql::statement fetch(c, "FETCH FORWARD 5000 FROM fleetreg_checksum");
  for (;;) {
    std::int64_t got = 0;
    while (fetch.step()) {
      sum.add(fetch, width);
      ++got;
      if (tick) tick(sum.rows());
    }
    fetch.reset();
    if (got == 0) break;
  }
  c.exec("CLOSE fleetreg_checksum");
  return sum.result();
}

migration_report migrate_center(const database_location& from, const database_location& to,
                                const migrate_options& options) {
  const auto started = steady::now();
  if (from.kind != database_location::engine::sqlite)
    throw error(exit_code::usage, "migrate moves a SQLite center, but [center] database is already " + from.shown());
  if (to.kind != database_location::engine::postgresql)
    throw error(exit_code::usage, "migrate --to takes a postgresql://… URI, not " + to.shown());
  const auto& path = from.target;
  if (!std::filesystem::is_regular_file(path))
    throw error(exit_code::usage, "no SQLite center at " + path + " ([center] database)");
  // Held to the end: the center does not start on the source meanwhile.
  const auto lock = database_lock::try_acquire(path);
  if (!lock)
    throw error(exit_code::failure, "fleetreg-center is running on " + path + " (it holds " +
                                        database_lock::path_for(path) +
                                        "): stop it first (systemctl stop fleetreg-center), then migrate");

  std::unique_ptr<sql::database> target;
  try {
    target = open_database(to, 2);
  } catch (const std::system_error& e) {
    std::string why = e.what();  // "<libpq's line>: PostgreSQL error"
    if (const auto tail = why.rfind(": PostgreSQL error"); tail != std::string::npos) why.erase(tail);
    throw error(exit_code::unavailable, why + " (" + to.shown() + ")");
  }
  {
    auto c = target->acquire();
    const auto present = postgresql_tables(*c);
    if (!present.empty())
      throw error(exit_code::failure, to.shown() + " is not empty (" + std::to_string(present.size()) +
                                          " tables in its schema: " + joined(present, 5) +
                                          "): migrate copies into an empty database only");
  }

  auto source = open_database(from);
  const int version = sql_storage::schema_version();
  const int found = source->schema_version();
  if (found == 0) throw error(exit_code::data, path + " is not a fleetreg center database (no schema version)");
  if (found != version) {
    // What the center does when it starts; throws when the source is newer.
    source->migrate(sql_storage::migrations_for(sql::dialect::sqlite));
    if (options.progress)
      options.progress("brought " + path + " to schema version " + std::to_string(version) + " first");
  }
  auto src = source->acquire();
  {
    std::vector<std::string> unknown;
    const auto& known = center_tables();
    for (const auto& t : sqlite_tables(*src))
      if (std::find(known.begin(), known.end(), t) == known.end()) unknown.push_back(t);
    if (!unknown.empty())
      throw error(exit_code::software, path + " holds tables this program does not know how to move (" +
                                           joined(unknown) + "): nothing was copied");
  }

  migration_report report;
  report.schema_version = version;
  target->migrate(sql_storage::migrations_for(sql::dialect::postgresql));
  try {
    auto dst = target->acquire();
    // The columns of each table, by name: the engines' column orders differ
    // (SQLite appends added columns), their sets may not.
    std::vector<std::vector<std::string>> columns;
    for (const auto table : center_tables()) {
      auto here = sqlite_columns(*src, table);
      auto there = postgresql_columns(*dst, table);
      if (here.empty())
        throw error(exit_code::software,
                    path + " has no table " + std::string(table) + " at schema version " + std::to_string(version));
      auto a = here, b = there;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (a != b)
        throw error(exit_code::software, "table " + std::string(table) + " has columns (" + joined(here) +
                                             ") on SQLite but (" + joined(there) + ") on PostgreSQL");
      columns.push_back(std::move(here));
    }

    // One snapshot of the source (BEGIN IMMEDIATE: no fleetreg-centerctl
    // writes meanwhile), one transaction on the target.
    sql::transaction reading(*src);
    sql::transaction tx(*dst);
    std::vector<std::int64_t> copied;
    const auto copy_start = steady::now();
    for (std::size_t i = 0; i < center_tables().size(); ++i) {
      const auto table = center_tables()[i];
      const auto t0 = steady::now();
      sql::statement count(*src, "SELECT count(*) FROM " + identifier(table));
      const auto total = count.step() ? count.column_int(0) : 0;
      meter m(options, "copying " + std::string(table), total);
      const auto per_batch = std::clamp<std::size_t>(options.batch_rows, 1, std::size_t{65535} / columns[i].size());
      copied.push_back(copy_table(*src, *dst, table, columns[i], per_batch, m));
      if (options.after_copy) options.after_copy(*dst, table);
      advance_sequences(*dst, table);
      report.tables.push_back({std::string(table), copied.back(), "", seconds_since(t0)});
    }
    report.copy_seconds = seconds_since(copy_start);

    // Verify: both sides read back and checksummed the same way.
    const auto verify_start = steady::now();
    std::vector<std::string> differ;
    for (std::size_t i = 0; i < center_tables().size(); ++i) {
      const auto table = center_tables()[i];
      const auto t0 = steady::now();
      meter ms(options, "verifying " + std::string(table) + " (SQLite)", copied[i]);
      const auto here = checksum_table(*src, table, columns[i], [&](std::int64_t n) { ms.tick(n); });
      meter mt(options, "verifying " + std::string(table) + " (PostgreSQL)", copied[i]);
      const auto there = checksum_table(*dst, table, columns[i], [&](std::int64_t n) { mt.tick(n); });
      auto& line = report.tables[i];
      line.seconds += seconds_since(t0);
      line.checksum = here.hex;
      if (here.rows != there.rows)
        differ.push_back(line.name + ": " + std::to_string(here.rows) + " rows in SQLite, " +
                         std::to_string(there.rows) + " in PostgreSQL");
      else if (here.hex != there.hex)
        differ.push_back(line.name + ": checksum " + here.hex.substr(0, 16) + " in SQLite, " + there.hex.substr(0, 16) +
                         " in PostgreSQL");
      report.rows += here.rows;
    }
    report.verify_seconds = seconds_since(verify_start);
    if (!differ.empty())
      throw error(exit_code::failure, "the copy differs from " + path + " (" + joined(differ) + "): rolled back, " +
                                          to.shown() + " is empty again");
    tx.commit();
  } catch (...) {
    drop_created_schema(*target);
    throw;
  }
  report.seconds = seconds_since(started);
  return report;
}

}  // namespace fleetreg::center
