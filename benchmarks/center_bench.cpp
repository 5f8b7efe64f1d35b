// SPDX-License-Identifier: Apache-2.0
// Center benchmarks, each measured side by side in one run:
//   readings   durable readings/s, batches of 100 from 32 concurrent clients,
//              next to raw SQLite batch inserts with the same settings
//   longpoll   10,000 idle long-polls held (HTTP or HTTPS): the center's RSS
//              and threads before, while held and after; one request queued,
//              its delivery time
//   slowloris  5,000 connections that each send one header byte every 2 s
//              and reconnect when the center drops them (HTTP or HTTPS): the
//              center's RSS and sockets, and /healthz latency from a fresh
//              client, before and while they are connected
//   readings-pg  durable readings/s on PostgreSQL through 1 or 2 center
//              replicas (the 32 clients split between them, no balancer),
//              next to raw multi-row INSERT and COPY into the same table
//   wakeup-pg  a request queued through replica A's dealer site: time until
//              the site's long-poll parked on replica B answers, next to
//              both on A
//   delivery   1,000 sites long-polling while 10,000 readings/min arrive: a
//              request queued on the dealer site until its site's long-poll
//              answers, next to the same with no readings arriving
// Usage: fleetreg-bench-center readings [SECONDS] [WORKER_THREADS] [flap] | longpoll [POLLS] [http|https]
//        | slowloris [CONNECTIONS] [http|https] [SECONDS] | readings-pg [SECONDS] [REPLICAS]
//        | wakeup-pg [SAMPLES] [REPLICAS] | delivery [SITES] [READINGS_PER_MINUTE] [SAMPLES]

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "fleetreg/center/delivery.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/sql_storage.hpp"
#include "fleetreg/center/webhook_client.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/dealer_site_client.hpp"
#include "fleetreg/test/postgres_cluster.hpp"

namespace {

using namespace fleetreg;
using steady = std::chrono::steady_clock;

// A value of /proc/PID/status ("VmRSS" in kB, "Threads"); -1 when absent.
long proc_status(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  return -1;
}
long rss_kib(pid_t pid) { return proc_status(pid, "VmRSS"); }
int threads_of(pid_t pid) { return static_cast<int>(proc_status(pid, "Threads")); }

// CPU seconds (user + system) a process used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void raise_file_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

// A site with `n` terminals through `client` (one client: over HTTPS, one
// TLS handshake for all); returns the credential.
std::string register_site(rest_client::client& client, const std::string& code, int n, int offset = 0,
                          std::string* site_id = nullptr) {
  json::value terms = json::value::array();
  for (int i = 0; i < n; ++i)
    terms.push_back({{"manufacturer", "HP"}, {"model", "Bench"}, {"serial", "B" + std::to_string(offset + i)}});
  const json::value reg = {
      {"code", code}, {"registering_side", {{"kind", "collector"}, {"name", "bench"}}}, {"terminals", terms}};
  std::error_code ec;
  std::string why;
  const auto r = client.request("POST", "/api/v1/registrations", reg.dump(), {}, ec, &why);
  if (ec || r.status != 201) throw std::runtime_error("registration failed: " + why + r.body);
  const auto body = json::value::parse(r.body);
  if (site_id) *site_id = body["site_id"];
  return body["credential"];
}

json::value batch_of(int size, int terminal_base, int toner_level = 500) {
  json::value list = json::value::array();
  const auto now = format_utc(std::chrono::system_clock::now());
  for (int i = 0; i < size; ++i)
    list.push_back({{"id", make_uuid()},
                    {"terminal", "hp:B" + std::to_string(terminal_base + i % 10)},
                    {"taken_at", now},
                    {"counters", {{"copy", {{"impressions", 1000 + i}}}, {"total", {{"impressions", 2000 + i}}}}},
                    {"supplies", {{{"index", 1}, {"type", "toner"}, {"level", toner_level}, {"max_capacity", 1000}}}}});
  return {{"readings", list}};
}

constexpr int load_clients = 32, load_batch = 100;

// Request bodies for `clients` clients posting for `seconds`, made before
// the clock starts: the load measures the center, not the client's JSON and
// UUID generation. Client i reports the terminals of the site registered
// i-th (B<i*10>..B<i*10+9>). With `flap`, each client's uploads alternate
// its terminals' toner between 10 % (low: an alert is raised) and 50 % (it
// is cleared): the alert rules' worst case, a transition per terminal per
// upload.
std::vector<std::vector<std::string>> reading_bodies(int clients, double seconds, bool flap = false) {
  const auto per_client = static_cast<std::size_t>(seconds * 40000 / clients / load_batch + 20);
  std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(clients));
  for (int i = 0; i < clients; ++i)
    for (std::size_t k = 0; k < per_client; ++k)
      bodies[static_cast<std::size_t>(i)].push_back(
          batch_of(load_batch, i * 10, flap && k % 2 == 0 ? 100 : 500).dump());
  return bodies;
}

// CPU seconds used so far by each of `pids`.
std::map<pid_t, double> cpu_by_pid(const std::vector<pid_t>& pids) {
  std::map<pid_t, double> out;
  for (auto p : pids) out[p] = cpu_seconds(p);
  return out;
}
// CPU seconds `pids` used since `before` (a process absent from it: all of its time).
double cpu_since(const std::map<pid_t, double>& before, const std::vector<pid_t>& pids) {
  double sum = 0;
  for (auto p : pids) {
    const auto it = before.find(p);
    sum += cpu_seconds(p) - (it == before.end() ? 0.0 : it->second);
  }
  return sum;
}

struct ingest_figures {
  double rate = 0;        ///< readings accepted per second
  long failures = 0;      ///< batches not answered 200
  double center_cpu = 0;  ///< CPU cores used by the centers
  double client_cpu = 0;  ///< … by this process (the load)
};

