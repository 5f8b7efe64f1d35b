// SPDX-License-Identifier: Apache-2.0
// Delivery of alert events to webhooks (issue 19 step 4): the pure rules,
// the durable queue on both engines, and real HTTPS to a receiver started
// here on 127.0.0.1 with a certificate made here.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "center_fixture.hpp"
#include "fleetreg/center/delivery.hpp"
#include "fleetreg/center/refusal.hpp"
#include "fleetreg/center/web_site.hpp"
#include "fleetreg/center/webhook_client.hpp"

namespace fleetreg::center {
namespace {

using namespace std::chrono_literals;

TEST(WebhookUrl, OnlyHttpsWithAHostAndNothingHidden) {
  EXPECT_EQ(webhook_url_problem("https://hooks.example.com/fleet?x=1"), std::nullopt);
  EXPECT_EQ(webhook_url_problem("https://127.0.0.1:8443/"), std::nullopt);
  EXPECT_EQ(webhook_url_problem("https://[::1]:9/x"), std::nullopt);
  EXPECT_NE(webhook_url_problem("http://hooks.example.com/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("HTTPS://hooks.example.com/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https:///path"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://user:pw@hooks.example.com/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://hooks.example.com/#frag"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://hooks.example.com:0/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://hooks.example.com:65536/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://hooks.example.com:/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://hooks.example.com/a b"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://hooks.example.com/\r\nX: y"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://[::1/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://[::1%25eth0]/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://[evil.example]/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://ho_st/"), std::nullopt);
  EXPECT_NE(webhook_url_problem("https://h/" + std::string(max_webhook_url, 'a')), std::nullopt);
}

TEST(WebhookRules, BackoffRetryAfterAndSignature) {
  EXPECT_EQ(retry_delay(1, 30s, 1h, 0.0), 30s);
  EXPECT_EQ(retry_delay(2, 30s, 1h, 0.0), 60s);
  EXPECT_EQ(retry_delay(3, 30s, 1h, 0.0), 120s);
  EXPECT_EQ(retry_delay(30, 30s, 1h, 0.0), 1h);  // capped
  EXPECT_EQ(retry_delay(1, 30s, 1h, 0.5), 27s);  // jitter shortens by up to a fifth
  EXPECT_EQ(parse_retry_after(" 120 "), 120s);
  EXPECT_EQ(parse_retry_after("99999999"), 24h);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_retry_after("-1"), std::nullopt);
  // RFC 4231 test case 2.
  EXPECT_EQ(event_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, RecipientsAreCheckedAndNoHeaderCanBeInjected) {
  std::string why;
  auto list = parse_recipients("ops@dealer.example, boss@dealer.example ops@dealer.example", why);
  ASSERT_TRUE(list) << why;
  EXPECT_EQ(*list, (std::vector<std::string>{"ops@dealer.example", "boss@dealer.example"}));
  EXPECT_TRUE(parse_recipients("off", why)->empty());
  EXPECT_TRUE(parse_recipients("", why)->empty());
  for (const char* bad : {"ops", "@dealer.example", "ops@", "ops@localhost", "o ps@x.example\r\nBcc: evil@x.example",
                          "ops@dealer.example\r\nBcc: evil@x.example", "ops@dealer..example", ".ops@dealer.example",
                          "\"quoted\"@dealer.example", "ops@deal_er.example"}) {
    why.clear();
    EXPECT_FALSE(parse_recipients(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  std::string many;
  for (int i = 0; i < 11; ++i) many += "r" + std::to_string(i) + "@dealer.example,";
  EXPECT_FALSE(parse_recipients(many, why));

  // A device's words with line breaks stay inside their one body line.
  digest_batch b;
  b.dealer.id = 3;
  b.dealer.name = "dealer-a";
  alert a;
  a.id = 9;
  a.kind = "device";
  a.code = "jam";
  a.severity = "warning";
  a.terminal_key = "T-1";
  a.detail = "paper jam\r\nBcc: evil@x.example\r\n\r\nfake body";
  alert_transition e;
  e.id = 41;
  e.state = "raised";
  b.items.emplace_back(e, a);
  const auto m = digest_message("fleet@center.example", {"ops@dealer.example"}, b, from_unix(1795622885));
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos) << m;
  EXPECT_NE(m.find("Message-ID: <digest.3.41-41@fleetreg>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Subject: [fleetreg] 1 alert events for dealer-a\r\n"), std::string::npos) << m;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "a bare LF at " << i;
    }
}

// A center with a webhook receiver: the CA and server certificate made by
// openssl here, the receiver (tests/center/webhook_receiver.py) started and
// stopped by the test.
class DeliveryTest : public test_support::CenterTest {
 protected:
  DeliveryTest() {
    test::make_test_ca(dir);
    cfg.delivery_ca_file = dir.file("ca.pem");
    cfg.delivery_retry_base = 60s;
    cfg.delivery_retry_max = 1h;
    // The receiver is on loopback: allowed here (the default refuses it; see
    // ALoopbackReceiverIsRefusedUnlessAllowed).
    client = std::make_unique<webhook_client>(webhook_client_options{cfg.delivery_ca_file, 2s, 5s, 64 * 1024, true});
    port = test::free_port(false);
  }

  // Starts the receiver on `port` (the same port again after a stop).
  void start_receiver() {
    std::filesystem::remove(dir.file("port"));
    receiver = std::make_unique<test::process>(
        std::vector<std::string>{"python3", FLEETREG_WEBHOOK_RECEIVER, dir.path(), dir.file("server.pem"),
                                 dir.file("server.key"), std::to_string(port)},
        dir, "receiver");
    ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(dir.file("port")); }, 20s)) << receiver->log();
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream f(dir.file(name));
    f << text;
  }
  std::vector<json::value> received() {
    std::vector<json::value> out;
    std::ifstream f(dir.file("received.jsonl"));
    for (std::string line; std::getline(f, line);) out.push_back(json::value::parse(line));
    return out;
  }
  // A webhook of dealer-a to the receiver; the receiver knows its secret.
  webhook add_hook() {
    const auto a = *store->find_account("dealer-a");
    auto added = svc->add_webhook(a, a, "https://127.0.0.1:" + std::to_string(port) + "/hook");
    write("secret", added.secret);
    return added.hook;
  }
  // Raises `n` alerts of dealer-a (codes about to expire): n events.
  void raise(int n) {
    const auto a = *store->find_account("dealer-a");
    for (int i = 0; i < n; ++i) svc->issue_code(a, "Customer " + std::to_string(i), "", "", {48h, false});
    ASSERT_EQ(svc->check_alerts(), static_cast<std::size_t>(n));
  }
  webhook_poster poster() {
    return [this](const webhook_request& r) { return client->post(r); };
  }
  std::size_t drain() {
    std::size_t n = 0;
    while (svc->deliver_next(poster())) ++n;
    return n;
  }
  std::vector<delivery> all() { return store->list_deliveries(std::nullopt, 0, 1000); }

  std::unique_ptr<webhook_client> client;
  std::uint16_t port = 0;
  std::unique_ptr<test::process> receiver;
};

TEST_F(DeliveryTest, AnEventIsPostedSignedAndRecordedDelivered) {
  start_receiver();
  const auto hook = add_hook();
  // Dealer-b's alerts never reach dealer-a's webhook.
  const auto b = *store->find_account("dealer-b");
  svc->issue_code(b, "Other", "", "", {48h, false});
  svc->issue_code(*store->find_account("dealer-a"), "Customer 0", "", "", {48h, false});
  ASSERT_EQ(svc->check_alerts(), 2u);  // one each
  ASSERT_EQ(all().size(), 1u);
  EXPECT_EQ(drain(), 1u);
  const auto got = received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0]["signature_ok"].get<bool>()) << got[0].dump();
  const auto& body = got[0]["body"];
  EXPECT_EQ(body["type"], "raised");
  EXPECT_EQ(body["alert"]["kind"], "code_expiring");
  EXPECT_EQ(body["alert"]["customer"], "Customer 0");
  EXPECT_EQ(got[0]["event_id"], std::to_string(body["event_id"].get<std::int64_t>()));
  const auto list = all();
  EXPECT_EQ(list[0].state, "delivered");
  EXPECT_EQ(list[0].last_status, 200);
  EXPECT_EQ(list[0].attempts, 1);
  EXPECT_EQ(list[0].webhook_id, hook.id);

