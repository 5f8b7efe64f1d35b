// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/sqlite.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "fleetreg/test/harness.hpp"

namespace fleetreg::sqlite {
namespace {

TEST(Sqlite, Unsigned64RoundTrip) {
  test::temp_dir dir;
  database db(dir.file("t.db"), open_mode::create);
  db.exec("CREATE TABLE t (v INTEGER NOT NULL)");
  const std::uint64_t values[] = {0, 1, std::numeric_limits<std::uint64_t>::max(), 1ULL << 63};
  statement ins(db, "INSERT INTO t(v) VALUES (?1)");
  for (auto v : values) {
    ins.bind_u64(1, v);
    ins.run();
  }
  statement q(db, "SELECT v FROM t ORDER BY rowid");
  for (auto v : values) {
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.column_u64(0), v);
  }
  EXPECT_FALSE(q.step());
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
  test::temp_dir dir;
  database db(dir.file("t.db"), open_mode::create);
  db.exec("CREATE TABLE t (v INTEGER)");
  {
    transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
  }
  {
    transaction tx(db);
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  statement q(db, "SELECT group_concat(v) FROM t");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_text(0), "2");
}

TEST(Sqlite, DataVersionSeesOtherConnections) {
  test::temp_dir dir;
  database a(dir.file("t.db"), open_mode::create);
  a.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER)");
  database b(dir.file("t.db"), open_mode::read_write);
  const auto before = b.data_version();
  EXPECT_EQ(b.data_version(), before) << "no change, no new version";
  a.exec("INSERT INTO t VALUES (1)");
  EXPECT_NE(b.data_version(), before);
}

TEST(Sqlite, ErrorsCarryTheSqliteCode) {
  test::temp_dir dir;
  try {
    database db(dir.file("missing/t.db"), open_mode::read_write);
    FAIL() << "opening a missing file must throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), sqlite_category());
    EXPECT_EQ(e.code().value() & 0xff, SQLITE_CANTOPEN);
  }
  database db(dir.file("t.db"), open_mode::create);
  EXPECT_THROW(db.exec("SELEKT 1"), std::system_error);
}

}  // namespace
}  // namespace fleetreg::sqlite
