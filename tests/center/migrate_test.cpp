// SPDX-License-Identifier: Apache-2.0
// fleetreg-centerctl migrate: a SQLite center moved into a real PostgreSQL
// (FLEETREG_TEST_POSTGRESQL, as the storage tests use it) answers the same.

#include "fleetreg/center/migrate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "center_fixture.hpp"
#include "fleetreg/center/database_lock.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::center {
namespace {

using test_support::scratch_database;

bool postgresql_configured() {
  const char* env = std::getenv("FLEETREG_TEST_POSTGRESQL");
  return env && *env;
}
constexpr const char* no_postgresql =
    "FLEETREG_TEST_POSTGRESQL is not set (a maintenance-database URI of a throwaway PostgreSQL cluster, or a file "
    "holding one): moving a center needs a real PostgreSQL";

std::string when(const std::optional<time_point>& t) { return t ? format_utc(*t) : "-"; }

std::vector<std::string> column_of(sql::connection& c, const std::string& query) {
  sql::statement q(c, query);
  return q.rows([](const sql::statement& r) { return r.column_text(0); });
}

std::int64_t scalar(sql::database& db, const std::string& query) {
  auto c = db.acquire();
  sql::statement q(*c, query);
  return q.step() ? q.column_int(0) : -1;
}

std::vector<std::string> postgresql_tables(const database_location& where) {
  auto db = open_database(where, 1);
  auto c = db->acquire();
  return column_of(*c,
                   "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                   "ORDER BY table_name");
}

// The list of tables a move copies is every table of a fresh SQLite schema,
// each after the tables it references: a migration that adds a table and
// forgets the list fails here (and a move refuses such a source).
TEST(MigrateTables, TheListIsEveryTableOfTheSchemaInForeignKeyOrder) {
  test::temp_dir dir;
  auto db = open_database(parse_database_location(dir.file("center.db")));
  db->migrate(sql_storage::migrations_for(sql::dialect::sqlite));
  auto c = db->acquire();
  const auto present = column_of(*c, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  const auto& listed = center_tables();
  EXPECT_EQ(std::set<std::string>(present.begin(), present.end()), std::set<std::string>(listed.begin(), listed.end()));
  EXPECT_EQ(present.size(), listed.size()) << "each table once";
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const auto referenced =
        column_of(*c, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('" + std::string(listed[i]) + "')");
    for (const auto& r : referenced) {
      const auto at = std::find(listed.begin(), listed.end(), r) - listed.begin();
      EXPECT_LT(static_cast<std::size_t>(at), i) << listed[i] << " references " << r << ", listed after it";
    }
  }
}

// The checksum is the rows' content, whatever their order: a changed value,
// NULL for '', or a row twice changes it.
TEST(MigrateChecksum, SeesEveryValueButNotTheOrder) {
  test::temp_dir dir;
  auto db = open_database(parse_database_location(dir.file("sums.db")));
  auto c = db->acquire();
  c->exec("CREATE TABLE a (n INTEGER, t TEXT); CREATE TABLE b (n INTEGER, t TEXT)");
  c->exec("INSERT INTO a VALUES (1, 'x'), (-9223372036854775807, 'Müller'), (3, ''), (NULL, 'ab')");
  c->exec("INSERT INTO b VALUES (3, ''), (NULL, 'ab'), (1, 'x'), (-9223372036854775807, 'Müller')");
  const std::vector<std::string> cols = {"n", "t"};
  const auto sum_a = checksum_table(*c, "a", cols);
  EXPECT_EQ(sum_a.rows, 4);
  EXPECT_EQ(sum_a.hex.size(), 64u);
  EXPECT_EQ(sum_a, checksum_table(*c, "b", cols)) << "the same rows in another order";
  c->exec("UPDATE b SET t = NULL WHERE n = 3");
  EXPECT_NE(sum_a.hex, checksum_table(*c, "b", cols).hex) << "NULL is not ''";
  c->exec("UPDATE b SET t = '' WHERE n = 3");
  EXPECT_EQ(sum_a, checksum_table(*c, "b", cols));
  c->exec("UPDATE b SET t = 'ab', n = NULL WHERE n = 1");  // two rows (NULL, 'ab'), none (1, 'x')
  EXPECT_NE(sum_a.hex, checksum_table(*c, "b", cols).hex) << "a duplicate does not cancel out";
  // Column boundaries count: ('ab', 'c') is not ('a', 'bc').
  c->exec("CREATE TABLE p (x TEXT, y TEXT); CREATE TABLE q (x TEXT, y TEXT)");
  c->exec("INSERT INTO p VALUES ('ab', 'c'); INSERT INTO q VALUES ('a', 'bc')");
  EXPECT_NE(checksum_table(*c, "p", {"x", "y"}).hex, checksum_table(*c, "q", {"x", "y"}).hex);
}

// A SQLite center with something in every table, made through operations.
class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!postgresql_configured()) GTEST_SKIP() << no_postgresql;
    crypto::init();
    key.fill(7);
    cfg.database = dir.file("center.db");
    source = open_storage(parse_database_location(cfg.database));
    svc = std::make_unique<operations>(*source, clock, cfg, key);
    target.emplace(dir);
  }

