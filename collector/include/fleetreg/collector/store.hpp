// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/reading.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/profiles/evaluate.hpp"
#include "fleetreg/rest_client/outbox.hpp"

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

/// The collector's state directory: `collector.db` (SQLite, WAL,
/// synchronous=FULL) with the outbox and the registration, and `credential`
/// (mode 0600). A reading is committed here before it is sent and removed only
/// when the center acknowledged it, so a center outage or a crash loses nothing.
/// It also keeps the last raw value of counter profiles' 32-bit counters
/// (`wrap: 32`) per terminal, cell and OID, so that a wrapped counter keeps growing.
class store final : public profiles::wrap_state {
 public:
  /// Opens (creating) the state in `state_dir` (0700). Throws on errors.
  store(const std::string& state_dir, const clock& clk = system_clock_source::instance(),
        rest_client::outbox_caps caps = {});

  registration_state registration();
  /// Records a successful registration and writes the credential (0600).
  void set_registration(const std::string& center_url, const std::string& site_id,
                        const std::vector<std::string>& terminals, const std::string& credential);
  /// The credential, or "" when not registered.
  std::string credential() const;
  /// Replaces the credential (rotation): 0600, atomic, durable before it returns.
  void set_credential(const std::string& credential);
  void set_revoked(bool revoked);
  /// Replaces the list of registered terminal keys (terminals added later).
  void set_terminals(const std::vector<std::string>& keys);
  /// The Idempotency-Key for registering with this (canonical) code, made
  /// once and kept until the registration succeeded.
  std::string idempotency_key(const std::string& canonical_code);
  void forget_idempotency_key(const std::string& canonical_code);

  /// The zero-loss outbox (fleetreg::rest_client), a table of collector.db.
  rest_client::outbox& outbox() { return outbox_; }
  /// The center acknowledged an upload now.
  void set_last_upload();
  /// Now, by the store's clock (the time readings are stamped with).
  time_point now() const { return clock_.now(); }
  /// Writes `status.json` (mode 0644, no secrets) for monitoring plugins that
  /// run as another user: registration, reachability, last upload, outbox.
  void write_status(bool center_reachable, const std::string& last_error);

  /// profiles::wrap_state on the table counter_wrap. Throws on database errors.
  std::uint64_t unwrap(const std::string& terminal_key, const std::string& cell, const std::string& oid,
                       std::uint32_t raw) override;

 private:
  std::string dir_;
  sqlite::database db_;
  const clock& clock_;
  rest_client::outbox outbox_;
};

}  // namespace fleetreg::collector