  // Acknowledged and cleared: two more events, in order.
  const auto a = *store->find_account("dealer-a");
  const auto id = body["alert"]["id"].get<std::int64_t>();
  svc->acknowledge_alert(a, id);
  svc->clear_alert(a, id);
  EXPECT_EQ(drain(), 2u);
  const auto more = received();
  ASSERT_EQ(more.size(), 3u);
  EXPECT_EQ(more[1]["body"]["type"], "acknowledged");
  EXPECT_EQ(more[2]["body"]["type"], "cleared");
  EXPECT_TRUE(more[2]["signature_ok"].get<bool>());

  // A wrong secret is noticed by the receiver.
  write("secret", "whsec_not-it");
  EXPECT_EQ(svc->test_webhook(a, hook.id, poster()).status, 200);
  EXPECT_FALSE(received().back()["signature_ok"].get<bool>());
}

TEST_F(DeliveryTest, RefusedThenAcceptedIsRetriedAndDeliveredOnce) {
  start_receiver();
  add_hook();
  write("status", "500");
  raise(1);
  EXPECT_EQ(drain(), 1u);  // one attempt, then the webhook waits
  auto d = all().at(0);
  EXPECT_EQ(d.state, "pending");
  EXPECT_EQ(d.last_status, 500);
  EXPECT_EQ(d.last_error, "HTTP 500");
  ASSERT_TRUE(d.next_attempt_at);
  EXPECT_GE(*d.next_attempt_at - clock.now(), 48s);  // 60 s less up to a fifth
  EXPECT_EQ(drain(), 0u) << "not before the backoff ran out";

  // Retry-After is honoured when longer than the backoff.
  clock.advance(61s);
  write("retry_after", "600");
  EXPECT_EQ(drain(), 1u);
  d = all().at(0);
  EXPECT_EQ(d.attempts, 2);
  EXPECT_GE(*d.next_attempt_at - clock.now(), 600s);

  std::filesystem::remove(dir.file("status"));
  std::filesystem::remove(dir.file("retry_after"));
  clock.advance(601s);
  EXPECT_EQ(drain(), 1u);
  d = all().at(0);
  EXPECT_EQ(d.state, "delivered");
  EXPECT_EQ(d.attempts, 3);
  const auto got = received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]["event_id"], got[2]["event_id"]);
  EXPECT_EQ(got[2]["status"], 200);
  clock.advance(2h);
  EXPECT_EQ(drain(), 0u) << "delivered once: never again";
}

