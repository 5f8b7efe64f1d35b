// SPDX-License-Identifier: Apache-2.0
// The drill suite (issue 18 step 3, ctest label `drill`): faults on purpose
// against the real daemons — fleetreg-center, fleetreg-collector, snmpd with
// fleetreg-subagent for each simulated terminal — inside the test's private
// network and mount namespaces (fleetreg_test_netns_main). Every drill ends
// with the same check, drill_test::expect_consistent():
//   - for each terminal, the newest reading the center stored has the
//     device's counters (`fleetreg-terminal show --json`, the terminal's own
//     store: not read through the collector);
//   - every reading id the collector made (the outbox before the drill, or
//     the ids it logged) is stored at the center once: no reading lost, none
//     twice, the collector's outbox empty, nothing refused or dropped;
//   - every process still serves: the center answers /healthz, the
//     collector runs, each snmpd answers for its terminal.
// Random moments come from a seeded generator; the seed is printed
// (FLEETREG_DRILL_SEED=<n> repeats a run).
//
// What replaces what the issue asked for, and why:
//   - This kernel has no sch_netem (`tc qdisc add ... netem` answers
//     "Specified qdisc kind is unknown"). Loss is made with nftables inside
//     the namespace (`numgen random mod 100 < 30 drop` on SNMP's and on the
//     center's port); the 500 ms delay by a relay that holds every chunk of
//     the collector <-> center traffic for 500 ms (test::tcp_relay).
//   - The 10,000 readings of the first drills are an outbox backlog: the
//     collector's real readings of both terminals, copied under fresh ids
//     in its outbox before it starts (reading 10,000 times at the 1 s
//     minimum interval would take hours).

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <csignal>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "fleetreg/core/json.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"
#include "fleetreg/test/tcp_relay.hpp"

namespace fleetreg::test {
namespace {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// One query through Debian's sqlite3 (the daemons keep their databases open:
// WAL readers never block them). Throws when sqlite3 fails.
std::string sql(const std::string& db, const std::string& query) {
  const auto r = run({"sqlite3", "-cmd", ".timeout 5000", db, query});
  if (r.exit_code != 0) throw std::runtime_error("sqlite3 " + db + ": " + r.err);
  return r.out;
}

std::int64_t sql_int(const std::string& db, const std::string& query) {
  const auto out = sql(db, query);
  return out.empty() ? 0 : std::stoll(out);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A small tmpfs at `path` in the test's private mount namespace; detached on
// destruction (lazily: a daemon may still hold a file open).
class small_disk {
 public:
  small_disk(const std::string& path, const std::string& size) : path_(path) {
    ::mkdir(path.c_str(), 0700);
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) != 0)
      throw std::system_error(errno, std::generic_category(), "mount tmpfs on " + path);
  }
  ~small_disk() { ::umount2(path_.c_str(), MNT_DETACH); }
  small_disk(const small_disk&) = delete;
  small_disk& operator=(const small_disk&) = delete;
  /// Fills what is left with <path>/filler (dd until "No space left").
  void fill() const { run({"dd", "if=/dev/zero", "of=" + path_ + "/filler", "bs=4k"}); }
  /// Frees the space again.
  void free_space() const { ::unlink((path_ + "/filler").c_str()); }

 private:
  std::string path_;
};

// Now as RFC 3339 UTC.
std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::uint32_t drill_seed() {
  if (const char* s = std::getenv("FLEETREG_DRILL_SEED")) return static_cast<std::uint32_t>(std::stoul(s));
  return std::random_device{}();
}

class DrillTest : public ::testing::Test {
 protected:
  static constexpr const char* collector_name = "drill-collector";

