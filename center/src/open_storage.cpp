// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/core/error.hpp"
#include "sql/postgresql_database.hpp"
#include "sql/sqlite_database.hpp"

namespace fleetreg::center {
namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::string database_location::shown() const {
  if (kind == engine::sqlite) return target;
  // postgresql://user:password@host/db → postgresql://user@host/db
  const auto scheme = target.find("://");
  const auto at = target.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos) return target;
  const auto colon = target.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return target;
  return target.substr(0, colon) + target.substr(at);
}

database_location parse_database_location(const std::string& text) {
  database_location where;
  if (text.empty()) throw error(exit_code::config, "[center] database is empty");
  if (starts_with(text, "postgresql://") || starts_with(text, "postgres://")) {
    where.kind = database_location::engine::postgresql;
    where.target = text;
    return where;
  }
  if (starts_with(text, "sqlite://")) {
    where.target = text.substr(9);
    if (where.target.empty() || where.target.front() != '/')
      throw error(exit_code::config, "[center] database: sqlite:// takes an absolute path (sqlite:///var/lib/…)");
    return where;
  }
  if (text.find("://") != std::string::npos)
    throw error(exit_code::config,
                "[center] database: unknown scheme (a path, sqlite:///path or postgresql://…): " + text);
  where.target = text;
  return where;
}

std::unique_ptr<sql::database> open_database(const database_location& where, std::size_t pool) {
  if (where.kind == database_location::engine::postgresql)
    return std::make_unique<sql::postgresql_database>(where.target, where.shown(), pool);
  return std::make_unique<sql::sqlite_database>(where.target);
}

std::unique_ptr<sql_storage> open_storage(const database_location& where, std::size_t pool) {
  if (where.kind == database_location::engine::sqlite) return std::make_unique<sqlite_storage>(where.target);
  return std::make_unique<sql_storage>(open_database(where, pool));
}

sqlite_storage::sqlite_storage(const std::string& path) : sql_storage(std::make_unique<sql::sqlite_database>(path)) {}

void sqlite_storage::backup(const std::string& target) {
  static_cast<sql::sqlite_database&>(database()).backup(target);
}

void sqlite_storage::restore(const std::string& source, const std::string& path) {
  sql::sqlite_database::restore(source, path, schema_version());
}

}  // namespace fleetreg::center
