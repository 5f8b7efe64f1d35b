// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetreg/test/harness.hpp"

/// A throwaway PostgreSQL for tests and benchmarks: a cluster made by initdb
/// in a private directory, its postmaster a child of the test, stopped by
/// PID; and a libpq connection to talk to it.
namespace fleetreg::test {

/// One libpq connection, closed on destruction.
class pg_connection {
 public:
  /// Connects with `conninfo` (a postgresql:// URI or key=value pairs).
  /// Throws std::runtime_error with libpq's message.
  explicit pg_connection(const std::string& conninfo);
  /// Runs `sql` (one or more statements, no parameters) and returns the
  /// first column of the first row of the last result ("" when it has no
  /// rows, "NULL" stays ""). Throws std::runtime_error with the server's message.
  std::string query(const std::string& sql);
  /// The connection, owned by this object.
  PGconn* get() const { return conn_.get(); }

 private:
  struct closer {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };
  std::unique_ptr<PGconn, closer> conn_;
};

/// `name` double-quoted as an SQL identifier. Throws std::invalid_argument
/// unless it is 1..63 bytes of [a-z0-9_] starting with a letter or '_'
/// (what the tests create; nothing to escape).
std::string pg_identifier(const std::string& name);

/// How a postgres_cluster runs.
struct postgres_options {
  /// false (unit tests): fsync, synchronous_commit and full_page_writes off
  /// and initdb --no-sync — fast, and lost on a crash of the machine.
  /// true (benchmarks): PostgreSQL's durable defaults.
  bool durable = false;
  /// More server settings, "name=value" each (passed as -c, after the defaults).
  std::vector<std::string> settings;
  /// Where the cluster's temp dir is made (the postgres user must be able to
  /// search it).
  std::string parent = "/tmp";
  /// Bounds initdb plus the start; a hang, not a speed measurement.
  std::chrono::milliseconds start_timeout = 120s;
};

/// A PostgreSQL cluster in its own temp dir (/tmp/fleetreg-test-<pid>-*):
/// initdb as the `postgres` user when root (initdb refuses root; as the
/// current user otherwise), authentication `trust`, superuser `postgres`,
/// listening on a unix socket in <dir>/sock and on 127.0.0.1:<free port>,
/// max_connections=300 (two replicas' pools and the tests' own sessions).
/// The postmaster is this process's child (its log <dir>/postgres.log, its
/// PID in <dir>/postgres.pid so a crashed run is cleaned up by the test main).
class postgres_cluster {
 public:
  /// Creates and starts the cluster; returns once it accepts connections on
  /// both the socket and TCP. Throws std::runtime_error (initdb or start
  /// failed: the message carries the log).
  explicit postgres_cluster(postgres_options options = {});
  /// stop().
  ~postgres_cluster();
  postgres_cluster(const postgres_cluster&) = delete;
  postgres_cluster& operator=(const postgres_cluster&) = delete;

  /// Fast shutdown (SIGINT to the postmaster, as `pg_ctl stop -m fast`),
  /// SIGKILL after 30 s, then SIGKILL to any server process still working in
  /// the data directory; removes the directory (kept with
  /// FLEETREG_KEEP_TEST_DIRS=1). Idempotent; never throws.
  void stop();

  /// True while the postmaster runs.
  bool running();
  /// The postmaster's PID (-1 once stopped).
  pid_t pid() const;
  std::uint16_t port() const { return port_; }
  /// The cluster's directory (data/, sock/, postgres.log).
  const std::string& directory() const { return directory_; }
  const std::string& data_directory() const { return data_; }
  const std::string& socket_directory() const { return socket_dir_; }
  /// postgresql://postgres@127.0.0.1:<port>/<database>
  std::string uri(const std::string& database = "postgres") const;
  /// host=<socket dir> port=<port> user=postgres dbname=<database>
  std::string socket_conninfo(const std::string& database = "postgres") const;
  /// CREATE DATABASE `name` (see pg_identifier); returns uri(name). Throws std::runtime_error.
  std::string create_database(const std::string& name);
  /// DROP DATABASE IF EXISTS `name` WITH (FORCE). Throws std::runtime_error.
  void drop_database(const std::string& name);
  /// The server log so far.
  std::string log() const;
  /// How long initdb took, and initdb plus the start until both listeners answered.
  std::chrono::milliseconds initdb_time() const { return initdb_time_; }
  std::chrono::milliseconds start_time() const { return start_time_; }

 private:
  postgres_options options_;
  std::unique_ptr<temp_dir> dir_;
  std::string directory_;
  std::string data_;
  std::string socket_dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<process> server_;
  std::chrono::milliseconds initdb_time_{0};
  std::chrono::milliseconds start_time_{0};
};

/// The newest /usr/lib/postgresql/<version>/bin. Throws std::runtime_error
/// when PostgreSQL is not installed (Debian package `postgresql`).
std::string postgresql_bin_directory();

/// PIDs of the processes whose working directory is `directory` (a
/// PostgreSQL server's processes all work in its data directory).
std::vector<pid_t> processes_working_in(const std::string& directory);

}  // namespace fleetreg::test