TEST_F(DeliveryTest, ARedirectIsNotFollowed) {
  start_receiver();
  add_hook();
  write("status", "307");
  raise(1);
  EXPECT_EQ(drain(), 1u);
  EXPECT_EQ(received().size(), 1u) << "the Location was not asked for";
  const auto d = all().at(0);
  EXPECT_EQ(d.state, "pending");
  EXPECT_EQ(d.last_status, 307);
}

TEST_F(DeliveryTest, ALoopbackReceiverIsRefusedUnlessAllowed) {
  start_receiver();
  add_hook();
  raise(1);
  webhook_client strict({cfg.delivery_ca_file, 2s, 5s, 64 * 1024});  // the default: no private address
  EXPECT_TRUE(svc->deliver_next([&](const webhook_request& r) { return strict.post(r); }));
  EXPECT_TRUE(received().empty()) << "no connection was made to 127.0.0.1";
  auto d = all().at(0);
  EXPECT_EQ(d.state, "pending");
  EXPECT_NE(d.last_error.find("127.0.0.1 is not public"), std::string::npos) << d.last_error;
  EXPECT_NE(d.last_error.find("allow_private_addresses"), std::string::npos) << d.last_error;
}

TEST(WebhookAddress, OnlyPublicAddressesUnlessAllowed) {
  const auto check = [](const char* text) {
    sockaddr_storage ss{};
    if (std::string_view(text).find(':') != std::string_view::npos) {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
      a6->sin6_family = AF_INET6;
      EXPECT_EQ(::inet_pton(AF_INET6, text, &a6->sin6_addr), 1) << text;
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
      a4->sin_family = AF_INET;
      EXPECT_EQ(::inet_pton(AF_INET, text, &a4->sin_addr), 1) << text;
    }
    return private_address_problem(reinterpret_cast<const sockaddr*>(&ss));
  };
  for (const auto* refused : {"127.0.0.1",
                              "127.255.0.9",
                              "10.1.2.3",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.1.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "0.0.0.0",
                              "224.0.0.251",
                              "255.255.255.255",
                              "198.18.0.1",
                              "::1",
                              "::",
                              "fe80::1",
                              "fd00::1",
                              "ff02::fb",
                              "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1",
                              "::ffff:169.254.169.254"})
    EXPECT_NE(check(refused), "") << refused;
  for (const auto* allowed : {"93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "1.1.1.1", "2001:db8::1",
                              "2a00:1450::1", "::ffff:93.184.216.34"})
    EXPECT_EQ(check(allowed), "") << allowed;
}