  database_location from() const { return parse_database_location(cfg.database); }
  database_location to() const { return parse_database_location(target->location); }

  static identity device(const std::string& maker, const std::string& serial) {
    return {maker, maker + " Model " + serial.substr(0, 1), serial, "", "1.0"};
  }

  std::string register_site(const std::string& code, const std::string& idem, const std::string& collector,
                            const std::vector<std::pair<std::string, identity>>& terminals, std::string* credential) {
    std::string why_code, why;
    const auto rec = svc->check_code(code, why_code, why);
    EXPECT_TRUE(rec) << why;
    auto reg = svc->register_site(*rec, idem, {"collector", collector}, terminals);
    if (credential) *credential = reg.credential;
    return reg.result.site_id;
  }

  // `per_terminal` hourly readings of each of `keys` at `site`, stored in
  // batches of 1000; the counters grow, with one reset per terminal.
  void add_readings(const std::string& site, const std::vector<std::string>& keys, int per_terminal) {
    std::vector<reading> batch;
    // Taken after the terminals were registered, sent now.
    const auto start = clock.now();
    clock.advance(std::chrono::hours(per_terminal + 1));
    auto flush = [&] {
      const auto r = svc->store_readings(site, batch);
      ASSERT_EQ(r.accepted, static_cast<std::int64_t>(batch.size()));
      batch.clear();
    };
    for (const auto& k : keys) {
      for (int i = 0; i < per_terminal; ++i) {
        reading r;
        r.id = make_uuid();
        r.terminal_key = k;
        r.taken = start + std::chrono::hours(i) + std::chrono::minutes(1);
        const auto copies = static_cast<std::uint64_t>(i == per_terminal / 2 ? 3 : 1000 + 10 * i);
        r.counters.set(service::copy, counter_kind::impressions, copies);
        r.counters.set(service::total, counter_kind::impressions, copies + 5);
        if (i % 3 == 0) r.extras["copy.impressions.a4"] = static_cast<std::uint64_t>(i);
        batch.push_back(std::move(r));
        if (batch.size() == 1000) flush();
      }
    }
    if (!batch.empty()) flush();
  }

  void fill(int readings_per_terminal) {
    svc->create_account("test", "dealer-a", role::dealer, "password-a-123");
    svc->create_account("test", "dealer-b", role::dealer, "password-b-123");
    svc->create_account("test", "root", role::admin, "password-r-123");
    const auto a = svc->require_account("dealer-a"), b = svc->require_account("dealer-b");
    root = svc->require_account("root");
    svc->set_billing_weights(root, a, "copy.impressions=1,copy.impressions.a4=0.5");
    code_a = svc->issue_code(a, "Müller & Söhne 'GmbH'", "Jörg, +49 30 1234", "PO-\"1\"").code;
    site_a = register_site(code_a, "idem-1", "collector-1",
                           {{"hp:A1", device("HP", "A1")}, {"hp:A2", device("HP", "A2")}}, &credential_a);
    site_b = register_site(svc->issue_code(b, "Beta Inc", "", "").code, "", "collector-2",
                           {{"hp:B1", device("HP", "B1")}, {"hp:A1", device("HP", "A1")}}, nullptr);  // a claim
    add_readings(site_a, {"hp:A1", "hp:A2"}, readings_per_terminal);
    svc->request_reading(root, site_a);
    svc->lease_requests(site_a);
    monitoring = svc->issue_monitoring_token("test", "nagios");
    svc->issue_billing_token("test", a, "erp");
    session = svc->start_session(a, "192.0.2.1");
    svc->retire_terminal(root, "hp:A2");
    svc->revoke_code(root, svc->issue_code(b, "Gamma", "", "").record.id);
    svc->close_billing(root, a, clock.now() - std::chrono::hours(24 * 30));
    clock.advance(std::chrono::hours(1));
    svc->purge("test");
  }