  void SetUp() override {
    seed_ = drill_seed();
    rng_.seed(seed_);
    std::printf("drill seed %u (FLEETREG_DRILL_SEED=%u repeats it)\n", seed_, seed_);
    for (auto* t : {&mfp1, &mfp2}) {
      snmpds.push_back(std::make_unique<snmpd_daemon>(dir, "snmpd-" + std::to_string(snmpds.size())));
      t->start_subagent(snmpds.back()->agentx_socket());
    }
    for (auto& s : snmpds) ASSERT_TRUE(wait_until([&] { return terminal_served(*s); }));
    ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "5"}).exit_code, 0);
    ASSERT_EQ(mfp2.terminal({"print", "--sheets", "3", "--duplex"}).exit_code, 0);
  }

  static bool terminal_served(const snmpd_daemon& s) {
    auto o = s.v2c();
    o.timeout = 500ms;
    o.retries = 4;  // the loss drill drops 30 % of the requests
    return get_one(o, snmp::append(snmp::terminal_mib::serial_number, {0})).has_value();
  }

  // The center (plain HTTP on loopback) with a dealer and a code; started.
  void start_center(center_daemon::options o = {.tls = false, .extra_config = ""},
                    std::map<std::string, std::string> env = {}) {
    center = std::make_unique<center_daemon>(dir, std::move(o));
    code = center->dealer_and_code("dealer", "Drill Site Ltd");
    center->start(std::move(env));
  }

  // collector.conf for `center_url` (the center's, or a relay's), read every second.
  void write_collector_conf(const std::string& center_url, const std::string& extra = "",
                            const std::string& snmp = "timeout = 1s\nretries = 1\n") {
    std::ofstream(dir.file("collector.conf"))
        << "[collector]\nstate_dir = " << state_dir() << "\nname = " << collector_name << "\n"
        << "[center]\nurl = " << center_url << "\nallow_plain_http = yes\n"
        << "[snmp]\ntargets = " << snmpds[0]->peer() << ", " << snmpds[1]->peer() << extra_targets << "\n"
        << snmp << "[mdns]\nenabled = no\n[run]\nwait = 2s\nread_interval = 1s\n"
        << extra;
  }
  std::string state_dir() const { return dir.file("collector-state"); }
  std::string outbox_db() const { return state_dir() + "/collector.db"; }

  command_result collector(std::vector<std::string> args) {
    std::vector<std::string> argv = {built_program("fleetreg-collector"), "-c", dir.file("collector.conf")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  std::unique_ptr<process> start_collector(const std::string& name, std::map<std::string, std::string> env = {}) {
    return std::make_unique<process>(
        std::vector<std::string>{built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "run"}, dir,
        name, std::move(env));
  }

  // Registers the collector and remembers the site.
  void register_collector() {
    const auto r = collector({"register", "--code", code});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto sites = center->ctl({"site", "list"}).out;
    ASSERT_NE(sites.find('\n'), std::string::npos) << sites;
    site = sites.substr(sites.find('\n') + 1, 36);
  }

  // The outbox's ids (the collector stopped or running).
  std::set<std::string> outbox_ids() {
    const auto l = lines_of(sql(outbox_db(), "SELECT id FROM outbox"));
    return {l.begin(), l.end()};
  }

  // Builds a backlog of `total` readings in the stopped collector's outbox:
  // it reads both terminals once with the center away, then each real
  // reading is copied under fresh random ids (the body's id too). Returns
  // every id in the outbox.
  std::set<std::string> make_backlog(int total) {
    center->stop();
    {
      auto c = start_collector("collector-backlog");
      EXPECT_TRUE(wait_until([&] { return outbox_ids().size() >= 2; }, 60s)) << c->log();
      EXPECT_EQ(c->stop(), 0);
    }
    const auto real = static_cast<int>(outbox_ids().size());
    const int copies = (total - real) / real;
    const std::string uuid =
        "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || "
        "substr('89ab', 1 + abs(random() % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";
    sql(outbox_db(),
        "CREATE TEMP TABLE n (i INTEGER); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
        "WHERE i < " +
            std::to_string(copies) +
            ") INSERT INTO n SELECT i FROM c; "
            "CREATE TEMP TABLE fresh AS SELECT o.id AS old, " +
            uuid +
            " AS id FROM outbox o, n; "
            "INSERT INTO outbox (id, terminal_key, created_at, body, attempts, next_attempt) "
            "SELECT f.id, o.terminal_key, o.created_at, json_set(o.body, '$.id', f.id), 0, o.next_attempt "
            "FROM fresh f JOIN outbox o ON o.id = f.old;");
    center->start();
    return outbox_ids();
  }

  // How many readings of `ids` the center holds (at most once each: the
  // primary key); the count of all stored readings of the site as well.
  std::int64_t stored_count() {
    return sql_int(center->database(), "SELECT count(*) FROM readings WHERE site_id = '" + site + "'");
  }
  std::set<std::string> stored_ids() {
    const auto l = lines_of(sql(center->database(), "SELECT id FROM readings WHERE site_id = '" + site + "'"));
    return {l.begin(), l.end()};
  }

  // A terminal's counters, non-zero cells only: "service.kind" → value.
  static std::map<std::string, std::uint64_t> cells(const json::value& counters) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& [service, kinds] : counters.items())
      for (const auto& [kind, v] : kinds.items())
        if (v.is_number_unsigned() && v.get<std::uint64_t>() > 0) out[service + "." + kind] = v.get<std::uint64_t>();
    return out;
  }
  std::map<std::string, std::uint64_t> device_counters(const sim_terminal& t) {
    const auto r = t.terminal({"show", "--json"});
    return r.exit_code == 0 ? cells(json::value::parse(r.out)["counters"]) : std::map<std::string, std::uint64_t>{};
  }
  std::map<std::string, std::uint64_t> stored_counters(const std::string& key) {
    const auto out =
        sql(center->database(), "SELECT counters FROM readings WHERE site_id = '" + site + "' AND terminal_key = '" +
                                    key + "' ORDER BY taken_at DESC, received_at DESC, rowid DESC LIMIT 1");
    if (out.empty()) return {};
    return cells(json::value::parse(out));
  }

  // The one check every drill ends with (see the header comment). `made`:
  // the ids of every reading the collector made that must be at the center;
  // `collector` the running collector.
  void expect_consistent(const std::set<std::string>& made, process* collector_proc) {
    SCOPED_TRACE("the drill's end check");
    // Every process serves.
    ASSERT_TRUE(center->daemon() && center->daemon()->running()) << "the center is down";
    auto [health, body] = center->call("GET", "/healthz", nullptr);
    EXPECT_EQ(health, 200) << body.dump();
    ASSERT_TRUE(collector_proc && collector_proc->running()) << (collector_proc ? collector_proc->log() : "");
    for (auto& s : snmpds) EXPECT_TRUE(terminal_served(*s)) << s->log();
    for (auto* t : {&mfp1, &mfp2}) EXPECT_TRUE(t->subagent() && t->subagent()->running());

    // The counters the center holds are the devices' (the collector reads
    // every second: the newest reading gets there).
    for (auto [t, key] : {std::pair{&mfp1, std::string("konica minolta:AA2J021012345")},
                          std::pair{&mfp2, std::string("ricoh:3110R820014")}}) {
      const auto device = device_counters(*t);
      ASSERT_FALSE(device.empty()) << key;
      std::map<std::string, std::uint64_t> stored;
      EXPECT_TRUE(wait_until([&] { return (stored = stored_counters(key)) == device; }, 60s))
          << key << ": stored " << json::value(stored).dump() << ", device " << json::value(device).dump() << "\n"
          << collector_proc->log().substr(0, 6000);
    }

    // Every reading made is stored, once; nothing waits, nothing was dropped.
    std::set<std::string> stored;
    EXPECT_TRUE(wait_until(
        [&] {
          stored = stored_ids();
          return std::includes(stored.begin(), stored.end(), made.begin(), made.end());
        },
        120s))
        << made.size() << " made, " << stored.size() << " stored\n"
        << collector_proc->log().substr(0, 6000);
    EXPECT_EQ(sql_int(center->database(),
                      "SELECT count(*) - count(DISTINCT id) FROM readings WHERE site_id = '" + site + "'"),
              0);
    EXPECT_TRUE(wait_until([&] { return outbox_ids().empty(); }, 30s)) << outbox_ids().size() << " still waiting";
    EXPECT_EQ(sql(outbox_db(), "SELECT coalesce(sum(value), 0) FROM outbox_stats"), "0\n") << "refused or dropped";
    EXPECT_EQ(sql(center->database(), "PRAGMA integrity_check"), "ok\n");
  }

  // Waits for the center to store more than `than` readings of the site.
  bool stored_more_than(std::int64_t than, std::chrono::milliseconds timeout) {
    return wait_until([&] { return stored_count() > than; }, timeout);
  }

  std::uint32_t seed_ = 0;
  std::mt19937 rng_;
  temp_dir dir;
  sim_terminal mfp1{dir, "mfp1", "Konica Minolta", "bizhub C300i", "AA2J021012345", true};
  sim_terminal mfp2{dir, "mfp2", "RICOH", "IM 430F", "3110R820014"};
  std::vector<std::unique_ptr<snmpd_daemon>> snmpds;
  std::unique_ptr<center_daemon> center;
  std::string code;
  std::string site;
  std::string extra_targets;  ///< ", udp:…" appended to [snmp] targets
};

