// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/sqlite.hpp"

namespace fleetreg::collector {

/// What the collector keeps about its own registration (the credential itself
/// is in a separate 0600 file, never in the database).
struct registration_state {
  std::string center_url;
  std::string site_id;
  std::optional<time_point> registered_at;
  std::optional<time_point> last_upload;
  bool revoked = false;
  std::vector<std::string> terminals;  ///< keys registered
};

/// One reading waiting in the outbox.
struct outbox_entry {
  std::string id;
  std::string body;  ///< the reading as JSON (the upload form)
  std::int64_t attempts = 0;
};

/// The collector's state directory: `collector.db` (SQLite, WAL,
/// synchronous=FULL) with the outbox and the registration, and `credential`
/// (mode 0600). A reading is committed here before it is sent and removed only
/// when the center acknowledged it, so a center outage or a crash loses nothing.
class store {
 public:
  /// Opens (creating) the state in `state_dir` (0700). Throws on errors.
  store(const std::string& state_dir, const clock& clk = system_clock_source::instance());

  registration_state registration();
  /// Records a successful registration and writes the credential (0600).
  void set_registration(const std::string& center_url, const std::string& site_id,
                        const std::vector<std::string>& terminals, const std::string& credential);
  /// The credential, or "" when not registered.
  std::string credential() const;
  void set_revoked(bool revoked);
  /// Replaces the list of registered terminal keys (terminals added later).
  void set_terminals(const std::vector<std::string>& keys);
  /// The Idempotency-Key for registering with this (canonical) code, made
  /// once and kept until the registration succeeded.
  std::string idempotency_key(const std::string& canonical_code);
  void forget_idempotency_key(const std::string& canonical_code);

  /// Commits a reading to the outbox (durable before this returns).
  void add(const reading& r);
  /// Up to `limit` readings whose next attempt is due, oldest first.
  std::vector<outbox_entry> due(std::size_t limit);
  /// The center stored (or already had) these: they leave the outbox.
  void acknowledged(const std::vector<std::string>& ids);
  /// Sending failed: try again after an exponential backoff with jitter
  /// (1 s doubling up to 5 min).
  void retry_later(const std::vector<std::string>& ids);
  /// Writes `status.json` (mode 0644, no secrets) for monitoring plugins that
  /// run as another user: registration, reachability, last upload, outbox.
  void write_status(bool center_reachable, const std::string& last_error);
  /// Outbox size and the time of its oldest reading.
  std::pair<std::int64_t, std::optional<time_point>> backlog();

 private:
  std::string dir_;
  sqlite::database db_;
  const clock& clock_;
};

}  // namespace fleetreg::collector