  // What a center answers about everything fill() made, as text.
  std::string answers(operations& o) {
    std::ostringstream s;
    for (const auto& a : o.accounts(root))
      s << "account " << a.id << ' ' << a.name << ' ' << (a.role == role::admin) << a.disabled << ' '
        << a.billing_weights << '\n';
    for (const auto& c : o.codes(root))
      s << "code " << c.id << ' ' << c.dealer_name << '|' << c.customer << '|' << c.contact << '|' << c.reference << ' '
        << format_utc(c.issued_at) << ' ' << format_utc(c.expires_at) << ' ' << c.terminals_registered << ' '
        << c.sites_registered << ' ' << when(c.revoked_at) << ' ' << when(c.purged_at) << '\n';
    std::string why_code, why;
    const auto found = o.check_code(code_a, why_code, why);  // by its hash
    s << "code by hash " << (found ? found->id : 0) << ' ' << why_code << '\n';
    for (const auto& st : o.sites(root)) {
      s << "site " << st.id << ' ' << st.customer << ' ' << st.dealer_id << ' ' << st.side.kind << ':' << st.side.name
        << ' ' << st.code_id << ' ' << format_utc(st.created_at) << ' ' << when(st.last_contact) << ' '
        << st.credential_active << '\n';
      for (const auto& t : o.terminals(root, st.id))
        s << "  terminal " << t.key << ' ' << t.id.model << ' ' << format_utc(t.registered_at) << ' '
          << when(t.last_reading_at) << '\n';
      for (const auto& r : o.requests(root, st.id))
        s << "  request " << r.id << ' ' << r.kind << ' ' << when(r.answered_at) << '\n';
    }
    for (const auto& c : o.claims(root))
      s << "claim " << c.id << ' ' << c.key << ' ' << c.holder_site_id << ' ' << c.claimant_site_id << ' ' << c.state
        << '\n';
    for (const auto& r : o.readings(root, site_a, 1'000'000))
      s << "reading " << json::to_json(r.r).dump() << ' ' << format_utc(r.received_at) << ' ' << r.counter_reset
        << r.late << '\n';
    const auto dealer = o.require_account("dealer-a");
    for (const auto& l : o.billing(dealer, site_a, clock.now() - std::chrono::hours(24 * 90), clock.now()))
      s << "billing " << l.customer << ' ' << l.terminal_key << ' ' << l.model << ' ' << static_cast<int>(l.svc)
        << static_cast<int>(l.kind) << l.extra << ' ' << l.clicks << ' ' << l.resets << ' ' << l.weight.value_or(0)
        << '\n';
    for (const auto& t : o.tokens(root))
      s << "token " << t.id << ' ' << t.name << ' ' << t.scope << ' ' << t.dealer_name << ' '
        << format_utc(t.created_at) << ' ' << when(t.revoked_at) << '\n';
    for (const auto& e : o.audit_log(root, 100000))
      s << "audit " << format_utc(e.at) << ' ' << e.actor << ' ' << e.action << ' ' << e.subject << ' ' << e.detail
        << '\n';
    return s.str();
  }

  std::int64_t source_scalar(const std::string& query) { return scalar(source->database(), query); }

