// SPDX-License-Identifier: Apache-2.0
// The pieces of the center's edge that need no socket: request targets,
// client addresses, the failure limiter and the places for long-polls and
// password hashes, and how the API uses them.

#include <gtest/gtest.h>

#include "center_fixture.hpp"
#include "fleetreg/center/http.hpp"
#include "fleetreg/center/limiter.hpp"
#include "fleetreg/center/peer.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::center {
namespace {

using test_support::CenterTest;

std::string header(const http::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(HttpTarget, MalformedEscapesAreRefusedNotThrown) {
  std::string out;
  EXPECT_FALSE(http::percent_decode("%zz", out));
  EXPECT_FALSE(http::percent_decode("%4", out));
  EXPECT_FALSE(http::percent_decode("abc%", out));
  ASSERT_TRUE(http::percent_decode("a%41%2f+b", out));
  EXPECT_EQ(out, "aA/+b");
  ASSERT_TRUE(http::percent_decode("a+b", out, true));
  EXPECT_EQ(out, "a b");

  std::string path, why;
  std::map<std::string, std::string> query;
  EXPECT_FALSE(http::parse_target("/healthz?a=%zz", path, query, why));
  EXPECT_NE(why.find("escape"), std::string::npos);
  EXPECT_FALSE(http::parse_target("/%00x", path, query, why)) << "a NUL never reaches a handler or a log";
  EXPECT_FALSE(http::parse_target("http://evil/x", path, query, why));
  EXPECT_FALSE(http::parse_target("", path, query, why));
  ASSERT_TRUE(http::parse_target("/api/v1/requests?wait=25&x=%20y&wait=99&&flag#frag", path, query, why)) << why;
  EXPECT_EQ(path, "/api/v1/requests");
  EXPECT_EQ(query.at("wait"), "25") << "the first of repeated names counts";
  EXPECT_EQ(query.at("x"), " y");
  EXPECT_EQ(query.at("flag"), "");
  std::string many = "/x?";
  for (int i = 0; i < 65; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_FALSE(http::parse_target(many, path, query, why));
}

TEST(Peer, LimitKeysGroupIpv6By64) {
  EXPECT_EQ(peer::limit_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(peer::limit_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(peer::limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(peer::limit_key("2001:db8:1:2:bbbb::9"), peer::limit_key("2001:db8:1:2:aaaa::1"));
  EXPECT_NE(peer::limit_key("2001:db8:1:3::1"), peer::limit_key("2001:db8:1:2::1"));
  EXPECT_EQ(peer::limit_key("not an address"), "not an address");
}

TEST(Peer, NetworksParseAndMatch) {
  const auto nets = peer::parse_networks("10.0.0.0/8, 192.0.2.1 2001:db8::/32");
  ASSERT_EQ(nets.size(), 3u);
  EXPECT_TRUE(nets[0].contains(*peer::parse_address("10.200.3.4")));
  EXPECT_FALSE(nets[0].contains(*peer::parse_address("11.0.0.1")));
  EXPECT_TRUE(nets[1].contains(*peer::parse_address("192.0.2.1")));
  EXPECT_FALSE(nets[1].contains(*peer::parse_address("192.0.2.2")));
  EXPECT_TRUE(nets[2].contains(*peer::parse_address("2001:db8:ffff::1")));
  EXPECT_TRUE(peer::parse_networks("").empty());
  EXPECT_THROW(peer::parse_networks("10.0.0.0/33"), configuration_error);
  EXPECT_THROW(peer::parse_networks("proxy.example"), configuration_error);
  EXPECT_THROW(peer::parse_networks("10.0.0.0/x"), configuration_error);
}

TEST(Peer, ForwardedHeadersOnlyFromTrustedProxies) {
  const auto trusted = peer::parse_networks("127.0.0.1, 10.0.0.0/8");
  // From an untrusted peer the headers are ignored: no one forges an address.
  EXPECT_EQ(peer::client_address("198.51.100.1", "", "203.0.113.5", trusted), "198.51.100.1");
  EXPECT_EQ(peer::client_address("198.51.100.1", "for=203.0.113.5", "", trusted), "198.51.100.1");
  // From the proxy: the right-most address that is not a proxy.
  EXPECT_EQ(peer::client_address("127.0.0.1", "", "203.0.113.5", trusted), "203.0.113.5");
  EXPECT_EQ(peer::client_address("127.0.0.1", "", "6.6.6.6, 203.0.113.5, 10.1.1.1", trusted), "203.0.113.5")
      << "what the client wrote left of its own address is not believed";
  EXPECT_EQ(peer::client_address("127.0.0.1", R"(for="[2001:db8::7]:4711";proto=https)", "", trusted), "2001:db8::7");
  EXPECT_EQ(peer::client_address("127.0.0.1", "for=192.0.2.60:80, for=10.0.0.2", "", trusted), "192.0.2.60");
  EXPECT_EQ(peer::client_address("127.0.0.1", "", "garbage", trusted), "127.0.0.1");
  EXPECT_EQ(peer::client_address("127.0.0.1", "", "", trusted), "127.0.0.1");
}

TEST(Limiter, KindsAreSeparateAndTheWindowMoves) {
  failure_limiter l(3, std::chrono::minutes(1));
  const auto t0 = from_unix(1800000000);
  for (int i = 0; i < 3; ++i) l.record_failure("192.0.2.1", failure_kind::code, t0);
  EXPECT_GT(l.retry_after("192.0.2.1", failure_kind::code, t0), 0);
  EXPECT_LE(l.retry_after("192.0.2.1", failure_kind::code, t0), 60);
  EXPECT_EQ(l.retry_after("192.0.2.1", failure_kind::credential, t0), 0) << "wrong codes do not block credentials";
  EXPECT_EQ(l.retry_after("192.0.2.2", failure_kind::code, t0), 0);
  EXPECT_EQ(l.retry_after("192.0.2.1", failure_kind::code, t0 + std::chrono::seconds(60)), 0);
  EXPECT_EQ(l.size(), 0u) << "an expired bucket is forgotten";
}

TEST(Limiter, EvictsTheLeastRecentlySeen) {
  failure_limiter l(1, std::chrono::minutes(1), 2);
  const auto t0 = from_unix(1800000000);
  l.record_failure("zz-old", failure_kind::code, t0);
  l.record_failure("aa-new", failure_kind::code, t0);
  l.record_failure("zz-old", failure_kind::code, t0);  // seen again: now the most recent
  l.record_failure("mm-third", failure_kind::code, t0);
  EXPECT_EQ(l.size(), 2u);
  EXPECT_GT(l.retry_after("zz-old", failure_kind::code, t0), 0);
  EXPECT_GT(l.retry_after("mm-third", failure_kind::code, t0), 0);
  EXPECT_EQ(l.retry_after("aa-new", failure_kind::code, t0), 0) << "the least recently seen went, not the smallest";
}

TEST(Limiter, GatesAndSlotsGiveBackTheirPlaces) {
  bounded_gate gate(2);
  auto a = gate.try_acquire(), b = gate.try_acquire();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(gate.try_acquire());
  a.reset();
  EXPECT_TRUE(gate.try_acquire());
  EXPECT_EQ(gate.in_use(), 1);

  keyed_slots slots(2, 3);
  auto s1 = slots.try_acquire("site-a"), s2 = slots.try_acquire("site-a");
  ASSERT_TRUE(s1 && s2);
  EXPECT_FALSE(slots.try_acquire("site-a")) << "per key";
  auto s3 = slots.try_acquire("site-b");
  ASSERT_TRUE(s3);
  EXPECT_FALSE(slots.try_acquire("site-c")) << "in total";
  s1.reset();
  EXPECT_TRUE(slots.try_acquire("site-c"));
  EXPECT_EQ(slots.total_in_use(), 2);
}

class EdgeApiTest : public CenterTest {
 protected:
  void SetUp() override { std::tie(site, cred) = register_site(issue("dealer-a", "Acme Ltd"), {terminal("HP", "A1")}); }
  http::request with_peer(http::request r, const std::string& p) {
    r.peer = p;
    return r;
  }
  std::string site, cred;
};

TEST_F(EdgeApiTest, AValidCredentialIsServedWhateverItsNeighboursGuessed) {
  const std::string nat = "203.0.113.77";
  // A guesser behind the customer's NAT address: wrong codes and wrong credentials.
  for (int i = 0; i < 3 * cfg.failed_attempts_per_minute; ++i) {
    call(post("/api/v1/registrations", registration(provisional_code::generate(), {terminal("HP", "X")}), "", nat));
    call(with_peer(get("/api/v1/requests", "frc1_wrong-" + std::to_string(i)), nat));
  }
  EXPECT_EQ(call(with_peer(get("/api/v1/requests", "frc1_wrong"), nat)).status, 429) << "the guesser waits";
  EXPECT_EQ(
      call(post("/api/v1/registrations", registration(provisional_code::generate(), {terminal("HP", "X")}), "", nat))
          .status,
      429);
  // The collector behind the same address keeps getting its requests.
  EXPECT_EQ(call(with_peer(get("/api/v1/requests", cred), nat)).status, 204);
  EXPECT_EQ(call(post("/api/v1/readings", {{"readings", {reading_json(make_uuid(), "hp:A1", 5)}}}, cred, nat)).status,
            200);
  // An IPv6 client is counted by its /64, whatever address it rotates to.
  for (int i = 0; i < cfg.failed_attempts_per_minute; ++i)
    call(with_peer(get("/api/v1/requests", "frc1_wrong"), "2001:db8:5:6::" + std::to_string(i + 1)));
  EXPECT_EQ(call(with_peer(get("/api/v1/requests", "frc1_wrong"), "2001:db8:5:6:ffff::1")).status, 429);
  EXPECT_EQ(call(with_peer(get("/api/v1/requests", "frc1_wrong"), "2001:db8:5:7::1")).status, 401);
}

TEST_F(EdgeApiTest, LongPollsAreCappedPerSite) {
  cfg.max_long_polls_per_site = 2;
  api_ = std::make_unique<api>(*svc);
  auto first = api_->handle(get("/api/v1/requests", cred, {{"wait", "30"}}));
  auto second = api_->handle(get("/api/v1/requests", cred, {{"wait", "30"}}));
  ASSERT_TRUE(std::holds_alternative<http::deferred>(first));
  ASSERT_TRUE(std::holds_alternative<http::deferred>(second));
  EXPECT_EQ(api_->open_long_polls(), 2);
  const auto third = call(get("/api/v1/requests", cred, {{"wait", "30"}}));
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(error_code(third), "too_many_long_polls");
  EXPECT_EQ(header(third, "Retry-After"), "30");
  // Another site is not affected.
  const auto [other_site, other] = register_site(issue("dealer-a", "Other Ltd"), {terminal("HP", "B1")});
  EXPECT_TRUE(std::holds_alternative<http::deferred>(api_->handle(get("/api/v1/requests", other, {{"wait", "30"}}))));
  // A finished long-poll gives its place back.
  first = http::response{};
  EXPECT_TRUE(std::holds_alternative<http::deferred>(api_->handle(get("/api/v1/requests", cred, {{"wait", "30"}}))));
}

TEST_F(EdgeApiTest, AWaitAboveTheMaximumIsRefusedWithTheMaximum) {
  const auto r = call(get("/api/v1/requests", cred, {{"wait", "3600"}}));
  ASSERT_EQ(r.status, 400);
  const auto b = body_of(r);
  EXPECT_EQ(b["error"]["code"], "invalid_wait");
  EXPECT_EQ(b["error"]["max_wait"], 60);
}

}  // namespace
}  // namespace fleetreg::center
