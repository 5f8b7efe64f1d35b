// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::terminal {
namespace {

constexpr int schema_version = 3;
constexpr std::size_t max_status_message_length = 255;

// The schema (version 2: registration.idempotency_key; version 3: the
// identity's system group, sys_*). Unsigned 64-bit counters are stored bit-for-bit in
// SQLite's signed INTEGER (sqlite::statement::bind_u64 / column_u64).
constexpr std::string_view schema = R"sql(
CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL, color INTEGER NOT NULL,
  sys_object_id TEXT NOT NULL DEFAULT '', sys_descr TEXT NOT NULL DEFAULT '',
  sys_name TEXT NOT NULL DEFAULT '', sys_contact TEXT NOT NULL DEFAULT '',
  sys_location TEXT NOT NULL DEFAULT '');
CREATE TABLE counters (
  service TEXT NOT NULL, kind TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (service, kind)) WITHOUT ROWID;
CREATE TABLE supplies (
  idx INTEGER PRIMARY KEY, type INTEGER NOT NULL, class INTEGER NOT NULL,
  unit INTEGER NOT NULL, description TEXT NOT NULL, colorant TEXT NOT NULL,
  max_capacity INTEGER NOT NULL, level INTEGER NOT NULL);
CREATE TABLE status (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  state TEXT NOT NULL, message TEXT NOT NULL, changed INTEGER NOT NULL);
CREATE TABLE registration (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  state TEXT NOT NULL, center_url TEXT NOT NULL, pending_code TEXT NOT NULL,
  site_id TEXT NOT NULL, last_report INTEGER, last_error TEXT NOT NULL,
  last_error_time INTEGER, idempotency_key TEXT NOT NULL DEFAULT '');
)sql";

std::string store_path(const std::string& dir) { return (std::filesystem::path(dir) / store_file_name).string(); }

void write_counters(sqlite::database& db, const counter_set& c) {
  sqlite::statement up(db,
                       "INSERT INTO counters(service, kind, value) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT (service, kind) DO UPDATE SET value = excluded.value");
  for (auto s : all_services)
    for (auto k : all_counter_kinds)
      if (const auto v = c.get(s, k)) {
        up.bind(1, to_string(s)).bind(2, to_string(k)).bind_u64(3, *v);
        up.run();
      }
}

void write_supplies(sqlite::database& db, const std::vector<supply>& supplies) {
  sqlite::statement up(db,
                       "INSERT INTO supplies(idx, type, class, unit, description, colorant, "
                       "max_capacity, level) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                       "ON CONFLICT (idx) DO UPDATE SET level = excluded.level, "
                       "max_capacity = excluded.max_capacity");
  for (const auto& s : supplies) {
    up.bind(1, s.index).bind(2, static_cast<std::int64_t>(s.type));
    up.bind(3, static_cast<std::int64_t>(s.klass)).bind(4, static_cast<std::int64_t>(s.unit));
    up.bind(5, s.description).bind(6, s.colorant).bind(7, s.max_capacity).bind(8, s.level);
    up.run();
  }
}

counter_set read_counters(sqlite::database& db) {
  counter_set c;
  sqlite::statement q(db, "SELECT service, kind, value FROM counters");
  while (q.step()) {
    const auto s = parse_service(q.column_text(0));
    const auto k = parse_counter_kind(q.column_text(1));
    if (s && k) c.set(*s, *k, q.column_u64(2));
  }
  return c;
}

std::vector<supply> read_supplies(sqlite::database& db) {
  std::vector<supply> out;
  sqlite::statement q(db,
                      "SELECT idx, type, class, unit, description, colorant, max_capacity, "
                      "level FROM supplies ORDER BY idx");
  while (q.step()) {
    supply s;
    s.index = static_cast<std::int32_t>(q.column_int(0));
    s.type = static_cast<supply_type>(q.column_int(1));
    s.klass = static_cast<supply_class>(q.column_int(2));
    s.unit = static_cast<supply_unit>(q.column_int(3));
    s.description = q.column_text(4);
    s.colorant = q.column_text(5);
    s.max_capacity = static_cast<std::int32_t>(q.column_int(6));
    s.level = static_cast<std::int32_t>(q.column_int(7));
    out.push_back(std::move(s));
  }
  return out;
}