  test::temp_dir dir;
  std::optional<scratch_database> target;
  manual_clock clock{from_unix(1795622885)};
  config cfg;
  crypto::digest key{};
  std::unique_ptr<sql_storage> source;
  std::unique_ptr<operations> svc;
  account root;
  std::string code_a, site_a, site_b, credential_a, monitoring, session;
};

TEST_F(MigrateTest, ThePostgreSQLCenterAnswersWhatTheSQLiteCenterDid) {
  fill(150);
  const auto before = answers(*svc);
  ASSERT_NE(before.find("claim "), std::string::npos);
  ASSERT_NE(before.find("billing "), std::string::npos);

  std::vector<std::string> progress;
  migrate_options o;
  o.batch_rows = 64;  // several batches and a partial one per big table
  o.progress = [&](const std::string& line) { progress.push_back(line); };
  o.progress_every = std::chrono::milliseconds(0);
  const auto report = migrate_center(from(), to(), o);
  ASSERT_EQ(report.tables.size(), center_tables().size());
  for (const auto& t : report.tables) {
    EXPECT_EQ(t.rows, source_scalar("SELECT count(*) FROM " + t.name)) << t.name;
    EXPECT_EQ(t.checksum.size(), 64u) << t.name;
  }
  const auto readings = std::find_if(report.tables.begin(), report.tables.end(),
                                     [](const migrated_table& t) { return t.name == "readings"; });
  EXPECT_EQ(readings->rows, 300);
  EXPECT_FALSE(progress.empty()) << "progress is told for big tables";

  auto pg = open_storage(to());
  operations moved(*pg, clock, cfg, key);
  EXPECT_EQ(answers(moved), before);
  // Its secrets work there: the site's credential, the token, the session.
  const auto s = moved.authenticate_site(credential_a);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, site_a);
  EXPECT_TRUE(moved.authenticate_token(monitoring));
  EXPECT_TRUE(moved.find_session(session));

  // New rows get ids after the copied ones.
  const auto last_code = source_scalar("SELECT max(id) FROM codes");
  const auto last_audit = source_scalar("SELECT max(id) FROM audit");
  const auto last_token = source_scalar("SELECT max(id) FROM monitoring_tokens");
  const auto code = moved.issue_code(moved.require_account("dealer-b"), "Delta", "", "");
  EXPECT_EQ(code.record.id, last_code + 1);
  moved.issue_monitoring_token("test", "zabbix");
  EXPECT_EQ(scalar(pg->database(), "SELECT max(id) FROM monitoring_tokens"), last_token + 1);
  EXPECT_GT(scalar(pg->database(), "SELECT min(id) FROM audit WHERE subject = 'Delta'"), last_audit);
  EXPECT_EQ(moved.audit_log(root, 1).front().action, "token.issue");
  EXPECT_EQ(pg->database().schema_version(), sql_storage::schema_version());
}

