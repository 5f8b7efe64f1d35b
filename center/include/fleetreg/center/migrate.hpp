// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetreg/center/sql.hpp"
#include "fleetreg/center/sql_storage.hpp"

/// Moving a SQLite center into an empty PostgreSQL database
/// (`fleetreg-centerctl migrate --to postgresql://…`): the schema is made by
/// the PostgreSQL migrations, every table is copied in one PostgreSQL
/// transaction, and the transaction commits only when every table's row
/// count and checksum are the same on both sides.
namespace fleetreg::center {

/// The center's tables in foreign-key order (each after the tables it
/// references): the one list of what a move copies. A migration that adds a
/// table adds it here; a move refuses a source holding a table this list
/// lacks.
const std::vector<std::string_view>& center_tables();

/// The checksum of a table's rows, the same on both engines: every row's
/// columns in a canonical text form (NULL, or the value's text with its
/// length) hashed with SHA-256, the row hashes added as 256-bit numbers.
/// The sum does not depend on the order of the rows (neither engine's
/// collation nor its place for NULLs matters, and no sort is needed), and a
/// row present twice counts twice.
struct table_checksum {
  std::int64_t rows = 0;
  std::string hex;  ///< the sum, 64 hex digits
  bool operator==(const table_checksum&) const = default;
};

/// The checksum of `columns` of `table` on `c`, streamed (on PostgreSQL
/// through a cursor, so `c` must be inside a transaction there). `tick` is
/// called with the rows read so far, now and then. Throws std::system_error
/// on database errors.
table_checksum checksum_table(sql::connection& c, std::string_view table, const std::vector<std::string>& columns,
                              const std::function<void(std::int64_t rows)>& tick = {});

/// How a move runs.
struct migrate_options {
  /// Rows per multi-row INSERT (capped so that one statement stays within
  /// PostgreSQL's 65535 parameters).
  std::size_t batch_rows = 1000;
  /// A line of progress (for stderr), at most every `progress_every` per table.
  std::function<void(const std::string& line)> progress;
  std::chrono::milliseconds progress_every{3000};
  /// Called inside the target's transaction after a table is copied, before
  /// anything is verified (tests corrupt a row here to see the move refuse).
  std::function<void(sql::connection& target, std::string_view table)> after_copy;
};

/// What a move did, table by table.
struct migrated_table {
  std::string name;
  std::int64_t rows = 0;
  std::string checksum;  ///< table_checksum::hex, the same on both sides
  double seconds = 0;    ///< copying and verifying it
};
struct migration_report {
  std::vector<migrated_table> tables;
  std::int64_t rows = 0;
  int schema_version = 0;
  double copy_seconds = 0;    ///< copying every table
  double verify_seconds = 0;  ///< checksumming both sides
  double seconds = 0;         ///< the whole move, schema and commit included
};

/// Copies the SQLite center at `from` into the empty PostgreSQL database at
/// `to`, holding the center's database_lock throughout. A source of an older
/// schema is first brought to this program's schema by the SQLite
/// migrations (what the center does when it starts). Refuses, with
/// fleetreg::error and nothing changed: `from` not SQLite or missing, `to`
/// not PostgreSQL (usage); `from` no center database (data); a center running on `from` (failure); `to`
/// unreachable (unavailable); `to` holding any table in its schema
/// (failure); a source newer than this program (io); a source table not in
/// center_tables() or columns that differ between the engines' schemas
/// (software); a row count or checksum that differs after the copy
/// (failure: the transaction is rolled back and the schema this move made
/// is dropped again). Throws std::system_error on other database errors,
/// after the same clean-up.
migration_report migrate_center(const database_location& from, const database_location& to,
                                const migrate_options& options = {});

}  // namespace fleetreg::center
