// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/postgres_cluster.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace fleetreg::test {
namespace {

using clock_type = std::chrono::steady_clock;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::chrono::milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

// The account the server runs as: `postgres` when we are root (initdb and
// the postmaster refuse root), else ourselves.
struct server_account {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

server_account account() {
  server_account a;
  a.uid = ::geteuid();
  a.gid = ::getegid();
  if (a.uid != 0) return a;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw) throw std::runtime_error("no 'postgres' user: install Debian's postgresql package");
  a.switch_user = true;
  a.uid = pw->pw_uid;
  a.gid = pw->pw_gid;
  return a;
}

// argv run as the account: setpriv executes the program itself (no PAM
// session, no intermediate process), so the postmaster is our child and
// its PID is the one we stop.
std::vector<std::string> as_account(const server_account& a, std::vector<std::string> argv) {
  if (!a.switch_user) return argv;
  std::vector<std::string> out = {"setpriv", "--reuid=" + std::to_string(a.uid), "--regid=" + std::to_string(a.gid),
                                  "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void make_dir(const std::string& path, mode_t mode, const server_account& a) {
  if (::mkdir(path.c_str(), mode) != 0) throw std::runtime_error("cannot create " + path);
  if (::chown(path.c_str(), a.uid, a.gid) != 0 || ::chmod(path.c_str(), mode) != 0)
    throw std::runtime_error("cannot hand " + path + " to the postgres user");
}

bool accepts(const std::string& conninfo) { return PQping(conninfo.c_str()) == PQPING_OK; }

}  // namespace

pg_connection::pg_connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (!conn_) throw std::runtime_error("libpq: out of memory");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("cannot connect to PostgreSQL (" + conninfo + "): " + message);
  }
  // NOTICEs ("does not exist, skipping") are not the tests' output.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
}

std::string pg_connection::query(const std::string& sql) {
  struct clearer {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  const std::unique_ptr<PGresult, clearer> result(PQexec(conn_.get(), sql.c_str()));
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("PostgreSQL refused \"" + sql + "\": " + message);
  }
  if (PQntuples(result.get()) < 1 || PQnfields(result.get()) < 1) return {};
  return PQgetvalue(result.get(), 0, 0);
}