TEST_F(MigrateTest, ANonEmptyTargetIsRefusedAndLeftAsItWas) {
  fill(3);
  {
    auto db = open_database(to(), 1);
    auto c = db->acquire();
    c->exec("CREATE TABLE operator_notes (note TEXT); INSERT INTO operator_notes VALUES ('keep me')");
  }
  try {
    migrate_center(from(), to());
    FAIL() << "migrated into a database holding a table";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), exit_code::failure);
    EXPECT_NE(std::string(e.what()).find("is not empty (1 tables in its schema: operator_notes)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(postgresql_tables(to()), std::vector<std::string>{"operator_notes"});
  auto db = open_database(to(), 1);
  EXPECT_EQ(scalar(*db, "SELECT count(*) FROM operator_notes WHERE note = 'keep me'"), 1);
}

TEST_F(MigrateTest, ACenterRunningOnTheSourceIsRefused) {
  fill(3);
  auto lock = database_lock::try_acquire(cfg.database);  // what a running center holds
  ASSERT_TRUE(lock);
  try {
    migrate_center(from(), to());
    FAIL() << "migrated while the center runs";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), exit_code::failure);
    EXPECT_NE(std::string(e.what()).find("fleetreg-center is running on"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(postgresql_tables(to()).empty());
  lock.reset();
  EXPECT_NO_THROW(migrate_center(from(), to()));
}

// Verification can fail: a row changed or lost in the target after its copy
// is found, the transaction rolls back and the target is empty again (a
// clean run then succeeds).
TEST_F(MigrateTest, ACopyThatDiffersIsFoundAndRolledBack) {
  fill(40);
  migrate_options o;
  o.after_copy = [](sql::connection& c, std::string_view table) {
    if (table == "readings")
      c.exec("UPDATE readings SET counters = counters || ' ' WHERE id = (SELECT min(id) FROM readings)");
  };
  try {
    migrate_center(from(), to(), o);
    FAIL() << "a changed reading went unnoticed";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), exit_code::failure);
    const std::string what = e.what();
    EXPECT_NE(what.find("(readings: checksum "), std::string::npos) << what;
    EXPECT_NE(what.find("rolled back"), std::string::npos) << what;
  }
  EXPECT_TRUE(postgresql_tables(to()).empty());

  o.after_copy = [](sql::connection& c, std::string_view table) {
    if (table == "audit") c.exec("DELETE FROM audit WHERE id = 2");
  };
  const auto audit_rows = source_scalar("SELECT count(*) FROM audit");
  try {
    migrate_center(from(), to(), o);
    FAIL() << "a lost audit line went unnoticed";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("audit: " + std::to_string(audit_rows) + " rows in SQLite, " +
                                         std::to_string(audit_rows - 1) + " in PostgreSQL"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(postgresql_tables(to()).empty());

  const auto report = migrate_center(from(), to());
  EXPECT_EQ(report.rows, [&] {
    std::int64_t n = 0;
    for (const auto t : center_tables()) n += source_scalar("SELECT count(*) FROM " + std::string(t));
    return n;
  }());
}

// The checksum reads the same on both engines: one table's rows (NULL, '',
// text outside ASCII, the extreme integers) in each, in a different order.
TEST_F(MigrateTest, TheChecksumIsTheSameOnBothEngines) {
  const char* create = "CREATE TABLE t (n BIGINT, s TEXT)";
  const char* rows =
      "INSERT INTO t VALUES (9223372036854775807, 'Größe ≤ 3'), (-9223372036854775807, ''), (NULL, NULL), "
      "(0, 'a\"b''c'), (7, NULL)";
  auto lite = open_database(parse_database_location(dir.file("t.db")));
  auto pg = open_database(to(), 1);
  auto lc = lite->acquire();
  auto pc = pg->acquire();
  lc->exec(create);
  pc->exec(create);
  lc->exec(rows);
  pc->exec(
      "INSERT INTO t VALUES (7, NULL), (0, 'a\"b''c'), (NULL, NULL), (-9223372036854775807, ''), "
      "(9223372036854775807, 'Größe ≤ 3')");
  sql::transaction tx(*pc);  // the PostgreSQL side reads through a cursor
  const auto here = checksum_table(*lc, "t", {"n", "s"});
  EXPECT_EQ(here.rows, 5);
  EXPECT_EQ(here, checksum_table(*pc, "t", {"n", "s"}));
  pc->exec("UPDATE t SET s = 'Grösse ≤ 3' WHERE n = 9223372036854775807");
  EXPECT_NE(here.hex, checksum_table(*pc, "t", {"n", "s"}).hex);
}

// A source of an older schema is upgraded first, as the center would on start.
TEST_F(MigrateTest, AnOlderSourceIsBroughtToThisSchemaFirst) {
  const auto path = dir.file("old.db");
  {
    auto all = sql_storage::migrations_for(sql::dialect::sqlite);
    auto old = open_database(parse_database_location(path));
    old->migrate(sql::migrations(all.begin(), all.begin() + 3));
    auto c = old->acquire();
    c->exec("INSERT INTO accounts (name, role, password_hash, created_at) VALUES ('old-dealer', 'dealer', 'x', 5)");
  }
  const auto report = migrate_center(parse_database_location(path), to());
  EXPECT_EQ(report.schema_version, sql_storage::schema_version());
  EXPECT_EQ(open_database(parse_database_location(path))->schema_version(), sql_storage::schema_version());
  auto pg = open_storage(to());
  const auto a = pg->find_account("old-dealer");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->billing_weights, "") << "the later migrations' defaults came along";
}

// A source newer than this program, or no center database at all, is
// refused before anything is made in the target.
TEST_F(MigrateTest, ANewerOrForeignSourceIsRefused) {
  fill(1);
  {
    auto c = source->database().acquire();
    c->exec("PRAGMA user_version = " + std::to_string(sql_storage::schema_version() + 1));
  }
  try {
    migrate_center(from(), to());
    FAIL() << "moved a schema this program does not know";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), exit_code::io);
    EXPECT_NE(std::string(e.what()).find("newer than this program"), std::string::npos) << e.what();
  }
  const auto foreign = dir.file("foreign.db");
  {
    auto db = open_database(parse_database_location(foreign));
    db->acquire()->exec("CREATE TABLE photos (name TEXT)");
  }
  try {
    migrate_center(parse_database_location(foreign), to());
    FAIL() << "moved a foreign file";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), exit_code::data);
  }
  auto db = open_database(parse_database_location(foreign));
  EXPECT_EQ(db->schema_version(), 0) << "the foreign file was left alone";
  EXPECT_TRUE(postgresql_tables(to()).empty());
}