// `bodies.size()` client threads, client i posting its bodies with creds[i]
// to centers[i % centers.size()] for `seconds`, one batch at a time.
ingest_figures post_readings(const std::vector<test::center_daemon*>& centers, const std::vector<std::string>& creds,
                             const std::vector<std::vector<std::string>>& bodies, double seconds) {
  std::atomic<long> accepted{0}, failures{0};
  std::atomic<bool> stop{false};
  std::vector<pid_t> center_pids;
  for (auto* c : centers) center_pids.push_back(c->daemon()->pid());
  std::vector<std::thread> threads;
  const auto center_cpu0 = cpu_by_pid(center_pids);
  const auto self_cpu0 = cpu_seconds(getpid());
  const auto start = steady::now();
  for (std::size_t i = 0; i < bodies.size(); ++i)
    threads.emplace_back([&, i] {
      auto c = centers[i % centers.size()]->client();
      for (const auto& body : bodies[i]) {
        if (stop) break;
        std::error_code ec;
        const auto r = c.request("POST", "/api/v1/readings", body, {{"Authorization", "Bearer " + creds[i]}}, ec);
        if (ec || r.status != 200) {
          ++failures;
          continue;
        }
        accepted += json::value::parse(r.body)["accepted"].get<long>();
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  ingest_figures f;
  f.rate = static_cast<double>(accepted) / elapsed;
  f.failures = failures;
  f.center_cpu = cpu_since(center_cpu0, center_pids) / elapsed;
  f.client_cpu = (cpu_seconds(getpid()) - self_cpu0) / elapsed;
  return f;
}

// The credentials of `clients` sites of 10 terminals each, registered through `center`.
std::vector<std::string> register_load_sites(const test::center_daemon& center, const std::string& code, int clients) {
  std::vector<std::string> creds;
  auto registrar = center.client();
  for (int i = 0; i < clients; ++i) creds.push_back(register_site(registrar, code, 10, i * 10));
  return creds;
}

// `worker_threads` 0: the center's default.
int readings(double seconds, int worker_threads, bool flap) {
  test::temp_dir dir;
  test::center_daemon center(
      dir,
      {.tls = false,
       .extra_config = worker_threads > 0 ? "[http]\nworker_threads = " + std::to_string(worker_threads) + "\n" : ""});
  const auto code = center.dealer_and_code("bench", "Bench customer");
  center.start();
  const auto creds = register_load_sites(center, code, load_clients);
  const auto bodies = reading_bodies(load_clients, seconds, flap);
  const auto load = post_readings({&center}, creds, bodies, seconds);
  center.stop();

  // Raw SQLite: the same table and index, WAL, synchronous=FULL, one
  // transaction per 100, one thread, no HTTP.
  sqlite::database db(dir.file("raw.db"), sqlite::open_mode::create);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;");
  db.exec(
      "CREATE TABLE readings (site_id TEXT NOT NULL, id TEXT NOT NULL, terminal_key TEXT NOT NULL, "
      "taken_at INTEGER NOT NULL, received_at INTEGER NOT NULL, request_id TEXT NOT NULL, source TEXT NOT NULL, "
      "counters TEXT NOT NULL, supplies TEXT NOT NULL, counter_reset INTEGER NOT NULL, late INTEGER NOT NULL, "
      "PRIMARY KEY (site_id, id)); "
      "CREATE INDEX readings_site_terminal ON readings (site_id, terminal_key, taken_at);");
  sqlite::statement ins(db,
                        "INSERT INTO readings VALUES (?1, ?2, ?3, ?4, ?5, '', 'fleetreg-mib', ?6, ?7, 0, 0) "
                        "ON CONFLICT DO NOTHING");
  long raw = 0;
  const auto raw_start = steady::now();
  const std::string counters = R"({"copy":{"impressions":1000},"total":{"impressions":2000}})";
  const std::string supplies = R"([{"index":1,"type":"toner","level":500,"max_capacity":1000}])";
  while (std::chrono::duration<double>(steady::now() - raw_start).count() < seconds) {
    sqlite::transaction tx(db);
    for (int i = 0; i < load_batch; ++i) {
      ins.bind(1, "site").bind(2, make_uuid()).bind(3, "hp:B1").bind(4, std::int64_t{1}).bind(5, std::int64_t{1});
      ins.bind(6, counters).bind(7, supplies);
      ins.run();
    }
    tx.commit();
    raw += load_batch;
  }
  const double raw_rate = static_cast<double>(raw) / std::chrono::duration<double>(steady::now() - raw_start).count();
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| center: durable readings/s (32 clients, batches of 100, HTTP) | %.0f |\n", load.rate);
  std::printf("| raw SQLite: readings/s (batches of 100, WAL, synchronous=FULL) | %.0f |\n", raw_rate);
  std::printf("| ratio center / raw | %.2f |\n", load.rate / raw_rate);
  std::printf("| failed batches | %ld |\n", load.failures);
  std::printf("| CPU cores used during the HTTP run: center / load client | %.2f / %.2f |\n", load.center_cpu,
              load.client_cpu);
  std::printf("\n%.0f s per side; center worker_threads %s%s\n", seconds,
              worker_threads > 0 ? std::to_string(worker_threads).c_str() : "default",
              flap ? "; toner flapping between 10 % and 50 % every upload (an alert raised or cleared per terminal "
                     "per upload)"
                   : "");
  return 0;
}

// --- PostgreSQL: durable ingest through replicas, and wake-ups across them ----

// The center's readings table and its index on PostgreSQL, as
// center/src/sql_storage.cpp's postgresql_migrations create them.
constexpr const char* pg_readings_ddl = R"sql(
CREATE TABLE readings (
  site_id TEXT NOT NULL, id TEXT NOT NULL, terminal_key TEXT NOT NULL,
  taken_at BIGINT NOT NULL, received_at BIGINT NOT NULL,
  request_id TEXT NOT NULL, source TEXT NOT NULL,
  counters TEXT NOT NULL, supplies TEXT NOT NULL,
  counter_reset BIGINT NOT NULL, late BIGINT NOT NULL DEFAULT 0,
  details TEXT NOT NULL DEFAULT '', PRIMARY KEY (site_id, id));
CREATE INDEX readings_site_terminal ON readings (site_id, terminal_key, taken_at);
)sql";
constexpr const char* pg_reading_columns =
    "site_id, id, terminal_key, taken_at, received_at, request_id, source, counters, supplies, counter_reset, late, "
    "details";
constexpr int pg_reading_column_count = 12;

struct pq_result_closer {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pq_result = std::unique_ptr<PGresult, pq_result_closer>;

// `r` when its status is `wanted`; else throws with the server's message.
pq_result pq_expect(PGconn* c, PGresult* raw, ExecStatusType wanted, const char* what) {
  pq_result r(raw);
  if (!r || PQresultStatus(r.get()) != wanted)
    throw std::runtime_error(std::string(what) + ": " + (r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c)));
  return r;
}

// The 12 column values of one raw reading, as the center stores them for the
// load's readings (counters and supplies of the same shape and size).
std::vector<std::string> raw_row(const std::string& site, int n) {
  const auto now = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  return {site,
          make_uuid(),
          "hp:B" + std::to_string(n % 10),
          now,
          now,
          "",
          "fleetreg-mib",
          R"({"copy":{"impressions":)" + std::to_string(1000 + n) + R"(},"total":{"impressions":)" +
              std::to_string(2000 + n) + "}}",
          R"([{"index":1,"type":"toner","level":500,"max_capacity":1000}])",
          "0",
          "0",
          ""};
}

enum class raw_way { insert, copy };

// One connection writing batches of 100 readings until `deadline`, each in
// a transaction of its own (autocommit): one multi-row INSERT … ON CONFLICT
// DO NOTHING, or one COPY … FROM STDIN. Returns the rows written.
long raw_pg_writer(const std::string& uri, raw_way way, const std::string& site, steady::time_point deadline) {
  test::pg_connection conn(uri);
  PGconn* c = conn.get();
  if (way == raw_way::insert) {
    std::string sql = std::string("INSERT INTO readings (") + pg_reading_columns + ") VALUES ";
    for (int row = 0; row < load_batch; ++row) {
      sql += row ? ",(" : "(";
      for (int col = 1; col <= pg_reading_column_count; ++col)
        sql += (col > 1 ? ",$" : "$") + std::to_string(row * pg_reading_column_count + col);
      sql += ")";
    }
    sql += " ON CONFLICT DO NOTHING";
    pq_expect(c, PQprepare(c, "batch", sql.c_str(), 0, nullptr), PGRES_COMMAND_OK, "prepare");
  }
  const std::string copy_sql = std::string("COPY readings (") + pg_reading_columns + ") FROM STDIN";
  long rows = 0;
  while (steady::now() < deadline) {
    std::vector<std::vector<std::string>> batch;
    for (int row = 0; row < load_batch; ++row) batch.push_back(raw_row(site, row));
    if (way == raw_way::insert) {
      std::vector<const char*> params;
      for (const auto& r : batch)
        for (const auto& v : r) params.push_back(v.c_str());
      pq_expect(c, PQexecPrepared(c, "batch", static_cast<int>(params.size()), params.data(), nullptr, nullptr, 0),
                PGRES_COMMAND_OK, "INSERT");
    } else {
      // Text format: tab between columns, newline after a row; the values
      // hold neither, nor a backslash.
      std::string data;
      for (const auto& r : batch) {
        for (std::size_t col = 0; col < r.size(); ++col) (data += col ? "\t" : "") += r[col];
        data += '\n';
      }
      pq_expect(c, PQexec(c, copy_sql.c_str()), PGRES_COPY_IN, "COPY");
      if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(c, nullptr) != 1)
        throw std::runtime_error(std::string("COPY data: ") + PQerrorMessage(c));
      pq_expect(c, PQgetResult(c), PGRES_COMMAND_OK, "COPY end");
      if (pq_result more(PQgetResult(c)); more) throw std::runtime_error("COPY: an unexpected second result");
    }
    rows += load_batch;
  }
  return rows;
}

// Readings/s of `threads` raw writers, each on a connection and site of its own.
double raw_pg_rate(const std::string& uri, raw_way way, int threads, double seconds) {
  std::vector<long> rows(static_cast<std::size_t>(threads));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  const auto start = steady::now();
  const auto deadline = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> writers;
  for (std::size_t t = 0; t < rows.size(); ++t)
    writers.emplace_back([&, t] {
      try {
        rows[t] = raw_pg_writer(uri, way, "raw-site-" + std::to_string(t), deadline);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& w : writers) w.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  long all = 0;
  for (auto r : rows) all += r;
  return static_cast<double>(all) / std::chrono::duration<double>(steady::now() - start).count();
}

// `n` center replicas on database `uri`, sharing the first one's server key,
// plain HTTP, each named center-a, center-b…; not started.
std::vector<std::unique_ptr<test::center_daemon>> make_replicas(const test::temp_dir& dir, const std::string& uri,
                                                                int n) {
  std::vector<std::unique_ptr<test::center_daemon>> out;
  for (int i = 0; i < n; ++i) {
    const std::string name = std::string("center-") + static_cast<char>('a' + i);
    if (i == 0)
      out.push_back(std::make_unique<test::center_daemon>(
          dir, test::center_daemon::options{.tls = false, .extra_config = "", .database = uri, .name = name}));
    else
      out.push_back(
          std::make_unique<test::center_daemon>(dir, test::center_daemon::options{.tls = false,
                                                                                  .extra_config = "",
                                                                                  .create_key = false,
                                                                                  .database = uri,
                                                                                  .name = name,
                                                                                  .key_file = out[0]->key_file()}));
  }
  return out;
}

// A cluster with PostgreSQL's durable defaults (fsync, synchronous_commit on).
test::postgres_options durable_postgres() {
  test::postgres_options o;
  o.durable = true;
  return o;
}

// The PostgreSQL server's processes (postmaster and backends).
std::vector<pid_t> postgres_pids(const test::postgres_cluster& cluster) {
  return test::processes_working_in(cluster.data_directory());
}

int readings_pg(double seconds, int replicas) {
  if (replicas < 1 || replicas > 2) throw std::invalid_argument("replicas: 1 or 2");
  test::temp_dir dir;
  test::postgres_cluster cluster(durable_postgres());
  const auto uri = cluster.create_database("fleetreg");
  auto centers = make_replicas(dir, uri, replicas);
  const auto code = centers[0]->dealer_and_code("bench", "Bench customer");
  std::vector<test::center_daemon*> running;
  for (auto& c : centers) {
    c->start();
    running.push_back(c.get());
  }
  const auto creds = register_load_sites(*centers[0], code, load_clients);
  const auto bodies = reading_bodies(load_clients, seconds);
  const auto pg_cpu0 = cpu_by_pid(postgres_pids(cluster));
  const auto pg_start = steady::now();
  const auto load = post_readings(running, creds, bodies, seconds);
  const double pg_cpu =
      cpu_since(pg_cpu0, postgres_pids(cluster)) / std::chrono::duration<double>(steady::now() - pg_start).count();
  for (auto& c : centers) c->stop();

  // The anchors on the same cluster: the center's table in a database of its own.
  const auto raw_uri = cluster.create_database("raw");
  test::pg_connection(raw_uri).query(pg_readings_ddl);
  const double insert1 = raw_pg_rate(raw_uri, raw_way::insert, 1, seconds);
  const double insert2 = raw_pg_rate(raw_uri, raw_way::insert, 2, seconds);
  const double copy1 = raw_pg_rate(raw_uri, raw_way::copy, 1, seconds);
  const double copy2 = raw_pg_rate(raw_uri, raw_way::copy, 2, seconds);
  const double best = std::max({insert1, insert2, copy1, copy2});

  std::printf("| measure (PostgreSQL, %d replica%s) | value |\n|---|---|\n", replicas, replicas > 1 ? "s" : "");
  std::printf(
      "| center: durable readings/s (32 clients round-robin over the replicas, batches of 100, HTTP) | %.0f |\n",
      load.rate);
  std::printf(
      "| raw INSERT: readings/s, 1 / 2 connections (one 100-row INSERT … ON CONFLICT DO NOTHING a transaction) "
      "| %.0f / %.0f |\n",
      insert1, insert2);
  std::printf("| raw COPY: readings/s, 1 / 2 connections (one COPY of 100 rows a transaction) | %.0f / %.0f |\n", copy1,
              copy2);
  std::printf("| ratio center / best raw (target ≥ 0.5) | %.2f |\n", load.rate / best);
  std::printf("| failed batches | %ld |\n", load.failures);
  std::printf("| CPU cores during the HTTP run: centers / PostgreSQL / load client | %.2f / %.2f / %.2f |\n",
              load.center_cpu, pg_cpu, load.client_cpu);
  std::printf(
      "\n%.0f s per figure; PostgreSQL %s with its durable defaults (fsync, synchronous_commit on), "
      "TCP on 127.0.0.1; clients talk to the replicas directly (no balancer)\n",
      seconds, test::postgresql_bin_directory().c_str());
  return 0;
}

// --- wake-up latency across replicas -----------------------------------------

// The long-polls open at the center at `url` (-1 when the status call fails).
long long long_polls_at(const std::string& url, const std::string& token) {
  const auto r = test::raw_http(test::port_of(url), "GET", "/api/v1/status", "Authorization: Bearer " + token + "\r\n");
  if (r.status != 200) return -1;
  std::string why;
  const auto body = json::parse(r.body, why);
  return body && body->contains("long_polls_open") ? (*body)["long_polls_open"].get<long long>() : -1;
}

struct wake_site {
  std::string id, credential;
};

// A request queued on the dealer site through `queue_on` while the site's
// long-poll waits on `park_on`: ms from sending the POST to the long-poll's
// answer; -1 when the sample is void (the poll did not park or was answered
// by something else than the request).
double wake_sample(const std::string& park_on, const test::dealer_site_client& queue_on, const std::string& csrf,
                   const std::string& token, const wake_site& site) {
  test::raw_response answer;
  steady::time_point answered_at;
  std::thread poll([&] {
    answer = test::raw_http(test::port_of(park_on), "GET", "/api/v1/requests?wait=30",
                            "Authorization: Bearer " + site.credential + "\r\n");
    answered_at = steady::now();
  });
  const auto parked = test::wait_until([&] { return long_polls_at(park_on, token) >= 1; }, std::chrono::seconds(5));
  const auto sent_at = steady::now();
  const auto queued = queue_on.post_form("/sites/" + site.id + "/request", "csrf=" + test::form_encode(csrf));
  poll.join();
  if (!parked || queued.status != 303 || answer.status != 200 || answered_at < sent_at ||
      answer.body.find("\"on-demand\"") == std::string::npos)
    return -1;
  return std::chrono::duration<double, std::milli>(answered_at - sent_at).count();
}

struct distribution {
  double p50 = -1, p95 = -1, p99 = -1, max = -1, mean = -1;
  std::size_t samples = 0;
};
distribution distribution_of(std::vector<double> ms) {
  distribution d;
  d.samples = ms.size();
  if (ms.empty()) return d;
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::min(ms.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  d.p50 = at(0.5);
  d.p95 = at(0.95);
  d.p99 = at(0.99);
  d.max = ms.back();
  double sum = 0;
  for (auto m : ms) sum += m;
  d.mean = sum / static_cast<double>(ms.size());
  return d;
}

// `count` sites of one terminal each registered through `center`.
std::vector<wake_site> register_wake_sites(const test::center_daemon& center, const std::string& code, int count) {
  std::vector<wake_site> sites;
  auto registrar = center.client();
  for (int i = 0; i < count; ++i) {
    wake_site s;
    s.credential = register_site(registrar, code, 1, i, &s.id);
    sites.push_back(std::move(s));
  }
  return sites;
}

// Takes what waits for each site (the scheduled read every new site gets),
// once the schedule has run for all of them.
void drain_requests(const std::string& url, const std::string& database_uri, const std::vector<wake_site>& sites) {
  test::pg_connection db(database_uri);
  if (!test::wait_until([&] { return db.query("SELECT count(*) FROM sites WHERE last_scheduled IS NULL") == "0"; },
                        std::chrono::seconds(70)))
    throw std::runtime_error("the schedule did not run for every site");
  for (const auto& s : sites)
    for (int i = 0; i < 5; ++i)
      if (test::raw_http(test::port_of(url), "GET", "/api/v1/requests?wait=0",
                         "Authorization: Bearer " + s.credential + "\r\n")
              .status != 200)
        break;
}

int wakeup_pg(int samples, int replicas) {
  if (replicas < 1 || replicas > 2) throw std::invalid_argument("replicas: 1 or 2");
  if (samples < 1 || samples > 5000) throw std::invalid_argument("samples: 1..5000");
  test::temp_dir dir;
  test::postgres_cluster cluster(durable_postgres());
  const auto uri = cluster.create_database("fleetreg");
  auto centers = make_replicas(dir, uri, replicas);
  auto& a = *centers[0];
  auto& b = *centers.back();  // A itself with one replica
  const auto code = a.dealer_and_code("bench", "Bench customer");
  a.start();
  // A site per sample and kind, and spares for void samples.
  const int per_kind = samples + samples / 5 + 5;
  const auto sites = register_wake_sites(a, code, per_kind * 2);
  // The second replica's schedule runs at its start: every site gets its
  // first read queued at once (with one replica, within a minute).
  if (replicas > 1) b.start();
  drain_requests(a.url(), uri, sites);
  const auto token_line = a.ctl({"token", "issue", "bench"}).out;
  const auto token = token_line.substr(0, token_line.find('\n'));
  test::dealer_site_client browser(a.url());
  if (browser.log_in("bench", "a-long-password-1").status != 303) throw std::runtime_error("dealer log-in failed");
  const auto csrf = browser.csrf("/sites/" + sites[0].id);
  if (csrf.empty()) throw std::runtime_error("no csrf field on the site page");

  // Across replicas (parked on B, queued on A) and the anchor (both on A),
  // sample by sample in turn.
  std::vector<double> across, anchor;
  int void_across = 0, void_anchor = 0;
  std::size_t next_across = 0, next_anchor = static_cast<std::size_t>(per_kind);
  const auto start = steady::now();
  while ((replicas > 1 && static_cast<int>(across.size()) < samples) || static_cast<int>(anchor.size()) < samples) {
    if (replicas > 1 && static_cast<int>(across.size()) < samples) {
      if (next_across >= static_cast<std::size_t>(per_kind)) throw std::runtime_error("too many void samples");
      const auto ms = wake_sample(b.url(), browser, csrf, token, sites[next_across++]);
      ms < 0 ? void(++void_across) : across.push_back(ms);
    }
    if (static_cast<int>(anchor.size()) < samples) {
      if (next_anchor >= sites.size()) throw std::runtime_error("too many void samples");
      const auto ms = wake_sample(a.url(), browser, csrf, token, sites[next_anchor++]);
      ms < 0 ? void(++void_anchor) : anchor.push_back(ms);
    }
  }
  const double run_seconds = std::chrono::duration<double>(steady::now() - start).count();
  for (auto& c : centers) c->stop();

  const auto x = distribution_of(across), y = distribution_of(anchor);
  const auto row = [&](const char* what, double across_value, double anchor_value) {
    if (replicas > 1)
      std::printf("| %s | %.1f | %.1f |\n", what, across_value, anchor_value);
    else
      std::printf("| %s | – | %.1f |\n", what, anchor_value);
  };
  std::printf("| wake-up, ms (durable PostgreSQL) | queued on A, parked on B | anchor: both on A |\n|---|---|---|\n");
  std::printf("| samples (void, not counted) | %zu (%d) | %zu (%d) |\n", x.samples, void_across, y.samples,
              void_anchor);
  row("p50", x.p50, y.p50);
  row("p95 (target ≤ 100 across)", x.p95, y.p95);
  row("p99", x.p99, y.p99);
  row("max", x.max, y.max);
  row("mean", x.mean, y.mean);
  std::printf(
      "\nfrom sending POST /sites/ID/request (dealer site, plain HTTP, fresh connection) to the long-poll's answer "
      "(GET /api/v1/requests?wait=30); one site per sample; %.0f s in all\n",
      run_seconds);
  return 0;
}
// --- a raw client for loads cpprestsdk cannot make ---------------------------
// Thousands of connections that wait (long-polls) or are deliberately slow
// (slowloris), plain or TLS, all on one thread with one coroutine each.

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using tls_socket = asio::ssl::stream<tcp::socket>;

// Sockets the process holds (listening and connected).
int sockets_of(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    const auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (!ec && target.string().rfind("socket:", 0) == 0) ++n;
  }
  return n;
}

struct raw_client {
  asio::io_context io{1};
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  tcp::endpoint server;
  bool tls = false;

  explicit raw_client(const std::string& url) {
    tls = url.rfind("https://", 0) == 0;
    const auto colon = url.rfind(':');
    server = {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(url.substr(colon + 1)))};
    // The load measures the server, not certificate checks; idle TLS
    // connections of the load give their buffers back.
    tls_context.set_verify_mode(asio::ssl::verify_none);
    SSL_CTX_set_mode(tls_context.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  }
  std::shared_ptr<tls_socket> socket() { return std::make_shared<tls_socket>(io, tls_context); }

  asio::awaitable<void> open(tls_socket& s) {
    co_await s.next_layer().async_connect(server, use_awaitable);
    s.next_layer().set_option(tcp::no_delay(true));
    if (tls) co_await s.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  }
  asio::awaitable<void> send(tls_socket& s, asio::const_buffer b) {
    if (tls)
      co_await asio::async_write(s, b, use_awaitable);
    else
      co_await asio::async_write(s.next_layer(), b, use_awaitable);
  }
  asio::awaitable<std::size_t> receive(tls_socket& s, asio::mutable_buffer b) {
    if (tls) co_return co_await s.async_read_some(b, use_awaitable);
    co_return co_await s.next_layer().async_read_some(b, use_awaitable);
  }
  struct reply {
    int status = -1;
    std::string body;
  };
  // Reads one answer (headers and a Content-Length body).
  asio::awaitable<reply> answer(tls_socket& s) {
    std::string in;
    char chunk[4096];
    std::size_t head_end = std::string::npos;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const auto n = co_await receive(s, asio::buffer(chunk));
      in.append(chunk, n);
    }
    std::size_t length = 0;
    std::string head = in.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (const auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
      length = std::stoul(head.substr(at + 17));
    while (in.size() < head_end + 4 + length) {
      const auto n = co_await receive(s, asio::buffer(chunk));
      in.append(chunk, n);
    }
    co_return reply{in.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(in.substr(9, 3)) : -1, in.substr(head_end + 4)};
  }
};

// GET /healthz on a fresh connection (connect, TLS handshake, request, whole
// answer), in ms; -1 when it fails or takes more than 5 s.
double fresh_healthz_ms(const std::string& url) {
  raw_client c(url);
  auto s = c.socket();
  double ms = -1;
  const auto start = steady::now();
  asio::co_spawn(
      c.io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await c.open(*s);
          static const std::string get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
          co_await c.send(*s, asio::buffer(get));
          if ((co_await c.answer(*s)).status == 200)
            ms = std::chrono::duration<double, std::milli>(steady::now() - start).count();
        } catch (const std::exception&) {
        }
      },
      asio::detached);
  c.io.run_for(std::chrono::seconds(5));
  return ms;
}

struct latency {
  double p50 = -1, p99 = -1, max = -1;
  int samples = 0, failed = 0;
};
// `count` fresh /healthz requests, `gap` apart.
latency healthz_latency(const std::string& url, int count, std::chrono::milliseconds gap) {
  std::vector<double> ms;
  latency l;
  for (int i = 0; i < count; ++i) {
    const auto m = fresh_healthz_ms(url);
    if (m < 0)
      ++l.failed;
    else
      ms.push_back(m);
    std::this_thread::sleep_for(gap);
  }
  l.samples = count;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
  };
  l.p50 = at(0.5);
  l.p99 = at(0.99);
  l.max = ms.back();
  return l;
}
std::string describe(const latency& l) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.2f / %.2f / %.2f (%d failed of %d)", l.p50, l.p99, l.max, l.failed, l.samples);
  return buf;
}