// Terminal mode's outbox (rest_client::outbox) is a table in this store,
// created by `fleetreg-terminal run`; the subagent never links the HTTP side,
// so it knows the table by name only to empty it.
constexpr std::string_view outbox_table = "outbox";

// Deletes every reading waiting in the outbox, when there is one; returns how many.
std::int64_t drop_outbox(sqlite::database& db) {
  sqlite::statement exists(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  exists.bind(1, outbox_table);
  if (!exists.step()) return 0;
  exists.reset();
  sqlite::statement count(db, "SELECT count(*) FROM " + std::string(outbox_table));
  const auto n = count.step() ? count.column_int(0) : 0;
  count.reset();
  if (n > 0) db.exec("DELETE FROM " + std::string(outbox_table));
  return n;
}

bool color_capable(sqlite::database& db) {
  sqlite::statement q(db, "SELECT color FROM identity WHERE id = 1");
  return q.step() && q.column_int(0) != 0;
}

}  // namespace

std::optional<std::string> validate_center_url(std::string_view url) {
  if (url.size() > max_center_url_length) return "the center URL is longer than 255 characters";
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("http://"))
    rest = url.substr(7);
  else
    return "the center URL must start with https:// or http://";
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return "the center URL names no host";
  for (char c : url)
    if (c <= ' ' || c >= 0x7f) return "the center URL holds spaces or non-ASCII characters";
  return std::nullopt;
}

std::optional<std::string> validate_code(std::string_view code) {
  if (code.size() > max_provisional_code_length) return "a provisional code has 12 characters";
  std::string why;
  if (provisional_code::normalize(code, &why).empty()) return why;
  return std::nullopt;
}

void store::create(const std::string& state_dir, const identity& id, bool color, int toner_percent, const clock& clk) {
  create(state_dir, id, system_info{}, color, toner_percent, clk);
}

void store::create(const std::string& state_dir, const identity& id, const system_info& sys, bool color,
                   int toner_percent, const clock& clk) {
  if (auto problem = validate(id)) throw error(exit_code::data, "invalid identity: " + *problem);
  if (auto problem = validate(sys)) throw error(exit_code::data, "invalid system group: " + *problem);
  if (!terminal_key(id))
    throw error(exit_code::data, "a terminal needs a manufacturer and a serial number (or a UUID)");
  if (toner_percent < 0 || toner_percent > 100) throw error(exit_code::data, "toner level must be 0..100 percent");
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) throw error(exit_code::io, "cannot create state directory " + state_dir + ": " + ec.message());
  ::chmod(state_dir.c_str(), 0700);
  const auto path = store_path(state_dir);
  if (std::filesystem::exists(path, ec)) throw error(exit_code::failure, "a terminal already exists in " + state_dir);
  // The store may hold a provisional code: owner only, from the first byte.
  const mode_t old_mask = ::umask(077);
  try {
    sqlite::database db(path, sqlite::open_mode::create);
    ::umask(old_mask);
    db.exec("PRAGMA journal_mode = WAL");
    sqlite::transaction tx(db);
    db.exec(schema);
    sqlite::statement ins(db,
                          "INSERT INTO identity(id, manufacturer, model, serial, uuid, firmware, "
                          "color, sys_object_id, sys_descr, sys_name, sys_contact, sys_location) "
                          "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    ins.bind(1, id.manufacturer).bind(2, id.model).bind(3, id.serial).bind(4, id.uuid);
    ins.bind(5, id.firmware).bind(6, color ? 1 : 0).bind(7, canonical_sys_object_id(sys.sys_object_id));
    ins.bind(8, sys.sys_descr).bind(9, sys.sys_name).bind(10, sys.sys_contact).bind(11, sys.sys_location);
    ins.run();
    write_counters(db, zero_counters());
    write_supplies(db, default_supplies(color, toner_percent));
    sqlite::statement st(db, "INSERT INTO status(id, state, message, changed) VALUES (1, 'idle', '', ?1)");
    st.bind(1, to_unix(clk.now()));
    st.run();
    db.exec(
        "INSERT INTO registration(id, state, center_url, pending_code, site_id, last_error) "
        "VALUES (1, 'unregistered', '', '', '', '')");
    db.exec("PRAGMA user_version = " + std::to_string(schema_version));
    tx.commit();
  } catch (...) {
    ::umask(old_mask);
    std::filesystem::remove(path, ec);
    throw;
  }
}

