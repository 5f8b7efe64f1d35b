// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetreg/core/clock.hpp"
#include "fleetreg/core/sqlite.hpp"
#include "fleetreg/terminal/job.hpp"
#include "fleetreg/terminal/state.hpp"

namespace fleetreg::terminal {

/// Limits of the registration inputs (same as the MIB objects).
inline constexpr std::size_t max_center_url_length = 255;
inline constexpr std::size_t max_provisional_code_length = 32;

/// File name of the store inside a terminal's state directory.
inline constexpr std::string_view store_file_name = "terminal.db";

/// File name of the formal credential (mode 0600) in the state directory.
inline constexpr const char* credential_file_name = "credential";

/// The registration inputs: the center URL, the pending code and the state.
struct registration_inputs {
  std::string center_url;
  std::string pending_code;
  registration_state state = registration_state::unregistered;
};

/// The whole registration row, as an undo puts it back.
struct registration_record {
  registration_state state = registration_state::unregistered;
  std::string center_url;
  std::string pending_code;
  std::string site_id;
  std::string idempotency_key;
  std::optional<std::int64_t> last_report;  ///< Unix seconds
  std::string last_error;
  std::optional<std::int64_t> last_error_time;  ///< Unix seconds
};

/// A change a serviceperson asks for, applied in this order in one
/// transaction. Each part is checked against the state before the change
/// (terminal::registration_write_refused).
struct registration_change {
  bool unregister = false;                ///< end the registration in effect
  std::optional<std::string> center_url;  ///< a new center URL ("" clears it)
  std::optional<std::string> code;        ///< a provisional code: the state becomes pending
};

/// What became of a registration change.
struct registration_change_result {
  /// Why the change was refused (nothing was written); empty when it was made.
  std::string refused;
  /// The registration before the change, for an undo and for the audit line.
  registration_record before;
  bool done() const noexcept { return refused.empty(); }
};

/// What an unregister forgot, once it became final.
struct forgotten_registration {
  std::int64_t readings_dropped = 0;  ///< readings of the old registration never sent
  bool credential_removed = false;    ///< the credential file was there and is gone
};

/// A registration `fleetreg-terminal run` is about to carry out.
struct registration_attempt {
  std::string center_url;
  std::string code;             ///< canonical
  std::string idempotency_key;  ///< the same for every retry with this code
};

/// The terminal's state store: one SQLite file in WAL mode, owned by the
/// terminal (mode 0600 in a 0700 directory). Every change is one transaction;
/// readers in other processes (the subagent) see it after the commit.
/// Methods throw std::system_error (sqlite_category) on database errors.
class store {
 public:
  /// Creates a new store in `state_dir` (created 0700 if missing) for a terminal
  /// with identity `id`. Throws fleetreg::error when the identity is invalid,
  /// has no key, or a store already exists there.
  static void create(const std::string& state_dir, const identity& id, bool color, int toner_percent,
                     const clock& clk = system_clock_source::instance());
  /// The same with the terminal's system group (sysObjectID and the rest);
  /// also throws fleetreg::error (exit code data) when `sys` is invalid
  /// (terminal::validate(const system_info&)).
  static void create(const std::string& state_dir, const identity& id, const system_info& sys, bool color,
                     int toner_percent, const clock& clk = system_clock_source::instance());

  /// Opens an existing store. Throws fleetreg::error (exit code io) when the
  /// directory holds no store or a store of another schema version.
  explicit store(const std::string& state_dir, const clock& clk = system_clock_source::instance());

  /// Reads the whole state in one read transaction.
  terminal_state load();
  /// Changes whenever another connection committed (PRAGMA data_version).
  std::int64_t data_version() { return db_.data_version(); }

  /// Applies a job atomically. Throws fleetreg::error on an invalid job.
  void apply_job(const job& j);
  /// Replaces the system group. Throws fleetreg::error (exit code data) when
  /// `sys` is invalid.
  void set_system_info(const system_info& sys);
  /// Sets the device status. Throws fleetreg::error when the message is too long.
  void set_status(device_state state, std::string_view message);
  /// Sets every supply of type toner (and drum when `drum`) back to full.
  void refill(bool drum);

  /// Center URL, pending code and state in one read.
  registration_inputs registration_inputs_now();
  /// Applies `c` in one transaction when the rule allows every part of it
  /// in the current state (terminal::registration_write_refused); otherwise
  /// writes nothing and says why. A code (validate_code() has accepted it) is
  /// stored in canonical form with a fresh Idempotency-Key and makes the
  /// state pending. Unregistering makes it unregistered and clears the site,
  /// code, key, last report and error; the center URL stays, so a code alone
  /// registers again with the same center. The credential and the unsent
  /// readings are left for forget_registration() (not undoable).
  registration_change_result change_registration(const registration_change& c);
  /// change_registration() of the center URL and/or a provisional code.
  registration_change_result set_registration_inputs(const std::optional<std::string>& center_url,
                                                     const std::optional<std::string>& code);
  /// change_registration() of an unregister alone.
  registration_change_result unregister();
  /// Puts back a registration saved by change_registration (undo of a SET).
  void restore_registration(const registration_record& before);
  /// The final step of an unregister: unless a registration is in effect
  /// again, drops the readings waiting in terminal mode's outbox (they were
  /// taken under the old registration and must never reach another center)
  /// and deletes the credential file. nullopt when a registration is in
  /// effect (nothing touched). Throws std::system_error when the credential
  /// file cannot be deleted.
  std::optional<forgotten_registration> forget_registration();

  /// Terminal mode. When a code is pending (or, with `resume`, a registration
  /// was left half-done by a crash), marks it registering and returns what
  /// to send; nullopt otherwise.
  std::optional<registration_attempt> begin_registration(bool resume);
  /// Registered: the code and its key are dropped, the error cleared. A new
  /// registration starts with an empty outbox: readings still waiting from an
  /// earlier one are dropped in the same transaction; returns how many.
  std::int64_t registration_succeeded(const std::string& site_id);
  /// `final` (the center refused): state failed, the code dropped, `why`
  /// shown; otherwise (not reachable) pending again for a later attempt.
  void registration_failed(const std::string& why, bool final);
  /// The center no longer accepts the credential (only from registered).
  void set_revoked(const std::string& why);
  /// A report was acknowledged now.
  void set_last_report();
  /// Reporting failed: the reason (and time) over SNMP, the state unchanged.
  void set_report_error(const std::string& why);

  const std::string& path() const { return db_.path(); }

 private:
  registration_record registration_now();

  std::string state_dir_;
  sqlite::database db_;
  const clock& clock_;
};

/// Checks a center URL written by a serviceperson: http:// or https://, a
/// host, printable ASCII, at most 255 characters. The problem, or nullopt.
std::optional<std::string> validate_center_url(std::string_view url);
/// Checks a provisional code typed on the panel locally (form and check
/// character, see fleetreg::provisional_code); the center checks the rest.
/// The problem in words, or nullopt.
std::optional<std::string> validate_code(std::string_view code);

}  // namespace fleetreg::terminal
