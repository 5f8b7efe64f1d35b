// SPDX-License-Identifier: Apache-2.0
// Center benchmarks, each measured side by side in one run:
//   readings  durable readings/s, batches of 100 from 32 concurrent clients,
//             next to raw SQLite batch inserts with the same settings
//   longpoll  10,000 idle long-polls held, one request queued, its delivery
//             time, and the center's RSS
// Usage: fleetreg-bench-center readings|longpoll [SECONDS|POLLS]

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>
#include <thread>
#include <vector>

#include <cpprest/http_client.h>

#include "fleetreg/core/random.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/test/center_fixture.hpp"

namespace {

using namespace fleetreg;
using steady = std::chrono::steady_clock;

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

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

// A site with `n` terminals; returns the credential.
std::string register_site(const test::center_daemon& c, const std::string& code, int n, int offset = 0) {
  json::value terms = json::value::array();
  for (int i = 0; i < n; ++i)
    terms.push_back({{"manufacturer", "HP"}, {"model", "Bench"}, {"serial", "B" + std::to_string(offset + i)}});
  const json::value reg = {
      {"code", code}, {"registering_side", {{"kind", "collector"}, {"name", "bench"}}}, {"terminals", terms}};
  auto [status, body] = c.call("POST", "/api/v1/registrations", reg);
  if (status != 201) throw std::runtime_error("registration failed: " + body.dump());
  return body["credential"];
}

json::value batch_of(int size, int terminal_base) {
  json::value list = json::value::array();
  const auto now = format_utc(std::chrono::system_clock::now());
  for (int i = 0; i < size; ++i)
    list.push_back({{"id", make_uuid()},
                    {"terminal", "hp:B" + std::to_string(terminal_base + i % 10)},
                    {"taken_at", now},
                    {"counters", {{"copy", {{"impressions", 1000 + i}}}, {"total", {{"impressions", 2000 + i}}}}},
                    {"supplies", {{{"index", 1}, {"type", "toner"}, {"level", 500}, {"max_capacity", 1000}}}}});
  return {{"readings", list}};
}

int readings(double seconds) {
  test::temp_dir dir;
  test::center_daemon center(dir, {.tls = false, .extra_config = ""});
  const auto code = center.dealer_and_code("bench", "Bench customer");
  center.start();
  constexpr int clients = 32, batch = 100;
  std::vector<std::string> creds;
  for (int i = 0; i < clients; ++i) creds.push_back(register_site(center, code, 10, i * 10));
  // Request bodies are made before the clock starts: this measures the
  // center, not the client's JSON and UUID generation.
  const auto per_client = static_cast<std::size_t>(seconds * 40000 / clients / batch + 20);
  std::vector<std::vector<std::string>> bodies(clients);
  for (int i = 0; i < clients; ++i)
    for (std::size_t k = 0; k < per_client; ++k)
      bodies[static_cast<std::size_t>(i)].push_back(batch_of(batch, i * 10).dump());
  std::atomic<long> accepted{0}, failures{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto center_cpu0 = cpu_seconds(center.daemon()->pid()), self_cpu0 = cpu_seconds(getpid());
  const auto start = steady::now();
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      auto c = center.client();
      for (const auto& body : bodies[static_cast<std::size_t>(i)]) {
        if (stop) break;
        std::error_code ec;
        const auto r = c.request("POST", "/api/v1/readings", body,
                                 {{"Authorization", "Bearer " + creds[static_cast<std::size_t>(i)]}}, ec);
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
  const double center_rate = static_cast<double>(accepted) / elapsed;
  const double center_cpu = (cpu_seconds(center.daemon()->pid()) - center_cpu0) / elapsed;
  const double client_cpu = (cpu_seconds(getpid()) - self_cpu0) / elapsed;
  center.stop();

  // Raw SQLite: the same table and index, WAL, synchronous=FULL, one
  // transaction per 100, one thread, no HTTP.
  sqlite::database db(dir.file("raw.db"), sqlite::open_mode::create);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;");
  db.exec(
      "CREATE TABLE readings (site_id TEXT NOT NULL, id TEXT NOT NULL, terminal_key TEXT NOT NULL, "
      "taken_at INTEGER NOT NULL, received_at INTEGER NOT NULL, request_id TEXT NOT NULL, source TEXT NOT NULL, "
      "counters TEXT NOT NULL, supplies TEXT NOT NULL, counter_reset INTEGER NOT NULL, PRIMARY KEY (site_id, id)); "
      "CREATE INDEX readings_terminal ON readings (terminal_key, taken_at);");
  sqlite::statement ins(db,
                        "INSERT INTO readings VALUES (?1, ?2, ?3, ?4, ?5, '', 'fleetreg-mib', ?6, ?7, 0) "
                        "ON CONFLICT DO NOTHING");
  long raw = 0;
  const auto raw_start = steady::now();
  const std::string counters = R"({"copy":{"impressions":1000},"total":{"impressions":2000}})";
  const std::string supplies = R"([{"index":1,"type":"toner","level":500,"max_capacity":1000}])";
  while (std::chrono::duration<double>(steady::now() - raw_start).count() < seconds) {
    sqlite::transaction tx(db);
    for (int i = 0; i < batch; ++i) {
      ins.bind(1, "site").bind(2, make_uuid()).bind(3, "hp:B1").bind(4, std::int64_t{1}).bind(5, std::int64_t{1});
      ins.bind(6, counters).bind(7, supplies);
      ins.run();
    }
    tx.commit();
    raw += batch;
  }
  const double raw_rate = static_cast<double>(raw) / std::chrono::duration<double>(steady::now() - raw_start).count();
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| center: durable readings/s (32 clients, batches of 100, HTTP) | %.0f |\n", center_rate);
  std::printf("| raw SQLite: readings/s (batches of 100, WAL, synchronous=FULL) | %.0f |\n", raw_rate);
  std::printf("| ratio center / raw | %.2f |\n", center_rate / raw_rate);
  std::printf("| failed batches | %ld |\n", failures.load());
  std::printf("| CPU cores used during the HTTP run: center / load client | %.2f / %.2f |\n", center_cpu, client_cpu);
  std::printf("\n%.0f s per side\n", seconds);
  return 0;
}

int longpoll(int polls) {
  raise_file_limit();
  test::temp_dir dir;
  test::center_daemon center(dir, {.tls = false, .extra_config = "[limits]\nmax_long_polls = 100000\n"});
  const auto code = center.dealer_and_code("bench", "Bench customer");
  center.start();
  const auto cred = register_site(center, code, 1);
  const auto rss_idle = rss_kib(center.daemon()->pid());

  web::http::client::http_client_config conf;
  conf.set_timeout(std::chrono::seconds(120));
  web::http::client::http_client client(web::uri(center.url()), conf);
  std::atomic<int> answered{0}, got_request{0};
  std::atomic<long long> delivered_at_ns{0};
  std::vector<pplx::task<void>> tasks;
  tasks.reserve(static_cast<std::size_t>(polls));
  for (int i = 0; i < polls; ++i) {
    web::http::http_request req(web::http::methods::GET);
    req.set_request_uri("/api/v1/requests?wait=60");
    req.headers().add("Authorization", "Bearer " + cred);
    tasks.push_back(client.request(req).then([&](pplx::task<web::http::http_response> t) {
      try {
        const auto r = t.get();
        if (r.status_code() == 200 && got_request++ == 0)
          delivered_at_ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
      } catch (...) {
      }
      ++answered;
    }));
  }
  // Wait until the center holds them all.
  const auto token = center.ctl({"token", "issue", "bench"}).out;
  const auto tok = token.substr(0, token.find('\n'));
  long long open_polls = 0;
  test::wait_until(
      [&] {
        auto [s, b] = center.call("GET", "/api/v1/status", {}, tok);
        open_polls = s == 200 ? b["long_polls_open"].get<long long>() : 0;
        return open_polls >= polls;
      },
      std::chrono::seconds(120));
  const auto rss_held = rss_kib(center.daemon()->pid());
  const int threads_held = [&] {
    std::ifstream in("/proc/" + std::to_string(center.daemon()->pid()) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
    return -1;
  }();
  const auto queued_at = steady::now();
  center.ctl({"request", "--site", [&] {
                const auto list = center.ctl({"site", "list"}).out;
                const auto line = list.substr(list.find('\n') + 1);
                return line.substr(0, 36);
              }()});
  test::wait_until([&] { return got_request.load() > 0; }, std::chrono::seconds(60));
  const double delivery_ms =
      (static_cast<double>(delivered_at_ns.load()) -
       static_cast<double>(
           std::chrono::duration_cast<std::chrono::nanoseconds>(queued_at.time_since_epoch()).count())) /
      1e6;
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| long-polls held open at the center | %lld |\n", open_polls);
  std::printf("| center threads while holding them | %d |\n", threads_held);
  std::printf("| one request queued (fleetreg-centerctl request) to delivery, ms | %.1f |\n", delivery_ms);
  std::printf("| center RSS idle, MiB | %.1f |\n", rss_idle / 1024.0);
  std::printf("| center RSS holding the long-polls, MiB | %.1f |\n", rss_held / 1024.0);
  std::printf("\n(delivery includes starting fleetreg-centerctl, which opens the database)\n");
  center.stop();
  for (auto& t : tasks) {
    try {
      t.wait();
    } catch (...) {
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  try {
    if (what == "readings") return readings(argc > 2 ? std::stod(argv[2]) : 10.0);
    if (what == "longpoll") return longpoll(argc > 2 ? std::stoi(argv[2]) : 10000);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleetreg-bench-center: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: fleetreg-bench-center readings [SECONDS] | longpoll [POLLS]\n");
  return 64;
}
