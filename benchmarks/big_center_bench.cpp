// SPDX-License-Identifier: Apache-2.0
// A generated big center on SQLite and PostgreSQL (issue 17): 10,000 sites,
// 100,000 terminals (10 per site) and one reading per terminal per day, filled
// straight into the center's own schema (open_storage runs the migrations,
// then INSERT … SELECT in big transactions), deterministic from a seed. Then
// the real fleetreg-center runs on it and a dealer, logged in over raw HTTP,
// times its fleet dashboard (issue 19), its site list, a site page, a terminal page and the month's billing
// export of all its sites (p50/p95/max).
// Usage: fleetreg-bench-big-center [sqlite|postgresql|both] [DAYS] [SITES] [REQUESTS] [EXPORTS]
// Defaults: both 365 10000 50 50; the environment FLEETREG_BIG_SEED (default 17)
// and FLEETREG_BIG_PARENT (the directory for the SQLite database, default /tmp).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fleetreg/center/sql.hpp"
#include "fleetreg/core/unique_fd.hpp"
#include "fleetreg/center/sql_storage.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/dealer_site_client.hpp"
#include "fleetreg/test/postgres_cluster.hpp"

namespace {

using namespace fleetreg;
using steady = std::chrono::steady_clock;
namespace sql = center::sql;
using test::cookie_value;
using test::form_encode;
using test::hidden_field;
using test::port_of;
using test::raw_http;
using test::raw_response;

constexpr int dealers = 4;
constexpr int terminals_per_site = 10;
constexpr int terminal_chunk = 2000;  // terminals per INSERT of readings (one transaction)

double seconds_since(steady::time_point t) { return std::chrono::duration<double>(steady::now() - t).count(); }

// Raw HTTP (the site's forms and cookies, no redirects followed): test::raw_http
// and friends from fleetreg/test/dealer_site_client.hpp.

// --- the generator ------------------------------------------------------------

struct shape {
  int sites = 10000;
  int days = 365;
  std::int64_t seed = 17;
  std::int64_t end = 0;  ///< UTC midnight today: readings are taken on the `days` days before
};

std::string n(std::int64_t v) { return std::to_string(v); }

// Site i's id, UUID-shaped and sorting by i.
std::string site_id_sql(const std::string& i) { return "'00000000-0000-4000-8000-' || (100000000000 + " + i + ")"; }

// The counters of terminal j on day d as the JSON text the center stores,
// growing every day (per terminal: its own start and daily volume).
std::string counters_sql(const shape& s, const std::string& j, const std::string& d) {
  const auto seed = n(s.seed);
  const auto copy =
      "((" + j + " * 7919 + " + seed + ") % 400000 + " + d + " * (5 + (" + j + " * 31 + " + seed + ") % 120))";
  const auto print =
      "((" + j + " * 104729 + " + seed + ") % 600000 + " + d + " * (10 + (" + j + " * 17 + " + seed + ") % 250))";
  return "'{\"copy\":{\"impressions-mono\":' || " + copy + " || '},\"print\":{\"impressions-mono\":' || " + print +
         " || '},\"total\":{\"impressions\":' || (" + copy + " + " + print + ") || '}}'";
}

std::string supplies_sql(const std::string& j, const std::string& d) {
  return "'[{\"index\":1,\"type\":\"toner\",\"class\":\"consumed\",\"unit\":19,\"description\":\"Black "
         "Toner\",\"colorant\":\"black\",\"max_capacity\":100,\"level\":' || (100 - (" +
         d + " * 3 + " + j + ") % 100) || '}]'";
}

// A sequence 0..count-1 as a recursive CTE (both engines).
std::string sequence(const std::string& name, std::int64_t count) {
  return "WITH RECURSIVE " + name + "(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM " + name +
         " WHERE i < " + n(count - 1) + ") ";
}

struct generated {
  double seconds = 0, readings_seconds = 0, index_seconds = 0;
  std::int64_t readings = 0;
};

generated generate(sql::connection& db, const shape& s, const std::vector<std::int64_t>& dealer_ids,
                   const std::vector<std::int64_t>& code_ids) {
  generated g;
  const auto start = steady::now();
  std::string dealer_case = "CASE i % " + n(dealers), code_case = dealer_case;
  for (int k = 0; k < dealers; ++k) {
    dealer_case += " WHEN " + n(k) + " THEN " + n(dealer_ids[static_cast<std::size_t>(k)]);
    code_case += " WHEN " + n(k) + " THEN " + n(code_ids[static_cast<std::size_t>(k)]);
  }
  dealer_case += " END";
  code_case += " END";
  const auto first_day = s.end - s.days * 86400;
  const auto registered = first_day - 86400;
  const auto terminals = static_cast<std::int64_t>(s.sites) * terminals_per_site;
  const auto last = n(s.days - 1);
  {
    sql::transaction tx(db);
    db.exec(sequence("n", s.sites) +
            "INSERT INTO sites (id, customer, dealer_id, side_kind, side_name, code_id, created_at, last_contact) "
            "SELECT " +
            site_id_sql("i") + ", 'Customer ' || (10000 + i), " + dealer_case + ", 'collector', 'collector-' || i, " +
            code_case + ", " + n(registered) + " + i, " + n(s.end) + " FROM n");
    db.exec(sequence("n", s.sites) + "INSERT INTO credentials (site_id, hash, created_at, used_at) SELECT " +
            site_id_sql("i") + ", 'generated-' || i, " + n(registered) + ", " + n(s.end) + " FROM n");
    // Terminal j is at site j / 10; its key sorts by j.
    const auto j = "i";
    db.exec(sequence("n", terminals) +
            "INSERT INTO terminals (key, site_id, manufacturer, model, serial, uuid, firmware, registered_at, "
            "last_reading_at, last_taken_at, last_counters) SELECT 'gen:' || (1000000 + i), " +
            site_id_sql("i / " + n(terminals_per_site)) +
            ", CASE i % 4 WHEN 0 THEN 'RICOH' WHEN 1 THEN 'KYOCERA' WHEN 2 THEN 'HP' ELSE 'Canon' END, "
            "CASE i % 4 WHEN 0 THEN 'IM C3000' WHEN 1 THEN 'TASKalfa 3253ci' WHEN 2 THEN 'LaserJet M528' "
            "ELSE 'imageRUNNER C3226' END, 'SN' || ((i * 2654435761 + " +
            n(s.seed) + ") % 9000000000 + 1000000000), '', '1.0', " + n(registered) + ", " + n(s.end) + ", " +
            n(s.end - 86400) + " + i % 3600, " + counters_sql(s, j, last) + " FROM n");
    db.exec(
        "INSERT INTO ownership (key, site_id, from_at, to_at, manufacturer, model, serial, uuid, firmware) "
        "SELECT key, site_id, registered_at, NULL, manufacturer, model, serial, uuid, firmware FROM terminals "
        "WHERE key LIKE 'gen:%'");
    tx.commit();
  }
  const auto readings_start = steady::now();
  const std::string j = "(CAST(substr(t.key, 5) AS BIGINT) - 1000000)";
  for (std::int64_t from = 0; from < terminals; from += terminal_chunk) {
    const auto to = std::min(terminals, from + terminal_chunk);
    sql::transaction tx(db);
    db.exec(sequence("d", s.days) +
            "INSERT INTO readings (site_id, id, terminal_key, taken_at, received_at, request_id, source, counters, "
            "supplies, counter_reset, late, details) SELECT t.site_id, t.key || '-' || (1000 + d.i), t.key, " +
            n(first_day) + " + d.i * 86400 + " + j + " % 3600, " + n(first_day) + " + d.i * 86400 + " + j +
            " % 3600 + 60, '', 'fleetreg-mib', " + counters_sql(s, j, "d.i") + ", " + supplies_sql(j, "d.i") +
            ", 0, 0, '' FROM terminals t CROSS JOIN d WHERE t.key >= 'gen:" + n(1000000 + from) +
            "' AND t.key < 'gen:" + n(1000000 + to) + "' ORDER BY t.site_id, t.key, d.i");
    tx.commit();
    g.readings += (to - from) * s.days;
    if ((from / terminal_chunk) % 10 == 9)
      std::fprintf(stderr, "  %lld readings, %.0f s\n", static_cast<long long>(g.readings), seconds_since(start));
  }
  g.readings_seconds = seconds_since(readings_start);
  const auto analyze = steady::now();
  db.exec("ANALYZE");
  g.index_seconds = seconds_since(analyze);
  g.seconds = seconds_since(start);
  return g;
}

// --- measuring ---------------------------------------------------------------

struct figures {
  std::string page;
  double p50 = 0, p95 = 0, max = 0;
  std::size_t bytes = 0;
  int failures = 0, count = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(at, v.size() - 1)];
}

