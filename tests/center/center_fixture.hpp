// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/test/harness.hpp"
#include "fleetreg/test/test_database.hpp"

namespace fleetreg::center::test_support {

/// Where the center tests store: SQLite in the test's directory, or, when
/// FLEETREG_TEST_POSTGRESQL names the shared cluster (ctest's postgresql
/// fixture, tests/postgresql.cmake), a PostgreSQL database made for this test
/// and dropped after it. ctest runs the same cases both ways (the pg. prefix):
/// the storage conformance suite.
class scratch_database {
 public:
  explicit scratch_database(const test::temp_dir& dir) {
    if (test::shared_cluster_uri().empty()) {
      location = dir.file("center.db");
      return;
    }
    pg_ = std::make_unique<test::test_database>();
    location = pg_->uri();
  }
  bool postgresql() const { return pg_ != nullptr; }
  std::string location;  ///< for [center] database

 private:
  std::unique_ptr<test::test_database> pg_;
};

/// A center without a listener: real storage (see scratch_database), a manual
/// clock, and the API's handlers called with plain requests.
class CenterTest : public ::testing::Test {
 protected:
  CenterTest() {
    crypto::init();
    cfg.listen = "http://127.0.0.1:0";
    cfg.allow_plain_http = true;
    cfg.failed_attempts_per_minute = 5;
    cfg.lease = std::chrono::seconds(60);
    key.fill(7);
    cfg.database = database.location;
    store = open_storage(parse_database_location(cfg.database));
    svc = std::make_unique<operations>(*store, clock, cfg, key);
    api_ = std::make_unique<api>(*svc);
    svc->create_account("test", "dealer-a", role::dealer, "password-a-123");
    svc->create_account("test", "dealer-b", role::dealer, "password-b-123");
    svc->create_account("test", "root", role::admin, "password-r-123");
  }

  http::request post(const std::string& path, const json::value& body, const std::string& bearer = "",
                     const std::string& peer = "192.0.2.1") {
    http::request r;
    r.method = "POST";
    r.path = path;
    r.body = body.dump();
    r.peer = peer;
    if (!bearer.empty()) r.headers["authorization"] = "Bearer " + bearer;
    return r;
  }

  http::request get(const std::string& path, const std::string& bearer = "",
                    std::map<std::string, std::string> query = {}) {
    http::request r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    r.peer = "192.0.2.1";
    if (!bearer.empty()) r.headers["authorization"] = "Bearer " + bearer;
    return r;
  }

  /// Runs a request that must answer at once.
  http::response call(const http::request& r) {
    auto result = api_->handle(r);
    if (auto* d = std::get_if<http::deferred>(&result)) {
      auto now = d->poll();
      return now ? *now : d->timeout;
    }
    return std::get<http::response>(result);
  }

  static json::value body_of(const http::response& r) { return json::value::parse(r.body); }
  static std::string error_code(const http::response& r) { return body_of(r)["error"]["code"]; }

  std::string issue(const std::string& dealer, const std::string& customer) {
    return svc->issue_code(svc->require_account(dealer), customer, "", "").code;
  }

  static json::value terminal(const std::string& maker, const std::string& serial) {
    return {{"manufacturer", maker}, {"model", "Model " + serial}, {"serial", serial}};
  }

  json::value registration(const std::string& code, json::value terminals) {
    return {{"code", code},
            {"registering_side", {{"kind", "collector"}, {"name", "collector-1"}}},
            {"terminals", std::move(terminals)}};
  }

  /// Registers and returns {site_id, credential}.
  std::pair<std::string, std::string> register_site(const std::string& code, json::value terminals,
                                                    const std::string& idem = "") {
    auto req = post("/api/v1/registrations", registration(code, std::move(terminals)));
    if (!idem.empty()) req.headers["idempotency-key"] = idem;
    const auto r = call(req);
    EXPECT_EQ(r.status, 201) << r.body;
    const auto b = body_of(r);
    return {b["site_id"], b["credential"]};
  }

  static json::value reading_json(const std::string& id, const std::string& key, std::uint64_t copies,
                                  const std::string& request_id = "") {
    reading r;
    r.id = id;
    r.terminal_key = key;
    r.taken = from_unix(1795622885);
    r.counters.set(service::copy, counter_kind::impressions, copies);
    r.counters.set(service::total, counter_kind::impressions, copies);
    r.request_id = request_id;
    return json::to_json(r);
  }

  test::temp_dir dir;
  scratch_database database{dir};
  manual_clock clock{from_unix(1795622885 + 3600)};
  config cfg;
  crypto::digest key{};
  std::unique_ptr<sql_storage> store;
  std::unique_ptr<operations> svc;
  std::unique_ptr<api> api_;
};

}  // namespace fleetreg::center::test_support
