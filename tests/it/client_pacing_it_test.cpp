// SPDX-License-Identifier: Apache-2.0
// Clients never spin (issue 13): the real fleetreg-collector and
// `fleetreg-terminal run`, each registered with one reading in its outbox,
// against a center stand-in on 127.0.0.1 that answers every request at once
// with 429 + Retry-After, a plain 400, 400 invalid_wait with the center's
// max_wait, or 204 to wait=0. All eight run side by side for one window; for
// each, what arrived at the stand-in is counted and timed.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "fleetreg/collector/store.hpp"
#include "fleetreg/core/files.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/rest_client/outbox.hpp"
#include "fleetreg/terminal/store.hpp"
#include "fleetreg/terminal/terminal_mode.hpp"
#include "fleetreg/test/center_stand_in.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fleetreg::test {
namespace {

using stand_in = center_stand_in;
using steady = std::chrono::steady_clock;

// How long each client is watched, from the first request its stand-in saw.
constexpr auto window = 20s;
// At most this many requests (polls and uploads together) in the window:
// 12 a minute. The loops of before made thousands.
constexpr std::size_t most_in_window = 4;

// What a stand-in answers, and the [run] wait the client is configured with.
struct script {
  std::string name;
  int wait_s;
  stand_in::script answers;
  std::string logged_once;  ///< a line the client must log exactly once
};

int wait_of(const std::string& target) {
  const auto at = target.find("wait=");
  return at == std::string::npos ? -1 : std::stoi(target.substr(at + 5));
}

std::vector<script> scripts() {
  return {
      // The center's limiter: every request refused, try again in 15 s.
      {"too-many", 25,
       [](const stand_in::request&) {
         return stand_in::answer{
             429,
             {{"Retry-After", "15"}},
             stand_in::error_body("too_many_attempts", "too many failed attempts; try again later")};
       },
       "the center asks to wait: too many failed attempts"},
      // A configuration problem (here: every request is "bad").
      {"refused", 25,
       [](const stand_in::request&) {
         return stand_in::answer{400, {}, stand_in::error_body("bad_request", "the request is not understood")};
       },
       "the center refuses the long-poll"},
      // [run] wait above the center's max_wait (15 s): clamped, then long-polls
      // of 15 s that the stand-in answers at once.
      {"clamped", 25,
       [](const stand_in::request& r) {
         if (r.method == "POST") return stand_in::answer{200, {}, R"({"stored": 1})"};
         if (wait_of(r.target) > 15)
           return stand_in::answer{
               400, {}, stand_in::error_body("invalid_wait", "wait must be 0..15 seconds", "\"max_wait\": 15")};
         return stand_in::answer{204, {}, ""};
       },
       "is clamped to 15 s"},
      // wait = 0: the center answers each poll at once, with nothing.
      {"wait-zero", 0,
       [](const stand_in::request& r) {
         if (r.method == "POST") return stand_in::answer{200, {}, R"({"stored": 1})"};
         return stand_in::answer{204, {}, ""};
       },
       ""},
  };
}

// One client under watch.
struct client {
  std::string kind;  ///< "collector" or "terminal"
  script s;
  std::unique_ptr<stand_in> center;
  std::unique_ptr<sim_terminal> terminal;
  std::unique_ptr<process> daemon;
};

// A collector as `register` leaves it, plus one reading waiting to be sent.
std::unique_ptr<process> start_collector(const temp_dir& dir, const std::string& name, const std::string& url,
                                         int wait_s) {
  {
    collector::store st(dir.file(name + "-state"));
    st.set_registration(url, "site-" + name, {"hp:PACE0001"}, "frc1_" + name);
    st.outbox().add(make_reading("hp:PACE0001", std::chrono::system_clock::now(), reading_source::printer_mib));
  }
  std::ofstream(dir.file(name + ".conf")) << "[collector]\nstate_dir = " << dir.file(name + "-state") << "\n"
                                          << "[center]\nallow_plain_http = yes\n[mdns]\nenabled = no\n"
                                          << "[run]\nwait = " << wait_s << "s\n";
  return std::make_unique<process>(
      std::vector<std::string>{built_program("fleetreg-collector"), "-c", dir.file(name + ".conf"), "run"}, dir, name);
}

// A terminal registered by itself (the store as a registration leaves it),
// plus one reading waiting to be sent.
std::unique_ptr<process> start_terminal(const temp_dir& dir, const std::string& name, const sim_terminal& t,
                                        const std::string& url, int wait_s) {
  {
    terminal::store st(t.state_dir());
    st.set_registration_inputs(url, provisional_code::generate());
    if (!st.begin_registration(false)) throw std::runtime_error("no registration to begin");
    st.registration_succeeded("site-" + name);
    write_private_file(t.state_dir() + "/" + terminal::credential_file_name, "frc1_" + name + "\n");
    sqlite::database db(st.path(), sqlite::open_mode::read_write);
    rest_client::outbox box(db, system_clock_source::instance());
    box.add(make_reading("sharp:PACE0002", std::chrono::system_clock::now(), reading_source::terminal));
  }
  std::ofstream(dir.file(name + ".conf")) << "[center]\nallow_plain_http = yes\n[run]\nwait = " << wait_s << "s\n";
  return std::make_unique<process>(std::vector<std::string>{built_program("fleetreg-terminal"), "-c",
                                                            dir.file(name + ".conf"), "-s", t.state_dir(), "run"},
                                   dir, name);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The shortest time between two requests of `method` (a day when fewer than two).
std::chrono::milliseconds shortest_gap(const std::vector<stand_in::request>& seen, const std::string& method) {
  std::chrono::milliseconds gap = std::chrono::hours(24);
  std::optional<steady::time_point> last;
  for (const auto& r : seen) {
    if (r.method != method) continue;
    if (last) gap = std::min(gap, std::chrono::duration_cast<std::chrono::milliseconds>(r.at - *last));
    last = r.at;
  }
  return gap;
}

TEST(ClientsNeverSpin, CollectorAndTerminalModeAgainstInstantRefusals) {
  temp_dir dir;
  std::vector<client> clients;
  for (const auto& kind : {"collector", "terminal"})
    for (const auto& s : scripts()) {
      client c{kind, s, std::make_unique<stand_in>(s.answers), nullptr, nullptr};
      const auto name = std::string(kind) + "-" + s.name;
      if (c.kind == "collector") {
        c.daemon = start_collector(dir, name, c.center->url(), s.wait_s);
      } else {
        c.terminal =
            std::make_unique<sim_terminal>(dir, name, "Sharp", "MX-3071", "PACE" + std::to_string(clients.size()));
        c.daemon = start_terminal(dir, name, *c.terminal, c.center->url(), s.wait_s);
      }
      clients.push_back(std::move(c));
    }
  // Every client has begun; then the window of the one that began last.
  ASSERT_TRUE(wait_until(
      [&] {
        return std::all_of(clients.begin(), clients.end(),
                           [](const client& c) { return !c.center->requests().empty(); });
      },
      30s));
  steady::time_point last_began{};
  for (const auto& c : clients) last_began = std::max(last_began, c.center->requests().front().at);
  std::this_thread::sleep_until(last_began + window + 500ms);

  for (auto& c : clients) {
    SCOPED_TRACE(c.kind + " against " + c.s.name);
    // SIGTERM ends a pause at once.
    const auto stopping = steady::now();
    EXPECT_EQ(c.daemon->stop(), 0) << c.daemon->log();
    EXPECT_LT(steady::now() - stopping, 2s);

    const auto all = c.center->requests();
    std::vector<stand_in::request> seen;  // within the window
    for (const auto& r : all)
      if (r.at < all.front().at + window) seen.push_back(r);
    const auto polls = std::count_if(seen.begin(), seen.end(), [](const auto& r) { return r.method == "GET"; });
    const auto uploads = std::count_if(seen.begin(), seen.end(), [](const auto& r) { return r.method == "POST"; });
    std::printf("[ figures  ] %-9s %-9s %zu requests in %lld s (%lld polls, %lld uploads): %.1f per minute\n",
                c.kind.c_str(), c.s.name.c_str(), seen.size(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(window).count()),
                static_cast<long long>(polls), static_cast<long long>(uploads),
                static_cast<double>(seen.size()) * 60.0 / static_cast<double>(window.count()));
    EXPECT_LE(seen.size(), most_in_window) << c.daemon->log();
    EXPECT_GE(polls, 1);
    EXPECT_GE(uploads, 1) << "the reading in the outbox was sent";
    const auto log = c.daemon->log();
    if (!c.s.logged_once.empty()) {
      EXPECT_EQ(count(log, c.s.logged_once), 1u) << log;
    }

    if (c.s.name == "too-many") {
      // Retry-After: 15 honoured by the polls and by the outbox.
      EXPECT_GE(shortest_gap(all, "GET"), 14'900ms);
      EXPECT_GE(shortest_gap(all, "POST"), 14'900ms);
      EXPECT_EQ(count(log, "the center asks to wait before the next upload"), 1u) << log;
    } else if (c.s.name == "refused") {
      // Backed off from 10 s, both ways; said once although refused again.
      EXPECT_GE(polls, 2) << log;
      EXPECT_GE(shortest_gap(all, "GET"), 9'900ms);
      EXPECT_GE(shortest_gap(all, "POST"), 9'900ms);
      EXPECT_EQ(count(log, "the center refuses the readings"), 1u) << log;
    } else if (c.s.name == "clamped") {
      // One poll with the configured wait, then only the center's maximum,
      // one per 15 s even though the stand-in answers them at once.
      ASSERT_GE(polls, 2);
      std::vector<int> waits;
      for (const auto& r : all)
        if (r.method == "GET") waits.push_back(wait_of(r.target));
      EXPECT_EQ(waits.front(), 25);
      EXPECT_TRUE(std::all_of(waits.begin() + 1, waits.end(), [](int w) { return w == 15; })) << log;
      std::vector<stand_in::request> clamped;
      for (const auto& r : all)
        if (r.method == "GET" && wait_of(r.target) == 15) clamped.push_back(r);
      EXPECT_GE(shortest_gap(clamped, "GET"), 14'900ms);
      EXPECT_EQ(count(log, "refuses"), 0u) << "clamping is no refusal: " << log;
    } else if (c.s.name == "wait-zero") {
      // One poll per 30 s: none more within the window.
      EXPECT_EQ(polls, 1);
      for (const auto& r : seen)
        if (r.method == "GET") {
          EXPECT_EQ(wait_of(r.target), 0) << r.target;
        }
    }
  }
}

}  // namespace
}  // namespace fleetreg::test

namespace fleetreg::test {
namespace {

// A terminal registering from a customer's NAT address where someone else
// guessed codes gets 429: its code is still good, so it stays pending and is
// tried again no sooner than the center asked — not failed for good.
TEST(ClientsNeverSpin, TerminalRegistrationWaitsOutA429) {
  temp_dir dir;
  center_stand_in center([](const center_stand_in::request&) {
    return center_stand_in::answer{
        429,
        {{"Retry-After", "40"}},
        center_stand_in::error_body("too_many_attempts", "too many failed attempts from this address")};
  });
  sim_terminal t(dir, "busy", "Sharp", "MX-3071", "NAT0001");
  terminal::store st(t.state_dir());
  st.set_registration_inputs(center.url(), provisional_code::generate());
  terminal::config cfg;
  cfg.state_dir = t.state_dir();
  cfg.allow_plain_http = true;
  std::chrono::seconds asked{0};
  EXPECT_EQ(terminal::register_now(cfg, st, false, &asked), terminal::registration_state::pending);
  EXPECT_EQ(asked, std::chrono::seconds(40));
  const auto reg = st.load().registration;
  EXPECT_EQ(reg.state, terminal::registration_state::pending);
  EXPECT_NE(reg.last_error.find("try again in 40 s"), std::string::npos) << reg.last_error;
  EXPECT_EQ(center.requests().size(), 1u);
  // The next attempt is still allowed (the same code, the same Idempotency-Key).
  EXPECT_EQ(terminal::register_now(cfg, st, false, &asked), terminal::registration_state::pending);
  EXPECT_EQ(center.requests().size(), 2u);
}

}  // namespace
}  // namespace fleetreg::test