// The status token's view of open long-polls (-1 when the call fails).
long long open_long_polls(const test::center_daemon& center, const std::string& token) {
  try {
    auto [s, b] = center.call("GET", "/api/v1/status", {}, token);
    return s == 200 ? b["long_polls_open"].get<long long>() : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// Runs `io` on a thread of its own until the object goes.
class io_thread {
 public:
  explicit io_thread(asio::io_context& io)
      : io_(io), guard_(asio::make_work_guard(io)), thread_([this] { io_.run(); }) {}
  ~io_thread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

 private:
  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

int longpoll(int polls, bool tls) {
  raise_file_limit();
  test::temp_dir dir;
  // 10,000 connections from 127.0.0.1: the per-client cap (1000) is raised;
  // the per-site long-poll cap stays at its default (4), so the polls are
  // spread over polls / 4 sites.
  test::center_daemon center(dir, {.tls = tls, .extra_config = "[http]\nmax_connections_per_peer = 30000\n"});
  const auto code = center.dealer_and_code("bench", "Bench customer");
  center.start();
  const auto pid = center.daemon()->pid();
  constexpr int per_site = 4;
  const int sites = (polls + per_site - 1) / per_site;
  std::vector<std::string> creds;
  const auto reg_start = steady::now();
  std::string site0;
  {
    auto registrar = center.client();
    for (int i = 0; i < sites; ++i) creds.push_back(register_site(registrar, code, 1, i, i == 0 ? &site0 : nullptr));
  }
  const double reg_seconds = std::chrono::duration<double>(steady::now() - reg_start).count();
  const auto token = center.ctl({"token", "issue", "bench"}).out;
  const auto tok = token.substr(0, token.find('\n'));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto rss_idle = rss_kib(pid);
  const auto threads_idle = threads_of(pid);

  raw_client client(center.url());
  std::vector<std::shared_ptr<tls_socket>> sockets;
  std::vector<std::string> requests;
  for (int i = 0; i < polls; ++i) {
    sockets.push_back(client.socket());
    requests.push_back("GET /api/v1/requests?wait=60 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                       creds[static_cast<std::size_t>(i / per_site)] + "\r\n\r\n");
  }
  std::atomic<int> sent{0}, failed{0}, ok{0}, other{0};
  // Answers with requests in them (the scheduler may queue a read for every
  // new site at its next minute), with their arrival time.
  std::mutex answers_mutex;
  std::vector<std::pair<steady::time_point, std::string>> answers;
  // 256 openers at a time: the listen queue is not flooded with SYNs.
  constexpr int openers = 256;
  for (int w = 0; w < openers; ++w)
    asio::co_spawn(
        client.io,
        [&, w]() -> asio::awaitable<void> {
          for (int i = w; i < polls; i += openers) {
            auto s = sockets[static_cast<std::size_t>(i)];
            try {
              co_await client.open(*s);
              co_await client.send(*s, asio::buffer(requests[static_cast<std::size_t>(i)]));
              ++sent;
            } catch (const std::exception&) {
              ++failed;
              continue;
            }
            // Like a collector: after an answer (requests, or none in time),
            // the next long-poll on the same connection.
            asio::co_spawn(
                client.io,
                [&, s, i]() -> asio::awaitable<void> {
                  try {
                    for (;;) {
                      const auto r = co_await client.answer(*s);
                      if (r.status == 200) {
                        ++ok;
                        std::lock_guard lock(answers_mutex);
                        answers.emplace_back(steady::now(), r.body);
                      } else if (r.status != 204) {
                        ++other;
                        co_return;
                      }
                      co_await client.send(*s, asio::buffer(requests[static_cast<std::size_t>(i)]));
                    }
                  } catch (const std::exception&) {
                  }
                },
                asio::detached);
          }
        },
        asio::detached);
  const auto open_start = steady::now();
  long long held = 0;
  double open_seconds = 0;
  long rss_held = 0;
  int threads_held = 0;
  double delivery_ms = -1;
  {
    io_thread runner(client.io);
    test::wait_until(
        [&] {
          held = open_long_polls(center, tok);
          // All held, or all sent and held but those refused or failed.
          return held >= polls || (sent + failed >= polls && held >= sent - other);
        },
        std::chrono::seconds(50));
    open_seconds = std::chrono::duration<double>(steady::now() - open_start).count();
    // Threads and RSS while they wait: the largest of five samples over 2 s.
    for (int i = 0; i < 5; ++i) {
      rss_held = std::max(rss_held, rss_kib(pid));
      threads_held = std::max(threads_held, threads_of(pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
    const auto queued_at = steady::now();
    const auto queued = center.ctl({"request", "--site", site0}).out;  // "request ID queued"
    const auto id = queued.substr(8, queued.find(' ', 8) - 8);
    test::wait_until(
        [&] {
          std::lock_guard lock(answers_mutex);
          for (const auto& [at, body] : answers)
            if (body.find(id) != std::string::npos) {
              delivery_ms = std::chrono::duration<double, std::milli>(at - queued_at).count();
              return true;
            }
          return false;
        },
        std::chrono::seconds(20));
    // The clients leave: every connection closed at once.
    asio::post(client.io, [&] {
      for (auto& s : sockets) {
        boost::system::error_code ec;
        s->next_layer().close(ec);
      }
    });
    test::wait_until([&] { return open_long_polls(center, tok) == 0; }, std::chrono::seconds(30));
  }
  const auto open_after = open_long_polls(center, tok);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto rss_after = rss_kib(pid);
  const auto rss_peak = proc_status(pid, "VmHWM");
  const auto threads_after = threads_of(pid);
  const auto sockets_after = sockets_of(pid);

  std::printf("| measure (%s) | value |\n|---|---|\n", tls ? "HTTPS" : "HTTP");
  std::printf("| long-polls sent / refused or failed / held open at the center | %d / %d / %lld |\n", sent.load(),
              failed.load() + other.load(), held);
  std::printf("| answers with requests during the run (the scheduler's first reads and ours) | %d |\n", ok.load());
  std::printf("| time to open them all (%d at a time), s | %.1f |\n", openers, open_seconds);
  std::printf("| center threads: before / while holding them / after | %d / %d / %d |\n", threads_idle, threads_held,
              threads_after);
  std::printf(
      "| center RSS, MiB: before / while holding them / after they left / peak (VmHWM) "
      "| %.1f / %.1f / %.1f / %.1f |\n",
      static_cast<double>(rss_idle) / 1024.0, static_cast<double>(rss_held) / 1024.0,
      static_cast<double>(rss_after) / 1024.0, static_cast<double>(rss_peak) / 1024.0);
  std::printf("| one request queued (fleetreg-centerctl request) to delivery, ms | %.1f |\n", delivery_ms);
  std::printf("| after the clients left: long-polls open / center sockets | %lld / %d |\n", open_after, sockets_after);
  std::printf(
      "\n%d sites x %d long-polls (GET /api/v1/requests?wait=60, registered in %.1f s), "
      "max_connections_per_peer = 30000; delivery includes starting fleetreg-centerctl\n",
      sites, per_site, reg_seconds);
  center.stop();
  return 0;
}

// Issue 18: `sites` collectors long-polling (one connection each, re-polling
// after every answer, like fleetreg-collector run) while readings arrive at
// `per_minute`; a request queued on the dealer site for one site at a time
// (POST /sites/ID/request) until its long-poll answers with it. The anchor,
// in the same run and on the same parked long-polls: the same samples before
// the readings start.
int delivery(int sites, int per_minute, int samples) {
  if (sites < 1 || sites > 20000 || per_minute < 0 || samples < 1 || samples * 2 > sites)
    throw std::invalid_argument("sites 1..20000, readings per minute >= 0, samples 1..sites/2");
  raise_file_limit();
  test::temp_dir dir;
  test::center_daemon center(dir, {.tls = false, .extra_config = "[http]\nmax_connections_per_peer = 30000\n"});
  const auto code = center.dealer_and_code("bench", "Bench customer");
  center.start();
  const auto reg_start = steady::now();
  const auto registered = register_wake_sites(center, code, sites);
  const double reg_seconds = std::chrono::duration<double>(steady::now() - reg_start).count();
  const auto token_line = center.ctl({"token", "issue", "bench"}).out;
  const auto token = token_line.substr(0, token_line.find('\n'));
  test::dealer_site_client browser(center.url());
  if (browser.log_in("bench", "a-long-password-1").status != 303) throw std::runtime_error("dealer log-in failed");
  const auto csrf = browser.csrf("/sites/" + registered[0].id);
  if (csrf.empty()) throw std::runtime_error("no csrf field on the site page");

  // The parked long-polls, and every answer with its arrival, per site.
  raw_client client(center.url());
  std::mutex answers_mutex;
  std::vector<std::vector<std::pair<steady::time_point, std::string>>> answers(registered.size());
  std::vector<std::string> requests;
  for (const auto& site : registered)
    requests.push_back("GET /api/v1/requests?wait=60 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                       site.credential + "\r\n\r\n");
  std::atomic<int> refused{0};
  for (std::size_t i = 0; i < registered.size(); ++i)
    asio::co_spawn(
        client.io,
        [&, i]() -> asio::awaitable<void> {
          auto s = client.socket();
          try {
            co_await client.open(*s);
            for (;;) {
              co_await client.send(*s, asio::buffer(requests[i]));
              const auto r = co_await client.answer(*s);
              if (r.status == 200) {
                std::lock_guard lock(answers_mutex);
                answers[i].emplace_back(steady::now(), r.body);
              } else if (r.status != 204) {
                ++refused;
                co_return;
              }
            }
          } catch (const std::exception&) {
            ++refused;
          }
        },
        asio::detached);
  io_thread runner(client.io);
  if (!test::wait_until([&] { return long_polls_at(center.url(), token) >= sites - refused; },
                        std::chrono::seconds(60)))
    throw std::runtime_error("the long-polls did not all park");

  // One sample: ms from sending the POST to site k's long-poll answering
  // with the on-demand request; -1 when void.
  std::size_t next_site = 0;
  auto sample = [&]() -> double {
    const auto k = next_site++;
    const auto sent_at = steady::now();
    const auto queued = browser.post_form("/sites/" + registered[k].id + "/request", "csrf=" + test::form_encode(csrf));
    if (queued.status != 303) return -1;
    double ms = -1;
    test::wait_until(
        [&] {
          std::lock_guard lock(answers_mutex);
          for (const auto& [at, body] : answers[k])
            if (at >= sent_at && body.find("\"on-demand\"") != std::string::npos) {
              ms = std::chrono::duration<double, std::milli>(at - sent_at).count();
              return true;
            }
          return false;
        },
        std::chrono::seconds(10));  // `at`: when the answer arrived, whenever this looks
    return ms;
  };
  // A sample every 100 ms or so.
  auto take = [&](std::vector<double>& into, int& void_samples) {
    while (static_cast<int>(into.size()) < samples && next_site < registered.size()) {
      const auto ms = sample();
      ms < 0 ? void(++void_samples) : into.push_back(ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  };
  std::vector<double> idle, loaded;
  int void_idle = 0, void_loaded = 0;
  take(idle, void_idle);

  // The readings: batches of 100 for one site's terminal after another, paced
  // to `per_minute`, from one client thread.
  std::atomic<bool> stop{false};
  std::atomic<long> stored{0}, failed{0};
  const auto load_start = steady::now();
  std::thread load([&] {
    auto c = center.client();
    constexpr int batch = 100;
    const auto every =
        per_minute > 0 ? std::chrono::duration<double>(60.0 * batch / per_minute) : std::chrono::duration<double>(3600);
    auto next = steady::now();
    for (std::size_t n = 0; !stop; ++n) {
      const auto& site = registered[n % registered.size()];
      json::value list = json::value::array();
      const auto now = format_utc(std::chrono::system_clock::now());
      for (int i = 0; i < batch; ++i)
        list.push_back({{"id", make_uuid()},
                        {"terminal", "hp:B" + std::to_string(n % registered.size())},
                        {"taken_at", now},
                        {"counters", {{"copy", {{"impressions", 1000 + i}}}}}});
      std::error_code ec;
      const auto r = c.request("POST", "/api/v1/readings", json::value{{"readings", list}}.dump(),
                               {{"Authorization", "Bearer " + site.credential}}, ec);
      if (ec || r.status != 200)
        ++failed;
      else
        stored += json::value::parse(r.body)["accepted"].get<long>();
      next += std::chrono::duration_cast<steady::duration>(every);
      while (!stop && steady::now() < next) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  take(loaded, void_loaded);
  stop = true;
  load.join();
  const double load_minutes = std::chrono::duration<double>(steady::now() - load_start).count() / 60.0;
  const auto held = long_polls_at(center.url(), token);
  const int lost = refused.load();  // before the center's stop closes them all
  center.stop();

  const auto x = distribution_of(loaded), y = distribution_of(idle);
  std::printf("| delivery of a queued request, ms (SQLite, HTTP) | while readings arrive | anchor: no readings |\n");
  std::printf("|---|---|---|\n| samples (void, not counted) | %zu (%d) | %zu (%d) |\n", x.samples, void_loaded,
              y.samples, void_idle);
  std::printf("| p50 | %.1f | %.1f |\n| p95 | %.1f | %.1f |\n| p99 | %.1f | %.1f |\n| max | %.1f | %.1f |\n", x.p50,
              y.p50, x.p95, y.p95, x.p99, y.p99, x.max, y.max);
  std::printf("| readings stored per minute (failed batches) | %.0f (%ld) | 0 |\n",
              static_cast<double>(stored) / load_minutes, failed.load());
  std::printf(
      "\n%d sites, one long-poll each (GET /api/v1/requests?wait=60, re-polled after every answer; %lld open at the "
      "end, %d refused or failed), registered in %.1f s; a sample: POST /sites/ID/request on the dealer site (plain "
      "HTTP, one kept session) to the long-poll's answer with it; readings target %d/min in batches of 100\n",
      sites, held, lost, reg_seconds, per_minute);
  return 0;
}

int slowloris(int connections, bool tls, int seconds) {
  raise_file_limit();
  test::temp_dir dir;
  // 5,000 connections from 127.0.0.1: the per-client cap (1000) is raised;
  // every timeout keeps its default (header_timeout 10 s).
  test::center_daemon center(dir, {.tls = tls, .extra_config = "[http]\nmax_connections_per_peer = 30000\n"});
  center.start();
  const auto pid = center.daemon()->pid();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto rss_idle = rss_kib(pid);
  const auto threads_idle = threads_of(pid);
  const auto sockets_idle = sockets_of(pid);
  const auto before = healthz_latency(center.url(), 100, std::chrono::milliseconds(20));

  // Each slow client sends a request line and then a header that never
  // ends, one byte every 2 s; when the center drops it, it comes back.
  constexpr auto every = std::chrono::seconds(2);
  static const std::string prefix = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  raw_client client(center.url());
  std::atomic<int> connected{0};
  std::atomic<long> dropped{0}, connect_failures{0}, bytes{0};
  std::atomic<bool> stop{false};
  std::vector<std::shared_ptr<tls_socket>> live(static_cast<std::size_t>(connections));
  for (int i = 0; i < connections; ++i)
    asio::co_spawn(
        client.io,
        [&, i]() -> asio::awaitable<void> {
          asio::steady_timer pause(client.io);
          // Spread the first connects and bytes over the interval.
          pause.expires_after(std::chrono::milliseconds(2000LL * i / connections));
          co_await pause.async_wait(use_awaitable);
          while (!stop) {
            auto s = client.socket();
            live[static_cast<std::size_t>(i)] = s;
            bool opened = true;
            try {
              co_await client.open(*s);
            } catch (const std::exception&) {
              opened = false;
            }
            if (!opened) {
              ++connect_failures;
              pause.expires_after(std::chrono::milliseconds(200));
              co_await pause.async_wait(use_awaitable);
              continue;
            }
            ++connected;
            // A read that ends when the center closes the connection.
            auto closed = std::make_shared<bool>(false);
            auto byte_timer = std::make_shared<asio::steady_timer>(client.io);
            asio::co_spawn(
                client.io,
                [&, s, closed, byte_timer]() -> asio::awaitable<void> {
                  char sink[512];
                  try {
                    for (;;) co_await client.receive(*s, asio::buffer(sink));
                  } catch (const std::exception&) {
                  }
                  *closed = true;
                  byte_timer->cancel();
                },
                asio::detached);
            for (std::size_t sent = 0; !*closed && !stop; ++sent) {
              const char c = sent < prefix.size() ? prefix[sent] : 'a';
              try {
                co_await client.send(*s, asio::buffer(&c, 1));
                ++bytes;
              } catch (const std::exception&) {
                break;
              }
              byte_timer->expires_after(every);
              try {
                co_await byte_timer->async_wait(use_awaitable);
              } catch (const std::exception&) {
              }
            }
            --connected;
            if (!stop) ++dropped;
            boost::system::error_code ec;
            s->next_layer().close(ec);
          }
        },
        asio::detached);

  int min_connected = connections, max_sockets = 0;
  long rss_max = 0;
  int threads_max = 0;
  double center_cpu = 0, client_cpu = 0;
  latency during;
  {
    io_thread runner(client.io);
    // Until all are connected once, then `seconds` more with samples every
    // second on one thread and fresh /healthz requests on this one.
    test::wait_until([&] { return connected.load() >= connections; }, std::chrono::seconds(60));
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
      while (sampling) {
        min_connected = std::min(min_connected, connected.load());
        max_sockets = std::max(max_sockets, sockets_of(pid) - sockets_idle);
        rss_max = std::max(rss_max, rss_kib(pid));
        threads_max = std::max(threads_max, threads_of(pid));
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    });
    const auto cpu0 = cpu_seconds(pid), self_cpu0 = cpu_seconds(getpid());
    const auto measure_start = steady::now();
    during = healthz_latency(center.url(), seconds * 10, std::chrono::milliseconds(100));
    const auto measured = std::chrono::duration<double>(steady::now() - measure_start).count();
    center_cpu = (cpu_seconds(pid) - cpu0) / measured;
    client_cpu = (cpu_seconds(getpid()) - self_cpu0) / measured;
    sampling = false;
    sampler.join();
    stop = true;
    asio::post(client.io, [&] {
      for (auto& s : live) {
        boost::system::error_code ec;
        if (s) s->next_layer().close(ec);
      }
    });
    test::wait_until([&] { return connected.load() == 0; }, std::chrono::seconds(10));
  }
  test::wait_until([&] { return sockets_of(pid) <= sockets_idle; }, std::chrono::seconds(10));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto rss_after = rss_kib(pid);
  const auto rss_peak = proc_status(pid, "VmHWM");
  const auto threads_after = threads_of(pid);
  const auto after = healthz_latency(center.url(), 100, std::chrono::milliseconds(20));

  std::printf("| measure (%s) | value |\n|---|---|\n", tls ? "HTTPS" : "HTTP");
  std::printf("| slow connections: started / fewest connected at a sample while measuring | %d / %d |\n", connections,
              min_connected);
  std::printf("| center: most connection sockets at a sample | %d |\n", max_sockets);
  std::printf("| dropped by the center (header_timeout 10 s) and reconnected / failed connects | %ld / %ld |\n",
              dropped.load(), connect_failures.load());
  std::printf(
      "| center RSS, MiB: before / most while connected / after they left / peak (VmHWM) "
      "| %.1f / %.1f / %.1f / %.1f |\n",
      static_cast<double>(rss_idle) / 1024.0, static_cast<double>(rss_max) / 1024.0,
      static_cast<double>(rss_after) / 1024.0, static_cast<double>(rss_peak) / 1024.0);
  std::printf("| center threads: before / most while connected / after | %d / %d / %d |\n", threads_idle, threads_max,
              threads_after);
  std::printf("| CPU cores used while connected: center / slow clients and probe | %.2f / %.2f |\n", center_cpu,
              client_cpu);
  std::printf("| fresh-client /healthz ms p50 / p99 / max: before | %s |\n", describe(before).c_str());
  std::printf("| fresh-client /healthz ms p50 / p99 / max: while connected | %s |\n", describe(during).c_str());
  std::printf("| fresh-client /healthz ms p50 / p99 / max: after | %s |\n", describe(after).c_str());
  std::printf(
      "\n%d connections, one header byte each every 2 s, %d s measured; max_connections_per_peer = 30000; "
      "%ld bytes sent in all; /healthz from a new connection%s each time\n",
      connections, seconds, bytes.load(), tls ? " and TLS handshake" : "");
  center.stop();
  return 0;
}

// Webhooks (issue 19 step 4): `events` alert events queued while the
// receiver (tests/center/webhook_receiver.py, HTTPS on 127.0.0.1) is down,
// then the receiver comes up: how fast the delivery threads drain the queue
// and whether every event arrived. In process: the center's operations,
// SQLite storage, delivery_worker and libcurl client, the system clock.
int webhooks(int events, int threads) {
  using namespace fleetreg::center;
  namespace test = fleetreg::test;
  test::temp_dir dir;
  test::make_test_ca(dir);
  fleetreg::center::crypto::init();
  config cfg;
  cfg.database = dir.file("center.db");
  cfg.delivery_retry_base = std::chrono::seconds(1);
  cfg.delivery_retry_max = std::chrono::seconds(2);
  cfg.delivery_ca_file = dir.file("ca.pem");
  fleetreg::center::crypto::digest key{};
  key.fill(3);
  auto store = open_storage(parse_database_location(cfg.database), 2);
  operations svc(*store, fleetreg::system_clock_source::instance(), cfg, key);
  svc.create_account("bench", "dealer", role::dealer, "password-123456");
  const auto dealer = svc.require_account("dealer");
  const auto port = test::free_port(false);
  const auto added = svc.add_webhook(dealer, dealer, "https://127.0.0.1:" + std::to_string(port) + "/hook");
  {
    std::ofstream secret(dir.file("secret"));
    secret << added.secret;
  }
  webhook_client client({cfg.delivery_ca_file, std::chrono::seconds(5), std::chrono::seconds(10), 64 * 1024, true});
  auto worker = std::make_unique<delivery_worker>(
      svc, [&client](const webhook_request& r) { return client.post(r); }, static_cast<std::size_t>(threads));
  svc.on_publish([w = worker.get()] { w->wake(); });

  // An hour of a busy fleet while the receiver is down: codes about to
  // expire, one alert each (raised by the timer's rules in one go).
  const auto q0 = std::chrono::steady_clock::now();
  for (int i = 0; i < events; ++i)
    svc.issue_code(dealer, "Customer " + std::to_string(i), "", "", {std::chrono::hours(48), false});
  const auto raised = svc.check_alerts();
  const double queue_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - q0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::int64_t pending = 0;
  for (const auto& d : svc.deliveries(dealer, 0, 1000)) pending += d.state == "pending";
  std::printf("queued %zu events in %.1f s while the receiver was down (newest 1000: %lld pending)\n", raised, queue_s,
              static_cast<long long>(pending));

  const auto t0 = std::chrono::steady_clock::now();
  test::process receiver({"python3", FLEETREG_WEBHOOK_RECEIVER, dir.path(), dir.file("server.pem"),
                          dir.file("server.key"), std::to_string(port)},
                         dir, "receiver");
  if (!test::wait_until([&] { return std::filesystem::exists(dir.file("port")); }, std::chrono::seconds(20)))
    throw std::runtime_error("the receiver did not start: " + receiver.log());
  const auto up = std::chrono::steady_clock::now();
  const auto lines = [&] {
    std::ifstream f(dir.file("received.jsonl"));
    std::size_t n = 0;
    for (std::string line; std::getline(f, line);) n += line.find("\"status\": 200") != std::string::npos;
    return n;
  };
  std::size_t first_seen = 0;
  std::chrono::steady_clock::time_point first{};
  test::wait_until(
      [&] {
        const auto n = lines();
        if (n && !first_seen) {
          first_seen = n;
          first = std::chrono::steady_clock::now();
        }
        return n >= raised;
      },
      std::chrono::seconds(600));
  const auto done = std::chrono::steady_clock::now();
  svc.on_publish({});
  client.cancel();
  worker.reset();
  std::set<std::string> ids;
  std::size_t bad = 0, total = 0;
  {
    std::ifstream f(dir.file("received.jsonl"));
    for (std::string line; std::getline(f, line);) {
      const auto v = fleetreg::json::value::parse(line);
      ++total;
      if (!v["signature_ok"].get<bool>()) ++bad;
      if (v["status"] == 200) ids.insert(v["event_id"].get<std::string>());
    }
  }
  const double from_up = std::chrono::duration<double>(done - up).count();
  const double from_first = std::chrono::duration<double>(done - first).count();
  std::printf(
      "receiver up after %.1f s; first delivery %.1f s later (the webhook's backoff); all %zu events in %.1f s "
      "from the receiver being up\n",
      std::chrono::duration<double>(up - t0).count(), std::chrono::duration<double>(first - up).count(), raised,
      from_up);
  std::printf(
      "drain rate %.0f events/s from the first delivery (%d delivery threads, each keeping its connection); "
      "%zu distinct events arrived of %zu (%zu requests, %zu bad signatures)\n",
      static_cast<double>(ids.size()) / from_first, threads, ids.size(), raised, total, bad);
  std::ifstream load("/proc/loadavg");
  std::string l1, l5, l15;
  load >> l1 >> l5 >> l15;
  std::printf("load average %s %s %s\n", l1.c_str(), l5.c_str(), l15.c_str());
  return ids.size() == raised && bad == 0 ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  try {
    if (what == "readings")
      return readings(argc > 2 ? std::stod(argv[2]) : 10.0, argc > 3 ? std::stoi(argv[3]) : 0,
                      argc > 4 && std::string(argv[4]) == "flap");
    if (what == "readings-pg")
      return readings_pg(argc > 2 ? std::stod(argv[2]) : 10.0, argc > 3 ? std::stoi(argv[3]) : 1);
    if (what == "wakeup-pg") return wakeup_pg(argc > 2 ? std::stoi(argv[2]) : 200, argc > 3 ? std::stoi(argv[3]) : 2);
    if (what == "webhooks") return webhooks(argc > 2 ? std::stoi(argv[2]) : 3600, argc > 3 ? std::stoi(argv[3]) : 4);
    if (what == "delivery")
      return delivery(argc > 2 ? std::stoi(argv[2]) : 1000, argc > 3 ? std::stoi(argv[3]) : 10000,
                      argc > 4 ? std::stoi(argv[4]) : 200);
    const bool tls = argc > 3 && std::string(argv[3]) == "https";
    if (argc > 3 && !tls && std::string(argv[3]) != "http") throw std::invalid_argument("scheme is http or https");
    if (what == "longpoll") return longpoll(argc > 2 ? std::stoi(argv[2]) : 10000, tls);
    if (what == "slowloris")
      return slowloris(argc > 2 ? std::stoi(argv[2]) : 5000, tls, argc > 4 ? std::stoi(argv[4]) : 20);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetreg-bench-center: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: fleetreg-bench-center readings [SECONDS] [WORKER_THREADS] | longpoll [POLLS] [http|https]\n"
               "       | slowloris [CONNECTIONS] [http|https] [SECONDS] | readings-pg [SECONDS] [REPLICAS]\n"
               "       | wakeup-pg [SAMPLES] [REPLICAS] | delivery [SITES] [READINGS_PER_MINUTE] [SAMPLES]\n"
               "       | webhooks [EVENTS] [THREADS]\n");
  return 64;
}