template <class Path>
figures time_page(const std::string& name, std::uint16_t port, const std::string& cookie, int count, Path path) {
  figures f;
  f.page = name;
  std::vector<double> ms;
  for (int k = 0; k < count; ++k) {
    const auto p = path(k);
    const auto t = steady::now();
    const auto r = raw_http(port, "GET", p, "Cookie: fleetreg_session=" + cookie + "\r\n");
    ms.push_back(seconds_since(t) * 1000);
    if (r.status != 200) {
      ++f.failures;
      if (f.failures == 1) std::fprintf(stderr, "%s: %d %s\n", p.c_str(), r.status, r.body.substr(0, 300).c_str());
    }
    f.bytes = std::max(f.bytes, r.body.size());
  }
  f.count = count;
  f.p50 = percentile(ms, 0.5);
  f.p95 = percentile(ms, 0.95);
  f.max = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
  return f;
}

// CPU seconds (user + system) and bytes read so far by process `pid`.
std::pair<double, long long> usage_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(all.substr(all.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  long long read = 0;
  for (std::string key; io >> key;) {
    long long v = 0;
    io >> v;
    if (key == "read_bytes:") read = v;
  }
  return {ticks / static_cast<double>(sysconf(_SC_CLK_TCK)), read};
}

// The center's start-up jobs (schedule, purge) done: waits until the center
// (and, on PostgreSQL, every other session) is idle for 2 s, at most
// `limit`; returns how long it waited. Other work on the machine does not count.
double wait_quiet(pid_t center, test::postgres_cluster* pg, std::chrono::seconds limit) {
  const auto start = steady::now();
  std::unique_ptr<test::pg_connection> c;
  if (pg) c = std::make_unique<test::pg_connection>(pg->uri("big"));
  while (steady::now() - start < limit) {
    const auto [cpu0, read0] = usage_of(center);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const auto [cpu1, read1] = usage_of(center);
    const bool db_idle =
        !c || c->query(
                  "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                  "AND backend_type = 'client backend'") == "0";
    if (cpu1 - cpu0 < 0.1 && read1 - read0 < (1 << 20) && db_idle) break;
  }
  return seconds_since(start);
}

std::string month_day(std::int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// The last calendar month the readings cover whole: [its first day, the next month's).
std::pair<std::string, std::string> last_month(std::int64_t end) {
  const std::time_t t = end - 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  auto from = timegm(&tm);
  std::tm next = tm;
  next.tm_mon += 1;
  auto to = timegm(&next);
  if (to > end) {
    to = from;
    tm.tm_mon -= 1;
    from = timegm(&tm);
  }
  return {month_day(from), month_day(to)};
}

int run(const std::string& backend, const shape& s, int requests, int exports) {
  std::printf("\n## %s: %d sites, %d terminals, %d days of daily readings\n\n", backend.c_str(), s.sites,
              s.sites * terminals_per_site, s.days);
  std::fflush(stdout);
  // FLEETREG_BIG_PARENT: where the center's directory goes (default /tmp).
  const char* parent = std::getenv("FLEETREG_BIG_PARENT");
  test::temp_dir dir(parent ? parent : "/tmp");
  std::unique_ptr<test::postgres_cluster> pg;
  std::string database;
  if (backend == "postgresql") {
    pg = std::make_unique<test::postgres_cluster>(test::postgres_options{
        .durable = true, .settings = {"shared_buffers=2GB", "max_wal_size=8GB", "work_mem=64MB"}});
    database = pg->create_database("big");
  }
  test::center_daemon center(dir, {.tls = false, .extra_config = "", .database = database});
  if (database.empty()) database = center.database();
  // Accounts and one code per dealer through centerctl, as an installation makes them.
  std::vector<std::string> names;
  for (int k = 1; k <= dealers; ++k) {
    names.push_back("dealer-" + n(k));
    center.dealer_and_code(names.back(), "First customer of " + names.back());
  }
  const auto where = center::parse_database_location(database);
  open_storage(where, 1);  // migrations to the newest schema
  auto db = center::open_database(where, 1);
  generated g;
  std::vector<std::string> site_ids;
  std::vector<std::string> terminal_keys;
  {
    auto held = db->acquire();
    auto& c = *held;
    std::vector<std::int64_t> dealer_ids, code_ids;
    for (const auto& name : names) {
      sql::statement q(c,
                       "SELECT a.id, min(c.id) FROM accounts a JOIN codes c ON c.dealer_id = a.id WHERE a.name = ?1 "
                       "GROUP BY a.id");
      q.bind(1, name);
      if (!q.step()) throw std::runtime_error("no account " + name);
      dealer_ids.push_back(q.column_int(0));
      code_ids.push_back(q.column_int(1));
    }
    if (c.kind() == sql::dialect::sqlite) c.exec("PRAGMA cache_size = -2000000");
    g = generate(c, s, dealer_ids, code_ids);
    sql::statement q(c, "SELECT id FROM sites WHERE dealer_id = ?1 AND id LIKE '00000000-%' ORDER BY id");
    q.bind(1, dealer_ids[0]);
    while (q.step()) site_ids.push_back(q.column_text(0));
    sql::statement t(c, "SELECT t.key FROM terminals t JOIN sites s ON s.id = t.site_id WHERE s.dealer_id = ?1");
    t.bind(1, dealer_ids[0]);
    while (t.step()) terminal_keys.push_back(t.column_text(0));
  }
  std::int64_t size = 0;
  if (pg) {
    test::pg_connection c(pg->uri("big"));
    size = std::stoll(c.query("SELECT pg_database_size('big')"));
  } else {
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
      if (e.path().filename().string().rfind("center.db", 0) == 0) size += static_cast<std::int64_t>(e.file_size());
  }
  db.reset();
  std::printf("| generation | value |\n|---|---|\n");
  std::printf("| readings | %lld |\n", static_cast<long long>(g.readings));
  std::printf("| generation time (all) | %.0f s |\n", g.seconds);
  std::printf("| of it readings | %.0f s (%.0f readings/s) |\n", g.readings_seconds,
              static_cast<double>(g.readings) / g.readings_seconds);
  std::printf("| ANALYZE | %.0f s |\n", g.index_seconds);
  std::printf("| database size | %.2f GB |\n\n", static_cast<double>(size) / 1e9);
  std::fflush(stdout);

  const auto started = steady::now();
  center.start();
  const auto start_s = seconds_since(started);
  const auto quiet = wait_quiet(center.daemon()->pid(), pg.get(), std::chrono::seconds(900));
  const auto port = port_of(center.url());
  // Log in as dealer-1.
  const auto form = raw_http(port, "GET", "/login", "");
  const auto login = raw_http(
      port, "POST", "/login",
      "Content-Type: application/x-www-form-urlencoded\r\nCookie: fleetreg_login=" +
          cookie_value(form, "fleetreg_login") + "\r\n",
      "name=dealer-1&password=a-long-password-1&login_csrf=" + form_encode(hidden_field(form.body, "login_csrf")));
  const auto cookie = cookie_value(login, "fleetreg_session");
  if (login.status != 303 || cookie.empty()) throw std::runtime_error("login failed: " + login.head);
  std::mt19937_64 rng(static_cast<std::uint64_t>(s.seed));
  auto pick = [&rng](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const auto [from, to] = last_month(s.end);
  std::vector<figures> all;
  all.push_back(
      time_page("/ (the fleet dashboard, " + n(static_cast<std::int64_t>(terminal_keys.size())) + " terminals)", port,
                cookie, requests, [](int) { return std::string("/"); }));
  all.push_back(time_page("/to-order (part of the dashboard)", port, cookie, requests,
                          [](int) { return std::string("/to-order"); }));
  all.push_back(time_page("/terminals?state=healthy (the first 500)", port, cookie, requests,
                          [](int) { return std::string("/terminals?state=healthy"); }));
  all.push_back(time_page("/sites (" + n(static_cast<std::int64_t>(site_ids.size())) + " sites)", port, cookie,
                          requests, [](int) { return std::string("/sites"); }));
  all.push_back(time_page("/sites/<id>", port, cookie, requests, [&](int) { return "/sites/" + pick(site_ids); }));
  all.push_back(
      time_page("/terminals/<key>", port, cookie, requests, [&](int) { return "/terminals/" + pick(terminal_keys); }));
  all.push_back(time_page("/billing.csv?site=<id> (one site's month)", port, cookie, requests,
                          [&](int) { return "/billing.csv?site=" + pick(site_ids) + "&from=" + from + "&to=" + to; }));
  if (exports > 0)
    all.push_back(time_page(
        "/billing.csv (the dealer's month, " + n(static_cast<std::int64_t>(terminal_keys.size())) + " terminals)", port,
        cookie, exports, [&](int) { return "/billing.csv?from=" + from + "&to=" + to; }));
  std::printf(
      "center start %.1f s, then %.0f s until the machine was quiet (start-up purge and schedule); "
      "billing month %s to %s\n\n",
      start_s, quiet, from.c_str(), to.c_str());
  std::printf(
      "| %s page | requests | p50 ms | p95 ms | max ms | largest body | failed |\n|---|---|---|---|---|---|---|\n",
      backend.c_str());
  for (const auto& f : all)
    std::printf("| %s | %d | %.0f | %.0f | %.0f | %.1f MB | %d |\n", f.page.c_str(), f.count, f.p50, f.p95, f.max,
                static_cast<double>(f.bytes) / 1e6, f.failures);
  std::fflush(stdout);
  center.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string backend = argc > 1 ? argv[1] : "both";
  shape s;
  if (argc > 2) s.days = std::max(1, std::atoi(argv[2]));
  if (argc > 3) s.sites = std::max(1, std::atoi(argv[3]));
  const int requests = argc > 4 ? std::max(1, std::atoi(argv[4])) : 50;
  const int exports = argc > 5 ? std::max(0, std::atoi(argv[5])) : 50;
  if (const char* seed = std::getenv("FLEETREG_BIG_SEED")) s.seed = std::atoll(seed);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  s.end = now.count() / 86400 * 86400;
  try {
    if (backend == "sqlite" || backend == "both") run("sqlite", s, requests, exports);
    if (backend == "postgresql" || backend == "both") run("postgresql", s, requests, exports);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetreg-bench-big-center: %s\n", e.what());
    return 1;
  }
  return 0;
}