// 1. The center SIGKILLed 10 times at random moments while the collector
// delivers a backlog of 10,000 readings; each kill lands while uploads go
// on (the stored count grew since the restart), the center is restarted at
// once. Copies are made in between, so the last readings carry new counters.
TEST_F(DrillTest, CenterKilledTenTimesWhileTenThousandReadingsArrive) {
  start_center();
  write_collector_conf(center->url());
  register_collector();
  const auto made = make_backlog(10000);
  ASSERT_GE(made.size(), 10000u);
  auto collector_proc = start_collector("collector");
  std::uniform_int_distribution<int> moment_ms(0, 400);
  int during_upload = 0;
  for (int kill = 0; kill < 10; ++kill) {
    const auto before = stored_count();
    // Uploads go on: the count grows (or everything arrived already).
    if (stored_more_than(before, 30s)) ++during_upload;
    const auto at = moment_ms(rng_);
    std::this_thread::sleep_for(std::chrono::milliseconds(at));
    std::printf("kill %d of the center %d ms after uploads resumed (%lld stored)\n", kill + 1, at,
                static_cast<long long>(stored_count()));
    ASSERT_EQ(::kill(center->daemon()->pid(), SIGKILL), 0);
    center->daemon()->wait(10s);
    ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "1"}).exit_code, 0);
    center->start();
  }
  EXPECT_GE(during_upload, 5) << "most kills must land during uploads";
  ASSERT_NO_FATAL_FAILURE(expect_consistent(made, collector_proc.get()));
  EXPECT_EQ(collector_proc->stop(), 0);
}