store::store(const std::string& state_dir, const clock& clk)
    : state_dir_(state_dir),
      db_([&] {
        const auto path = store_path(state_dir);
        if (::access(path.c_str(), F_OK) != 0)
          throw error(exit_code::io, "no terminal in " + state_dir + " (run 'fleetreg-terminal init' first)");
        return sqlite::database(path, sqlite::open_mode::read_write);
      }()),
      clock_(clk) {
  auto version = [&] {
    sqlite::statement v(db_, "PRAGMA user_version");
    return v.step() ? v.column_int(0) : 0;
  };
  if (version() == 1) {
    // 1 → 2: the Idempotency-Key of a registration in progress (terminal mode).
    sqlite::transaction tx(db_);
    if (version() == 1) {  // another process may have migrated meanwhile
      db_.exec("ALTER TABLE registration ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT ''");
      db_.exec("PRAGMA user_version = 2");
    }
    tx.commit();
  }
  if (version() == 2) {
    // 2 → 3: the system group (sysObjectID, sysDescr, sysName, sysContact,
    // sysLocation), empty: snmpd keeps its defaults until they are set.
    sqlite::transaction tx(db_);
    if (version() == 2) {
      for (const char* column : {"sys_object_id", "sys_descr", "sys_name", "sys_contact", "sys_location"})
        db_.exec(std::string("ALTER TABLE identity ADD COLUMN ") + column + " TEXT NOT NULL DEFAULT ''");
      db_.exec("PRAGMA user_version = 3");
    }
    tx.commit();
  }
  if (version() != schema_version)
    throw error(exit_code::io,
                db_.path() + " is not a fleetreg terminal store of schema version " + std::to_string(schema_version));
}

