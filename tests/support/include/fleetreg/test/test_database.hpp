// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

/// A private PostgreSQL database per test, on the cluster that ctest's
/// `postgresql` fixture shares between test processes (tests/postgresql.cmake).
namespace fleetreg::test {

/// The file named by FLEETREG_TEST_POSTGRESQL (written by
/// tests/support/pg_cluster.sh: the maintenance database's URI) read and
/// checked, or "" when the variable is unset. Throws std::runtime_error
/// when it is set but the file is missing or holds no postgresql:// URI.
std::string shared_cluster_uri();

/// A database named fleetreg_t_<pid>_<n>, created on construction and
/// dropped (WITH (FORCE): open connections are ended) on destruction.
/// The cluster is the fixture's (FLEETREG_TEST_POSTGRESQL); when that is
/// unset — a test binary run by hand — a postgres_cluster that this process
/// starts on first use and stops at exit.
class test_database {
 public:
  /// Throws std::runtime_error when the cluster cannot be reached or started.
  test_database();
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  const std::string& name() const { return name_; }
  /// postgresql://postgres@127.0.0.1:<port>/<name>: a center's `database =`.
  const std::string& uri() const { return uri_; }

 private:
  std::string maintenance_;
  std::string name_;
  std::string uri_;
};

/// `uri` (postgresql://…/<db>[?params]) with its database replaced by
/// `database`. Throws std::invalid_argument when `uri` is not such a URI.
std::string with_database(const std::string& uri, const std::string& database);

}  // namespace fleetreg::test