// 2. The collector SIGKILLed 10 times, restarted at once each time: five
// times while it uploads the backlog (the center's count grows), five times
// while it reads. A read takes about 2 s here (a third target that never
// answers: 1 s timeout, one retry), and each run reads first, so a kill
// 100..900 ms after the start lands inside that read.
TEST_F(DrillTest, CollectorKilledTenTimesDuringUploadsAndReads) {
  start_center();
  extra_targets = ", udp:127.0.0.99:161";
  write_collector_conf(center->url());
  register_collector();
  // 15,000: the five upload kills never find it all delivered already.
  const auto made = make_backlog(15000);
  ASSERT_GE(made.size(), 15000u);
  std::unique_ptr<process> collector_proc;
  int during_upload = 0;
  for (int kill = 0; kill < 10; ++kill) {
    const auto before = stored_count();
    collector_proc = start_collector("collector-" + std::to_string(kill));
    const bool upload = kill % 2 == 0;
    int at = 0;
    if (upload) {
      if (stored_more_than(before, 30s)) ++during_upload;  // it uploads now
      at = std::uniform_int_distribution<int>(0, 300)(rng_);
    } else {
      at = std::uniform_int_distribution<int>(100, 900)(rng_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(at));
    std::printf("kill %d of the collector %d ms after %s (%lld stored)\n", kill + 1, at,
                upload ? "its uploads began" : "its start (inside its first read)",
                static_cast<long long>(stored_count()));
    ASSERT_TRUE(collector_proc->running()) << collector_proc->log();
    ASSERT_EQ(::kill(collector_proc->pid(), SIGKILL), 0);
    collector_proc->wait(10s);
    ASSERT_EQ(mfp2.terminal({"copy", "--sheets", "1"}).exit_code, 0);
  }
  EXPECT_EQ(during_upload, 5);
  EXPECT_LT(stored_count(), static_cast<std::int64_t>(made.size())) << "the kills came after the backlog was gone";
  // The outbox survived every kill: an intact database.
  EXPECT_EQ(sql(outbox_db(), "PRAGMA integrity_check"), "ok\n");
  collector_proc = start_collector("collector-last");
  ASSERT_NO_FATAL_FAILURE(expect_consistent(made, collector_proc.get()));
  EXPECT_EQ(collector_proc->stop(), 0);
}

// 3. The center away for six hours while copies are made: "hours" by the
// test clock (FLEETREG_TEST_CLOCK_OFFSET, on the collector too). Each hour
// copies are made and the collector, restarted an hour later by its clock,
// reads them into its outbox; then the center comes back at the same time
// as the collector's clock. Every reading arrives once, dated across the
// six hours, and the center holds the devices' counters.
TEST_F(DrillTest, CenterAwayForHoursWhileCopiesAreMade) {
  start_center();
  write_collector_conf(center->url());
  register_collector();
  auto collector_proc = start_collector("collector-0h");
  ASSERT_TRUE(stored_more_than(1, 30s)) << collector_proc->log();
  center->stop();
  constexpr int hours = 6;
  for (int hour = 1; hour <= hours; ++hour) {
    ASSERT_EQ(mfp1.terminal({"copy", "--sheets", std::to_string(hour)}).exit_code, 0);
    ASSERT_EQ(mfp2.terminal({"print", "--sheets", "2"}).exit_code, 0);
    const auto before = outbox_ids().size();
    EXPECT_EQ(collector_proc->stop(), 0);
    collector_proc = start_collector("collector-" + std::to_string(hour) + "h",
                                     {{"FLEETREG_TEST_CLOCK_OFFSET", std::to_string(hour * 3600)}});
    ASSERT_TRUE(wait_until([&] { return outbox_ids().size() >= before + 2; }, 30s)) << collector_proc->log();
  }
  EXPECT_NE(collector_proc->log().find("for tests only"), std::string::npos) << collector_proc->log();
  const auto status = json::value::parse(slurp(state_dir() + "/status.json"), nullptr, false);
  EXPECT_FALSE(status.value("center_reachable", true)) << status.dump();
  const auto made = outbox_ids();
  ASSERT_GE(made.size(), static_cast<std::size_t>(2 * hours));

  center->start({{"FLEETREG_TEST_CLOCK_OFFSET", std::to_string(hours * 3600)}});
  ASSERT_NO_FATAL_FAILURE(expect_consistent(made, collector_proc.get()));
  std::string in;
  for (const auto& id : made) in += (in.empty() ? "'" : ",'") + id + "'";
  EXPECT_GE(sql_int(center->database(), "SELECT max(taken_at) - min(taken_at) FROM readings WHERE id IN (" + in + ")"),
            (hours - 1) * 3600);
  EXPECT_EQ(collector_proc->stop(), 0);
}

// 4. Loss and delay. This kernel has no sch_netem (`tc qdisc add dev lo
// root netem ...` answers "Specified qdisc kind is unknown"), so: 30 % loss
// by nftables in the namespace (`numgen random mod 100 < 30 drop`) on the
// SNMP requests to both agents and on the TCP segments both ways of the
// center's port, and 500 ms each way by test::tcp_relay between the
// collector and the center. Discovery with retries finds both terminals
// every time (three runs), registration and uploads go through, copies made
// meanwhile arrive, each reading once. nft's counters prove the loss was real.
TEST_F(DrillTest, LossAndDelayLoseNothingAndDoubleNothing) {
  start_center();
  const auto center_port = static_cast<std::uint16_t>(std::stoi(center->url().substr(center->url().rfind(':') + 1)));
  tcp_relay slow_link(center_port, 500ms);
  const auto snmp_port = [](const snmpd_daemon& d) { return d.peer().substr(d.peer().rfind(':') + 1); };
  std::ofstream(dir.file("loss.nft"))
      << "table inet drill {\n  chain input {\n    type filter hook input priority 0; policy accept;\n"
      << "    udp dport { " << snmp_port(*snmpds[0]) << ", " << snmp_port(*snmpds[1])
      << " } numgen random mod 100 < 30 counter drop\n"
      << "    tcp dport " << center_port << " numgen random mod 100 < 30 counter drop\n"
      << "    tcp sport " << center_port << " numgen random mod 100 < 30 counter drop\n  }\n}\n";
  const auto nft = run({"nft", "-f", dir.file("loss.nft")});
  ASSERT_EQ(nft.exit_code, 0) << nft.err;
  {
    // The link's delay is real: a request and its answer take a second or more.
    rest_client::options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(slow_link.port());
    o.timeout = 60s;
    rest_client::client slow(o);
    std::error_code ec;
    const auto began = clock_type::now();
    const auto r = slow.request("GET", "/healthz", "", {}, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.status, 200);
    EXPECT_GE(clock_type::now() - began, 1s);
  }
  write_collector_conf("http://127.0.0.1:" + std::to_string(slow_link.port()), "", "timeout = 1s\nretries = 5\n");
  for (int i = 0; i < 3; ++i) {
    const auto found = collector({"discover", "--json"});
    ASSERT_EQ(found.exit_code, 0) << found.err;
    EXPECT_EQ(json::value::parse(found.out).size(), 2u) << found.out;
  }
  register_collector();
  auto collector_proc = start_collector("collector");
  ASSERT_TRUE(stored_more_than(1, 60s)) << collector_proc->log();
  ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "3", "--color"}).exit_code, 0);
  ASSERT_EQ(mfp2.terminal({"fax-in", "--pages", "2"}).exit_code, 0);
  const auto made = outbox_ids();
  ASSERT_NO_FATAL_FAILURE(expect_consistent(made, collector_proc.get()));
  EXPECT_GT(slow_link.connections(), 0);
  // Every rule dropped something.
  const auto rules = run({"nft", "list", "table", "inet", "drill"}).out;
  std::size_t dropped_rules = 0;
  for (const auto& line : lines_of(rules))
    if (line.find("counter packets") != std::string::npos && line.find("counter packets 0 ") == std::string::npos)
      ++dropped_rules;
  EXPECT_EQ(dropped_rules, 3u) << rules;
  EXPECT_EQ(collector_proc->stop(), 0);
}

