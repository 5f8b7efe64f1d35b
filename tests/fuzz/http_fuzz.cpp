// SPDX-License-Identifier: Apache-2.0
// Raw bytes as a client sends them → the center's edge (Beast's parser with
// the server's limits, the refusal for each parse error, the request built
// from the message) → the router → the API and dealer-site handlers on a
// real SQLite database in a temporary directory. The same code the server
// runs (center/src/http/request_reader.hpp), without sockets.
// In the input, "@CODE" and "@CRED" padded with '@' to the length of the real
// value (14 and 48 bytes) become a valid provisional code and a valid site
// credential — of the same length, so Content-Lengths and chunk sizes stay
// right — and the fuzzer reaches the handlers behind them.
// Invariants: nothing throws; every answer has a status of 100..599; JSON
// answers parse; every 4xx/5xx JSON answer is {"error": {"code", "message"}}.
#include <boost/beast/http/error.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/center/web_site.hpp"
#include "fleetreg/core/log.hpp"
#include "fuzz_support.hpp"
#include "http/request_reader.hpp"

namespace {

using namespace fleetreg;
using namespace fleetreg::center;
using fuzz::broken;

// One center for the whole run: building a database per input would measure
// SQLite's schema creation, not the edge.
struct center_under_test {
  std::filesystem::path dir;
  config cfg;
  manual_clock clock{from_unix(1800000000)};
  crypto::digest key{};
  std::unique_ptr<sqlite_storage> store;
  std::unique_ptr<operations> svc;
  std::unique_ptr<api> routes;
  std::unique_ptr<web_site> site;
  std::string code, credential;

  center_under_test() {
    log::set_threshold(log::level::crit);  // refusals are the common case here
    crypto::init();
    // On tmpfs when there is one: every stored reading waits for fsync.
    char tmpl[] = "/dev/shm/fleetreg-http-fuzz.XXXXXX";
    char fallback[] = "/tmp/fleetreg-http-fuzz.XXXXXX";
    if (::mkdtemp(tmpl))
      dir = tmpl;
    else if (::mkdtemp(fallback))
      dir = fallback;
    else
      broken("mkdtemp failed");
    cfg.listen = "http://127.0.0.1:0";
    cfg.allow_plain_http = true;
    cfg.max_body_bytes = 64 * 1024;
    cfg.max_header_bytes = 8 * 1024;
    cfg.max_target_bytes = 2 * 1024;
    cfg.failed_attempts_per_minute = 1000000;  // a limiter in the way hides the handlers
    key.fill(3);
    store = std::make_unique<sqlite_storage>((dir / "center.db").string());
    svc = std::make_unique<operations>(*store, clock, cfg, key);
    routes = std::make_unique<api>(*svc);
    site = std::make_unique<web_site>(*svc, false);
    routes->set_fallback([this](const http::request& r) { return site->handle(r); });
    svc->create_account("fuzz", "dealer", role::dealer, "dealer-password-1");
    code = svc->issue_code(svc->require_account("dealer"), "Fuzz GmbH", "", "").code;
    // A site and its credential, registered through the API itself.
    http::request reg;
    reg.method = "POST";
    reg.path = "/api/v1/registrations";
    reg.peer = "192.0.2.1";
    reg.body = R"({"code":")" + code +
               R"(","registering_side":{"kind":"collector","name":"fuzz"},)"
               R"("terminals":[{"manufacturer":"HP","model":"M1","serial":"F1"}]})";
    const auto r = std::get<http::response>(routes->handle(reg));
    if (r.status != 201) broken("setup registration failed: " + r.body);
    credential = nlohmann::json::parse(r.body)["credential"];
  }
  ~center_under_test() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

center_under_test& the_center() {
  static center_under_test c;
  return c;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

void check(const http::response& r) {
  // FLEETREG_FUZZ_VERBOSE=1: each answer's status and start (to see which
  // handlers a corpus reaches).
  static const bool verbose = std::getenv("FLEETREG_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "  -> %d %.100s\n", r.status, r.body.c_str());
  if (r.status < 100 || r.status > 599) broken("status " + std::to_string(r.status));
  if (r.content_type != "application/json" || r.body.empty()) return;
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(r.body);
  } catch (const std::exception& e) {
    broken(std::string("a JSON answer does not parse: ") + e.what());
  }
  if (r.status >= 400 && !(body.is_object() && body.contains("error") && body["error"].is_object() &&
                           body["error"].contains("code") && body["error"].contains("message")))
    broken("an error answer without error.code and error.message: " + r.body);
}

// One request off the front of `bytes`; false when nothing more can be read.
bool serve_one(center_under_test& c, std::string_view& bytes) {
  edge::parser p;
  edge::limit(p, c.cfg);
  p.eager(true);
  boost::beast::error_code ec;
  std::string_view seen = bytes;
  while (!p.is_done()) {
    const bool header_was_done = p.is_header_done();
    const auto used = p.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == boost::beast::http::error::need_more) {
      // More than what is left is needed (or the parser took a piece and
      // wants the rest presented again).
      if (used > 0 && !bytes.empty()) {
        ec = {};
        continue;
      }
      // The client stopped sending: what the server does at its timeout, or,
      // for a body that ends with the connection, at the end of the stream.
      ec = {};
      p.put_eof(ec);
      if (!ec) break;
    }
    if (ec) {
      if (auto r = edge::refusal_for(ec, seen.substr(0, seen.size() - bytes.size()), c.cfg)) check(*r);
      return false;  // the server closes the connection after any parse error
    }
    if (!header_was_done && p.is_header_done())
      if (auto r = edge::check_header(p, c.cfg)) {
        check(*r);
        return false;
      }
    if (used == 0 && !p.is_done() && !ec) return false;
  }
  if (!p.is_done()) return false;
  auto msg = p.release();
  const bool keep_alive = msg.keep_alive();
  auto converted = edge::to_request(msg, "192.0.2.7", {}, "fuzz-1");
  if (auto* refusal = std::get_if<http::response>(&converted)) {
    check(*refusal);
    return false;
  }
  auto& req = std::get<http::request>(converted);
  auto result = c.routes->handle(req);
  if (auto* d = std::get_if<http::deferred>(&result)) {
    auto polled = d->poll();
    check(polled ? *polled : d->timeout);
  } else {
    check(std::get<http::response>(result));
  }
  return keep_alive && !bytes.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& c = the_center();
  std::string input(reinterpret_cast<const char*>(data), size);
  static const std::string code_mark = "@CODE" + std::string(c.code.size() - 5, '@');
  static const std::string credential_mark = "@CRED" + std::string(c.credential.size() - 5, '@');
  replace_all(input, code_mark, c.code);
  replace_all(input, credential_mark, c.credential);
  std::string_view bytes = input;
  // Keep-alive: several requests on one connection, like the server.
  for (int i = 0; i < 8 && serve_one(c, bytes); ++i) {
  }
  return 0;
}