TEST_F(DeliveryTest, AnOversizedAnswerIsCutAndItsStatusKept) {
  start_receiver();
  add_hook();
  write("big", "");
  raise(1);
  EXPECT_EQ(drain(), 1u);
  const auto d = all().at(0);
  EXPECT_EQ(d.state, "delivered") << d.last_error;
  EXPECT_EQ(d.last_status, 200);
  EXPECT_TRUE(test::wait_until([&] { return std::filesystem::exists(dir.file("cut")); }, 10s))
      << "the center hung up after 64 KiB, it did not read 8 MiB";
}

TEST_F(DeliveryTest, EventsWaitForAReceiverThatIsDownThenAllArrive) {
  add_hook();  // nothing listens on the port yet
  raise(5);
  EXPECT_EQ(drain(), 1u) << "the first failure blocks the webhook: one probe, not five";
  EXPECT_FALSE(all().back().last_error.empty());
  // An hour of the receiver being down: a probe per backoff, nothing lost.
  for (int i = 0; i < 8; ++i) {
    clock.advance(cfg.delivery_retry_max);
    drain();
  }
  for (const auto& d : all()) EXPECT_EQ(d.state, "pending");
  start_receiver();
  clock.advance(cfg.delivery_retry_max);
  drain();
  std::set<std::string> ids;
  for (const auto& r : received()) {
    EXPECT_TRUE(r["signature_ok"].get<bool>());
    ids.insert(r["event_id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 5u);
  for (const auto& d : all()) EXPECT_EQ(d.state, "delivered");
}

TEST_F(DeliveryTest, GivenUpAfterADayAndVisible) {
  add_hook();
  cfg.delivery_give_up = 24h;
  raise(1);
  for (int i = 0; i < 30 && all().at(0).state == "pending"; ++i) {
    drain();
    clock.advance(cfg.delivery_retry_max);
  }
  const auto d = all().at(0);
  EXPECT_EQ(d.state, "failed");
  EXPECT_TRUE(d.failed_at);
  EXPECT_FALSE(d.next_attempt_at);
  EXPECT_GE(*d.failed_at - d.created_at, 24h);
  EXPECT_LE(*d.failed_at - d.created_at, 26h);
  clock.advance(48h);
  EXPECT_EQ(drain(), 0u);
}

TEST_F(DeliveryTest, ADeliveryWhoseCenterDiedIsClaimedAgainAfterItsLease) {
  start_receiver();
  add_hook();
  raise(1);
  // A claimer that dies after claiming (or mid-POST): nothing is recorded.
  ASSERT_EQ(store->claim_deliveries(clock.now(), cfg.delivery_lease, 10).size(), 1u);
  EXPECT_EQ(drain(), 0u) << "leased: no second attempt meanwhile";
  clock.advance(cfg.delivery_lease + 1s);
  EXPECT_EQ(drain(), 1u);
  EXPECT_EQ(all().at(0).state, "delivered");
  EXPECT_EQ(all().at(0).attempts, 2);
  EXPECT_EQ(received().size(), 1u);
}

TEST_F(DeliveryTest, TwoClaimersNeverGetTheSameRow) {
  add_hook();
  const auto a = *store->find_account("dealer-a");
  svc->add_webhook(a, a, "https://127.0.0.1:1/second");
  raise(20);  // 40 deliveries
  std::mutex m;
  std::vector<std::int64_t> claimed;
  std::vector<std::thread> threads;
  // Two storages on the database (two replicas), two threads each.
  const auto other = open_storage(parse_database_location(cfg.database));
  const auto now = clock.now();
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto& st = t % 2 ? *other : static_cast<storage&>(*store);
      try {
        // Bounded: a claim that hands out leased rows again would loop.
        for (int round = 0; round < 40; ++round) {
          const auto jobs = st.claim_deliveries(now, 1h, 3);
          if (jobs.empty()) return;
          std::lock_guard lock(m);
          for (const auto& j : jobs) claimed.push_back(j.d.id);
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), 40u);
  EXPECT_EQ(unique.size(), 40u);
}

TEST_F(DeliveryTest, WebhookManagementRefusesAndScopes) {
  const auto a = *store->find_account("dealer-a");
  const auto b = *store->find_account("dealer-b");
  const auto root = *store->find_account("root");
  EXPECT_THROW(svc->add_webhook(a, a, "http://127.0.0.1/"), refusal);
  EXPECT_THROW(svc->add_webhook(a, b, "https://127.0.0.1/"), refusal);
  EXPECT_THROW(svc->add_webhook(root, root, "https://127.0.0.1/"), refusal);
  cfg.max_webhooks_per_dealer = 2;
  const auto one = svc->add_webhook(a, a, "https://127.0.0.1/1");
  svc->add_webhook(root, a, "https://127.0.0.1/2");
  EXPECT_THROW(svc->add_webhook(a, a, "https://127.0.0.1/3"), refusal);
  EXPECT_EQ(svc->webhooks(a).size(), 2u);
  EXPECT_TRUE(svc->webhooks(b).empty());
  EXPECT_THROW(svc->remove_webhook(b, one.hook.id), refusal);
  EXPECT_TRUE(one.secret.starts_with("whsec_"));
  EXPECT_EQ(one.secret.size(), 6u + 64u);
  EXPECT_EQ(one.secret, webhook_secret(key, one.hook.salt)) << "derived again when signing";
  raise(1);
  EXPECT_EQ(svc->deliveries(a, 0, 100).size(), 2u);
  EXPECT_TRUE(svc->deliveries(b, 0, 100).empty());
  svc->remove_webhook(a, one.hook.id);
  EXPECT_EQ(svc->deliveries(a, 0, 100).size(), 1u) << "its queue went with it";
  EXPECT_EQ(svc->webhooks(a).size(), 1u);
}

// The dealer site's Webhooks and Deliveries pages: CSRF on every form, the
// secret shown once and never again, another dealer's webhook unknown,
// what a dealer typed escaped.
TEST_F(DeliveryTest, TheSitesWebhookAndDigestForms) {
  web_site site(*svc, false);
  const auto page = [&](const std::string& method, const std::string& path, const std::string& cookie,
                        const std::string& form = "") {
    http::request r;
    r.method = method;
    r.raw_path = path;
    r.path = path;
    r.body = form;
    r.peer = "192.0.2.9";
    r.headers["cookie"] = cookie;
    auto answer = site.handle(r);
    return answer ? *answer : http::response{};
  };
  const auto session = [&](const std::string& name) {
    const auto secret = svc->start_session(*store->find_account(name), "192.0.2.9");
    return std::pair{std::string(session_cookie) + "=" + secret, svc->find_session(secret)->session.csrf};
  };
  const auto [cookie, csrf] = session("dealer-a");
  const std::string url = "https%3A%2F%2F127.0.0.1%3A8443%2Fh%3Fa%3D%3Cb%3E";
  EXPECT_EQ(page("POST", "/webhooks", cookie, "csrf=wrong&url=" + url).status, 403);
  EXPECT_TRUE(svc->webhooks(*store->find_account("dealer-a")).empty());
  EXPECT_EQ(page("POST", "/webhooks", cookie, "csrf=" + csrf + "&url=http%3A%2F%2Fx.example%2F").status, 400);
  const auto added = page("POST", "/webhooks", cookie, "csrf=" + csrf + "&url=" + url);
  ASSERT_EQ(added.status, 200) << added.body;
  const auto secret_at = added.body.find("whsec_");
  ASSERT_NE(secret_at, std::string::npos);
  const auto secret = added.body.substr(secret_at, 6 + 64);
  const auto list = page("GET", "/webhooks", cookie);
  EXPECT_EQ(list.body.find(secret), std::string::npos) << "shown once";
  EXPECT_NE(list.body.find("h?a=&lt;b&gt;"), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("<b>"), std::string::npos);
  const auto id = std::to_string(svc->webhooks(*store->find_account("dealer-a")).at(0).id);
  const auto [other, other_csrf] = session("dealer-b");
  EXPECT_EQ(page("POST", "/webhooks/" + id + "/remove", other, "csrf=" + other_csrf).status, 404);
  raise(1);
  EXPECT_NE(page("GET", "/deliveries", cookie).body.find("<td>pending</td>"), std::string::npos);
  EXPECT_EQ(page("GET", "/deliveries", other).body.find("<td>pending</td>"), std::string::npos);
  EXPECT_EQ(page("POST", "/webhooks/" + id + "/remove", cookie, "csrf=" + csrf).status, 303);
  EXPECT_TRUE(svc->webhooks(*store->find_account("dealer-a")).empty());

  // The digest form.
  EXPECT_EQ(
      page("POST", "/digest", cookie, "csrf=" + csrf + "&recipients=a%40b.example%0D%0ABcc%3A+x&minutes=60").status,
      400);
  EXPECT_EQ(page("POST", "/digest", cookie, "csrf=" + csrf + "&recipients=ops%40a.example&minutes=2").status, 400);
  EXPECT_EQ(page("POST", "/digest", cookie, "csrf=x&recipients=ops%40a.example&minutes=60").status, 403);
  EXPECT_EQ(store->find_account("dealer-a")->digest_recipients, "");
  EXPECT_EQ(page("POST", "/digest", cookie, "csrf=" + csrf + "&recipients=ops%40a.example&minutes=90").status, 303);
  const auto a = *store->find_account("dealer-a");
  EXPECT_EQ(a.digest_recipients, "ops@a.example");
  EXPECT_EQ(a.digest_interval, 90min);
}

// A digest relay (aiosmtpd) started by the test.
class DigestTest : public DeliveryTest {
 protected:
  // Starts a relay in DIR/<name> (STARTTLS required, or none at all with
  // `plain`); returns its port.
  std::uint16_t start_relay(const std::string& name, bool plain) {
    const auto p = test::free_port(false);
    std::filesystem::create_directory(dir.file(name));
    std::vector<std::string> argv{"/usr/bin/python3", FLEETREG_SMTP_RECEIVER, dir.file(name), std::to_string(p)};
    if (plain)
      argv.push_back("--plain");
    else
      argv.insert(argv.end(), {dir.file("server.pem"), dir.file("server.key")});
    relays.push_back(std::make_unique<test::process>(argv, dir, name));
    EXPECT_TRUE(test::wait_until([&] { return std::filesystem::exists(dir.file(name + "/ready")); }, 20s))
        << relays.back()->log();
    return p;
  }
  mail_sender sender(std::uint16_t relay_port) {
    smtp_options o;
    o.host = "127.0.0.1";
    o.port = relay_port;
    o.ca_file = dir.file("ca.pem");
    o.timeout = 10s;
    auto relay = std::make_shared<smtp_client>(o);
    return [relay](const std::string& from, const std::vector<std::string>& to, const std::string& m) {
      return relay->send(from, to, m);
    };
  }
  std::vector<std::string> mails(const std::string& name) {
    std::vector<std::string> out;
    for (int n = 1; std::filesystem::exists(dir.file(name + "/mail-" + std::to_string(n) + ".eml")); ++n) {
      std::ifstream f(dir.file(name + "/mail-" + std::to_string(n) + ".eml"));
      std::stringstream text;
      text << f.rdbuf();
      out.push_back(text.str());
    }
    return out;
  }
  std::vector<std::unique_ptr<test::process>> relays;
};

TEST_F(DigestTest, OneDigestPerDealerOverStartTlsThenOnePerInterval) {
  const auto relay = start_relay("tls", false);
  cfg.mail_from = "fleet@center.example";
  auto a = *store->find_account("dealer-a");
  auto b = *store->find_account("dealer-b");
  svc->set_digest(a, a, "ops@dealer-a.example, boss@dealer-a.example", 1h);
  svc->set_digest(b, b, "alerts@dealer-b.example", std::nullopt);
  EXPECT_THROW(svc->set_digest(a, a, "ops@dealer-a.example\r\nBcc: x@y.example", std::nullopt), refusal);
  EXPECT_THROW(svc->set_digest(a, b, "ops@dealer-a.example", std::nullopt), refusal);
  svc->issue_code(a, "Alpha One", "", "", {48h, false});
  svc->issue_code(a, "Alpha Two", "", "", {48h, false});
  svc->issue_code(b, "Beta", "", "", {48h, false});
  ASSERT_EQ(svc->check_alerts(), 3u);
  EXPECT_EQ(svc->send_digests(sender(relay)), 2u);
  auto got = mails("tls");
  ASSERT_EQ(got.size(), 2u);
  const auto& of_a = got[0].find("dealer-a") != std::string::npos ? got[0] : got[1];
  const auto& of_b = got[0].find("dealer-a") != std::string::npos ? got[1] : got[0];
  EXPECT_NE(of_a.find("Subject: [fleetreg] 2 alert events for dealer-a"), std::string::npos) << of_a;
  EXPECT_NE(of_a.find("To: ops@dealer-a.example, boss@dealer-a.example"), std::string::npos) << of_a;
  EXPECT_NE(of_a.find("Alpha One"), std::string::npos);
  EXPECT_NE(of_a.find("Alpha Two"), std::string::npos);
  EXPECT_EQ(of_a.find("Beta"), std::string::npos);
  EXPECT_NE(of_b.find("Beta"), std::string::npos);
  EXPECT_EQ(of_b.find("Alpha"), std::string::npos);
  EXPECT_EQ(svc->send_digests(sender(relay)), 0u) << "nothing new";

  // A new event within the interval waits for it; then one more digest.
  const auto open = svc->alerts(a, {});
  ASSERT_EQ(open.size(), 2u);
  svc->acknowledge_alert(a, open[0].id);
  clock.advance(30min);
  EXPECT_EQ(svc->send_digests(sender(relay)), 0u) << "within dealer-a's hour";
  clock.advance(31min);
  EXPECT_EQ(svc->send_digests(sender(relay)), 1u);
  got = mails("tls");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NE(got[2].find("1 alert events for dealer-a"), std::string::npos) << got[2];
  EXPECT_NE(got[2].find("acknowledged"), std::string::npos) << got[2];
}

TEST_F(DigestTest, ARelayWithoutStartTlsIsRefusedAndTheEventsWait) {
  const auto plain = start_relay("plain", true);
  cfg.mail_from = "fleet@center.example";
  const auto a = *store->find_account("dealer-a");
  svc->set_digest(a, a, "ops@dealer-a.example", std::nullopt);
  raise(1);
  EXPECT_EQ(svc->send_digests(sender(plain)), 0u);
  EXPECT_TRUE(mails("plain").empty()) << "STARTTLS is required: nothing went in clear";
  // The relay fixed: the same event goes out once the retry is due.
  const auto tls = start_relay("tls", false);
  EXPECT_EQ(svc->send_digests(sender(tls)), 0u) << "tried again in 5 minutes, not at once";
  clock.advance(5min);
  EXPECT_EQ(svc->send_digests(sender(tls)), 1u);
  const auto got = mails("tls");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("Customer 0"), std::string::npos) << got[0];
}

}  // namespace
}  // namespace fleetreg::center
