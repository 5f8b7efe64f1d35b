// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/daemon.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/web_site.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/database_lock.hpp"
#include "fleetreg/center/delivery.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/center/webhook_client.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "http/server.hpp"

namespace fleetreg::center {

void run(const config& cfg, const stop_signal& stop) {
  crypto::init();
  // Never made here: a new key would void every outstanding code unnoticed.
  const auto key = crypto::load_server_key(cfg.secret_file);
  // Held until the center ends (the kernel drops it even on SIGKILL): a
  // restore refuses meanwhile, and so does a second center on this database.
  // (PostgreSQL is shared on purpose: any number of centers use one database.)
  const auto where = parse_database_location(cfg.database);
  std::optional<database_lock> database_in_use;
  if (where.kind == database_location::engine::sqlite) {
    database_in_use = database_lock::try_acquire(where.target);
    if (!database_in_use)
      throw error(exit_code::failure, "another fleetreg-center (or a restore) holds " +
                                          database_lock::path_for(where.target) + ": this database is in use");
  }

  // Every long-poll is an open socket: allow as many as the hard limit does.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY &&
      static_cast<std::int64_t>(files.rlim_cur) < cfg.max_connections + 64)
    log::warning("[http] max_connections = " + std::to_string(cfg.max_connections) + " but only " +
                 std::to_string(files.rlim_cur) +
                 " file descriptors are allowed (LimitNOFILE): connections beyond that are refused by the system");
  // Handlers that touch the database run on the worker threads: as many
  // PostgreSQL connections serve them all (SQLite has one).
  const auto storage =
      open_storage(where, static_cast<std::size_t>(std::clamp<std::int64_t>(cfg.worker_threads, 1, 32)));
  auto& store = *storage;
  // Integration tests run the real daemon at a shifted time to see codes expire.
  std::optional<offset_clock> shifted;
  if (const char* offset = std::getenv("FLEETREG_TEST_CLOCK_OFFSET")) {
    shifted.emplace(std::chrono::seconds(std::atoll(offset)));
    log::warning(std::string("clock shifted by ") + offset + " s (FLEETREG_TEST_CLOCK_OFFSET): for tests only");
  }
  const clock& clk = shifted ? static_cast<const clock&>(*shifted) : system_clock_source::instance();
  operations svc(store, clk, cfg, key);
  api a(svc);
  web_site site(svc, cfg.listen.rfind("https://", 0) == 0);
  a.set_fallback([&site](const http::request& req) { return site.handle(req); });
  // Webhook deliveries: their own threads (never the readings' path), as
  // many requests in flight as [delivery] threads.
  webhook_client client(webhook_options_from(cfg));
  const smtp_client mail(smtp_options_from(cfg));
  auto worker = std::make_unique<delivery_worker>(
      svc, [&client](const webhook_request& r) { return client.post(r); },
      static_cast<std::size_t>(cfg.delivery_threads));
  svc.on_publish([w = worker.get()] { w->wake(); });
  server http_server(a, store, cfg);
  log::notice("fleetreg-center listening on " + cfg.listen + ", database " + where.shown());

  // Background jobs: the request schedule and the alert rules of the timer
  // (checked every minute) and the purge.
  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::thread jobs([&] {
    auto next_purge = std::chrono::steady_clock::now();
    std::unique_lock lock(m);
    while (!stopping) {
      lock.unlock();
      try {
        const auto queued = svc.queue_scheduled_requests();
        if (!queued.empty()) log::info("scheduled meter reads queued for " + std::to_string(queued.size()) + " sites");
        // Alerts no reading raises: silent terminals and collectors, codes
        // about to expire unused. A failure here must not stop the purge.
        try {
          svc.check_alerts();
        } catch (const std::exception& e) {
          log::error(std::string("alert rules not checked: ") + e.what());
        }
        // E-mail digests (a relay that hangs costs this thread its timeout).
        if (!cfg.smtp_host.empty()) {
          try {
            svc.send_digests([&mail](const std::string& from, const std::vector<std::string>& to,
                                     const std::string& message) { return mail.send(from, to, message); });
          } catch (const std::exception& e) {
            log::error(std::string("digests not sent: ") + e.what());
          }
        }
        if (std::chrono::steady_clock::now() >= next_purge) {
          const auto n = svc.purge("fleetreg-center");
          if (n) log::notice("purged " + std::to_string(n) + " expired provisional codes");
          next_purge = std::chrono::steady_clock::now() + cfg.purge_interval;
        }
      } catch (const std::exception& e) {
        log::error(std::string("background job failed: ") + e.what());
      }
      lock.lock();
      cv.wait_for(lock, std::min<std::chrono::milliseconds>(std::chrono::minutes(1), cfg.purge_interval),
                  [&] { return stopping; });
    }
  });

  stop.wait();
  log::notice("stopping on signal " + std::to_string(stop.signal_number()));
  {
    std::lock_guard lock(m);
    stopping = true;
  }
  cv.notify_all();
  // Deliveries in flight end now (their leases make them due again).
  svc.on_publish({});
  client.cancel();
  worker.reset();
  jobs.join();
}

}  // namespace fleetreg::center
