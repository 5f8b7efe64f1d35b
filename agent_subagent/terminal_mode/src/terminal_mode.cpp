// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/terminal_mode.hpp"

#include <algorithm>
#include <chrono>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/files.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/rest_client/center_client.hpp"
#include "fleetreg/rest_client/reporter.hpp"

namespace fleetreg::terminal {
namespace {

constexpr const char* revoked_message =
    "the center revoked this terminal's credential: unregister it (frtRegAction = unregister, or "
    "'fleetreg-terminal unregister'), then enter a new provisional code";

std::string credential_path(const config& cfg) { return cfg.state_dir + "/" + credential_file_name; }

rest_client::center_options center_of(const config& cfg, const std::string& url) {
  return {url, cfg.ca_file, cfg.proxy, cfg.allow_plain_http};
}

// One reading of this terminal: what its counters and supplies are now.
reading take_reading(const terminal_state& t, const std::string& request_id) {
  auto r = make_reading(terminal_key(t.id).value_or(""), std::chrono::system_clock::now(), reading_source::terminal);
  r.counters = t.counters;
  r.supplies = t.supplies;
  r.request_id = request_id;
  return r;
}

}  // namespace

registration_state register_now(const config& cfg, store& st, bool resume, std::chrono::seconds* retry_after) {
  const auto attempt = st.begin_registration(resume);
  if (!attempt) return st.load().registration.state;
  const auto url = attempt->center_url.empty() ? cfg.center_url : attempt->center_url;
  if (url.empty()) {
    st.registration_failed("no center URL was entered", true);
    return registration_state::failed;
  }
  const auto t = st.load();
  try {
    rest_client::center_client center(center_of(cfg, url), std::chrono::seconds(30));
    const json::value side = {{"kind", "terminal"},
                              {"name", (t.id.manufacturer + " " + t.id.model + " " + t.id.serial).substr(0, 255)}};
    const auto r = center.register_terminals(attempt->code, side, json::value::array({json::to_json(t.id)}),
                                             attempt->idempotency_key);
    // The credential on disk first: registered never shows without it.
    write_private_file(credential_path(cfg), r.credential + "\n");
    if (const auto dropped = st.registration_succeeded(r.site_id); dropped > 0)
      log::warning("dropped " + std::to_string(dropped) +
                   " unsent readings of an earlier registration: they never go to this one's center");
    log::notice("registered with " + url + " site=" + r.site_id);
    for (const auto& a : r.results)
      if (!a.reporting())
        log::warning("the center holds this terminal at another site: it reports once a dealer confirms the move (" +
                     a.status + ")");
    return registration_state::registered;
  } catch (const rest_client::center_busy& e) {
    // 429 from a guesser behind the same address, or a busy center: the code
    // stays pending and is tried again no sooner than the center asked.
    if (retry_after) *retry_after = e.retry_after().value_or(std::chrono::seconds::zero());
    st.registration_failed(e.what(), false);
    return registration_state::pending;
  } catch (const error& e) {
    const bool final = e.code() != exit_code::unavailable;
    st.registration_failed(e.what(), final);  // the caller says it (one line for the panel)
    return final ? registration_state::failed : registration_state::pending;
  }
}

namespace {

// The terminal's side of the reporting loop: registration from the panel's
// code first, the credential in its file, one reading of itself per request,
// and the registration's state in the store (which the subagent serves).
class terminal_side final : public rest_client::reporting_side {
 public:
  terminal_side(const config& cfg, store& st, rest_client::outbox& box) : cfg_(cfg), st_(st), box_(box) {}

  round begin_round() override {
    auto t = st_.load();
    auto state = t.registration.state;
    if (state == registration_state::pending || (resume_ && state == registration_state::registering)) {
      std::chrono::seconds asked{0};
      state = register_now(cfg_, st_, resume_, &asked);
      if (state != registration_state::registered)
        log::warning("registration " + std::string(state == registration_state::pending ? "to retry: " : "failed: ") +
                     st_.load().registration.last_error);
      if (state == registration_state::pending)
        return pause(std::max<std::chrono::milliseconds>(retry_backoff(++failures_), asked));
      t = st_.load();  // the registration just made (its site)
    }
    resume_ = false;
    failures_ = 0;
    // Not registered: waiting for a code (panel or SNMP SET).
    if (state != registration_state::registered) return pause(std::chrono::seconds(1));
    const auto credential = read_first_line(credential_path(cfg_));
    // Unregistered between the load above and now (the credential is
    // deleted after the state changed): the next load says so.
    if (credential.empty()) return pause(std::chrono::seconds(1));
    site_id_ = t.registration.site_id;
    url_ = t.registration.center_url.empty() ? cfg_.center_url : t.registration.center_url;
    return {round::action::report, {}, center_of(cfg_, url_), credential};
  }

  void delivered(const rest_client::center_client::delivery& d) override {
    if (d.acknowledged > 0) st_.set_last_report();
    if (!d.revoked && !d.error.empty()) st_.set_report_error(d.error);
  }

  void polled(const rest_client::center_client::poll& p, bool accepted) override {
    if (!accepted) st_.set_report_error(p.error);
  }

  void revoked(const std::string& why) override {
    st_.set_revoked(why);
    log::error(revoked_message);
  }

  void store_credential(const std::string& credential) override {
    write_private_file(credential_path(cfg_), credential + "\n");
  }

  // A long-poll may outlive the registration it was made for (an unregister
  // meanwhile): nothing in its answer applies then — no revocation, no
  // rotated credential written back, no request answered.
  bool answer_applies(const rest_client::center_client::poll& p) override {
    const auto now = st_.load().registration;
    if (now.state == registration_state::registered && now.site_id == site_id_) return true;
    log::notice("ignoring the answer of " + url_ + " to a long-poll made before the terminal was unregistered" +
                (p.request_ids.empty() ? std::string()
                                       : " (" + std::to_string(p.request_ids.size()) + " requests unanswered)"));
    return false;
  }

  void answer(const std::string& request_id, rest_client::center_client&) override {
    box_.add(take_reading(st_.load(), request_id));  // on disk before it is sent
    log::info("request " + request_id + " answered");
  }

 private:
  static round pause(std::chrono::milliseconds d) { return {round::action::pause, d, {}, {}}; }

  const config& cfg_;
  store& st_;
  rest_client::outbox& box_;
  bool resume_ = true;   // a registration a crash interrupted is carried on once
  int failures_ = 0;     // registrations in a row that could not reach the center
  std::string site_id_;  // of the registration this round reports for
  std::string url_;
};

}  // namespace

void run(const config& cfg, const stop_signal& stop) {
  store st(cfg.state_dir);
  // The outbox in the terminal's own store, on a connection of its own that
  // waits for disk on every commit.
  sqlite::database db(st.path(), sqlite::open_mode::read_write);
  db.exec("PRAGMA synchronous = FULL");
  rest_client::outbox box(db, system_clock_source::instance());
  log::notice("terminal mode: " + terminal_key(st.load().id).value_or("?") + ", state " +
              std::string(to_string(st.load().registration.state)));
  terminal_side side(cfg, st, box);
  rest_client::reporter loop(side, box, std::chrono::duration_cast<std::chrono::seconds>(cfg.wait), stop);
  loop.run();
}

}  // namespace fleetreg::terminal
