// SPDX-License-Identifier: Apache-2.0
// Two stores on one database at the same time, as two center replicas (or a
// center and fleetreg-centerctl) are: the storage contracts that say "never
// twice" hold under real concurrency, on SQLite and (pg.*) on PostgreSQL.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "center_fixture.hpp"

namespace fleetreg::center::test_support {
namespace {

class ConcurrencyTest : public CenterTest {
 protected:
  std::unique_ptr<sql_storage> second_store() { return open_storage(parse_database_location(cfg.database)); }
};

TEST_F(ConcurrencyTest, TwoStoresNeverLeaseTheSameRequest) {
  const auto site = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")}).first;
  auto other = second_store();
  const auto now = clock.now();
  // What the schedule queued at registration is leased away first.
  store->lease_requests(site, now, std::chrono::minutes(10));
  std::set<std::string> queued;
  for (int i = 0; i < 200; ++i) queued.insert(store->queue_request(site, "on-demand", now));

  std::vector<std::string> got[2];
  auto lease_all = [&](storage& st, std::vector<std::string>& out) {
    // Small leases taken over and over, as concurrent long-polls do.
    for (int round = 0; round < 400; ++round)
      for (const auto& r : st.lease_requests(site, now, std::chrono::minutes(10))) out.push_back(r.id);
  };
  std::thread t1([&] { lease_all(*store, got[0]); });
  std::thread t2([&] { lease_all(*other, got[1]); });
  t1.join();
  t2.join();
  std::set<std::string> all;
  for (const auto& list : got)
    for (const auto& id : list) EXPECT_TRUE(all.insert(id).second) << "request " << id << " leased twice";
  EXPECT_EQ(all, queued);
}

TEST_F(ConcurrencyTest, TwoStoresQueueEachScheduledReadOnce) {
  std::vector<std::string> sites;
  for (int i = 0; i < 20; ++i)
    sites.push_back(
        register_site(issue("dealer-a", "Customer " + std::to_string(i)), {terminal("HP", "S" + std::to_string(i))})
            .first);
  auto other = second_store();
  const auto later = clock.now() + std::chrono::hours(48);
  std::vector<std::string> queued[2];
  std::thread t1([&] { queued[0] = store->queue_due_requests(later, std::chrono::hours(24)); });
  std::thread t2([&] { queued[1] = other->queue_due_requests(later, std::chrono::hours(24)); });
  t1.join();
  t2.join();
  std::multiset<std::string> all(queued[0].begin(), queued[0].end());
  all.insert(queued[1].begin(), queued[1].end());
  EXPECT_EQ(all, std::multiset<std::string>(sites.begin(), sites.end()));
}

}  // namespace
}  // namespace fleetreg::center::test_support