terminal_state store::load() {
  terminal_state t;
  db_.exec("BEGIN");
  try {
    sqlite::statement id(db_,
                         "SELECT manufacturer, model, serial, uuid, firmware, sys_object_id, sys_descr, "
                         "sys_name, sys_contact, sys_location FROM identity");
    if (id.step()) {
      t.id.manufacturer = id.column_text(0);
      t.id.model = id.column_text(1);
      t.id.serial = id.column_text(2);
      t.id.uuid = id.column_text(3);
      t.id.firmware = id.column_text(4);
      t.system.sys_object_id = id.column_text(5);
      t.system.sys_descr = id.column_text(6);
      t.system.sys_name = id.column_text(7);
      t.system.sys_contact = id.column_text(8);
      t.system.sys_location = id.column_text(9);
    }
    t.counters = read_counters(db_);
    t.supplies = read_supplies(db_);
    sqlite::statement st(db_, "SELECT state, message FROM status");
    if (st.step()) {
      t.status.state = parse_device_state(st.column_text(0)).value_or(device_state::unknown);
      t.status.message = st.column_text(1);
    }
    sqlite::statement reg(db_,
                          "SELECT state, center_url, pending_code, site_id, last_report, "
                          "last_error, last_error_time FROM registration");
    if (reg.step()) {
      auto& r = t.registration;
      r.state = parse_registration_state(reg.column_text(0)).value_or(registration_state::unregistered);
      r.center_url = reg.column_text(1);
      r.code_pending = !reg.column_text(2).empty();
      r.site_id = reg.column_text(3);
      if (!reg.column_is_null(4)) r.last_report = from_unix(reg.column_int(4));
      r.last_error = reg.column_text(5);
      if (!reg.column_is_null(6)) r.last_error_time = from_unix(reg.column_int(6));
    }
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
  db_.exec("COMMIT");
  return t;
}

void store::apply_job(const job& j) {
  sqlite::transaction tx(db_);
  if (auto problem = validate(j, color_capable(db_))) throw error(exit_code::data, *problem);
  auto counters = read_counters(db_);
  auto supplies = read_supplies(db_);
  apply(j, counters, supplies);
  write_counters(db_, counters);
  write_supplies(db_, supplies);
  tx.commit();
}

void store::set_system_info(const system_info& sys) {
  if (auto problem = validate(sys)) throw error(exit_code::data, "invalid system group: " + *problem);
  sqlite::transaction tx(db_);
  sqlite::statement up(db_,
                       "UPDATE identity SET sys_object_id = ?1, sys_descr = ?2, sys_name = ?3, "
                       "sys_contact = ?4, sys_location = ?5");
  up.bind(1, canonical_sys_object_id(sys.sys_object_id)).bind(2, sys.sys_descr).bind(3, sys.sys_name);
  up.bind(4, sys.sys_contact).bind(5, sys.sys_location);
  up.run();
  tx.commit();
}

void store::set_status(device_state state, std::string_view message) {
  if (!is_printable_utf8(message, max_status_message_length))
    throw error(exit_code::data, "status message too long (255 bytes) or not printable UTF-8");
  sqlite::transaction tx(db_);
  sqlite::statement up(db_, "UPDATE status SET state = ?1, message = ?2, changed = ?3");
  up.bind(1, to_string(state)).bind(2, message).bind(3, to_unix(clock_.now()));
  up.run();
  tx.commit();
}

void store::refill(bool drum) {
  sqlite::transaction tx(db_);
  sqlite::statement up(db_,
                       "UPDATE supplies SET level = max_capacity WHERE max_capacity > 0 "
                       "AND (type = ?1 OR (?2 AND type = ?3))");
  up.bind(1, static_cast<std::int64_t>(supply_type::toner)).bind(2, drum ? 1 : 0);
  up.bind(3, static_cast<std::int64_t>(supply_type::opc));
  up.run();
  tx.commit();
}

registration_inputs store::registration_inputs_now() {
  registration_inputs r;
  sqlite::statement q(db_, "SELECT center_url, pending_code, state FROM registration");
  if (q.step()) {
    r.center_url = q.column_text(0);
    r.pending_code = q.column_text(1);
    r.state = parse_registration_state(q.column_text(2)).value_or(registration_state::unregistered);
  }
  return r;
}

registration_record store::registration_now() {
  registration_record r;
  sqlite::statement q(db_,
                      "SELECT state, center_url, pending_code, site_id, idempotency_key, last_report, "
                      "last_error, last_error_time FROM registration");
  if (q.step()) {
    r.state = parse_registration_state(q.column_text(0)).value_or(registration_state::unregistered);
    r.center_url = q.column_text(1);
    r.pending_code = q.column_text(2);
    r.site_id = q.column_text(3);
    r.idempotency_key = q.column_text(4);
    if (!q.column_is_null(5)) r.last_report = q.column_int(5);
    r.last_error = q.column_text(6);
    if (!q.column_is_null(7)) r.last_error_time = q.column_int(7);
  }
  return r;
}

registration_change_result store::change_registration(const registration_change& c) {
  // BEGIN IMMEDIATE: the rule is checked against the state this transaction
  // changes, so `run` cannot move it to registering in between.
  sqlite::transaction tx(db_);
  registration_change_result result;
  result.before = registration_now();
  const auto check = [&](bool asked, registration_write w) {
    if (asked && result.refused.empty())
      if (auto why = registration_write_refused(result.before.state, w)) result.refused = std::move(*why);
  };
  check(c.unregister, registration_write::unregister);
  check(c.center_url.has_value(), registration_write::center_url);
  check(c.code.has_value(), registration_write::provisional_code);
  if (!result.done()) return result;  // rolled back: nothing written
  if (c.unregister)
    db_.exec(
        "UPDATE registration SET state = 'unregistered', site_id = '', pending_code = '', idempotency_key = '', "
        "last_report = NULL, last_error = '', last_error_time = NULL");
  if (c.center_url) {
    sqlite::statement up(db_, "UPDATE registration SET center_url = ?1");
    up.bind(1, *c.center_url);
    up.run();
  }
  if (c.code) {
    // Stored in canonical form; validate_code() has accepted it. A new code
    // gets a new Idempotency-Key at its first attempt.
    sqlite::statement up(db_, "UPDATE registration SET pending_code = ?1, idempotency_key = '', state = 'pending'");
    up.bind(1, provisional_code::normalize(*c.code));
    up.run();
  }
  tx.commit();
  return result;
}

registration_change_result store::set_registration_inputs(const std::optional<std::string>& center_url,
                                                          const std::optional<std::string>& code) {
  return change_registration({.unregister = false, .center_url = center_url, .code = code});
}

registration_change_result store::unregister() {
  return change_registration({.unregister = true, .center_url = std::nullopt, .code = std::nullopt});
}

void store::restore_registration(const registration_record& r) {
  sqlite::transaction tx(db_);
  sqlite::statement up(db_,
                       "UPDATE registration SET state = ?1, center_url = ?2, pending_code = ?3, site_id = ?4, "
                       "idempotency_key = ?5, last_report = ?6, last_error = ?7, last_error_time = ?8");
  up.bind(1, to_string(r.state)).bind(2, r.center_url).bind(3, r.pending_code).bind(4, r.site_id);
  up.bind(5, r.idempotency_key);
  if (r.last_report)
    up.bind(6, *r.last_report);
  else
    up.bind_null(6);
  up.bind(7, r.last_error);
  if (r.last_error_time)
    up.bind(8, *r.last_error_time);
  else
    up.bind_null(8);
  up.run();
  tx.commit();
}

std::optional<forgotten_registration> store::forget_registration() {
  forgotten_registration f;
  {
    sqlite::transaction tx(db_);
    if (registration_in_effect(registration_now().state)) return std::nullopt;
    f.readings_dropped = drop_outbox(db_);
    tx.commit();
  }
  // After the commit: until then the state said no registration, so nothing
  // read the credential; a registration made later writes a new one.
  std::error_code ec;
  f.credential_removed = std::filesystem::remove(std::filesystem::path(state_dir_) / credential_file_name, ec);
  if (ec) throw std::system_error(ec, "cannot delete the credential in " + state_dir_);
  return f;
}

std::optional<registration_attempt> store::begin_registration(bool resume) {
  sqlite::transaction tx(db_);
  sqlite::statement q(db_, "SELECT state, center_url, pending_code, idempotency_key FROM registration");
  if (!q.step()) return std::nullopt;
  const auto state = parse_registration_state(q.column_text(0)).value_or(registration_state::unregistered);
  if (!(state == registration_state::pending || (resume && state == registration_state::registering)) ||
      q.column_text(2).empty())
    return std::nullopt;
  registration_attempt a{q.column_text(1), q.column_text(2), q.column_text(3)};
  q.reset();
  // One key per code, kept until the attempt ends: a retry after a lost
  // answer gets the same site back.
  if (a.idempotency_key.empty()) a.idempotency_key = make_uuid();
  sqlite::statement up(db_, "UPDATE registration SET state = 'registering', idempotency_key = ?1");
  up.bind(1, a.idempotency_key);
  up.run();
  tx.commit();
  return a;
}

std::int64_t store::registration_succeeded(const std::string& site_id) {
  sqlite::transaction tx(db_);
  // Readings are taken only while registered and an unregister drops them:
  // any still here belong to an earlier registration (a crash between an
  // unregister's two steps, a store from before the rule) and never go to
  // this one's center.
  const auto dropped = drop_outbox(db_);
  sqlite::statement up(db_,
                       "UPDATE registration SET state = 'registered', site_id = ?1, pending_code = '', "
                       "idempotency_key = '', last_error = '', last_error_time = NULL");
  up.bind(1, site_id);
  up.run();
  tx.commit();
  return dropped;
}

void store::registration_failed(const std::string& why, bool final) {
  // A refusal drops the code (a new one must be entered); a transport
  // failure keeps it pending, with the same key, for the next attempt.
  sqlite::statement up(db_, final
                                ? "UPDATE registration SET state = 'failed', pending_code = '', idempotency_key = '', "
                                  "last_error = ?1, last_error_time = ?2"
                                : "UPDATE registration SET state = 'pending', last_error = ?1, last_error_time = ?2");
  up.bind(1, why.substr(0, 255)).bind(2, to_unix(clock_.now()));
  up.run();
}

void store::set_revoked(const std::string& why) {
  sqlite::statement up(db_,
                       "UPDATE registration SET state = 'revoked', last_error = ?1, last_error_time = ?2 "
                       "WHERE state = 'registered'");
  up.bind(1, why.substr(0, 255)).bind(2, to_unix(clock_.now()));
  up.run();
}

void store::set_last_report() {
  sqlite::statement up(db_, "UPDATE registration SET last_report = ?1, last_error = '', last_error_time = NULL");
  up.bind(1, to_unix(clock_.now()));
  up.run();
}

void store::set_report_error(const std::string& why) {
  sqlite::statement up(db_, "UPDATE registration SET last_error = ?1, last_error_time = ?2");
  up.bind(1, why.substr(0, 255)).bind(2, to_unix(clock_.now()));
  up.run();
}

}  // namespace fleetreg::terminal
