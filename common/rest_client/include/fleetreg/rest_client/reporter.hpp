// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/rest_client/center_client.hpp"
#include "fleetreg/rest_client/outbox.hpp"
#include "fleetreg/rest_client/pacing.hpp"

namespace fleetreg::rest_client {

/// What differs between the reporting sides — the collector (site mode) and
/// a terminal in terminal mode: where the center and the credential are, how
/// a terminal is read, what a revocation means. The reporter calls these on
/// its own thread, one at a time; each may throw only for local errors
/// (store, files), which end the loop.
class reporting_side {
 public:
  virtual ~reporting_side() = default;

  /// What to do in this round.
  struct round {
    enum class action { report, pause, stop };
    action what = action::report;
    std::chrono::milliseconds pause{0};  ///< for action::pause: how long before the next round
    center_options center;               ///< for action::report: where to report
    std::string credential;              ///< for action::report: the formal credential
  };
  /// The start of every round: carry out a registration, see whether there
  /// is a registration and a credential, decide to stop.
  virtual round begin_round() = 0;
  /// Just before the outbox is delivered (with the loop's client): the
  /// readings due on the side's own schedule.
  virtual void before_delivery(center_client& center) { (void)center; }
  /// What an upload achieved (a revocation is also told to revoked()).
  virtual void delivered(const center_client::delivery& d) { (void)d; }
  /// A long-poll's answer; `accepted`: the center answered as asked (its
  /// requests follow through answer()), else `p.error` says why not.
  virtual void polled(const center_client::poll& p, bool accepted) { (void)p, (void)accepted; }
  /// The errors of the last upload and the last poll ("" when fine), after
  /// every poll and before every pause.
  virtual void status(const std::string& upload_error, const std::string& poll_error) {
    (void)upload_error, (void)poll_error;
  }
  /// 401: the credential no longer works (`why`: the center's words).
  virtual void revoked(const std::string& why) = 0;
  /// Rotation: store `credential` (durably, 0600) before the next round uses it.
  virtual void store_credential(const std::string& credential) = 0;
  /// Whether the answer to a long-poll still applies (false: it is ignored
  /// whole — e.g. the terminal was unregistered while it waited).
  virtual bool answer_applies(const center_client::poll& p) {
    (void)p;
    return true;
  }
  /// Reads for the center's request `request_id` and commits the readings to
  /// the outbox (on disk before this returns); the next round delivers them.
  virtual void answer(const std::string& request_id, center_client& center) = 0;
  /// The longest pause while the pacing holds the next poll back, so that
  /// begin_round() looks again in time (a new code, an own read falling due).
  virtual std::chrono::milliseconds longest_pause() const { return std::chrono::seconds(1); }
};

/// The one reporting loop of fleetreg: deliver the outbox, long-poll the
/// center for requests, read on request, and again. One long-lived
/// center_client per center (its HTTP connection and the limits it learnt
/// persist; a new one only when the side names another center, which also
/// resets the pacing). Paced by center_pacing: Retry-After honoured,
/// refusals and an unreachable center backed off with jitter, the wait
/// clamped to the center's maximum. A rotated credential is handed to the
/// side before it is used; 401 is the side's to handle; readings the center
/// refused leave the outbox (the side hears of terminals gone from the site
/// through delivered()).
class reporter {
 public:
  /// `box` and `side` must outlive the reporter; `wait` is the configured
  /// long-poll wait ([run] wait). Nothing is sent before run().
  reporter(reporting_side& side, outbox& box, std::chrono::seconds wait, const stop_signal& stop);
  ~reporter();
  reporter(const reporter&) = delete;
  reporter& operator=(const reporter&) = delete;

  /// Runs rounds until `stop` is asked for (a pause or a long-poll in flight
  /// ends within 100 ms) or the side says stop. Throws what the side throws
  /// and fleetreg::error for a center URL that cannot be used; an SQLite
  /// error of a round (a full disk) is logged once and the round runs again
  /// a second later.
  void run();

 private:
  // One round: deliver, maybe pause, long-poll, answer.
  void run_round();
  // The client for `center`, made anew when the center changed.
  center_client& client_for(const center_options& center);

  reporting_side& side_;
  outbox& box_;
  std::chrono::seconds wait_;
  const stop_signal& stop_;
  std::unique_ptr<center_client> center_;
  std::string center_url_;
  center_pacing pacing_;
  std::string upload_error_;  // of the last upload tried
  std::string poll_error_;    // of the last poll the center did not answer as asked
  std::string round_error_;   // why the last round failed on the local database; empty when it did not
  bool stopped_ = false;      // the side said stop
  bool answered_ = false;     // the last poll was accepted (false at the start)
};

}  // namespace fleetreg::rest_client
