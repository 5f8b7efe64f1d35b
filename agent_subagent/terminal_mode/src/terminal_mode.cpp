// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/terminal_mode.hpp"

#include <algorithm>
#include <chrono>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/files.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/rest_client/center.hpp"
#include "fleetreg/rest_client/pacing.hpp"

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

registration_state register_now(const config& cfg, store& st, bool resume,
                                std::chrono::seconds* retry_after) {
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

void run(const config& cfg, volatile std::sig_atomic_t& keep_running) {
  store st(cfg.state_dir);
  // The outbox in the terminal's own store, on a connection of its own that
  // waits for disk on every commit.
  sqlite::database db(st.path(), sqlite::open_mode::read_write);
  db.exec("PRAGMA synchronous = FULL");
  rest_client::outbox box(db, system_clock_source::instance());
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(cfg.wait);
  bool resume = true;  // a registration a crash interrupted is carried on once
  int failures = 0;    // registrations in a row that could not reach the center
  std::string center_url;
  std::unique_ptr<rest_client::center_client> center;
  rest_client::center_pacing pacing(wait);
  log::notice("terminal mode: " + terminal_key(st.load().id).value_or("?") + ", state " +
              std::string(to_string(st.load().registration.state)));
  while (keep_running) {
    auto t = st.load();
    auto state = t.registration.state;
    if (state == registration_state::pending || (resume && state == registration_state::registering)) {
      std::chrono::seconds asked{0};
      state = register_now(cfg, st, resume, &asked);
      if (state != registration_state::registered)
        log::warning("registration " + std::string(state == registration_state::pending ? "to retry: " : "failed: ") +
                     st.load().registration.last_error);
      if (state == registration_state::pending) {
        sleep_while_running(std::max<std::chrono::milliseconds>(retry_backoff(++failures), asked), keep_running);
        continue;
      }
      t = st.load();  // the registration just made (its site)
    }
    resume = false;
    failures = 0;
    if (state != registration_state::registered) {
      sleep_while_running(std::chrono::seconds(1), keep_running);  // waiting for a code (panel or SNMP SET)
      continue;
    }
    const auto credential = read_first_line(credential_path(cfg));
    if (credential.empty()) {
      // Unregistered between the load above and now (the credential is
      // deleted after the state changed): the next load says so.
      sleep_while_running(std::chrono::seconds(1), keep_running);
      continue;
    }
    const auto url = t.registration.center_url.empty() ? cfg.center_url : t.registration.center_url;
    if (!center || url != center_url) {
      center = std::make_unique<rest_client::center_client>(center_of(cfg, url), cfg.wait + std::chrono::seconds(30));
      center_url = url;
      pacing = rest_client::center_pacing(wait);  // what the last center said does not hold for this one
    }
    auto delivered = center->deliver(box, credential);
    pacing.after(delivered);
    if (delivered.acknowledged > 0) st.set_last_report();
    if (delivered.revoked) {
      st.set_revoked(delivered.error);
      log::error(revoked_message);
      continue;
    }
    if (!delivered.error.empty()) st.set_report_error(delivered.error);
    // Paced (an empty answer, the center asking to wait or refusing): the
    // store is looked at again every second meanwhile (a new code, a new center).
    if (const auto left = pacing.until_next_poll(); left > std::chrono::milliseconds::zero()) {
      sleep_while_running(std::min<std::chrono::milliseconds>(left, std::chrono::seconds(1)), keep_running);
      continue;
    }
    const auto poll = center->wait_for_requests(credential, pacing.wait());
    // A long-poll may outlive the registration it was made for (an unregister
    // meanwhile): nothing in its answer applies then — no revocation, no
    // rotated credential written back, no request answered.
    if (const auto now = st.load().registration;
        now.state != registration_state::registered || now.site_id != t.registration.site_id) {
      log::notice("ignoring the answer of " + url + " to a long-poll made before the terminal was unregistered" +
                  (poll.request_ids.empty() ? std::string()
                                            : " (" + std::to_string(poll.request_ids.size()) + " requests unanswered)"));
      continue;
    }
    if (poll.revoked) {
      st.set_revoked(poll.error);
      log::error(revoked_message);
      continue;
    }
    if (poll.new_credential) {
      // Rotation: on disk (0600, atomic) before it is used; its first use,
      // the next exchange, confirms it and ends the old one.
      write_private_file(credential_path(cfg), *poll.new_credential + "\n");
      log::notice("the center sent a new credential (rotation): stored, the old one ends at its first use");
    }
    if (pacing.after(poll).state != rest_client::center_state::accepting) {
      st.set_report_error(poll.error);
      continue;
    }
    for (const auto& id : poll.request_ids) {
      box.add(take_reading(st.load(), id));  // on disk before it is sent
      log::info("request " + id + " answered");
    }
    if (!poll.request_ids.empty()) {
      delivered = center->deliver(box, credential);
      pacing.after(delivered);
      if (delivered.acknowledged > 0) st.set_last_report();
      if (!delivered.error.empty()) st.set_report_error(delivered.error);
    }
  }
}

}  // namespace fleetreg::terminal