TEST_F(MigrateTest, WrongEnginesAndAnUnreachableTargetAreRefused) {
  fill(1);
  auto code_of = [](const std::function<void()>& run) {
    try {
      run();
    } catch (const error& e) {
      return e.code();
    }
    return exit_code::ok;
  };
  EXPECT_EQ(code_of([&] { migrate_center(to(), to()); }), exit_code::usage) << "the source is not SQLite";
  EXPECT_EQ(code_of([&] { migrate_center(from(), from()); }), exit_code::usage) << "the target is not PostgreSQL";
  EXPECT_EQ(code_of([&] { migrate_center(parse_database_location(dir.file("none.db")), to()); }), exit_code::usage)
      << "no source file";
  EXPECT_EQ(code_of([&] { migrate_center(from(), parse_database_location("postgresql://nobody@127.0.0.1:1/x")); }),
            exit_code::unavailable);
  EXPECT_TRUE(postgresql_tables(to()).empty());
}

// The rate of a move, on a center of FLEETREG_MIGRATE_BENCH_READINGS readings
// (docs/BENCHMARKS.md; skipped unless set).
TEST_F(MigrateTest, Rate) {
  const char* env = std::getenv("FLEETREG_MIGRATE_BENCH_READINGS");
  if (!env || !*env) GTEST_SKIP() << "FLEETREG_MIGRATE_BENCH_READINGS is not set (readings to generate, e.g. 200000)";
  const auto wanted = std::stoll(env);
  svc->create_account("test", "dealer-a", role::dealer, "password-a-123");
  root = svc->require_account("dealer-a");
  const auto code = svc->issue_code(root, "Bench Ltd", "", "").code;
  std::vector<std::pair<std::string, identity>> terminals;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    const auto serial = "S" + std::to_string(10000 + i);
    keys.push_back("ricoh:" + serial);
    terminals.emplace_back(keys.back(), device("Ricoh", serial));
  }
  const auto site = register_site(code, "", "collector-1", terminals, nullptr);
  add_readings(site, keys, static_cast<int>(wanted / 100));
  migrate_options o;
  o.progress = [](const std::string& line) { std::cout << "  " << line << "\n"; };
  const auto report = migrate_center(from(), to(), o);
  for (const auto& t : report.tables)
    std::cout << "  " << t.name << ' ' << t.rows << ' ' << t.checksum.substr(0, 16) << ' ' << t.seconds << " s\n";
  const auto rate = static_cast<double>(report.rows) / report.seconds;
  std::cout << "moved " << report.rows << " rows in " << report.seconds << " s: " << static_cast<long long>(rate)
            << " rows/s (copy " << report.copy_seconds << " s, verify " << report.verify_seconds << " s)\n";
  RecordProperty("rows_per_second", static_cast<int>(rate));
  EXPECT_GE(report.rows, wanted);
}

}  // namespace
}  // namespace fleetreg::center
