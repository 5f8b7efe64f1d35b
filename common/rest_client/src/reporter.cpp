// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/reporter.hpp"

#include <algorithm>

#include "fleetreg/core/log.hpp"
#include "fleetreg/core/sqlite.hpp"

namespace fleetreg::rest_client {

reporter::reporter(reporting_side& side, outbox& box, std::chrono::seconds wait, const stop_signal& stop)
    : side_(side), box_(box), wait_(wait), stop_(stop), pacing_(wait) {}

reporter::~reporter() = default;

center_client& reporter::client_for(const center_options& center) {
  if (!center_ || center.url != center_url_) {
    // Above the long-poll wait, so that the center's empty answer comes first.
    center_ = std::make_unique<center_client>(center, wait_ + std::chrono::seconds(30), &stop_);
    center_url_ = center.url;
    pacing_ = center_pacing(wait_);  // what the last center said does not hold for this one
  }
  return *center_;
}

void reporter::run() {
  while (!stop_.requested() && !stopped_) {
    // A round that fails on the local database (a full disk: an
    // acknowledgement or a backoff not stored) is said once and run again a
    // second later; the outbox keeps what it had (the transaction did not
    // commit), and a reading the center got twice is one there (its id).
    // Other errors end the loop as before.
    try {
      run_round();
      if (!round_error_.empty()) log::notice("reporting works again");
      round_error_.clear();
    } catch (const std::system_error& e) {
      if (e.code().category() != sqlite::sqlite_category()) throw;
      if (round_error_ != e.what()) log::error(std::string("reporting failed, retried every second: ") + e.what());
      round_error_ = e.what();
      stop_.wait_for(std::chrono::seconds(1));
    }
  }
}

void reporter::run_round() {
  using std::chrono::milliseconds;
  const auto round = side_.begin_round();
  if (round.what == reporting_side::round::action::stop) {
    stopped_ = true;
    return;
  }
  if (round.what == reporting_side::round::action::pause) {
    stop_.wait_for(round.pause);
    return;
  }
  auto& center = client_for(round.center);

  // 1. Deliver what waits in the outbox (the answers of the last round too).
  side_.before_delivery(center);
  const auto d = center.deliver(box_, round.credential);
  pacing_.after(d);
  side_.delivered(d);
  if (d.revoked) {
    side_.revoked(d.error);
    return;
  }
  if (d.status != 0 || !d.error.empty()) upload_error_ = d.error;

  // 2. Paced (an empty answer, the center asking to wait or refusing): the
  // side looks again meanwhile (its own reads, a new code).
  if (const auto left = pacing_.until_next_poll(); left > milliseconds::zero()) {
    side_.status(upload_error_, poll_error_);
    stop_.wait_for(std::clamp(side_.longest_pause(), milliseconds::zero(), left));
    return;
  }

  // 3. Long-poll for requests, and answer them.
  const auto poll = center.wait_for_requests(round.credential, pacing_.wait());
  if (stop_.requested()) return;  // cut short by the stop: it says nothing
  if (!side_.answer_applies(poll)) return;
  if (poll.revoked) {
    side_.revoked(poll.error);
    return;
  }
  if (poll.new_credential) {
    // Rotation: stored (0600, atomic) before it is used; its first use,
    // the next round, confirms it and ends the old one.
    side_.store_credential(*poll.new_credential);
    log::notice("the center sent a new credential (rotation): stored, the old one ends at its first use");
  }
  const bool accepted = pacing_.after(poll).state == center_state::accepting;
  if (accepted && !answered_) {
    // The first answer since the start or since the center was away: the
    // readings that waited out a backoff meanwhile (stored with them, so
    // also from before a restart: up to 5 min each) go in the next round.
    if (const auto n = box_.due_now(); n > 0)
      log::notice("the center answers: " + std::to_string(n) + " waiting readings are sent now");
  }
  answered_ = accepted;
  poll_error_ = accepted ? "" : poll.error;
  side_.polled(poll, accepted);
  side_.status(upload_error_, poll_error_);
  if (!accepted) return;
  for (const auto& id : poll.request_ids) side_.answer(id, center);
}

}  // namespace fleetreg::rest_client