// 5a. The center's disk full: its database on a 4 MiB tmpfs, filled while
// the collector uploads. Uploads get 507 with a JSON error (storage_full)
// and Retry-After, the center logs it once, the collector keeps its
// readings; when the filler is removed, everything arrives once and the
// database is intact (PRAGMA integrity_check in the end check).
TEST_F(DrillTest, CenterDiskFullRefusesCleanlyAndRecovers) {
  small_disk disk(dir.file("center-disk"), "4m");
  start_center({.tls = false, .extra_config = "", .database = dir.file("center-disk/center.db")});
  write_collector_conf(center->url());
  register_collector();
  auto collector_proc = start_collector("collector");
  ASSERT_TRUE(stored_more_than(1, 30s)) << collector_proc->log();
  disk.fill();
  ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "2"}).exit_code, 0);

  // An upload of a reading the center has not seen: 507, a JSON error.
  const auto credential = lines_of(slurp(state_dir() + "/credential")).at(0);
  const json::value reading = {{"id", "6f1d3c2a-0b4e-4c8f-9a7d-2e5b1c3d4f60"},
                               {"terminal", "ricoh:3110R820014"},
                               {"taken_at", utc_now()},
                               {"source", "fleetreg-mib"},
                               {"counters", {{"total", {{"impressions", 6}}}}}};
  std::pair<int, json::value> refused;
  ASSERT_TRUE(wait_until(
      [&] {
        refused = center->call("POST", "/api/v1/readings", {{"readings", json::value::array({reading})}}, credential);
        return refused.first != 200;
      },
      30s))
      << refused.second.dump();
  EXPECT_EQ(refused.first, 507) << refused.second.dump();
  EXPECT_EQ(refused.second["error"]["code"], "storage_full") << refused.second.dump();
  // The collector's readings wait meanwhile.
  EXPECT_TRUE(wait_until([&] { return outbox_ids().size() >= 4; }, 30s)) << collector_proc->log();
  const auto waiting = outbox_ids();
  EXPECT_TRUE(center->daemon()->running());
  const auto log = center->daemon()->log();
  EXPECT_NE(log.find("database full"), std::string::npos) << log.substr(0, 6000);
  EXPECT_EQ(log.find("database full"), log.rfind("database full")) << "logged once";

  disk.free_space();
  ASSERT_NO_FATAL_FAILURE(expect_consistent(waiting, collector_proc.get()));
  EXPECT_EQ(collector_proc->stop(), 0);
}

