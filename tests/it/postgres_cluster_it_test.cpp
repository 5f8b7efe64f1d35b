// SPDX-License-Identifier: Apache-2.0
// The throwaway PostgreSQL of the tests (postgres_cluster), the ctest
// fixture that shares one cluster between test processes (pg_cluster.sh,
// tests/postgresql.cmake) and the database per test on it (test_database).

#include "fleetreg/test/postgres_cluster.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "fleetreg/test/test_database.hpp"

namespace fs = std::filesystem;
using namespace fleetreg::test;

namespace {

// Where the query arrived: "127.0.0.1" over TCP, "socket" over the unix socket.
constexpr const char* transport_sql = "SELECT coalesce(host(inet_server_addr()), 'socket')";

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Sets or unsets an environment variable for one scope.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST(PostgresCluster, AnswersOverTcpAndTheSocket) {
  postgres_cluster cluster;
  std::printf("postgres_cluster (fsync off): initdb %lld ms, ready on socket and TCP after %lld ms\n",
              static_cast<long long>(cluster.initdb_time().count()),
              static_cast<long long>(cluster.start_time().count()));
  ::testing::Test::RecordProperty("start_ms", static_cast<int>(cluster.start_time().count()));

  pg_connection tcp(cluster.uri());
  EXPECT_EQ(tcp.query(transport_sql), "127.0.0.1");
  EXPECT_EQ(tcp.query("SELECT 6 * 7"), "42");
  pg_connection socket(cluster.socket_conninfo());
  EXPECT_EQ(socket.query(transport_sql), "socket");
  EXPECT_EQ(socket.query("SELECT current_user"), "postgres");
  EXPECT_EQ(socket.query("SHOW fsync"), "off");
  EXPECT_EQ(socket.query("SHOW server_encoding"), "UTF8");
  EXPECT_EQ(socket.query("SHOW port"), std::to_string(cluster.port()));

  // The PID file names the postmaster as the test main's clean-up checks it.
  const auto pid_line = first_line(cluster.directory() + "/postgres.pid");
  EXPECT_EQ(pid_line, std::to_string(cluster.pid()) + " postgres");
  EXPECT_EQ(first_line("/proc/" + std::to_string(cluster.pid()) + "/comm"), "postgres");
  if (::geteuid() == 0) {
    EXPECT_EQ(fs::status(cluster.data_directory()).permissions() & fs::perms::all, fs::perms::owner_all);
  }
}

TEST(PostgresCluster, CreatesAndDropsDatabases) {
  postgres_cluster cluster;
  const auto uri = cluster.create_database("fleetreg_readings");
  EXPECT_EQ(uri, "postgresql://postgres@127.0.0.1:" + std::to_string(cluster.port()) + "/fleetreg_readings");
  {
    pg_connection db(uri);
    EXPECT_EQ(db.query("SELECT current_database()"), "fleetreg_readings");
    db.query("CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    EXPECT_EQ(db.query("SELECT string_agg(v, ',' ORDER BY id) FROM t"), "a,b");
    // A duplicate key is refused with the server's message.
    try {
      db.query("INSERT INTO t VALUES (1, 'c')");
      ADD_FAILURE() << "a duplicate key was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
    }
    // Dropping ends the open connection (WITH (FORCE)).
    cluster.drop_database("fleetreg_readings");
  }
  pg_connection admin(cluster.socket_conninfo());
  EXPECT_EQ(admin.query("SELECT count(*) FROM pg_database WHERE datname = 'fleetreg_readings'"), "0");
  EXPECT_THROW(cluster.create_database("Robert'); DROP TABLE students;--"), std::invalid_argument);
  EXPECT_THROW(cluster.create_database(""), std::invalid_argument);
  EXPECT_THROW(cluster.create_database(std::string(64, 'a')), std::invalid_argument);
}

TEST(PostgresCluster, StopLeavesNoProcessAndNoDirectory) {
  postgres_cluster cluster;
  pg_connection open_session(cluster.uri());  // a client still connected does not hold the stop
  const pid_t postmaster = cluster.pid();
  const auto directory = cluster.directory();
  const auto data = cluster.data_directory();
  const auto uri = cluster.uri();
  ASSERT_FALSE(processes_working_in(data).empty());
  ASSERT_TRUE(process_alive(postmaster));
  cluster.stop();
  EXPECT_FALSE(process_alive(postmaster));
  EXPECT_TRUE(processes_working_in(data).empty());
  EXPECT_FALSE(fs::exists(directory));
  EXPECT_NE(PQping(uri.c_str()), PQPING_OK);
  EXPECT_FALSE(cluster.running());
  cluster.stop();  // idempotent
}

TEST(PostgresCluster, StopCleansUpAfterAKilledPostmaster) {
  postgres_cluster cluster;
  const auto data = cluster.data_directory();
  const auto directory = cluster.directory();
  const auto children = processes_working_in(data);
  ASSERT_GT(children.size(), 1u);  // postmaster, checkpointer, writers…
  ASSERT_EQ(::kill(cluster.pid(), SIGKILL), 0);
  cluster.stop();
  for (const pid_t pid : children) EXPECT_FALSE(process_alive(pid)) << pid;
  EXPECT_TRUE(processes_working_in(data).empty());
  EXPECT_FALSE(fs::exists(directory));
}

// A test process that dies without stopping its cluster: the next test
// main's clean_stale_leftovers stops the postmaster (its PID file says
// "postgres") and removes the directory.
TEST(PostgresCluster, ACrashedOwnersClusterIsCleanedUpByTheNextRun) {
  // A parent of its own: every test main on the machine cleans /tmp.
  temp_dir parent;
  fs::permissions(parent.path(), fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);  // the postmaster must not hold it open
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    ::close(report[0]);
    std::string line;
    try {
      postgres_options options;
      options.parent = parent.path();
      auto* leaked = new postgres_cluster(options);  // never stopped: the owner "crashes"
      line = leaked->directory() + " " + std::to_string(leaked->pid()) + "\n";
    } catch (const std::exception& e) {
      line = std::string("error ") + e.what() + "\n";
    }
    (void)!::write(report[1], line.data(), line.size());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string line;
  char buf[512];
  ssize_t n;
  while ((n = ::read(report[0], buf, sizeof buf)) > 0) line.append(buf, static_cast<std::size_t>(n));
  ::close(report[0]);
  ::waitpid(owner, nullptr, 0);
  std::istringstream in(line);
  std::string directory;
  pid_t postmaster = -1;
  in >> directory >> postmaster;
  ASSERT_GT(postmaster, 0) << line;
  ASSERT_TRUE(process_alive(postmaster)) << line << fleetreg::test::run({"cat", directory + "/postgres.log"}).out;
  const auto data = directory + "/data";

  clean_stale_leftovers(parent.path());
  EXPECT_FALSE(process_alive(postmaster));
  EXPECT_FALSE(fs::exists(directory));
  EXPECT_TRUE(wait_until([&] { return processes_working_in(data).empty(); }, 10s));
}

TEST(PostgresCluster, DurableOptionKeepsPostgresDefaultsAndSettingsApply) {
  postgres_options options;
  options.durable = true;
  options.settings = {"work_mem=8MB", "max_connections=50"};
  postgres_cluster cluster(options);
  std::printf("postgres_cluster (durable): initdb %lld ms, ready after %lld ms\n",
              static_cast<long long>(cluster.initdb_time().count()),
              static_cast<long long>(cluster.start_time().count()));
  pg_connection db(cluster.socket_conninfo());
  EXPECT_EQ(db.query("SHOW fsync"), "on");
  EXPECT_EQ(db.query("SHOW synchronous_commit"), "on");
  EXPECT_EQ(db.query("SHOW full_page_writes"), "on");
  EXPECT_EQ(db.query("SHOW work_mem"), "8MB");
  EXPECT_EQ(db.query("SHOW max_connections"), "50");  // the caller's settings come last
}

TEST(PostgresCluster, WithDatabaseReplacesOnlyTheDatabase) {
  EXPECT_EQ(with_database("postgresql://postgres@127.0.0.1:5432/postgres", "x"),
            "postgresql://postgres@127.0.0.1:5432/x");
  EXPECT_EQ(with_database("postgresql://u@h:1/postgres?sslmode=disable", "y"), "postgresql://u@h:1/y?sslmode=disable");
  EXPECT_EQ(with_database("postgres://h", "z"), "postgres://h/z");
  EXPECT_EQ(with_database("postgresql://h?connect_timeout=3", "z"), "postgresql://h/z?connect_timeout=3");
  EXPECT_THROW(with_database("host=/tmp dbname=postgres", "x"), std::invalid_argument);
}

// Run by ctest, this binary requires the `postgresql` fixture: the cluster
// that pg_cluster.sh started for the whole run.
TEST(TestDatabase, IsPrivateToTheTestAndDroppedAfterIt) {
  const auto shared = shared_cluster_uri();
  if (shared.empty()) std::printf("FLEETREG_TEST_POSTGRESQL unset: this process starts its own cluster\n");
  std::string name, maintenance;
  std::optional<pg_connection> held;  // still open when its database is dropped
  {
    test_database one;
    test_database two;
    name = one.name();
    EXPECT_NE(one.name(), two.name());
    EXPECT_EQ(one.name().rfind("fleetreg_t_" + std::to_string(::getpid()) + "_", 0), 0u) << one.name();
    maintenance = with_database(one.uri(), "postgres");
    if (!shared.empty()) {
      EXPECT_EQ(maintenance, shared);
    }
    held.emplace(one.uri());
    EXPECT_EQ(held->query("SELECT current_database()"), one.name());
    held->query("CREATE TABLE readings (id text PRIMARY KEY)");
    pg_connection other(two.uri());
    EXPECT_EQ(other.query("SELECT count(*) FROM pg_tables WHERE tablename = 'readings'"), "0");
  }
  pg_connection admin(maintenance);
  EXPECT_EQ(admin.query("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"), "0");
}

TEST(TestDatabase, RunByHandStartsAClusterOfItsOwn) {
  const auto shared = shared_cluster_uri();
  const scoped_env unset("FLEETREG_TEST_POSTGRESQL", nullptr);
  test_database db;
  pg_connection c(db.uri());
  EXPECT_EQ(c.query("SELECT current_database()"), db.name());
  if (!shared.empty()) {
    EXPECT_NE(with_database(db.uri(), "postgres"), shared);
  }
}

TEST(TestDatabase, ABrokenFixtureFileIsAClearError) {
  temp_dir dir;
  const auto missing = dir.file("conninfo");
  const scoped_env point("FLEETREG_TEST_POSTGRESQL", missing.c_str());
  try {
    test_database db;
    ADD_FAILURE() << "a database without a cluster";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("postgresql fixture"), std::string::npos) << e.what();
  }
  std::ofstream(missing) << "host=/tmp dbname=postgres\n";
  EXPECT_THROW(test_database{}, std::invalid_argument);
}

// The fixture script by itself: start, use, stop; nothing left.
TEST(PgClusterScript, StartsAClusterAndStopRemovesIt) {
  temp_dir dir;
  const auto cluster = dir.file("pg");
  // DIR (here a 0700 temp dir) needs not be reachable by the postgres user:
  // the cluster itself lives under /tmp, named in DIR/cluster.
  const auto started = std::chrono::steady_clock::now();
  const auto start = run({FLEETREG_PG_CLUSTER_SCRIPT, "start", cluster});
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  ASSERT_EQ(start.exit_code, 0) << start.err;
  std::printf("pg_cluster.sh start: %lld ms\n", static_cast<long long>(took.count()));
  const auto uri = first_line(cluster + "/conninfo");
  EXPECT_EQ(uri.rfind("postgresql://postgres@127.0.0.1:", 0), 0u) << uri;
  {
    pg_connection tcp(uri);
    EXPECT_EQ(tcp.query(transport_sql), "127.0.0.1");
    EXPECT_EQ(tcp.query("SELECT current_database()"), "postgres");
    pg_connection socket(first_line(cluster + "/conninfo.socket"));
    EXPECT_EQ(socket.query(transport_sql), "socket");
  }
  const auto cluster_dir = first_line(cluster + "/cluster");
  EXPECT_NE(cluster_dir.find("/fleetreg-pg-fixture."), std::string::npos) << cluster_dir;
  const auto data = cluster_dir + "/data";
  const auto postmaster = static_cast<pid_t>(std::stol(first_line(data + "/postmaster.pid")));
  EXPECT_TRUE(process_alive(postmaster));

  // A second start over a running cluster replaces it (what an interrupted
  // ctest run leaves behind).
  const auto again = run({FLEETREG_PG_CLUSTER_SCRIPT, "start", cluster});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(process_alive(postmaster));
  EXPECT_FALSE(fs::exists(cluster_dir));  // the old cluster went with it
  const auto new_data = first_line(cluster + "/cluster") + "/data";
  const auto new_postmaster = static_cast<pid_t>(std::stol(first_line(new_data + "/postmaster.pid")));
  ASSERT_TRUE(process_alive(new_postmaster));
  const auto stop = run({FLEETREG_PG_CLUSTER_SCRIPT, "stop", cluster});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_FALSE(process_alive(new_postmaster));
  EXPECT_FALSE(fs::exists(new_data));
  EXPECT_FALSE(fs::exists(cluster));
  EXPECT_NE(PQping(uri.c_str()), PQPING_OK);
  EXPECT_NE(run({FLEETREG_PG_CLUSTER_SCRIPT, "start"}).exit_code, 0);  // usage
}