std::string pg_identifier(const std::string& name) {
  const bool shape = !name.empty() && name.size() <= 63 && (name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z')) &&
                     std::all_of(name.begin(), name.end(),
                                 [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
  if (!shape) throw std::invalid_argument("not a test database name: \"" + name + "\"");
  return '"' + name + '"';
}

std::string postgresql_bin_directory() {
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto name = d.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    if (!fs::exists(d.path() / "bin" / "postgres")) continue;
    const int version = std::stoi(name);
    if (version > best_version) {
      best_version = version;
      best = (d.path() / "bin").string();
    }
  }
  if (best.empty()) throw std::runtime_error("no /usr/lib/postgresql/*/bin/postgres: install Debian's postgresql");
  return best;
}

std::vector<pid_t> processes_working_in(const std::string& directory) {
  std::vector<pid_t> pids;
  std::error_code ec;
  const auto wanted = fs::weakly_canonical(directory, ec);
  for (const auto& p : fs::directory_iterator("/proc", ec)) {
    const auto name = p.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::error_code link_ec;
    const auto cwd = fs::read_symlink(p.path() / "cwd", link_ec);
    if (!link_ec && cwd == wanted) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

postgres_cluster::postgres_cluster(postgres_options options) : options_(std::move(options)) {
  const auto started = clock_type::now();
  const auto who = account();
  const auto bin = postgresql_bin_directory();
  dir_ = std::make_unique<temp_dir>(options_.parent);
  directory_ = dir_->path();
  data_ = dir_->file("data");
  socket_dir_ = dir_->file("sock");
  // The postgres user walks into the (root-owned, 0700) temp dir.
  if (::chmod(directory_.c_str(), 0711) != 0) throw std::runtime_error("cannot chmod " + directory_);
  make_dir(data_, 0700, who);
  make_dir(socket_dir_, 0755, who);
  if (socket_dir_.size() + sizeof "/.s.PGSQL.65535" > 107)
    throw std::runtime_error("socket path too long for a unix socket: " + socket_dir_);

  std::vector<std::string> initdb = {bin + "/initdb",   "-D", data_, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                     "--locale=C.UTF-8"};
  if (!options_.durable) initdb.push_back("--no-sync");
  const auto initdb_result = run(as_account(who, initdb), {{"LC_ALL", "C.UTF-8"}}, options_.start_timeout);
  if (initdb_result.exit_code != 0)
    throw std::runtime_error("initdb failed (exit " + std::to_string(initdb_result.exit_code) +
                             "): " + initdb_result.err + initdb_result.out);
  initdb_time_ = since(started);

  // A free port may be taken between the probe and the bind: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port(false);
    std::vector<std::string> argv = {bin + "/postgres",
                                     "-D",
                                     data_,
                                     "-c",
                                     "listen_addresses=127.0.0.1",
                                     "-c",
                                     "port=" + std::to_string(port_),
                                     "-c",
                                     "unix_socket_directories=" + socket_dir_,
                                     "-c",
                                     "max_connections=300"};
    if (!options_.durable)
      for (const char* s : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"})
        argv.insert(argv.end(), {"-c", s});
    for (const auto& s : options_.settings) argv.insert(argv.end(), {"-c", s});
    server_ = std::make_unique<process>(as_account(who, argv), *dir_, "postgres",
                                        std::map<std::string, std::string>{{"LC_ALL", "C.UTF-8"}});
    // After the exec the process is named postgres: say so in its PID file,
    // which is what clean_stale_leftovers checks before killing it.
    std::ofstream(dir_->file("postgres.pid")) << server_->pid() << " postgres\n";
    const auto remaining = options_.start_timeout - since(started);
    wait_until([&] { return !server_->running() || (accepts(socket_conninfo()) && accepts(uri())); },
               std::max<std::chrono::milliseconds>(remaining, 1s));
    if (server_->running() && accepts(socket_conninfo()) && accepts(uri())) {
      start_time_ = since(started);
      return;
    }
    const auto why = log();
    server_->stop(5s);
    server_.reset();
    if (why.find("could not bind") == std::string::npos) throw std::runtime_error("PostgreSQL did not start: " + why);
  }
  throw std::runtime_error("PostgreSQL found no free port in 3 attempts: " + log());
}

postgres_cluster::~postgres_cluster() { stop(); }

void postgres_cluster::stop() {
  if (server_) {
    if (server_->running()) {
      ::kill(server_->pid(), SIGINT);  // fast shutdown: roll back, disconnect, checkpoint
      wait_until([&] { return !server_->running(); }, 30s);
    }
    server_->stop(5s);  // SIGTERM, then SIGKILL; reaps it
    server_.reset();
  }
  // A killed postmaster leaves its children behind for a moment: they work
  // in the data directory, which no other process does.
  if (!data_.empty() && !wait_until([&] { return processes_working_in(data_).empty(); }, 5s))
    for (const pid_t pid : processes_working_in(data_)) ::kill(pid, SIGKILL);
  wait_until([&] { return processes_working_in(data_).empty(); }, 5s);
  dir_.reset();
}

bool postgres_cluster::running() { return server_ && server_->running(); }

pid_t postgres_cluster::pid() const { return server_ ? server_->pid() : -1; }

std::string postgres_cluster::uri(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string postgres_cluster::socket_conninfo(const std::string& database) const {
  return "host=" + socket_dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=" + database +
         " connect_timeout=10";
}

std::string postgres_cluster::create_database(const std::string& name) {
  pg_connection(socket_conninfo()).query("CREATE DATABASE " + pg_identifier(name));
  return uri(name);
}

void postgres_cluster::drop_database(const std::string& name) {
  pg_connection(socket_conninfo()).query("DROP DATABASE IF EXISTS " + pg_identifier(name) + " WITH (FORCE)");
}

std::string postgres_cluster::log() const { return read_text(directory_ + "/postgres.log"); }

}  // namespace fleetreg::test