// 5b. The collector's disk full: its state directory on a 2 MiB tmpfs,
// filled while it runs. It keeps running, says why it cannot store what it
// reads (a log line, status.json's last_error, `fleetreg-collector status`),
// its outbox stays intact, and when the filler is removed the copies made
// meanwhile reach the center.
TEST_F(DrillTest, CollectorDiskFullSaysWhyAndRecovers) {
  start_center();
  small_disk disk(state_dir(), "2m");
  write_collector_conf(center->url());
  register_collector();
  auto collector_proc = start_collector("collector");
  ASSERT_TRUE(stored_more_than(1, 30s)) << collector_proc->log();
  // A collector that has run a round has its status.json (on a full disk it
  // is rewritten in place: there is no room for a second copy).
  ASSERT_TRUE(wait_until([&] { return !slurp(state_dir() + "/status.json").empty(); }, 30s));
  disk.fill();
  ASSERT_EQ(mfp1.terminal({"copy", "--sheets", "4"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return collector_proc->log().find("cannot store") != std::string::npos; }, 30s))
      << collector_proc->log();
  std::this_thread::sleep_for(2s);  // more reads fail meanwhile
  ASSERT_TRUE(collector_proc->running()) << collector_proc->log();
  const auto log = collector_proc->log();
  EXPECT_EQ(log.find("cannot store"), log.rfind("cannot store")) << "said once, not per read:\n" << log;
  EXPECT_NE(log.find("database or disk is full"), std::string::npos) << log;
  const auto status = json::value::parse(slurp(state_dir() + "/status.json"), nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << slurp(state_dir() + "/status.json") << run({"ls", "-la", state_dir()}).out
                                      << log;
  EXPECT_NE(status.value("last_error", std::string()).find("cannot store"), std::string::npos) << status.dump();
  const auto shown = collector({"status"});
  EXPECT_NE(shown.out.find("cannot store"), std::string::npos) << shown.out << shown.err;
  EXPECT_EQ(sql(outbox_db(), "PRAGMA integrity_check"), "ok\n");
  const auto waiting = outbox_ids();

  disk.free_space();
  ASSERT_NO_FATAL_FAILURE(expect_consistent(waiting, collector_proc.get()));
  json::value after;
  EXPECT_TRUE(wait_until(
      [&] {
        after = json::value::parse(slurp(state_dir() + "/status.json"), nullptr, false);
        return !after.is_discarded() && after.value("last_error", std::string("?")).empty();
      },
      30s))
      << after.dump();
  EXPECT_NE(collector_proc->log().find("readings are stored again"), std::string::npos) << collector_proc->log();
  EXPECT_EQ(collector_proc->stop(), 0);
}

// 7. The center's clock a day ahead, then right again (restarted with
// FLEETREG_TEST_CLOCK_OFFSET=86400, then without). Sane means here:
//   - a request leased while the clock was ahead (by a collector that died
//     before answering) is offered again after the jump back within the
//     lease (5 min), not a day later: the collector answers it;
//   - the schedule (every hour here) queues a read after the jump back at
//     once, not an hour after the future time it last ran;
//   - codes expire by the center's clock and stay expired: a 12 h code
//     expired (and was purged) while the clock was ahead is still refused
//     after the jump back; a 7 d code issued before the jump still works.
TEST_F(DrillTest, CenterClockJumpsADayForwardAndBack) {
  start_center({.tls = false, .extra_config = "[requests]\nschedule_interval = 1h\n"});
  write_collector_conf(center->url());
  register_collector();
  const auto short_code =
      center->ctl({"code", "issue", "--dealer", "dealer", "--customer", "Short", "--validity", "12h"});
  ASSERT_EQ(short_code.exit_code, 0) << short_code.err;
  const auto week_code = center->dealer_and_code("dealer", "Week Ltd");
  const auto credential = lines_of(slurp(state_dir() + "/credential")).at(0);

  // A day ahead: the schedule queues a read; a collector leases it and dies
  // before answering (this test takes the lease through the API).
  center->stop();
  center->start({{"FLEETREG_TEST_CLOCK_OFFSET", "86400"}});
  std::string leased;
  ASSERT_TRUE(wait_until([&] {
    auto [status, body] = center->call("GET", "/api/v1/requests?wait=0", nullptr, credential);
    if (status != 200 || !body.contains("requests") || body["requests"].empty()) return false;
    leased = body["requests"][0]["id"].get<std::string>();
    return true;
  }));
  const auto register_with = [&](const std::string& c, const std::string& serial) {
    const json::value reg = {{"code", lines_of(c).at(0)},
                             {"registering_side", {{"kind", "collector"}, {"name", "clock-" + serial}}},
                             {"terminals", {{{"manufacturer", "HP"}, {"model", "M"}, {"serial", serial}}}}};
    return center->call("POST", "/api/v1/registrations", reg).first;
  };
  EXPECT_EQ(register_with(short_code.out, "SHORT1") / 100, 4) << "expired by the center's clock";

  // The clock right again.
  center->stop();
  const auto back = std::time(nullptr);
  center->start();
  // The schedule: a read queued at once, at the real time.
  EXPECT_TRUE(wait_until(
      [&] {
        return sql_int(center->database(),
                       "SELECT count(*) FROM requests WHERE kind = 'scheduled' AND created_at BETWEEN " +
                           std::to_string(back - 5) + " AND " + std::to_string(std::time(nullptr) + 5)) > 0;
      },
      10s))
      << sql(center->database(), "SELECT id, kind, created_at, leased_until, answered_at FROM requests");
  // The lease from the future: answered now by the collector.
  auto collector_proc = start_collector("collector");
  EXPECT_TRUE(wait_until(
      [&] {
        return sql_int(center->database(), "SELECT count(*) FROM readings WHERE request_id = '" + leased + "'") >= 2;
      },
      30s))
      << sql(center->database(), "SELECT id, kind, created_at, leased_until, answered_at FROM requests") << "\n"
      << collector_proc->log();
  // Codes: the expired one stays refused, the week's one works.
  EXPECT_EQ(register_with(short_code.out, "SHORT2") / 100, 4);
  EXPECT_EQ(register_with(week_code, "WEEK1"), 201);
  ASSERT_NO_FATAL_FAILURE(expect_consistent({}, collector_proc.get()));
  EXPECT_EQ(collector_proc->stop(), 0);
}

}  // namespace
}  // namespace fleetreg::test
