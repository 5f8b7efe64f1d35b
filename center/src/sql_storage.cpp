// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/sql_storage.hpp"

#include <algorithm>
#include <climits>
#include <limits>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/random.hpp"

namespace fleetreg::center {
namespace {

// Versioned migrations: migration N brings the schema from N-1 to N. Never
// edit a released one; add the next.
constexpr std::string_view sqlite_migrations[] = {
    R"sql(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('dealer', 'admin')),
  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE codes (
  id INTEGER PRIMARY KEY, code_hash TEXT UNIQUE,
  dealer_id INTEGER NOT NULL REFERENCES accounts (id),
  customer TEXT NOT NULL, contact TEXT NOT NULL, reference TEXT NOT NULL,
  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, purged_at INTEGER,
  terminals_registered INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sites (
  id TEXT PRIMARY KEY, customer TEXT NOT NULL,
  dealer_id INTEGER NOT NULL REFERENCES accounts (id),
  side_kind TEXT NOT NULL, side_name TEXT NOT NULL,
  code_id INTEGER NOT NULL REFERENCES codes (id),
  created_at INTEGER NOT NULL, last_contact INTEGER, last_scheduled INTEGER);
CREATE TABLE credentials (
  id INTEGER PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id),
  hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
  used_at INTEGER, revoked_at INTEGER);
CREATE INDEX credentials_site ON credentials (site_id);
CREATE TABLE idempotency_keys (
  code_id INTEGER NOT NULL, key TEXT NOT NULL, site_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (code_id, key));
CREATE TABLE terminals (
  key TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id),
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL, registered_at INTEGER NOT NULL,
  last_reading_at INTEGER, last_taken_at INTEGER, last_counters TEXT);
CREATE INDEX terminals_site ON terminals (site_id);
CREATE TABLE requests (
  id TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id),
  kind TEXT NOT NULL, created_at INTEGER NOT NULL,
  leased_until INTEGER, answered_at INTEGER);
CREATE INDEX requests_open ON requests (site_id, answered_at);
CREATE TABLE readings (
  site_id TEXT NOT NULL, id TEXT NOT NULL, terminal_key TEXT NOT NULL,
  taken_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
  request_id TEXT NOT NULL, source TEXT NOT NULL,
  counters TEXT NOT NULL, supplies TEXT NOT NULL,
  counter_reset INTEGER NOT NULL, PRIMARY KEY (site_id, id));
CREATE INDEX readings_terminal ON readings (terminal_key, taken_at);
CREATE TABLE monitoring_tokens (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE purges (at INTEGER NOT NULL, purged INTEGER NOT NULL);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL);
)sql",
    R"sql(
CREATE TABLE retired_terminals (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, site_id TEXT NOT NULL,
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  registered_at INTEGER NOT NULL, retired_at INTEGER NOT NULL, retired_by TEXT NOT NULL);
CREATE INDEX retired_terminals_key ON retired_terminals (key);
)sql",
    R"sql(
CREATE TABLE web_sessions (
  hash TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id),
  csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX audit_actor ON audit (actor, at);
)sql",
    // Lifecycle (issue 14): codes ended early and single-site codes, dealer
    // default validity, rotation on the way, ownership periods, claims,
    // closed billing periods, late readings, scoped API tokens.
    R"sql(
ALTER TABLE codes ADD COLUMN revoked_at INTEGER;
ALTER TABLE codes ADD COLUMN single_site INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN code_validity INTEGER;
ALTER TABLE sites ADD COLUMN rotation_requested_at INTEGER;
ALTER TABLE credentials ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE readings ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
-- Readings are looked up per owning site and terminal now: this index
-- replaces the one per terminal (one index per insert, not two).
CREATE INDEX readings_site_terminal ON readings (site_id, terminal_key, taken_at);
DROP INDEX IF EXISTS readings_terminal;
CREATE INDEX sites_code ON sites (code_id);
CREATE TABLE ownership (
  key TEXT NOT NULL, site_id TEXT NOT NULL REFERENCES sites (id),
  from_at INTEGER NOT NULL, to_at INTEGER,
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL);
CREATE INDEX ownership_key ON ownership (key, site_id);
CREATE INDEX ownership_site ON ownership (site_id);
INSERT INTO ownership SELECT key, site_id, registered_at, NULL, manufacturer, model, serial, uuid, firmware
  FROM terminals;
INSERT INTO ownership SELECT key, site_id, registered_at, retired_at, manufacturer, model, serial, '', ''
  FROM retired_terminals;
CREATE TABLE claims (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL,
  holder_site_id TEXT NOT NULL REFERENCES sites (id),
  claimant_site_id TEXT NOT NULL REFERENCES sites (id),
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL, created_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', decided_at INTEGER, decided_by TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX claims_open ON claims (key, claimant_site_id) WHERE state = 'pending';
CREATE TABLE billing_closed (
  dealer_id INTEGER PRIMARY KEY REFERENCES accounts (id), until INTEGER NOT NULL);
ALTER TABLE monitoring_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'monitoring';
ALTER TABLE monitoring_tokens ADD COLUMN dealer_id INTEGER REFERENCES accounts (id);
ALTER TABLE monitoring_tokens ADD COLUMN last_used_at INTEGER;
)sql",
    // Issue 16: what a reading carries beside its counters (extras,
    // provenance, device status and alerts) as one JSON object, '' for none;
    // a dealer's billing weights ("key=factor,…", '' for none).
    R"sql(
ALTER TABLE readings ADD COLUMN details TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN billing_weights TEXT NOT NULL DEFAULT '';
)sql",
    // Issue 17: a big center (10,000 sites): a dealer's sites and the
    // claims on them are found by index, not by scanning.
    R"sql(
CREATE INDEX IF NOT EXISTS sites_dealer ON sites (dealer_id);
CREATE INDEX claims_holder ON claims (holder_site_id);
CREATE INDEX claims_claimant ON claims (claimant_site_id);
)sql",
    // Issue 19: alerts with their history; per dealer the thresholds (the
    // center's defaults as column defaults) and the order lead time; per
    // terminal the conditions its newest reading showed (so that a reading
    // that changes nothing writes nothing more).
    R"sql(
ALTER TABLE accounts ADD COLUMN alert_supply_low INTEGER NOT NULL DEFAULT 15;
ALTER TABLE accounts ADD COLUMN alert_supply_empty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN alert_terminal_silent INTEGER NOT NULL DEFAULT 86400;
ALTER TABLE accounts ADD COLUMN alert_collector_silent INTEGER NOT NULL DEFAULT 3600;
ALTER TABLE accounts ADD COLUMN alert_code_expiry INTEGER NOT NULL DEFAULT 259200;
ALTER TABLE accounts ADD COLUMN order_lead_time INTEGER NOT NULL DEFAULT 1209600;
ALTER TABLE terminals ADD COLUMN alert_conditions TEXT NOT NULL DEFAULT '';
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, dealer_id INTEGER NOT NULL REFERENCES accounts (id),
  site_id TEXT NOT NULL, terminal_key TEXT NOT NULL, code_id INTEGER NOT NULL DEFAULT 0,
  subject TEXT NOT NULL, kind TEXT NOT NULL, supply INTEGER NOT NULL DEFAULT -1,
  code TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  detail TEXT NOT NULL DEFAULT '', raised_at INTEGER NOT NULL,
  acknowledged_at INTEGER, acknowledged_by TEXT NOT NULL DEFAULT '',
  cleared_at INTEGER, cleared_by TEXT NOT NULL DEFAULT '');
CREATE TABLE alert_history (
  id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL REFERENCES alerts (id), at INTEGER NOT NULL,
  state TEXT NOT NULL, actor TEXT NOT NULL);
CREATE UNIQUE INDEX alerts_open ON alerts (subject, kind, supply, code) WHERE cleared_at IS NULL;
CREATE INDEX alerts_subject ON alerts (subject, kind, raised_at);
CREATE INDEX alerts_dealer ON alerts (dealer_id, raised_at);
CREATE INDEX alert_history_alert ON alert_history (alert_id);
)sql",
    // Issue 19 step 4: webhooks per dealer and their durable delivery
    // queue, and the e-mail digest's recipients, interval and items. A
    // delivery row (a digest item) is written in the transaction of the
    // alert transition it carries (record_transition), so none is lost; the
    // salt is not the signing secret (that is derived with the server key).
    R"sql(
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id),
  url TEXT NOT NULL, salt TEXT NOT NULL, created_at INTEGER NOT NULL,
  blocked_until INTEGER NOT NULL DEFAULT 0);
CREATE INDEX webhooks_account ON webhooks (account_id);
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY, webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
  history_id INTEGER NOT NULL REFERENCES alert_history (id), created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER, leased_until INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER, last_status INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
  delivered_at INTEGER, failed_at INTEGER, UNIQUE (webhook_id, history_id));
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
ALTER TABLE accounts ADD COLUMN digest_recipients TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN digest_interval INTEGER NOT NULL DEFAULT 3600;
ALTER TABLE accounts ADD COLUMN digest_due INTEGER NOT NULL DEFAULT 0;
CREATE TABLE digest_items (
  dealer_id INTEGER NOT NULL REFERENCES accounts (id), history_id INTEGER NOT NULL REFERENCES alert_history (id),
  PRIMARY KEY (dealer_id, history_id));
)sql",
};

// PostgreSQL starts at SQLite's schema 5, so that one number names one
// schema on both engines: migrations 1-4 have nothing to do there, and
// migration 5 creates the whole schema. Every later migration is added to
// both lists with the same number. Integers are BIGINT (times are Unix
// seconds, counters 64-bit); ids are identity columns.
constexpr std::string_view postgresql_migrations[] = {
    "SELECT 1",
    "SELECT 1",
    "SELECT 1",
    "SELECT 1",
    R"sql(
CREATE TABLE accounts (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('dealer', 'admin')),
  password_hash TEXT NOT NULL, created_at BIGINT NOT NULL,
  disabled BIGINT NOT NULL DEFAULT 0, code_validity BIGINT,
  billing_weights TEXT NOT NULL DEFAULT '');
CREATE TABLE codes (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, code_hash TEXT UNIQUE,
  dealer_id BIGINT NOT NULL REFERENCES accounts (id),
  customer TEXT NOT NULL, contact TEXT NOT NULL, reference TEXT NOT NULL,
  issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, purged_at BIGINT,
  terminals_registered BIGINT NOT NULL DEFAULT 0, revoked_at BIGINT,
  single_site BIGINT NOT NULL DEFAULT 0);
CREATE TABLE sites (
  id TEXT PRIMARY KEY, customer TEXT NOT NULL,
  dealer_id BIGINT NOT NULL REFERENCES accounts (id),
  side_kind TEXT NOT NULL, side_name TEXT NOT NULL,
  code_id BIGINT NOT NULL REFERENCES codes (id),
  created_at BIGINT NOT NULL, last_contact BIGINT, last_scheduled BIGINT,
  rotation_requested_at BIGINT);
CREATE INDEX sites_code ON sites (code_id);
CREATE INDEX sites_dealer ON sites (dealer_id);
CREATE TABLE credentials (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id),
  hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL,
  used_at BIGINT, revoked_at BIGINT, pending BIGINT NOT NULL DEFAULT 0);
CREATE INDEX credentials_site ON credentials (site_id);
CREATE TABLE idempotency_keys (
  code_id BIGINT NOT NULL, key TEXT NOT NULL, site_id TEXT NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (code_id, key));
CREATE TABLE terminals (
  key TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id),
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL, registered_at BIGINT NOT NULL,
  last_reading_at BIGINT, last_taken_at BIGINT, last_counters TEXT);
CREATE INDEX terminals_site ON terminals (site_id);
CREATE TABLE requests (
  id TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id),
  kind TEXT NOT NULL, created_at BIGINT NOT NULL,
  leased_until BIGINT, answered_at BIGINT);
CREATE INDEX requests_open ON requests (site_id, answered_at);
CREATE TABLE readings (
  site_id TEXT NOT NULL, id TEXT NOT NULL, terminal_key TEXT NOT NULL,
  taken_at BIGINT NOT NULL, received_at BIGINT NOT NULL,
  request_id TEXT NOT NULL, source TEXT NOT NULL,
  counters TEXT NOT NULL, supplies TEXT NOT NULL,
  counter_reset BIGINT NOT NULL, late BIGINT NOT NULL DEFAULT 0,
  details TEXT NOT NULL DEFAULT '', PRIMARY KEY (site_id, id));
CREATE INDEX readings_site_terminal ON readings (site_id, terminal_key, taken_at);
CREATE TABLE monitoring_tokens (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL, revoked_at BIGINT,
  scope TEXT NOT NULL DEFAULT 'monitoring', dealer_id BIGINT REFERENCES accounts (id),
  last_used_at BIGINT);
CREATE TABLE purges (at BIGINT NOT NULL, purged BIGINT NOT NULL);
CREATE TABLE audit (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX audit_actor ON audit (actor, at);
CREATE INDEX audit_at ON audit (at);
CREATE TABLE retired_terminals (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, key TEXT NOT NULL, site_id TEXT NOT NULL,
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  registered_at BIGINT NOT NULL, retired_at BIGINT NOT NULL, retired_by TEXT NOT NULL);
CREATE INDEX retired_terminals_key ON retired_terminals (key);
CREATE TABLE web_sessions (
  hash TEXT PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts (id),
  csrf TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE ownership (
  key TEXT NOT NULL, site_id TEXT NOT NULL REFERENCES sites (id),
  from_at BIGINT NOT NULL, to_at BIGINT,
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL);
CREATE INDEX ownership_key ON ownership (key, site_id);
CREATE INDEX ownership_site ON ownership (site_id);
CREATE TABLE claims (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, key TEXT NOT NULL,
  holder_site_id TEXT NOT NULL REFERENCES sites (id),
  claimant_site_id TEXT NOT NULL REFERENCES sites (id),
  manufacturer TEXT NOT NULL, model TEXT NOT NULL, serial TEXT NOT NULL,
  uuid TEXT NOT NULL, firmware TEXT NOT NULL, created_at BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', decided_at BIGINT, decided_by TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX claims_open ON claims (key, claimant_site_id) WHERE state = 'pending';
CREATE TABLE billing_closed (
  dealer_id BIGINT PRIMARY KEY REFERENCES accounts (id), until BIGINT NOT NULL);
)sql",
    // Issue 17: a big center (10,000 sites; sites_dealer exists here since 5): a dealer's sites and the
    // claims on them are found by index, not by scanning.
    R"sql(
CREATE INDEX IF NOT EXISTS sites_dealer ON sites (dealer_id);
CREATE INDEX claims_holder ON claims (holder_site_id);
CREATE INDEX claims_claimant ON claims (claimant_site_id);
)sql",
    // Issue 19 (see the SQLite list).
    R"sql(
ALTER TABLE accounts ADD COLUMN alert_supply_low BIGINT NOT NULL DEFAULT 15;
ALTER TABLE accounts ADD COLUMN alert_supply_empty BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN alert_terminal_silent BIGINT NOT NULL DEFAULT 86400;
ALTER TABLE accounts ADD COLUMN alert_collector_silent BIGINT NOT NULL DEFAULT 3600;
ALTER TABLE accounts ADD COLUMN alert_code_expiry BIGINT NOT NULL DEFAULT 259200;
ALTER TABLE accounts ADD COLUMN order_lead_time BIGINT NOT NULL DEFAULT 1209600;
ALTER TABLE terminals ADD COLUMN alert_conditions TEXT NOT NULL DEFAULT '';
CREATE TABLE alerts (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, dealer_id BIGINT NOT NULL REFERENCES accounts (id),
  site_id TEXT NOT NULL, terminal_key TEXT NOT NULL, code_id BIGINT NOT NULL DEFAULT 0,
  subject TEXT NOT NULL, kind TEXT NOT NULL, supply BIGINT NOT NULL DEFAULT -1,
  code TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  detail TEXT NOT NULL DEFAULT '', raised_at BIGINT NOT NULL,
  acknowledged_at BIGINT, acknowledged_by TEXT NOT NULL DEFAULT '',
  cleared_at BIGINT, cleared_by TEXT NOT NULL DEFAULT '');
CREATE TABLE alert_history (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, alert_id BIGINT NOT NULL REFERENCES alerts (id),
  at BIGINT NOT NULL, state TEXT NOT NULL, actor TEXT NOT NULL);
CREATE UNIQUE INDEX alerts_open ON alerts (subject, kind, supply, code) WHERE cleared_at IS NULL;
CREATE INDEX alerts_subject ON alerts (subject, kind, raised_at);
CREATE INDEX alerts_dealer ON alerts (dealer_id, raised_at);
CREATE INDEX alert_history_alert ON alert_history (alert_id);
)sql",
    // Issue 19 step 4 (see the SQLite list).
    R"sql(
CREATE TABLE webhooks (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts (id),
  url TEXT NOT NULL, salt TEXT NOT NULL, created_at BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL DEFAULT 0);
CREATE INDEX webhooks_account ON webhooks (account_id);
CREATE TABLE deliveries (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
  history_id BIGINT NOT NULL REFERENCES alert_history (id), created_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0, next_attempt_at BIGINT, leased_until BIGINT NOT NULL DEFAULT 0,
  last_attempt_at BIGINT, last_status BIGINT NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
  delivered_at BIGINT, failed_at BIGINT, UNIQUE (webhook_id, history_id));
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
ALTER TABLE accounts ADD COLUMN digest_recipients TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN digest_interval BIGINT NOT NULL DEFAULT 3600;
ALTER TABLE accounts ADD COLUMN digest_due BIGINT NOT NULL DEFAULT 0;
CREATE TABLE digest_items (
  dealer_id BIGINT NOT NULL REFERENCES accounts (id), history_id BIGINT NOT NULL REFERENCES alert_history (id),
  PRIMARY KEY (dealer_id, history_id));
)sql",
};
static_assert(std::size(postgresql_migrations) == std::size(sqlite_migrations),
              "a migration is added to both engines with the same number");

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::optional<time_point> opt_time(const sql::statement& q, int col) {
  if (q.column_is_null(col)) return std::nullopt;
  return from_unix(q.column_int(col));
}

std::string role_name(role r) { return r == role::admin ? "admin" : "dealer"; }

account read_account(const sql::statement& q) {
  account a;
  a.id = q.column_int(0);
  a.name = q.column_text(1);
  a.role = q.column_text(2) == "admin" ? role::admin : role::dealer;
  a.password_hash = q.column_text(3);
  a.disabled = q.column_int(4) != 0;
  if (!q.column_is_null(5)) a.code_validity = std::chrono::seconds(q.column_int(5));
  a.billing_weights = q.column_text(6);
  a.alerts.supply_low = static_cast<int>(q.column_int(7));
  a.alerts.supply_empty = static_cast<int>(q.column_int(8));
  a.alerts.terminal_silent = std::chrono::seconds(q.column_int(9));
  a.alerts.collector_silent = std::chrono::seconds(q.column_int(10));
  a.alerts.code_expiry = std::chrono::seconds(q.column_int(11));
  a.alerts.lead_time = std::chrono::seconds(q.column_int(12));
  a.digest_recipients = q.column_text(13);
  a.digest_interval = std::chrono::seconds(q.column_int(14));
  return a;
}

constexpr const char* account_select =
    "SELECT id, name, role, password_hash, disabled, code_validity, billing_weights, alert_supply_low, "
    "alert_supply_empty, alert_terminal_silent, alert_collector_silent, alert_code_expiry, order_lead_time, "
    "digest_recipients, digest_interval FROM accounts ";

constexpr const char* code_columns =
    "c.id, c.dealer_id, a.name, c.customer, c.contact, c.reference, c.issued_at, c.expires_at, "
    "c.purged_at, c.terminals_registered, c.revoked_at, c.single_site, "
    "(SELECT count(*) FROM sites s WHERE s.code_id = c.id) FROM codes c JOIN accounts a ON a.id = c.dealer_id";

code_record read_code(const sql::statement& q) {
  code_record c;
  c.id = q.column_int(0);
  c.dealer_id = q.column_int(1);
  c.dealer_name = q.column_text(2);
  c.customer = q.column_text(3);
  c.contact = q.column_text(4);
  c.reference = q.column_text(5);
  c.issued_at = from_unix(q.column_int(6));
  c.expires_at = from_unix(q.column_int(7));
  c.purged_at = opt_time(q, 8);
  c.terminals_registered = q.column_int(9);
  c.revoked_at = opt_time(q, 10);
  c.single_site = q.column_int(11) != 0;
  c.sites_registered = q.column_int(12);
  return c;
}

constexpr const char* site_columns =
    "s.id, s.customer, s.dealer_id, s.side_kind, s.side_name, s.code_id, s.created_at, s.last_contact, "
    "EXISTS (SELECT 1 FROM credentials k WHERE k.site_id = s.id AND k.revoked_at IS NULL), "
    "s.rotation_requested_at FROM sites s";

site read_site(const sql::statement& q) {
  site s;
  s.id = q.column_text(0);
  s.customer = q.column_text(1);
  s.dealer_id = q.column_int(2);
  s.side.kind = q.column_text(3);
  s.side.name = q.column_text(4);
  s.code_id = q.column_int(5);
  s.created_at = from_unix(q.column_int(6));
  s.last_contact = opt_time(q, 7);
  s.credential_active = q.column_int(8) != 0;
  s.rotation_requested_at = opt_time(q, 9);
  return s;
}

terminal_record read_terminal(const sql::statement& q) {
  terminal_record t;
  t.key = q.column_text(0);
  t.site_id = q.column_text(1);
  t.id = {q.column_text(2), q.column_text(3), q.column_text(4), q.column_text(5), q.column_text(6)};
  t.registered_at = from_unix(q.column_int(7));
  t.last_reading_at = opt_time(q, 8);
  return t;
}

constexpr const char* terminal_columns =
    "key, site_id, manufacturer, model, serial, uuid, firmware, registered_at, last_reading_at FROM terminals";

void insert_terminal(sql::connection& db, const std::string& site_id, const std::string& key, const identity& id,
                     time_point now) {
  sql::statement ins(db,
                     "INSERT INTO terminals (key, site_id, manufacturer, model, serial, uuid, firmware, "
                     "registered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (key) DO UPDATE SET "
                     "model = excluded.model, firmware = excluded.firmware, uuid = excluded.uuid");
  ins.bind(1, key).bind(2, site_id).bind(3, id.manufacturer).bind(4, id.model).bind(5, id.serial);
  ins.bind(6, id.uuid).bind(7, id.firmware).bind(8, to_unix(now));
  ins.run();
}

// Opens an ownership period of `key` at `site_id` from `from`.
void open_period(sql::connection& db, const std::string& key, const std::string& site_id, std::int64_t from,
                 const identity& id) {
  sql::statement ins(db,
                     "INSERT INTO ownership (key, site_id, from_at, manufacturer, model, serial, uuid, firmware) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  ins.bind(1, key).bind(2, site_id).bind(3, from).bind(4, id.manufacturer).bind(5, id.model).bind(6, id.serial);
  ins.bind(7, id.uuid).bind(8, id.firmware);
  ins.run();
}

// Ends the open ownership period of `key` at `site_id`; returns when it began
// (nullopt when none was open).
std::optional<std::int64_t> close_period(sql::connection& db, const std::string& key, const std::string& site_id,
                                         std::int64_t at) {
  sql::statement q(db, "SELECT from_at FROM ownership WHERE key = ?1 AND site_id = ?2 AND to_at IS NULL");
  q.bind(1, key).bind(2, site_id);
  if (!q.step()) return std::nullopt;
  const auto from = q.column_int(0);
  q.reset();
  sql::statement up(db, "UPDATE ownership SET to_at = ?1 WHERE key = ?2 AND site_id = ?3 AND to_at IS NULL");
  up.bind(1, std::max(at, from)).bind(2, key).bind(3, site_id);
  up.run();
  return from;
}

void add_audit(sql::connection& db, const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& detail, std::int64_t at) {
  sql::statement ins(db, "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  ins.bind(1, at).bind(2, actor).bind(3, action).bind(4, subject).bind(5, detail);
  ins.run();
}

// The site a terminal is registered to, or empty.
std::string site_of_terminal(sql::connection& db, const std::string& key) {
  sql::statement q(db, "SELECT site_id FROM terminals WHERE key = ?1");
  q.bind(1, key);
  return q.step() ? q.column_text(0) : std::string();
}

std::vector<terminal_record> terminals_of(sql::connection& db, const std::string& site_id) {
  sql::statement q(db, std::string("SELECT ") + terminal_columns + " WHERE site_id = ?1 ORDER BY key");
  q.bind(1, site_id);
  return q.rows(read_terminal);
}

}  // namespace

sql::migrations sql_storage::migrations_for(sql::dialect d) {
  if (d == sql::dialect::sqlite) return {std::begin(sqlite_migrations), std::end(sqlite_migrations)};
  return {std::begin(postgresql_migrations), std::end(postgresql_migrations)};
}

int sql_storage::schema_version() { return static_cast<int>(std::size(sqlite_migrations)); }

sql_storage::sql_storage(std::unique_ptr<sql::database> db) : db_(std::move(db)) {
  db_->migrate(migrations_for(db_->kind()));
}

sql_storage::~sql_storage() = default;

bool sql_storage::add_account(const std::string& name, role r, const std::string& password_hash, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement ins(db,
                     "INSERT INTO accounts (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (name) DO NOTHING");
  ins.bind(1, name).bind(2, role_name(r)).bind(3, password_hash).bind(4, to_unix(now));
  ins.run();
  return ins.changes() == 1;
}

std::optional<account> sql_storage::find_account(const std::string& name) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string(account_select) + "WHERE name = ?1");
  q.bind(1, name);
  return q.first(read_account);
}

std::optional<account> sql_storage::find_account(std::int64_t id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string(account_select) + "WHERE id = ?1");
  q.bind(1, id);
  return q.first(read_account);
}

std::int64_t sql_storage::add_code(const code_record& c, std::span<const unsigned char> hash) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement ins(db,
                     "INSERT INTO codes (code_hash, dealer_id, customer, contact, reference, issued_at, "
                     "expires_at, single_site) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
  ins.bind(1, hex(hash)).bind(2, c.dealer_id).bind(3, c.customer).bind(4, c.contact).bind(5, c.reference);
  ins.bind(6, to_unix(c.issued_at)).bind(7, to_unix(c.expires_at)).bind(8, c.single_site ? 1 : 0);
  return ins.first([](const sql::statement& q) { return q.column_int(0); }).value_or(0);
}

std::optional<code_record> sql_storage::find_code(std::span<const unsigned char> hash) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + code_columns + " WHERE c.code_hash = ?1");
  q.bind(1, hex(hash));
  return q.first(read_code);
}

std::vector<code_record> sql_storage::list_codes(std::optional<std::int64_t> dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db,
                   std::string("SELECT ") + code_columns +
                       " WHERE CAST(?1 AS BIGINT) IS NULL OR c.dealer_id = ?1 ORDER BY c.issued_at DESC, c.id DESC");
  q.bind(1, dealer_id);
  return q.rows(read_code);
}

std::optional<code_record> sql_storage::find_code(std::int64_t id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + code_columns + " WHERE c.id = ?1");
  q.bind(1, id);
  return q.first(read_code);
}

bool sql_storage::revoke_code(std::int64_t id, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  // The hash stays until the purge, so that the code is refused as revoked
  // (not as unknown) meanwhile.
  sql::statement up(db,
                    "UPDATE codes SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL "
                    "AND code_hash IS NOT NULL AND expires_at > ?1");
  up.bind(1, to_unix(now)).bind(2, id);
  up.run();
  return up.changes() == 1;
}

void sql_storage::set_billing_weights(std::int64_t account_id, const std::string& weights) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db, "UPDATE accounts SET billing_weights = ?1 WHERE id = ?2");
  up.bind(1, weights).bind(2, account_id);
  up.run();
}

void sql_storage::set_code_validity(std::int64_t account_id, std::optional<std::chrono::seconds> validity) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db, "UPDATE accounts SET code_validity = ?1 WHERE id = ?2");
  if (validity)
    up.bind(1, static_cast<std::int64_t>(validity->count()));
  else
    up.bind_null(1);
  up.bind(2, account_id);
  up.run();
}

std::int64_t sql_storage::purge_codes(time_point now) {
  return retrying([&]() -> std::int64_t {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement up(db,
                      "UPDATE codes SET code_hash = NULL, purged_at = ?1 "
                      "WHERE code_hash IS NOT NULL AND (expires_at <= ?1 OR revoked_at IS NOT NULL)");
    up.bind(1, to_unix(now));
    up.run();
    const auto n = up.changes();
    sql::statement log_purge(db, "INSERT INTO purges (at, purged) VALUES (?1, ?2)");
    log_purge.bind(1, to_unix(now)).bind(2, n);
    log_purge.run();
    tx.commit();
    return n;
  });
}

std::vector<terminal_answer> sql_storage::place_terminals_locked(
    sql::connection& db, const std::string& site_id, std::int64_t dealer_id, const std::string& customer,
    const std::vector<std::pair<std::string, identity>>& terminals, time_point now,
    std::vector<std::string>* taken_over) {
  const auto t = to_unix(now);
  std::vector<terminal_answer> out;
  out.reserve(terminals.size());
  sql::statement holder_q(db,
                          "SELECT s.id, s.dealer_id, s.customer, EXISTS (SELECT 1 FROM credentials k WHERE "
                          "k.site_id = s.id AND k.revoked_at IS NULL) FROM terminals t JOIN sites s "
                          "ON s.id = t.site_id WHERE t.key = ?1");
  for (const auto& [key, id] : terminals) {
    holder_q.bind(1, key);
    if (!holder_q.step()) {
      holder_q.reset();
      insert_terminal(db, site_id, key, id, now);
      open_period(db, key, site_id, t, id);
      out.push_back({key, "registered", ""});
      continue;
    }
    const auto holder = holder_q.column_text(0);
    const bool same_customer = holder_q.column_int(1) == dealer_id && holder_q.column_text(2) == customer;
    const bool holder_revoked = holder_q.column_int(3) == 0;
    holder_q.reset();
    if (holder == site_id) {
      insert_terminal(db, site_id, key, id, now);  // refreshes model and firmware
      out.push_back({key, "already_yours", ""});
      continue;
    }
    if (same_customer && holder_revoked) {
      // The customer's own terminal, left at a site whose credentials were
      // revoked: a new code of the same dealer for the same customer takes it
      // over. The ownership goes on (same customer): the reset check too.
      const auto from = close_period(db, key, holder, t).value_or(t);
      open_period(db, key, site_id, from, id);
      // Its alerts stay with the old site (the timer clears them): the next
      // reading raises what still holds at the new one.
      sql::statement up(db, "UPDATE terminals SET site_id = ?1, alert_conditions = '' WHERE key = ?2");
      up.bind(1, site_id).bind(2, key);
      up.run();
      sql::statement moved(db,
                           "UPDATE claims SET holder_site_id = ?1 WHERE key = ?2 AND state = 'pending' AND "
                           "claimant_site_id <> ?1");
      moved.bind(1, site_id).bind(2, key);
      moved.run();
      sql::statement own(db,
                         "UPDATE claims SET state = 'withdrawn', decided_at = ?1, decided_by = 'takeover' "
                         "WHERE key = ?2 AND state = 'pending' AND claimant_site_id = ?3");
      own.bind(1, t).bind(2, key).bind(3, site_id);
      own.run();
      add_audit(db, "center", "terminal.takeover", key, holder + " -> " + site_id + " (" + customer + ")", t);
      if (taken_over) taken_over->push_back(key);
      out.push_back({key, "registered", ""});
      continue;
    }
    sql::statement ins(db,
                       "INSERT INTO claims (key, holder_site_id, claimant_site_id, manufacturer, model, serial, "
                       "uuid, firmware, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                       "ON CONFLICT (key, claimant_site_id) WHERE state = 'pending' DO NOTHING");
    ins.bind(1, key).bind(2, holder).bind(3, site_id).bind(4, id.manufacturer).bind(5, id.model);
    ins.bind(6, id.serial).bind(7, id.uuid).bind(8, id.firmware).bind(9, t);
    ins.run();
    if (ins.changes() == 1)
      add_audit(db, "center", "claim.open", key, "site " + site_id + " claims it from site " + holder, t);
    out.push_back({key, "pending_claim", "awaiting_dealer"});
  }
  return out;
}

registration_result sql_storage::register_site(const registration_input& in) {
  return retrying([&]() -> registration_result {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    registration_result r;
    const auto now = to_unix(in.now);
    auto add_credential = [&](const std::string& site_id) {
      sql::statement ins(db, "INSERT INTO credentials (site_id, hash, created_at) VALUES (?1, ?2, ?3)");
      ins.bind(1, site_id).bind(2, hex(in.credential_hash)).bind(3, now);
      ins.run();
    };

    // A retry with the same Idempotency-Key: same site, fresh credential, the
    // earlier never-used ones revoked; the answers say where each key is now.
    if (!in.idempotency_key.empty()) {
      sql::statement q(db, "SELECT site_id FROM idempotency_keys WHERE code_id = ?1 AND key = ?2");
      q.bind(1, in.code_id).bind(2, in.idempotency_key);
      if (q.step()) {
        r.outcome = registration_result::kind::retried;
        r.site_id = q.column_text(0);
        sql::statement rev(db,
                           "UPDATE credentials SET revoked_at = ?1 WHERE site_id = ?2 AND used_at IS NULL "
                           "AND revoked_at IS NULL");
        rev.bind(1, now).bind(2, r.site_id);
        rev.run();
        add_credential(r.site_id);
        r.terminals = terminals_of(db, r.site_id);
        sql::statement claimed(db,
                               "SELECT 1 FROM claims WHERE key = ?1 AND claimant_site_id = ?2 AND state = 'pending'");
        for (const auto& asked : in.terminals) {
          const auto& key = asked.first;  // (a structured binding cannot be captured by clang 14)
          const bool here =
              std::any_of(r.terminals.begin(), r.terminals.end(), [&](const auto& t) { return t.key == key; });
          claimed.bind(1, key).bind(2, r.site_id);
          const bool pending = claimed.step();
          claimed.reset();
          r.answers.push_back(here      ? terminal_answer{key, "registered", ""}
                              : pending ? terminal_answer{key, "pending_claim", "awaiting_dealer"}
                                        : terminal_answer{key, "refused", "not_available"});
        }
        tx.commit();
        return r;
      }
    }

    sql::statement code_q(db,
                          "SELECT customer, dealer_id, single_site, (SELECT count(*) FROM sites WHERE code_id = ?1) "
                          "FROM codes WHERE id = ?1");
    code_q.bind(1, in.code_id);
    if (!code_q.step()) throw error(exit_code::software, "registration for an unknown code");
    const auto customer = code_q.column_text(0);
    const auto dealer_id = code_q.column_int(1);
    if (code_q.column_int(2) != 0 && code_q.column_int(3) > 0) {
      r.outcome = registration_result::kind::code_used;
      return r;  // rolled back: nothing changed
    }
    code_q.reset();

    r.site_id = make_uuid();
    sql::statement ins(db,
                       "INSERT INTO sites (id, customer, dealer_id, side_kind, side_name, code_id, created_at, "
                       "last_contact) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
    ins.bind(1, r.site_id).bind(2, customer).bind(3, dealer_id).bind(4, in.side.kind).bind(5, in.side.name);
    ins.bind(6, in.code_id).bind(7, now);
    ins.run();
    r.answers = place_terminals_locked(db, r.site_id, dealer_id, customer, in.terminals, in.now, &r.taken_over);
    add_credential(r.site_id);
    if (!in.idempotency_key.empty()) {
      sql::statement idem(db,
                          "INSERT INTO idempotency_keys (code_id, key, site_id, created_at) "
                          "VALUES (?1, ?2, ?3, ?4)");
      idem.bind(1, in.code_id).bind(2, in.idempotency_key).bind(3, r.site_id).bind(4, now);
      idem.run();
    }
    const auto placed = std::count_if(r.answers.begin(), r.answers.end(),
                                      [](const terminal_answer& a) { return a.status == "registered"; });
    sql::statement used(db, "UPDATE codes SET terminals_registered = terminals_registered + ?1 WHERE id = ?2");
    used.bind(1, static_cast<std::int64_t>(placed)).bind(2, in.code_id);
    used.run();
    r.terminals = terminals_of(db, r.site_id);
    tx.commit();
    return r;
  });
}

std::optional<site> sql_storage::site_by_credential(std::span<const unsigned char> hash, time_point now,
                                                    std::chrono::seconds overlap) {
  return retrying([&]() -> std::optional<site> {
    auto held = db_->acquire();
    auto& db = *held;
    // site_columns ends with " FROM sites s": the credential's columns go before it.
    const std::string columns = site_columns;
    const auto from = columns.rfind(" FROM sites s");
    sql::statement cq(db, "SELECT " + columns.substr(0, from) +
                              ", c.id, c.pending, c.used_at FROM sites s JOIN credentials c ON c.site_id = s.id "
                              "WHERE c.hash = ?1 AND c.revoked_at IS NULL");
    cq.bind(1, hex(hash));
    if (!cq.step()) return std::nullopt;
    auto s = read_site(cq);
    const auto credential_id = cq.column_int(10);
    const bool pending = cq.column_int(11) != 0;
    const bool used = !cq.column_is_null(12);
    cq.reset();
    const auto t = to_unix(now);
    if (pending) {
      // The credential sent by rotation, used for the first time: the rotation
      // is confirmed, every other credential of the site stops.
      sql::transaction tx(db);
      sql::statement rev(
          db, "UPDATE credentials SET revoked_at = ?1 WHERE site_id = ?2 AND id <> ?3 AND revoked_at IS NULL");
      rev.bind(1, t).bind(2, s.id).bind(3, credential_id);
      rev.run();
      sql::statement up(db, "UPDATE credentials SET pending = 0, used_at = ?1 WHERE id = ?2");
      up.bind(1, t).bind(2, credential_id);
      up.run();
      sql::statement done(db, "UPDATE sites SET rotation_requested_at = NULL WHERE id = ?1");
      done.bind(1, s.id);
      done.run();
      add_audit(db, s.side.kind + ":" + s.side.name, "credential.rotated", s.id, "new credential confirmed", t);
      tx.commit();
      s.rotation_requested_at.reset();
      return s;
    }
    if (s.rotation_requested_at && *s.rotation_requested_at + overlap <= now) {
      // The overlap ended before the new credential was confirmed: the old
      // ones stop (the site registers again with a new code).
      sql::transaction tx(db);
      sql::statement rev(db,
                         "UPDATE credentials SET revoked_at = ?1 WHERE site_id = ?2 AND pending = 0 "
                         "AND revoked_at IS NULL");
      rev.bind(1, t).bind(2, s.id);
      rev.run();
      add_audit(db, "center", "credential.expire", s.id, "rotation not confirmed within the overlap", t);
      tx.commit();
      return std::nullopt;
    }
    if (!used) {
      // Mark the credential used (only the first time: no write per request).
      sql::statement up(db, "UPDATE credentials SET used_at = ?1 WHERE id = ?2");
      up.bind(1, t).bind(2, credential_id);
      up.run();
    }
    return s;
  });
}

bool sql_storage::request_rotation(const std::string& site_id, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db,
                    "UPDATE sites SET rotation_requested_at = coalesce(rotation_requested_at, ?1) WHERE id = ?2 "
                    "AND EXISTS (SELECT 1 FROM credentials k WHERE k.site_id = ?2 AND k.revoked_at IS NULL)");
  up.bind(1, to_unix(now)).bind(2, site_id);
  up.run();
  return up.changes() == 1;
}

bool sql_storage::issue_rotation(const std::string& site_id, std::span<const unsigned char> hash, time_point now) {
  return retrying([&]() -> bool {
    auto held = db_->acquire();
    auto& db = *held;
    // Asked at every long-poll: the common answer (no rotation) opens no
    // transaction.
    sql::statement q(db, "SELECT 1 FROM sites WHERE id = ?1 AND rotation_requested_at IS NOT NULL");
    q.bind(1, site_id);
    if (!q.step()) return false;
    q.reset();
    sql::transaction tx(db);
    const auto t = to_unix(now);
    // One credential on its way at a time: an earlier one was lost or never used.
    sql::statement rev(db,
                       "UPDATE credentials SET revoked_at = ?1 WHERE site_id = ?2 AND pending = 1 "
                       "AND revoked_at IS NULL");
    rev.bind(1, t).bind(2, site_id);
    rev.run();
    sql::statement ins(db, "INSERT INTO credentials (site_id, hash, created_at, pending) VALUES (?1, ?2, ?3, 1)");
    ins.bind(1, site_id).bind(2, hex(hash)).bind(3, t);
    ins.run();
    tx.commit();
    return true;
  });
}

std::optional<site> sql_storage::find_site(const std::string& id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + site_columns + " WHERE s.id = ?1");
  q.bind(1, id);
  return q.first(read_site);
}

std::vector<site> sql_storage::list_sites(std::optional<std::int64_t> dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + site_columns +
                           " WHERE CAST(?1 AS BIGINT) IS NULL OR s.dealer_id = ?1 ORDER BY s.created_at, s.id");
  q.bind(1, dealer_id);
  return q.rows(read_site);
}

void sql_storage::replace_credentials(const std::string& site_id,
                                      const std::optional<std::vector<unsigned char>>& replacement, time_point now) {
  return retrying([&]() -> void {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement rev(db, "UPDATE credentials SET revoked_at = ?1 WHERE site_id = ?2 AND revoked_at IS NULL");
    rev.bind(1, to_unix(now)).bind(2, site_id);
    rev.run();
    if (replacement) {
      sql::statement ins(db, "INSERT INTO credentials (site_id, hash, created_at) VALUES (?1, ?2, ?3)");
      ins.bind(1, site_id).bind(2, hex(*replacement)).bind(3, to_unix(now));
      ins.run();
    }
    tx.commit();
  });
}

std::vector<terminal_answer> sql_storage::add_terminals(const std::string& site_id,
                                                        const std::vector<std::pair<std::string, identity>>& terminals,
                                                        time_point now) {
  return retrying([&]() -> std::vector<terminal_answer> {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement q(db, "SELECT dealer_id, customer FROM sites WHERE id = ?1");
    q.bind(1, site_id);
    if (!q.step()) throw error(exit_code::software, "terminals added to an unknown site");
    const auto dealer_id = q.column_int(0);
    const auto customer = q.column_text(1);
    q.reset();
    auto answers = place_terminals_locked(db, site_id, dealer_id, customer, terminals, now, nullptr);
    tx.commit();
    return answers;
  });
}

std::vector<terminal_record> sql_storage::list_terminals(const std::string& site_id) {
  auto held = db_->acquire();
  auto& db = *held;
  return terminals_of(db, site_id);
}

std::optional<terminal_record> sql_storage::find_terminal(const std::string& key) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + terminal_columns + " WHERE key = ?1");
  q.bind(1, key);
  return q.first(read_terminal);
}

void sql_storage::transfer_terminal(const std::string& key, const std::string& to_site_id, const std::string& actor,
                                    time_point now) {
  return retrying([&]() -> void {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    const auto t = to_unix(now);
    const auto from_site = site_of_terminal(db, key);
    if (from_site.empty() || from_site == to_site_id) return;
    sql::statement idq(db, "SELECT manufacturer, model, serial, uuid, firmware FROM terminals WHERE key = ?1");
    idq.bind(1, key);
    idq.step();
    const identity id{idq.column_text(0), idq.column_text(1), idq.column_text(2), idq.column_text(3),
                      idq.column_text(4)};
    idq.reset();
    close_period(db, key, from_site, t);
    open_period(db, key, to_site_id, t, id);
    // The reset check starts afresh at the new site.
    sql::statement up(db,
                      "UPDATE terminals SET site_id = ?1, registered_at = ?2, last_counters = NULL, "
                      "last_taken_at = NULL, last_reading_at = NULL, alert_conditions = '' WHERE key = ?3");
    up.bind(1, to_site_id).bind(2, t).bind(3, key);
    up.run();
    sql::statement accepted(db,
                            "UPDATE claims SET state = 'accepted', decided_at = ?1, decided_by = ?2 WHERE key = ?3 "
                            "AND claimant_site_id = ?4 AND state = 'pending'");
    accepted.bind(1, t).bind(2, actor).bind(3, key).bind(4, to_site_id);
    accepted.run();
    sql::statement others(db, "UPDATE claims SET holder_site_id = ?1 WHERE key = ?2 AND state = 'pending'");
    others.bind(1, to_site_id).bind(2, key);
    others.run();
    tx.commit();
  });
}

void sql_storage::retire_terminal(const std::string& key, const std::string& actor, time_point now) {
  return retrying([&]() -> void {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    const auto t = to_unix(now);
    const auto site_id = site_of_terminal(db, key);
    if (site_id.empty()) return;
    sql::statement keep(db,
                        "INSERT INTO retired_terminals (key, site_id, manufacturer, model, serial, "
                        "registered_at, retired_at, retired_by) SELECT key, site_id, manufacturer, model, "
                        "serial, registered_at, ?1, ?2 FROM terminals WHERE key = ?3");
    keep.bind(1, t).bind(2, actor).bind(3, key);
    keep.run();
    close_period(db, key, site_id, t);
    sql::statement del(db, "DELETE FROM terminals WHERE key = ?1");
    del.bind(1, key);
    del.run();
    // Nobody holds it now: the claimants' next registration gets it.
    sql::statement claims(db,
                          "UPDATE claims SET state = 'withdrawn', decided_at = ?1, decided_by = ?2 WHERE key = ?3 "
                          "AND state = 'pending'");
    claims.bind(1, t).bind(2, actor).bind(3, key);
    claims.run();
    tx.commit();
  });
}

namespace {

constexpr const char* claim_columns =
    "c.id, c.key, c.holder_site_id, c.claimant_site_id, k.customer, k.dealer_id, c.manufacturer, c.model, c.serial, "
    "c.uuid, c.firmware, c.created_at, c.state, c.decided_at, c.decided_by FROM claims c "
    "JOIN sites k ON k.id = c.claimant_site_id JOIN sites h ON h.id = c.holder_site_id";

claim read_claim(const sql::statement& q) {
  claim c;
  c.id = q.column_int(0);
  c.key = q.column_text(1);
  c.holder_site_id = q.column_text(2);
  c.claimant_site_id = q.column_text(3);
  c.claimant_customer = q.column_text(4);
  c.claimant_dealer_id = q.column_int(5);
  c.terminal = {q.column_text(6), q.column_text(7), q.column_text(8), q.column_text(9), q.column_text(10)};
  c.created_at = from_unix(q.column_int(11));
  c.state = q.column_text(12);
  c.decided_at = opt_time(q, 13);
  c.decided_by = q.column_text(14);
  return c;
}

}  // namespace

std::vector<claim> sql_storage::list_claims(std::optional<std::int64_t> dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + claim_columns +
                           " WHERE CAST(?1 AS BIGINT) IS NULL OR h.dealer_id = ?1 OR k.dealer_id = ?1 "
                           "ORDER BY c.state = 'pending' DESC, c.created_at DESC, c.id DESC LIMIT 1000");
  q.bind(1, dealer_id);
  return q.rows(read_claim);
}

std::optional<claim> sql_storage::find_claim(std::int64_t id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + claim_columns + " WHERE c.id = ?1");
  q.bind(1, id);
  return q.first(read_claim);
}

bool sql_storage::refuse_claim(std::int64_t id, const std::string& actor, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db,
                    "UPDATE claims SET state = 'refused', decided_at = ?1, decided_by = ?2 WHERE id = ?3 "
                    "AND state = 'pending'");
  up.bind(1, to_unix(now)).bind(2, actor).bind(3, id);
  up.run();
  return up.changes() == 1;
}

std::string sql_storage::queue_request(const std::string& site_id, const std::string& kind, time_point now) {
  const auto id = make_uuid();
  {
    auto held = db_->acquire();
    auto& db = *held;
    sql::statement ins(db, "INSERT INTO requests (id, site_id, kind, created_at) VALUES (?1, ?2, ?3, ?4)");
    ins.bind(1, id).bind(2, site_id).bind(3, kind).bind(4, to_unix(now));
    ins.run();
  }
  notify(site_id);
  return id;
}

std::vector<std::string> sql_storage::queue_due_requests(time_point now, std::chrono::milliseconds every) {
  return retrying([&]() -> std::vector<std::string> {
    std::vector<std::string> sites;
    {
      auto held = db_->acquire();
      auto& db = *held;
      sql::transaction tx(db);
      const auto due = to_unix(now) - std::chrono::duration_cast<std::chrono::seconds>(every).count();
      // A last run in the future (the clock was ahead and went back) is due
      // now: else the site would wait until the clock catches up with it.
      sql::statement q(db,
                       "SELECT s.id FROM sites s WHERE (s.last_scheduled IS NULL OR s.last_scheduled <= ?1 OR "
                       "s.last_scheduled > ?2) "
                       "AND EXISTS (SELECT 1 FROM credentials k WHERE k.site_id = s.id AND k.revoked_at IS NULL)");
      q.bind(1, due).bind(2, to_unix(now));
      while (q.step()) sites.push_back(q.column_text(0));
      q.reset();
      for (const auto& s : sites) {
        sql::statement ins(db, "INSERT INTO requests (id, site_id, kind, created_at) VALUES (?1, ?2, 'scheduled', ?3)");
        ins.bind(1, make_uuid()).bind(2, s).bind(3, to_unix(now));
        ins.run();
        sql::statement up(db, "UPDATE sites SET last_scheduled = ?1 WHERE id = ?2");
        up.bind(1, to_unix(now)).bind(2, s);
        up.run();
      }
      tx.commit();
    }
    for (const auto& s : sites) notify(s);
    return sites;
  });
}

namespace {

// Statements over a list of values (terminal keys, rows to insert) take at
// most `list_chunk` of them, each statement a round trip to PostgreSQL, and
// are padded with copies of the last one (which changes nothing: IN ignores
// a repeat, ON CONFLICT DO NOTHING skips it, an UPDATE sets the same values
// twice) to a power of two up to 8, then to a multiple of 8: at most 19
// statement texts, prepared once per connection, serve every batch size,
// and a batch of 100 readings inserts 104 rows (a power of two: 128, whose
// conflict checks PostgreSQL made for nothing).
constexpr std::size_t list_chunk = 128;

std::size_t padded_size(std::size_t n) {
  if (n > 8) return (n + 7) / 8 * 8;
  std::size_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// "(?first, …), (…)": `groups` groups of `per` numbered parameters, each
// in parentheses when `parenthesised`, the numbers following one another.
std::string parameter_list(int first, std::size_t groups, int per, bool parenthesised) {
  std::string out;
  int next = first;
  for (std::size_t g = 0; g < groups; ++g) {
    if (g) out += ", ";
    if (parenthesised) out += '(';
    for (int i = 0; i < per; ++i) {
      if (i) out += ", ";
      out += '?' + std::to_string(next++);
    }
    if (parenthesised) out += ')';
  }
  return out;
}

// Calls `chunk(from, count, padded)` for each run of at most `most` of
// `n` items: items from..from+count-1, to be padded to `padded` entries.
template <class Chunk>
void for_each_chunk(std::size_t n, std::size_t most, Chunk chunk) {
  for (std::size_t from = 0; from < n; from += most) {
    const auto count = std::min(most, n - from);
    chunk(from, count, padded_size(count));
  }
}

// The statements of one text per padded list size, each prepared once.
class statements_by_size {
 public:
  statements_by_size(sql::connection& db, std::function<std::string(std::size_t)> text)
      : db_(db), text_(std::move(text)) {}
  sql::statement& operator[](std::size_t padded) {
    auto it = made_.find(padded);
    if (it == made_.end()) it = made_.try_emplace(padded, db_, text_(padded)).first;
    return it->second;
  }

 private:
  sql::connection& db_;
  std::function<std::string(std::size_t)> text_;
  std::map<std::size_t, sql::statement> made_;
};

using rules_by_site = sql_storage::rules_by_site;
using site_rules = sql_storage::site_rules;

// What a site's rules row says (columns from `at`: until, dealer_id,
// alert_supply_low, alert_supply_empty, alert_terminal_silent).
site_rules read_rules(const sql::statement& q, int at) {
  site_rules r;
  if (!q.column_is_null(at)) r.closed_until = q.column_int(at);
  r.dealer_id = q.column_int(at + 1);
  r.alerts.supply_low = static_cast<int>(q.column_int(at + 2));
  r.alerts.supply_empty = static_cast<int>(q.column_int(at + 3));
  r.alerts.terminal_silent = std::chrono::seconds(q.column_int(at + 4));
  return r;
}

constexpr const char* rules_columns =
    "b.until, s.dealer_id, a.alert_supply_low, a.alert_supply_empty, a.alert_terminal_silent FROM sites s "
    "JOIN accounts a ON a.id = s.dealer_id LEFT JOIN billing_closed b ON b.dealer_id = s.dealer_id";

// The rules of one site (an unknown site: none, dealer 0).
site_rules rules_of_site(sql::connection& db, const std::string& site_id) {
  sql::statement q(db, std::string("SELECT ") + rules_columns + " WHERE s.id = ?1");
  q.bind(1, site_id);
  if (!q.step()) return {};
  return read_rules(q, 0);
}

// Locks sites' rows, in the order of their ids' bytes (every writer locking
// several takes them in that one order, so two never deadlock), a list of
// them per statement, and answers each one's rules (billing closed, dealer,
// alert settings). SQLite's single writer already holds everything: nothing
// is locked, and the answer is empty.
rules_by_site lock_sites(sql::connection& db, const std::set<std::string_view>& sites) {
  rules_by_site rules;
  if (db.kind() != sql::dialect::postgresql) return rules;
  const std::vector<std::string_view> ids(sites.begin(), sites.end());
  statements_by_size locks(db, [](std::size_t padded) {
    return std::string("SELECT s.id, ") + rules_columns + " WHERE s.id IN (" + parameter_list(1, padded, 1, false) +
           ") ORDER BY s.id COLLATE \"C\" FOR UPDATE OF s";
  });
  for_each_chunk(ids.size(), list_chunk, [&](std::size_t from, std::size_t count, std::size_t padded) {
    auto& lock = locks[padded];
    for (std::size_t i = 0; i < padded; ++i) lock.bind(static_cast<int>(1 + i), ids[from + std::min(i, count - 1)]);
    while (lock.step()) rules.emplace(lock.column_text(0), read_rules(lock, 1));
    lock.reset();
  });
  return rules;
}

// Alerts (issue 19): one row per alert, one row of alert_history per
// transition. Writes happen only when something changes.

// The statements that write alerts on one connection, each prepared when
// first needed and then reused (an upload may raise and clear several).
class alert_writer {
 public:
  explicit alert_writer(sql::connection& db) : db_(db) {}
  sql::statement& history() {
    return get(history_, "INSERT INTO alert_history (alert_id, at, state, actor) VALUES (?1, ?2, ?3, ?4) RETURNING id");
  }
  sql::statement& raise() {
    return get(raise_,
               "INSERT INTO alerts (dealer_id, site_id, terminal_key, code_id, subject, kind, supply, code, "
               "severity, detail, raised_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
               "ON CONFLICT DO NOTHING RETURNING id");
  }
  // One delivery per webhook of the alert's dealer (issue 19 step 4), in
  // the transition's transaction.
  sql::statement& queue() {
    return get(queue_,
               "INSERT INTO deliveries (webhook_id, history_id, created_at, next_attempt_at) "
               "SELECT w.id, CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?2 AS BIGINT) FROM webhooks w "
               "JOIN alerts x ON x.dealer_id = w.account_id WHERE x.id = ?3");
  }
  // One digest item when the alert's dealer wants e-mail digests.
  sql::statement& digest() {
    return get(digest_,
               "INSERT INTO digest_items (dealer_id, history_id) SELECT x.dealer_id, CAST(?1 AS BIGINT) FROM alerts x "
               "JOIN accounts a ON a.id = x.dealer_id WHERE x.id = ?2 AND a.digest_recipients <> ''");
  }
  sql::statement& clear() {
    return get(clear_,
               "UPDATE alerts SET cleared_at = ?1, cleared_by = ?2 WHERE subject = ?3 AND kind = ?4 AND "
               "supply = ?5 AND code = ?6 AND cleared_at IS NULL RETURNING id");
  }

 private:
  sql::statement& get(std::optional<sql::statement>& slot, const char* text) {
    if (!slot) slot.emplace(db_, text);
    return *slot;
  }
  sql::connection& db_;
  std::optional<sql::statement> history_, raise_, clear_, queue_, digest_;
};

// Records a transition of alert `id` in its history and in `events`.
void record_transition(alert_writer& w, std::int64_t id, const std::string& state, const std::string& actor,
                       std::int64_t t, std::string_view kind, std::string_view subject,
                       std::vector<alert_transition>& events) {
  auto& ins = w.history();
  ins.bind(1, id).bind(2, t).bind(3, state).bind(4, actor);
  const auto history_id = ins.step() ? ins.column_int(0) : 0;
  ins.reset();
  auto& queue = w.queue();
  queue.bind(1, history_id).bind(2, t).bind(3, id);
  queue.run();
  auto& digest = w.digest();
  digest.bind(1, history_id).bind(2, id);
  digest.run();
  events.push_back({history_id, id, from_unix(t), state, actor, std::string(kind), std::string(subject)});
}

// Who an alert is about.
struct alert_subject {
  std::int64_t dealer_id = 0;
  std::string site_id, terminal_key;
  std::int64_t code_id = 0;
  std::string subject;  ///< "terminal:<key>", "site:<id>" or "code:<id>"
};

// Raises the alert of condition `c` on `who` unless one is open (the unique
// index alerts_open makes a second raise, also another center's, a no-op).
void raise_alert(alert_writer& w, const alert_subject& who, const alert_condition& c, std::int64_t t,
                 std::vector<alert_transition>& events) {
  auto& ins = w.raise();
  ins.bind(1, who.dealer_id).bind(2, who.site_id).bind(3, who.terminal_key).bind(4, who.code_id).bind(5, who.subject);
  ins.bind(6, c.kind).bind(7, static_cast<std::int64_t>(c.supply)).bind(8, c.code).bind(9, c.severity);
  ins.bind(10, c.detail.substr(0, 255)).bind(11, t);
  if (!ins.step()) {
    ins.reset();
    return;
  }
  const auto id = ins.column_int(0);
  ins.reset();
  record_transition(w, id, "raised", "center", t, c.kind, who.subject, events);
}

// Clears the open alert of condition (kind, supply, code) on `subject`, if any.
void clear_condition(alert_writer& w, const std::string& subject, const alert_condition& c, const std::string& actor,
                     std::int64_t t, std::vector<alert_transition>& events) {
  auto& up = w.clear();
  up.bind(1, t).bind(2, actor).bind(3, subject).bind(4, c.kind).bind(5, static_cast<std::int64_t>(c.supply));
  up.bind(6, c.code);
  std::vector<std::int64_t> ids;
  while (up.step()) ids.push_back(up.column_int(0));
  up.reset();
  for (const auto id : ids) record_transition(w, id, "cleared", actor, t, c.kind, subject, events);
}

// A terminal's newest reading in a batch against the conditions its previous
// newest showed (`before`, its signature): raises what appeared, clears what
// went; returns the new signature. A reset in the batch raises counter_reset;
// a terminal silent until now clears its terminal_silent.
std::string judge_terminal(alert_writer& w, const site_rules& rules, const std::string& site_id, const std::string& key,
                           const reading& newest, const std::string& before,
                           std::optional<std::int64_t> previous_reading_at, bool reset, std::int64_t t,
                           std::vector<alert_transition>& events) {
  const auto now_shown = reading_conditions(newest, rules.alerts);
  auto signature = conditions_signature(now_shown);
  const alert_subject who{rules.dealer_id, site_id, key, 0, "terminal:" + key};
  if (reset)
    raise_alert(w, who, {std::string(alert_counter_reset), -1, "", "warning", "a counter went down"}, t, events);
  if (previous_reading_at && *previous_reading_at < t - rules.alerts.terminal_silent.count())
    clear_condition(w, who.subject, {std::string(alert_terminal_silent), -1, "", "", ""}, "reading", t, events);
  if (signature == before) return signature;
  std::set<std::string> was;
  for (const auto& c : parse_signature(before)) {
    was.insert(c.key());
    if (std::none_of(now_shown.begin(), now_shown.end(), [&](const alert_condition& n) { return n.key() == c.key(); }))
      clear_condition(w, who.subject, c, "reading", t, events);
  }
  for (const auto& c : now_shown)
    if (!was.count(c.key())) raise_alert(w, who, c, t, events);
  return signature;
}

// Sets the sites' last contact (one statement per list of them).
void touch_sites(sql::connection& db, const std::set<std::string_view>& sites, std::int64_t t) {
  const std::vector<std::string_view> ids(sites.begin(), sites.end());
  statements_by_size touches(db, [](std::size_t padded) {
    return "UPDATE sites SET last_contact = ?1 WHERE id IN (" + parameter_list(2, padded, 1, false) + ")";
  });
  for_each_chunk(ids.size(), list_chunk, [&](std::size_t from, std::size_t count, std::size_t padded) {
    auto& touch = touches[padded];
    touch.bind(1, t);
    for (std::size_t i = 0; i < padded; ++i) touch.bind(static_cast<int>(2 + i), ids[from + std::min(i, count - 1)]);
    touch.run();
  });
}

}  // namespace

std::vector<status_request> sql_storage::lease_requests(const std::string& site_id, time_point now,
                                                        std::chrono::milliseconds lease,
                                                        std::vector<alert_transition>* events) {
  return retrying([&]() -> std::vector<status_request> {
    auto held = db_->acquire();
    auto& db = *held;
    // The site's row first (see commit_group): its uploads and leases on
    // other centers wait, rather than abort on last_contact.
    sql::transaction tx(db, sql::isolation::row_locks);
    lock_sites(db, {site_id});
    const auto t = to_unix(now);
    const auto until = t + std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(lease).count());
    std::vector<status_request> out;
    // A lease ending later than one taken now would (taken while the clock
    // was ahead, which then went back) is over: else the request would wait
    // until the clock catches up with it.
    sql::statement q(db,
                     "SELECT id, site_id, kind, created_at FROM requests WHERE site_id = ?1 AND answered_at "
                     "IS NULL AND (leased_until IS NULL OR leased_until <= ?2 OR leased_until > ?3) "
                     "ORDER BY created_at, id" +
                         // Another center leasing this site's requests now: its rows are skipped,
                         // not waited for (SQLite has one writer anyway).
                         std::string(db.kind() == sql::dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : ""));
    q.bind(1, site_id).bind(2, t).bind(3, until);
    while (q.step())
      out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), from_unix(q.column_int(3)), std::nullopt});
    q.reset();
    for (const auto& r : out) {
      sql::statement up(db, "UPDATE requests SET leased_until = ?1 WHERE id = ?2");
      up.bind(1, until).bind(2, r.id);
      up.run();
    }
    sql::statement contact(db, "UPDATE sites SET last_contact = ?1 WHERE id = ?2");
    contact.bind(1, t).bind(2, site_id);
    contact.run();
    // Contact ends a collector's silence at once (one index probe when none is open).
    std::vector<alert_transition> ended;
    alert_writer writer(db);
    clear_condition(writer, "site:" + site_id, {std::string(alert_collector_silent), -1, "", "", ""}, "contact", t,
                    ended);
    tx.commit();
    if (events) *events = std::move(ended);
    return out;
  });
}

std::vector<status_request> sql_storage::list_requests(const std::string& site_id) {
  auto held = db_->acquire();
  auto& db = *held;
  std::vector<status_request> out;
  sql::statement q(db,
                   "SELECT id, site_id, kind, created_at, answered_at FROM requests WHERE site_id = ?1 "
                   "ORDER BY created_at, id");
  q.bind(1, site_id);
  while (q.step())
    out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), from_unix(q.column_int(3)), opt_time(q, 4)});
  return out;
}

namespace {

// The details of a reading beside counters and supplies, as stored: '' when it has none.
std::string details_text(const reading& rd) {
  if (rd.extras.empty() && rd.provenance.empty() && rd.device_status.empty() && rd.alerts.empty()) return {};
  auto v = json::to_json(rd);
  json::value d = json::value::object();
  for (const char* key : {"extras", "provenance", "device_status", "alerts"})
    if (v.contains(key)) d[key] = std::move(v[key]);
  return d.dump();
}

}  // namespace

// Group commit: concurrent uploads wait in a queue; whoever finds no commit
// running takes everything queued and writes it in one transaction, one
// savepoint per upload (so a refused upload still changes nothing). One fsync
// then makes many uploads durable, instead of one fsync each.
readings_result sql_storage::store_readings(const std::string& site_id, const std::vector<reading>& batch,
                                            time_point now, time_point oldest) {
  // Serialise outside the commit: many request threads do it in parallel.
  std::vector<reading_texts> texts;
  texts.reserve(batch.size());
  for (const auto& rd : batch) {
    json::value supplies = json::value::array();
    for (const auto& s : rd.supplies) supplies.push_back(json::to_json(s));
    texts.push_back({json::to_json(rd.counters).dump(), supplies.dump(), details_text(rd)});
  }
  pending_upload me{&site_id, &batch, &texts, now, oldest, {}, nullptr, false};
  std::unique_lock queue_lock(queue_mutex_);
  queue_.push_back(&me);
  while (!me.done) {
    if (committing_) {
      queue_cv_.wait(queue_lock);
      continue;
    }
    committing_ = true;
    std::vector<pending_upload*> group;
    group.swap(queue_);
    queue_lock.unlock();
    commit_group(group);
    queue_lock.lock();
    committing_ = false;
    for (auto* p : group) p->done = true;
    queue_cv_.notify_all();
  }
  if (me.error) std::rethrow_exception(me.error);
  return me.result;
}

void sql_storage::commit_group(const std::vector<pending_upload*>& group) {
  // No savepoint per upload (two round trips each): an upload the engine
  // refuses for a reason of its own (not a retryable abort) gets that error,
  // and the others run again without it, in a new transaction.
  std::vector<pending_upload*> live = group;
  while (!live.empty()) {
    pending_upload* failed = nullptr;
    try {
      retrying([&] {
        failed = nullptr;
        auto held = db_->acquire();
        auto& db = *held;
        // Row locks, not SERIALIZABLE: two centers storing one site's uploads
        // at once both write its terminals' latest counters and its
        // last_contact; under SERIALIZABLE one of them would abort and run
        // again. Its sites' rows, locked first in one order (no deadlock
        // between groups), make every other writer of those sites wait until
        // this commits, and each statement after sees what committed before.
        sql::transaction tx(db, sql::isolation::row_locks);
        std::set<std::string_view> sites;
        time_point latest{};
        for (const auto* p : live) {
          sites.insert(*p->site_id);
          latest = std::max(latest, p->now);
        }
        const auto rules = lock_sites(db, sites);
        for (auto* p : live) {
          try {
            p->result = store_batch_locked(db, *p->site_id, *p->batch, *p->texts, p->now, p->oldest, rules);
          } catch (const std::exception& e) {
            if (db_->retryable(e)) throw;  // the whole group runs again
            p->error = std::current_exception();
            failed = p;
            return;  // rolled back: the others again without it
          }
        }
        touch_sites(db, sites, to_unix(latest));
        tx.commit();
      });
    } catch (...) {
      for (auto* p : live) p->error = std::current_exception();
      return;
    }
    if (!failed) return;
    live.erase(std::find(live.begin(), live.end(), failed));
  }
}

namespace {

// SQLite: a statement per reading, as before issue 17. Reaching SQLite
// costs nothing, and its statements are prepared per batch (not cached):
// the long multi-row statements of PostgreSQL's path stored ~20 % fewer
// readings/s here (fleetreg-bench-center readings 10, docs/BENCHMARKS.md).
// (Texts: sql_storage's private reading_texts.)
template <class Texts>
readings_result store_batch_one_at_a_time(sql::connection& db, const std::string& site_id,
                                          const std::vector<reading>& batch, const std::vector<Texts>& texts,
                                          time_point now, time_point oldest) {
  // Per terminal of the batch: the site's ownership periods of it, and when
  // the site holds it now, its newest counters so far (for the reset check)
  // and the newest reading stored now, written back once at the end.
  struct terminal_state {
    bool current = false;                                        ///< the site holds the terminal now
    std::vector<std::pair<std::int64_t, std::int64_t>> periods;  ///< [from, to)
    std::optional<counter_set> last;
    std::int64_t last_taken = INT64_MIN;
    const reading* newest = nullptr;
    std::string newest_counters;
    std::string alert_conditions;                     ///< of the newest reading before the batch
    std::optional<std::int64_t> previous_reading_at;  ///< when the newest before the batch arrived
    bool reset = false;                               ///< a reading of the batch was flagged
  };
  std::map<std::string, terminal_state, std::less<>> terminals;
  readings_result r;
  r.answers.reserve(batch.size());
  const auto t = to_unix(now);
  const auto grace = std::chrono::duration_cast<std::chrono::seconds>(ownership_grace).count();
  // Where billing is closed and the dealer's alert settings: one query.
  const auto rules = rules_of_site(db, site_id);
  const auto closed_until = rules.closed_until;
  sql::statement owner(db,
                       "SELECT last_counters, last_taken_at, alert_conditions, last_reading_at FROM terminals "
                       "WHERE key = ?1 AND site_id = ?2");
  sql::statement periods(db, "SELECT from_at, to_at FROM ownership WHERE key = ?1 AND site_id = ?2");
  sql::statement ins(db,
                     "INSERT INTO readings (site_id, id, terminal_key, taken_at, received_at, request_id, "
                     "source, counters, supplies, counter_reset, late, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                     "?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (site_id, id) DO NOTHING");
  sql::statement answered(db,
                          "UPDATE requests SET answered_at = ?1 WHERE id = ?2 AND site_id = ?3 "
                          "AND answered_at IS NULL");
  std::string answered_request;
  for (std::size_t n = 0; n < batch.size(); ++n) {
    const auto& rd = batch[n];
    auto refuse = [&](const char* reason) {
      ++r.refused;
      r.answers.push_back({rd.id, "refused", reason, false});
    };
    const auto taken = to_unix(rd.taken);
    if (rd.taken < oldest) {
      refuse("too_old");
      continue;
    }
    auto it = terminals.find(rd.terminal_key);
    if (it == terminals.end()) {
      terminal_state st;
      owner.bind(1, rd.terminal_key).bind(2, site_id);
      if (owner.step()) {
        st.current = true;
        st.alert_conditions = owner.column_text(2);
        if (!owner.column_is_null(3)) st.previous_reading_at = owner.column_int(3);
        if (!owner.column_is_null(0)) {
          std::string why;
          if (auto prev = json::parse(owner.column_text(0), why)) st.last = json::counters_from(*prev, why);
          st.last_taken = owner.column_int(1);
        }
      }
      owner.reset();
      periods.bind(1, rd.terminal_key).bind(2, site_id);
      while (periods.step())
        st.periods.emplace_back(periods.column_int(0), periods.column_is_null(1) ? INT64_MAX : periods.column_int(1));
      periods.reset();
      it = terminals.emplace(rd.terminal_key, std::move(st)).first;
    }
    auto& st = it->second;
    // The site's reading when it held the terminal when it was taken.
    const bool owned = std::any_of(st.periods.begin(), st.periods.end(),
                                   [&](const auto& p) { return taken >= p.first - grace && taken < p.second; });
    if (!owned) {
      refuse(st.current ? "before_ownership" : "not_at_site");
      continue;
    }
    const bool late = closed_until && taken < *closed_until;
    // A counter below the terminal's latest reading is a reset or a swap:
    // stored as read and flagged, never turned into negative usage.
    const bool reset = st.current && st.last && st.last_taken <= taken && went_down(*st.last, rd.counters);
    const auto& [counters, supplies, details] = texts[n];
    ins.bind(1, site_id).bind(2, rd.id).bind(3, rd.terminal_key).bind(4, taken).bind(5, t);
    ins.bind(6, rd.request_id).bind(7, to_string(rd.source)).bind(8, counters).bind(9, supplies);
    ins.bind(10, reset ? 1 : 0).bind(11, late ? 1 : 0).bind(12, details);
    ins.run();
    if (ins.changes() == 0) {
      ++r.duplicates;
      r.answers.push_back({rd.id, "duplicate", "", false});
      continue;
    }
    ++r.accepted;
    if (late) ++r.late;
    r.answers.push_back({rd.id, "stored", "", late});
    if (reset) {
      ++r.resets;
      st.reset = true;
    }
    if (st.current && taken >= st.last_taken) {
      st.last = rd.counters;
      st.last_taken = taken;
      st.newest = &rd;
      st.newest_counters = counters;
    }
    if (!rd.request_id.empty() && rd.request_id != answered_request) {
      answered.bind(1, t).bind(2, rd.request_id).bind(3, site_id);
      answered.run();
      answered_request = rd.request_id;
    }
  }
  sql::statement latest(db,
                        "UPDATE terminals SET last_reading_at = ?1, last_taken_at = ?2, last_counters = ?3, "
                        "alert_conditions = ?6 WHERE key = ?4 AND site_id = ?5");
  alert_writer alerts(db);
  for (const auto& [key, st] : terminals) {
    if (!st.newest) continue;
    const auto conditions = judge_terminal(alerts, rules, site_id, key, *st.newest, st.alert_conditions,
                                           st.previous_reading_at, st.reset, t, r.alert_events);
    latest.bind(1, t).bind(2, st.last_taken).bind(3, st.newest_counters).bind(4, key).bind(5, site_id);
    latest.bind(6, conditions);
    latest.run();
  }
  return r;
}

}  // namespace

readings_result sql_storage::store_batch_locked(sql::connection& db, const std::string& site_id,
                                                const std::vector<reading>& batch,
                                                const std::vector<reading_texts>& texts, time_point now,
                                                time_point oldest, const rules_by_site& site_rules_known) {
  // Per terminal of the batch: the site's ownership periods of it, and when
  // the site holds it now, its newest counters so far (for the reset check)
  // and the newest reading stored now, written back once at the end.
  struct terminal_state {
    bool current = false;                                        ///< the site holds the terminal now
    std::vector<std::pair<std::int64_t, std::int64_t>> periods;  ///< [from, to)
    std::optional<counter_set> last;
    std::int64_t last_taken = INT64_MIN;
    const reading* newest = nullptr;
    std::string newest_counters;
    std::string alert_conditions;                     ///< of the newest reading before the batch
    std::optional<std::int64_t> previous_reading_at;  ///< when the newest before the batch arrived
  };
  using terminal_map = std::map<std::string, terminal_state, std::less<>>;
  const auto t = to_unix(now);
  const auto grace = std::chrono::duration_cast<std::chrono::seconds>(ownership_grace).count();
  if (db.kind() == sql::dialect::sqlite) return store_batch_one_at_a_time(db, site_id, batch, texts, now, oldest);
  // Where the site's dealer closed billing and its alert settings: known
  // from locking the site.
  const auto known = site_rules_known.find(site_id);
  const auto rules = known != site_rules_known.end() ? known->second : rules_of_site(db, site_id);
  const auto closed_until = rules.closed_until;

  // The state of every terminal the batch's readings (those not too old)
  // name, read a list of keys at a time.
  terminal_map loaded;
  for (const auto& rd : batch)
    if (rd.taken >= oldest) loaded.try_emplace(rd.terminal_key);
  std::vector<const std::string*> keys;
  for (const auto& [key, st] : loaded) keys.push_back(&key);
  const auto chunk = list_chunk;
  // One statement per list of keys: the terminals the site holds now (kind
  // 0, with their newest counters) and the site's ownership periods (kind 1).
  statements_by_size states(db, [](std::size_t padded) {
    const auto listed = parameter_list(2, padded, 1, false);
    return "SELECT 0, key, last_counters, last_taken_at, NULL, alert_conditions, last_reading_at FROM terminals "
           "WHERE site_id = ?1 AND key IN (" +
           listed +
           ") UNION ALL SELECT 1, key, NULL, from_at, to_at, NULL, NULL FROM ownership WHERE site_id = ?1 AND key IN "
           "(" +
           listed + ")";
  });
  for_each_chunk(keys.size(), chunk, [&](std::size_t from, std::size_t count, std::size_t padded) {
    auto& state = states[padded];
    state.bind(1, site_id);
    for (std::size_t i = 0; i < padded; ++i) state.bind(static_cast<int>(2 + i), *keys[from + std::min(i, count - 1)]);
    while (state.step()) {
      auto& st = loaded[state.column_text(1)];
      if (state.column_int(0) == 1) {
        st.periods.emplace_back(state.column_int(3), state.column_is_null(4) ? INT64_MAX : state.column_int(4));
        continue;
      }
      st.current = true;
      st.alert_conditions = state.column_text(5);
      if (!state.column_is_null(6)) st.previous_reading_at = state.column_int(6);
      if (!state.column_is_null(2)) {
        std::string why;
        if (auto prev = json::parse(state.column_text(2), why)) st.last = json::counters_from(*prev, why);
        st.last_taken = state.column_int(3);
      }
    }
    state.reset();
  });

  // The batch in its order, as storing one reading at a time goes: the
  // answers, and per reading whether it is stored (-1: no) with its reset
  // flag (0 or 1). `in_table`: ids the table held before the batch.
  terminal_map terminals;
  std::vector<int> stored;
  const auto walk = [&](const std::set<std::string_view>& in_table) {
    terminals = loaded;
    stored.assign(batch.size(), -1);
    readings_result r;
    r.answers.reserve(batch.size());
    std::set<std::string_view> stored_ids;
    for (std::size_t n = 0; n < batch.size(); ++n) {
      const auto& rd = batch[n];
      auto refuse = [&](const char* reason) {
        ++r.refused;
        r.answers.push_back({rd.id, "refused", reason, false});
      };
      const auto taken = to_unix(rd.taken);
      if (rd.taken < oldest) {
        refuse("too_old");
        continue;
      }
      auto& st = terminals.find(rd.terminal_key)->second;
      // The site's reading when it held the terminal when it was taken.
      const bool owned = std::any_of(st.periods.begin(), st.periods.end(),
                                     [&](const auto& p) { return taken >= p.first - grace && taken < p.second; });
      if (!owned) {
        refuse(st.current ? "before_ownership" : "not_at_site");
        continue;
      }
      if (in_table.count(rd.id) || !stored_ids.insert(rd.id).second) {
        ++r.duplicates;
        r.answers.push_back({rd.id, "duplicate", "", false});
        continue;
      }
      const bool late = closed_until && taken < *closed_until;
      // A counter below the terminal's latest reading is a reset or a swap:
      // stored as read and flagged, never turned into negative usage.
      const bool reset = st.current && st.last && st.last_taken <= taken && went_down(*st.last, rd.counters);
      stored[n] = reset ? 1 : 0;
      ++r.accepted;
      if (late) ++r.late;
      r.answers.push_back({rd.id, "stored", "", late});
      if (reset) ++r.resets;
      if (st.current && taken >= st.last_taken) {
        st.last = rd.counters;
        st.last_taken = taken;
        st.newest = &rd;
        st.newest_counters = texts[n].counters;
      }
    }
    return r;
  };

  // First as if no id were in the table yet; the INSERT says which were.
  auto r = walk({});
  std::vector<std::size_t> rows;
  for (std::size_t n = 0; n < batch.size(); ++n)
    if (stored[n] >= 0) rows.push_back(n);
  std::set<std::string, std::less<>> inserted;
  statements_by_size inserts(db, [](std::size_t padded) {
    return "INSERT INTO readings (site_id, id, terminal_key, taken_at, received_at, request_id, source, counters, "
           "supplies, counter_reset, late, details) VALUES " +
           parameter_list(1, padded, 12, true) + " ON CONFLICT (site_id, id) DO NOTHING RETURNING id";
  });
  for_each_chunk(rows.size(), chunk, [&](std::size_t from, std::size_t count, std::size_t padded) {
    auto& ins = inserts[padded];
    for (std::size_t i = 0; i < padded; ++i) {
      const auto n = rows[from + std::min(i, count - 1)];
      const auto& rd = batch[n];
      const auto& [counters, supplies, details] = texts[n];
      const auto taken = to_unix(rd.taken);
      const int p = static_cast<int>(i * 12);
      ins.bind(p + 1, site_id).bind(p + 2, rd.id).bind(p + 3, rd.terminal_key).bind(p + 4, taken).bind(p + 5, t);
      ins.bind(p + 6, rd.request_id).bind(p + 7, to_string(rd.source)).bind(p + 8, counters).bind(p + 9, supplies);
      ins.bind(p + 10, stored[n]).bind(p + 11, closed_until && taken < *closed_until ? 1 : 0).bind(p + 12, details);
    }
    while (ins.step()) inserted.insert(ins.column_text(0));
    ins.reset();
  });
  if (inserted.size() != rows.size()) {
    // Some were there already: the batch again knowing which, and the reset
    // flags of the readings after them corrected where they differ.
    std::set<std::string_view> in_table;
    for (auto n : rows)
      if (!inserted.count(batch[n].id)) in_table.insert(batch[n].id);
    const auto first = stored;
    r = walk(in_table);
    sql::statement fix(db, "UPDATE readings SET counter_reset = ?1 WHERE site_id = ?2 AND id = ?3");
    for (auto n : rows)
      if (stored[n] >= 0 && stored[n] != first[n]) {
        fix.bind(1, stored[n]).bind(2, site_id).bind(3, batch[n].id);
        fix.run();
      }
  }

  std::set<std::string_view> answered_requests;
  for (std::size_t n = 0; n < batch.size(); ++n)
    if (stored[n] >= 0 && !batch[n].request_id.empty()) answered_requests.insert(batch[n].request_id);
  if (!answered_requests.empty()) {
    sql::statement answered(db,
                            "UPDATE requests SET answered_at = ?1 WHERE id = ?2 AND site_id = ?3 "
                            "AND answered_at IS NULL");
    for (const auto id : answered_requests) {
      answered.bind(1, t).bind(2, id).bind(3, site_id);
      answered.run();
    }
  }
  std::vector<const std::pair<const std::string, terminal_state>*> newest;
  std::vector<std::string> conditions;
  alert_writer alerts(db);
  std::set<std::string_view> reset_keys;
  for (std::size_t n = 0; n < batch.size(); ++n)
    if (stored[n] == 1) reset_keys.insert(batch[n].terminal_key);
  for (const auto& entry : terminals)
    if (entry.second.newest) {
      newest.push_back(&entry);
      const auto& [key, st] = entry;
      conditions.push_back(judge_terminal(alerts, rules, site_id, key, *st.newest, st.alert_conditions,
                                          st.previous_reading_at, reset_keys.count(key) > 0, t, r.alert_events));
    }
  statements_by_size updates(db, [](std::size_t padded) {
    return "UPDATE terminals SET last_reading_at = ?1, last_taken_at = CAST(v.column2 AS BIGINT), "
           "last_counters = v.column3, alert_conditions = v.column4 FROM (VALUES " +
           parameter_list(3, padded, 4, true) + ") AS v WHERE terminals.key = v.column1 AND terminals.site_id = ?2";
  });
  for_each_chunk(newest.size(), chunk, [&](std::size_t from, std::size_t count, std::size_t padded) {
    auto& latest = updates[padded];
    latest.bind(1, t).bind(2, site_id);
    for (std::size_t i = 0; i < padded; ++i) {
      const auto at = from + std::min(i, count - 1);
      const auto& [key, st] = *newest[at];
      const int p = static_cast<int>(3 + i * 4);
      latest.bind(p, key).bind(p + 1, st.last_taken).bind(p + 2, st.newest_counters).bind(p + 3, conditions[at]);
    }
    latest.run();
  });
  return r;
}

namespace {

// Columns: id, terminal_key, taken_at, received_at, request_id, source,
// counters, supplies, counter_reset, site_id, late, details.
constexpr const char* reading_columns =
    "id, terminal_key, taken_at, received_at, request_id, source, counters, supplies, counter_reset, site_id, late, "
    "details";

// The counters text as the center writes it (json::to_json dumped: objects
// of unsigned integers, no spaces) read without building a JSON tree; nullopt
// for anything else, which the JSON parser then reads. Billing a dealer's
// month reads hundreds of thousands of these.
std::optional<counter_set> fast_counters(std::string_view t) {
  counter_set c;
  std::size_t i = 0;
  const auto eat = [&](char ch) {
    if (i >= t.size() || t[i] != ch) return false;
    ++i;
    return true;
  };
  const auto name = [&](std::string_view& out) {
    if (!eat('"')) return false;
    const auto end = t.find('"', i);
    if (end == std::string_view::npos) return false;
    out = t.substr(i, end - i);
    i = end + 1;
    return out.find('\\') == std::string_view::npos && eat(':');
  };
  if (!eat('{')) return std::nullopt;
  if (!eat('}')) {
    do {
      std::string_view service_name;
      if (!name(service_name) || !eat('{')) return std::nullopt;
      const auto svc = parse_service(service_name);
      if (!svc) return std::nullopt;
      if (eat('}')) continue;
      do {
        std::string_view kind_name;
        if (!name(kind_name)) return std::nullopt;
        const auto kind = parse_counter_kind(kind_name);
        if (!kind) return std::nullopt;
        std::uint64_t v = 0;
        const auto first = i;
        for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
          if (v > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
          v = v * 10 + static_cast<std::uint64_t>(t[i] - '0');
        }
        if (i == first || (t[first] == '0' && i - first > 1)) return std::nullopt;
        c.set(*svc, *kind, v);
      } while (eat(','));
      if (!eat('}')) return std::nullopt;
    } while (eat(','));
    if (!eat('}')) return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  return c;
}

counter_set counters_of(const std::string& text) {
  if (auto fast = fast_counters(text)) return *fast;
  std::string why;
  if (auto c = json::parse(text, why))
    if (auto cs = json::counters_from(*c, why)) return *cs;
  return {};
}

// A reading from the columns of reading_columns, starting at column `at`.
stored_reading read_reading(const sql::statement& q, int at = 0) {
  stored_reading s;
  s.r.id = q.column_text(at + 0);
  s.r.terminal_key = q.column_text(at + 1);
  s.r.taken = from_unix(q.column_int(at + 2));
  s.received_at = from_unix(q.column_int(at + 3));
  s.r.request_id = q.column_text(at + 4);
  s.r.source = parse_reading_source(q.column_text(at + 5)).value_or(reading_source::fleetreg_mib);
  std::string why;
  s.r.counters = counters_of(q.column_text(at + 6));
  if (const auto supplies = q.column_text(at + 7); !supplies.empty())
    if (auto sup = json::parse(supplies, why); sup && sup->is_array())
      for (const auto& x : *sup)
        if (auto one = json::supply_from(x, why)) s.r.supplies.push_back(*one);
  s.counter_reset = q.column_int(at + 8) != 0;
  s.site_id = q.column_text(at + 9);
  s.late = q.column_int(at + 10) != 0;
  if (const auto details = q.column_text(at + 11); !details.empty())
    if (auto d = json::parse(details, why)) json::reading_details_from(*d, s.r, why);
  return s;
}

// What billing reads of readings `r` (see billing_inputs): site, terminal,
// taken_at, counters, counter_reset, details, then the order's columns.
constexpr const char* billing_reading_columns =
    "r.site_id, r.terminal_key, r.taken_at, r.counters, r.counter_reset, r.details, r.received_at, r.id";

// A read of several statements that sees one state without taking the write
// lock (SQLite: a deferred transaction, PostgreSQL: REPEATABLE READ, READ
// ONLY): a long read (a dealer's billing) never holds up ingest.
class read_snapshot {
 public:
  explicit read_snapshot(sql::connection& db) : db_(db) {
    db_.exec(db_.kind() == sql::dialect::sqlite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  ~read_snapshot() {
    if (!done_) db_.rollback();
  }
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;
  void end() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  sql::connection& db_;
  bool done_ = false;
};

}  // namespace

std::vector<stored_reading> sql_storage::list_readings(const std::string& site_id, std::size_t limit) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + reading_columns +
                           " FROM readings WHERE site_id = ?1 ORDER BY taken_at, id LIMIT ?2");
  q.bind(1, site_id).bind(2, static_cast<std::int64_t>(limit));
  return q.rows([](const sql::statement& r) { return read_reading(r); });
}

std::vector<stored_reading> sql_storage::terminal_readings(const std::string& key, const std::string& site_id,
                                                           std::optional<time_point> from, std::optional<time_point> to,
                                                           std::size_t limit, bool latest, bool with_late) {
  auto held = db_->acquire();
  auto& db = *held;
  std::vector<stored_reading> out;
  sql::statement q(db, std::string("SELECT ") + reading_columns +
                           " FROM readings WHERE site_id = ?5 AND terminal_key = ?1 AND taken_at >= ?2 "
                           "AND taken_at < ?3 AND (?6 OR late = 0) " +
                           (latest ? "ORDER BY taken_at DESC, received_at DESC, id DESC LIMIT ?4"
                                   : "ORDER BY taken_at, received_at, id LIMIT ?4"));
  q.bind(1, key)
      .bind(2, from ? to_unix(*from) : std::numeric_limits<std::int64_t>::min())
      .bind(3, to ? to_unix(*to) : std::numeric_limits<std::int64_t>::max())
      .bind(4, static_cast<std::int64_t>(limit))
      .bind(5, site_id)
      .bind(6, with_late ? 1 : 0);
  while (q.step()) out.push_back(read_reading(q));
  if (latest) std::reverse(out.begin(), out.end());
  return out;
}

std::optional<stored_reading> sql_storage::reading_before(const std::string& key, const std::string& site_id,
                                                          time_point t) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + reading_columns +
                           " FROM readings WHERE site_id = ?3 AND terminal_key = ?1 AND taken_at < ?2 "
                           "AND late = 0 ORDER BY taken_at DESC, received_at DESC, id DESC LIMIT 1");
  q.bind(1, key).bind(2, to_unix(t)).bind(3, site_id);
  return q.first([](const sql::statement& r) { return read_reading(r); });
}

std::vector<terminal_record> sql_storage::former_terminals(const std::string& site_id) {
  auto held = db_->acquire();
  auto& db = *held;
  std::vector<terminal_record> out;
  sql::statement q(db,
                   "SELECT o.key, o.site_id, o.manufacturer, o.model, o.serial, o.uuid, o.firmware, "
                   "(SELECT min(p.from_at) FROM ownership p WHERE p.key = o.key AND p.site_id = ?1), o.to_at "
                   "FROM ownership o WHERE o.site_id = ?1 AND o.to_at IS NOT NULL "
                   "AND NOT EXISTS (SELECT 1 FROM terminals t WHERE t.key = o.key AND t.site_id = ?1) "
                   "AND o.to_at = (SELECT max(p.to_at) FROM ownership p WHERE p.key = o.key AND p.site_id = ?1) "
                   "ORDER BY o.to_at DESC, o.key");
  q.bind(1, site_id);
  while (q.step()) {
    terminal_record t;
    t.key = q.column_text(0);
    t.site_id = q.column_text(1);
    t.id = {q.column_text(2), q.column_text(3), q.column_text(4), q.column_text(5), q.column_text(6)};
    t.registered_at = from_unix(q.column_int(7));
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::pair<site, std::vector<terminal_record>>> sql_storage::list_sites_with_terminals(
    std::optional<std::int64_t> dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  // The scope written out (not "?1 IS NULL OR …"): the planner then uses the dealer's index.
  const std::string scope = dealer_id ? " WHERE s.dealer_id = ?1" : "";
  std::vector<std::pair<site, std::vector<terminal_record>>> out;
  std::map<std::string, std::size_t, std::less<>> at;
  {
    sql::statement q(db, std::string("SELECT ") + site_columns + scope + " ORDER BY s.created_at, s.id");
    if (dealer_id) q.bind(1, *dealer_id);
    while (q.step()) {
      out.emplace_back(read_site(q), std::vector<terminal_record>{});
      at.emplace(out.back().first.id, out.size() - 1);
    }
  }
  sql::statement q(db,
                   "SELECT t.key, t.site_id, t.manufacturer, t.model, t.serial, t.uuid, t.firmware, t.registered_at, "
                   "t.last_reading_at FROM terminals t JOIN sites s ON s.id = t.site_id" +
                       scope + " ORDER BY t.site_id, t.key");
  if (dealer_id) q.bind(1, *dealer_id);
  while (q.step()) {
    auto t = read_terminal(q);
    // A site registered after the list was read is not in it.
    if (const auto it = at.find(t.site_id); it != at.end()) out[it->second].second.push_back(std::move(t));
  }
  snapshot.end();
  return out;
}

std::vector<std::pair<site, std::int64_t>> sql_storage::search_sites(std::optional<std::int64_t> dealer_id,
                                                                     const std::string& text, std::size_t limit) {
  // LIKE with its wildcards and the escape character taken literally.
  std::string pattern = "%";
  for (const char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
    pattern += ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  pattern += '%';
  auto held = db_->acquire();
  auto& db = *held;
  const std::string scope = dealer_id ? "s.dealer_id = ?1" : "CAST(?1 AS BIGINT) IS NULL";
  sql::statement q(db,
                   "SELECT s.id, s.customer, s.dealer_id, s.side_kind, s.side_name, s.code_id, s.created_at, "
                   "s.last_contact, EXISTS (SELECT 1 FROM credentials k WHERE k.site_id = s.id AND k.revoked_at IS "
                   "NULL), s.rotation_requested_at, (SELECT count(*) FROM terminals t WHERE t.site_id = s.id) "
                   "FROM sites s WHERE " +
                       scope +
                       " AND (lower(s.customer) LIKE ?2 ESCAPE '\\' OR EXISTS (SELECT 1 FROM terminals t WHERE "
                       "t.site_id = s.id AND (lower(t.serial) LIKE ?2 ESCAPE '\\' OR lower(t.key) LIKE ?2 ESCAPE "
                       "'\\'))) ORDER BY s.created_at, s.id LIMIT ?3");
  q.bind(1, dealer_id).bind(2, pattern).bind(3, static_cast<std::int64_t>(limit));
  std::vector<std::pair<site, std::int64_t>> out;
  while (q.step()) out.emplace_back(read_site(q), q.column_int(10));
  return out;
}

std::pair<std::vector<std::pair<site, std::int64_t>>, std::int64_t> sql_storage::list_sites_page(
    std::optional<std::int64_t> dealer_id, std::size_t offset, std::size_t limit) {
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  const std::string scope = dealer_id ? " WHERE s.dealer_id = ?1" : " WHERE CAST(?1 AS BIGINT) IS NULL";
  std::pair<std::vector<std::pair<site, std::int64_t>>, std::int64_t> out;
  {
    sql::statement q(db, "SELECT count(*) FROM sites s" + scope);
    q.bind(1, dealer_id);
    if (q.step()) out.second = q.column_int(0);
  }
  sql::statement q(db,
                   "SELECT s.id, s.customer, s.dealer_id, s.side_kind, s.side_name, s.code_id, s.created_at, "
                   "s.last_contact, EXISTS (SELECT 1 FROM credentials k WHERE k.site_id = s.id AND k.revoked_at IS "
                   "NULL), s.rotation_requested_at, (SELECT count(*) FROM terminals t WHERE t.site_id = s.id) "
                   "FROM sites s" +
                       scope + " ORDER BY s.created_at, s.id LIMIT ?2 OFFSET ?3");
  q.bind(1, dealer_id).bind(2, static_cast<std::int64_t>(limit)).bind(3, static_cast<std::int64_t>(offset));
  while (q.step()) out.first.emplace_back(read_site(q), q.column_int(10));
  snapshot.end();
  return out;
}

std::vector<std::pair<terminal_record, std::optional<stored_reading>>> sql_storage::terminals_with_reading_before(
    const std::string& site_id, time_point t) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db,
                   "SELECT t.key, t.site_id, t.manufacturer, t.model, t.serial, t.uuid, t.firmware, t.registered_at, "
                   "t.last_reading_at, r.id IS NOT NULL, r.id, r.terminal_key, r.taken_at, r.received_at, "
                   "r.request_id, r.source, r.counters, r.supplies, r.counter_reset, r.site_id, r.late, r.details "
                   "FROM terminals t LEFT JOIN readings r ON r.site_id = t.site_id AND r.id = ("
                   "SELECT b.id FROM readings b WHERE b.site_id = t.site_id AND b.terminal_key = t.key "
                   "AND b.taken_at < ?2 AND b.late = 0 ORDER BY b.taken_at DESC, b.received_at DESC, b.id DESC "
                   "LIMIT 1) WHERE t.site_id = ?1 ORDER BY t.key");
  q.bind(1, site_id).bind(2, to_unix(t));
  std::vector<std::pair<terminal_record, std::optional<stored_reading>>> out;
  while (q.step()) {
    std::optional<stored_reading> last;
    if (q.column_int(9) != 0) last = read_reading(q, 10);
    out.emplace_back(read_terminal(q), std::move(last));
  }
  return out;
}

void sql_storage::billing_inputs(std::int64_t dealer_id, const std::string& site_id, time_point from, time_point to,
                                 const std::function<void(billing_input&)>& each) {
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  // The terminals, in the order of list_terminals then former_terminals per site.
  const std::string scope = site_id.empty() ? "s.dealer_id = ?1" : "s.dealer_id = ?1 AND s.id = ?2";
  std::vector<billing_input> inputs;
  {
    sql::statement q(
        db,
        "SELECT s.id, s.customer, t.key, t.manufacturer, t.model, t.serial, t.uuid, t.firmware, t.registered_at, "
        "0, 0 FROM sites s JOIN terminals t ON t.site_id = s.id WHERE " +
            scope +
            " UNION ALL SELECT s.id, s.customer, o.key, o.manufacturer, o.model, o.serial, o.uuid, o.firmware, "
            "(SELECT min(p.from_at) FROM ownership p WHERE p.key = o.key AND p.site_id = s.id), 1, o.to_at "
            "FROM sites s JOIN ownership o ON o.site_id = s.id WHERE " +
            scope +
            " AND o.to_at IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM terminals t WHERE t.key = o.key AND t.site_id = s.id) "
            "AND o.to_at = (SELECT max(p.to_at) FROM ownership p WHERE p.key = o.key AND p.site_id = s.id) "
            "ORDER BY 1, 10, 11 DESC, 3");
    q.bind(1, dealer_id);
    if (!site_id.empty()) q.bind(2, site_id);
    while (q.step()) {
      billing_input in;
      in.terminal.site_id = q.column_text(0);
      in.customer = q.column_text(1);
      in.terminal.key = q.column_text(2);
      in.terminal.id = {q.column_text(3), q.column_text(4), q.column_text(5), q.column_text(6), q.column_text(7)};
      in.terminal.registered_at = from_unix(q.column_int(8));
      inputs.push_back(std::move(in));
    }
  }
  // The readings a batch of sites at a time (ids from..to): per terminal the
  // newest before the period, then those in it.
  // The newest before the period: PostgreSQL reads it with a LATERAL join
  // (one index descent per terminal, straight to the row), which SQLite
  // does not have; there a correlated subquery names its id.
  const std::string before =
      db.kind() == sql::dialect::postgresql
          ? ", 0 FROM k CROSS JOIN LATERAL (SELECT * FROM readings b WHERE b.site_id = k.site_id AND "
            "b.terminal_key = k.key AND b.taken_at < ?4 AND b.late = 0 ORDER BY b.taken_at DESC, b.received_at "
            "DESC, b.id DESC LIMIT 1) r "
          : ", 0 FROM k JOIN readings r ON r.site_id = k.site_id AND r.id = (SELECT b.id FROM "
            "readings b WHERE b.site_id = k.site_id AND b.terminal_key = k.key AND b.taken_at < ?4 "
            "AND b.late = 0 ORDER BY b.taken_at DESC, b.received_at DESC, b.id DESC LIMIT 1) ";
  sql::statement rq(db, std::string("WITH k AS (SELECT DISTINCT o.site_id, o.key FROM sites s JOIN ownership o ON "
                                    "o.site_id = s.id WHERE s.dealer_id = ?1 AND s.id >= ?2 AND s.id <= ?3) "
                                    "SELECT ") +
                            billing_reading_columns + before + "UNION ALL SELECT " + billing_reading_columns +
                            ", 1 FROM k JOIN readings r ON r.site_id = k.site_id AND r.terminal_key = k.key "
                            "AND r.taken_at >= ?4 AND r.taken_at < ?5 AND r.late = 0 "
                            "ORDER BY 1, 2, 9, 3, 7, 8");
  constexpr std::size_t sites_per_batch = 50;
  // Per terminal and period, as before the batched read (one a day is 31).
  constexpr std::size_t max_billed_readings = 100000;
  std::map<std::pair<std::string, std::string>, std::vector<stored_reading>> readings;
  for (std::size_t first = 0; first < inputs.size();) {
    std::size_t end = first, sites = 0;
    while (end < inputs.size() &&
           (sites < sites_per_batch || inputs[end].terminal.site_id == inputs[end - 1].terminal.site_id)) {
      if (end == first || inputs[end].terminal.site_id != inputs[end - 1].terminal.site_id) ++sites;
      ++end;
    }
    readings.clear();
    rq.bind(1, dealer_id).bind(2, inputs[first].terminal.site_id).bind(3, inputs[end - 1].terminal.site_id);
    rq.bind(4, to_unix(from)).bind(5, to_unix(to));
    // Rows come grouped by site and terminal: one map lookup per terminal.
    std::vector<stored_reading>* group = nullptr;
    std::string group_site, group_key;
    bool capped = false;
    const auto say_if_capped = [&] {
      if (capped)
        log::warning("billing: terminal " + log::quote(group_key) + " of site " + log::quote(group_site) +
                     " has more than " + std::to_string(max_billed_readings) +
                     " readings in the period; billed from the first " + std::to_string(max_billed_readings));
      capped = false;
    };
    while (rq.step()) {
      auto site = rq.column_text(0);
      auto key = rq.column_text(1);
      if (!group || site != group_site || key != group_key) {
        say_if_capped();
        group = &readings[{site, key}];
        group->reserve(64);
        group_site = std::move(site);
        group_key = std::move(key);
      }
      // Memory stays bounded whatever a site uploaded (the rows still come).
      if (group->size() >= max_billed_readings) {
        capped = true;
        continue;
      }
      auto& r = group->emplace_back();
      r.r.terminal_key = group_key;
      r.site_id = group_site;
      r.r.taken = from_unix(rq.column_int(2));
      r.r.counters = counters_of(rq.column_text(3));
      r.counter_reset = rq.column_int(4) != 0;
      if (const auto details = rq.column_text(5); !details.empty()) {
        std::string why;
        if (auto d = json::parse(details, why)) json::reading_details_from(*d, r.r, why);
      }
    }
    say_if_capped();
    rq.reset();
    for (auto n = first; n < end; ++n) {
      auto& in = inputs[n];
      const auto it = readings.find({in.terminal.site_id, in.terminal.key});
      if (it != readings.end()) in.readings = std::move(it->second);
      each(in);
      if (it != readings.end()) it->second = std::move(in.readings);  // a key listed twice is billed twice, as before
      in.readings.clear();
    }
    first = end;
  }
  snapshot.end();
}

std::int64_t sql_storage::prune_readings(time_point before) {
  return retrying([&]() -> std::int64_t {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    // The month's summary is the readings kept: first and last of the month,
    // resets and the reading before each (differences telescope between them).
    // The calendar month (UTC) of a reading: the one expression that differs.
    const std::string month = db.kind() == sql::dialect::sqlite
                                  ? "strftime('%Y-%m', taken_at, 'unixepoch')"
                                  : "to_char(to_timestamp(taken_at) AT TIME ZONE 'UTC', 'YYYY-MM')";
    sql::statement del(db, R"sql(
WITH old AS (
  SELECT site_id AS sid, id AS rid, counter_reset, late,
    row_number() OVER month_asc AS first_n,
    row_number() OVER month_desc AS last_n,
    lead(counter_reset) OVER (PARTITION BY site_id, terminal_key ORDER BY taken_at, received_at, id) AS next_reset
  FROM readings WHERE taken_at < ?1 AND late = 0
  WINDOW month_asc AS (PARTITION BY site_id, terminal_key, )sql" +
                               month + R"sql(
                       ORDER BY taken_at, received_at, id),
         month_desc AS (PARTITION BY site_id, terminal_key, )sql" +
                               month + R"sql(
                        ORDER BY taken_at DESC, received_at DESC, id DESC))
DELETE FROM readings WHERE (site_id, id) IN (
  SELECT sid, rid FROM old WHERE first_n > 1 AND last_n > 1 AND counter_reset = 0 AND coalesce(next_reset, 0) = 0)
  OR (late = 1 AND taken_at < ?1))sql");
    del.bind(1, to_unix(before));
    del.run();
    const auto n = del.changes();
    tx.commit();
    return n;
  });
}

void sql_storage::close_billing(std::int64_t dealer_id, time_point until) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db,
                    "INSERT INTO billing_closed (dealer_id, until) VALUES (?1, ?2) ON CONFLICT (dealer_id) "
                    "DO UPDATE SET until = CASE WHEN excluded.until > billing_closed.until THEN excluded.until "
                    "ELSE billing_closed.until END");
  up.bind(1, dealer_id).bind(2, to_unix(until));
  up.run();
}

std::optional<time_point> sql_storage::billing_closed_until(std::int64_t dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, "SELECT until FROM billing_closed WHERE dealer_id = ?1");
  q.bind(1, dealer_id);
  if (!q.step()) return std::nullopt;
  return from_unix(q.column_int(0));
}

std::vector<account> sql_storage::list_accounts() {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string(account_select) + "ORDER BY name");
  return q.rows(read_account);
}

void sql_storage::set_account_disabled(const std::string& name, bool disabled) {
  return retrying([&]() -> void {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement up(db, "UPDATE accounts SET disabled = ?1 WHERE name = ?2");
    up.bind(1, disabled ? 1 : 0).bind(2, name);
    up.run();
    if (disabled) {  // a disabled account is logged out everywhere at once
      sql::statement del(db, "DELETE FROM web_sessions WHERE account_id = (SELECT id FROM accounts WHERE name = ?1)");
      del.bind(1, name);
      del.run();
    }
    tx.commit();
  });
}

void sql_storage::add_session(std::span<const unsigned char> hash, std::int64_t account_id, const std::string& csrf,
                              time_point now, time_point expires_at) {
  return retrying([&]() -> void {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement purge(db, "DELETE FROM web_sessions WHERE expires_at <= ?1");
    purge.bind(1, to_unix(now));
    purge.run();
    sql::statement ins(db,
                       "INSERT INTO web_sessions (hash, account_id, csrf, created_at, expires_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)");
    ins.bind(1, hex(hash)).bind(2, account_id).bind(3, csrf).bind(4, to_unix(now)).bind(5, to_unix(expires_at));
    ins.run();
    tx.commit();
  });
}

std::optional<web_session> sql_storage::find_session(std::span<const unsigned char> hash, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, "SELECT account_id, csrf, expires_at FROM web_sessions WHERE hash = ?1");
  q.bind(1, hex(hash));
  if (!q.step()) return std::nullopt;
  web_session w{q.column_int(0), q.column_text(1), from_unix(q.column_int(2))};
  if (w.expires_at > now) return w;
  q.reset();
  sql::statement del(db, "DELETE FROM web_sessions WHERE hash = ?1");
  del.bind(1, hex(hash));
  del.run();
  return std::nullopt;
}

void sql_storage::delete_session(std::span<const unsigned char> hash) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement del(db, "DELETE FROM web_sessions WHERE hash = ?1");
  del.bind(1, hex(hash));
  del.run();
}

std::vector<audit_entry> sql_storage::list_audit(const std::optional<std::string>& actor, std::size_t limit) {
  auto held = db_->acquire();
  auto& db = *held;
  std::vector<audit_entry> out;
  sql::statement q(db, actor ? "SELECT at, actor, action, subject, detail FROM audit WHERE actor = ?2 "
                               "ORDER BY at DESC, id DESC LIMIT ?1"
                             : "SELECT at, actor, action, subject, detail FROM audit "
                               "ORDER BY at DESC, id DESC LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(limit));
  if (actor) q.bind(2, *actor);
  while (q.step())
    out.push_back({from_unix(q.column_int(0)), q.column_text(1), q.column_text(2), q.column_text(3), q.column_text(4)});
  return out;
}

namespace {

constexpr const char* token_columns =
    "t.id, t.name, t.scope, t.dealer_id, coalesce(a.name, ''), t.created_at, t.revoked_at, t.last_used_at "
    "FROM monitoring_tokens t LEFT JOIN accounts a ON a.id = t.dealer_id";

api_token read_token(const sql::statement& q) {
  api_token t;
  t.id = q.column_int(0);
  t.name = q.column_text(1);
  t.scope = q.column_text(2);
  if (!q.column_is_null(3)) t.dealer_id = q.column_int(3);
  t.dealer_name = q.column_text(4);
  t.created_at = from_unix(q.column_int(5));
  t.revoked_at = opt_time(q, 6);
  t.last_used_at = opt_time(q, 7);
  return t;
}

}  // namespace

std::int64_t sql_storage::add_token(const api_token& t, std::span<const unsigned char> hash) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement ins(db,
                     "INSERT INTO monitoring_tokens (name, hash, created_at, scope, dealer_id) "
                     "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
  ins.bind(1, t.name).bind(2, hex(hash)).bind(3, to_unix(t.created_at)).bind(4, t.scope);
  ins.bind(5, t.dealer_id);
  return ins.first([](const sql::statement& q) { return q.column_int(0); }).value_or(0);
}

std::optional<api_token> sql_storage::find_token(std::span<const unsigned char> hash, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + token_columns + " WHERE t.hash = ?1 AND t.revoked_at IS NULL");
  q.bind(1, hex(hash));
  if (!q.step()) return std::nullopt;
  auto t = read_token(q);
  q.reset();
  // Last use to the minute: no write per monitoring poll.
  const auto at = to_unix(now);
  if (!t.last_used_at || to_unix(*t.last_used_at) + 60 <= at) {
    sql::statement up(db, "UPDATE monitoring_tokens SET last_used_at = ?1 WHERE id = ?2");
    up.bind(1, at).bind(2, t.id);
    up.run();
  }
  return t;
}

std::vector<api_token> sql_storage::list_tokens(std::optional<std::int64_t> dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db,
                   std::string("SELECT ") + token_columns +
                       " WHERE CAST(?1 AS BIGINT) IS NULL OR t.dealer_id = ?1 ORDER BY t.created_at DESC, t.id DESC");
  q.bind(1, dealer_id);
  return q.rows(read_token);
}

bool sql_storage::revoke_token(std::int64_t id, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db, "UPDATE monitoring_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL");
  up.bind(1, to_unix(now)).bind(2, id);
  up.run();
  return up.changes() == 1;
}

status_counts sql_storage::counts(time_point now, std::chrono::milliseconds stale_after,
                                  std::chrono::milliseconds expiring_within) {
  auto held = db_->acquire();
  auto& db = *held;
  const auto t = to_unix(now);
  const auto stale = t - std::chrono::duration_cast<std::chrono::seconds>(stale_after).count();
  const auto soon = t + std::chrono::duration_cast<std::chrono::seconds>(expiring_within).count();
  status_counts c;
  sql::statement q(db, R"sql(SELECT
      (SELECT count(*) FROM sites),
      (SELECT count(*) FROM terminals),
      (SELECT count(*) FROM terminals WHERE coalesce(last_reading_at, registered_at) < ?1),
      (SELECT count(*) FROM requests WHERE answered_at IS NULL),
      (SELECT count(*) FROM codes WHERE code_hash IS NOT NULL AND expires_at > ?2),
      (SELECT count(*) FROM codes WHERE code_hash IS NOT NULL AND expires_at > ?2 AND expires_at <= ?3),
      (SELECT count(*) FROM readings),
      (SELECT max(at) FROM purges))sql");
  q.bind(1, stale).bind(2, t).bind(3, soon);
  if (q.step()) {
    c.sites = q.column_int(0);
    c.terminals = q.column_int(1);
    c.stale_terminals = q.column_int(2);
    c.unanswered_requests = q.column_int(3);
    c.codes_active = q.column_int(4);
    c.codes_expiring_soon = q.column_int(5);
    c.readings = q.column_int(6);
    c.last_purge = opt_time(q, 7);
  }
  return c;
}

void sql_storage::audit(const std::string& actor, const std::string& action, const std::string& subject,
                        const std::string& detail, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement ins(db, "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  ins.bind(1, to_unix(now)).bind(2, actor).bind(3, action).bind(4, subject).bind(5, detail);
  ins.run();
}

void sql_storage::notify(const std::string& site_id) { db_->notify(site_id); }

void sql_storage::on_notify(std::function<void(const std::string& site_id)> fn) { db_->on_notify(std::move(fn)); }

}  // namespace fleetreg::center

// Alerts (issue 19).

namespace fleetreg::center {
namespace {

constexpr const char* alert_columns =
    "x.id, x.dealer_id, x.site_id, COALESCE(s.customer, c.customer, ''), x.terminal_key, x.code_id, x.kind, "
    "x.supply, x.code, x.severity, x.detail, x.raised_at, x.acknowledged_at, x.acknowledged_by, x.cleared_at, "
    "x.cleared_by FROM alerts x LEFT JOIN sites s ON s.id = x.site_id LEFT JOIN codes c ON c.id = x.code_id";

// The alert of alert_columns starting at column `o`.
alert read_alert_at(const sql::statement& q, int o) {
  alert a;
  a.id = q.column_int(o);
  a.dealer_id = q.column_int(o + 1);
  a.site_id = q.column_text(o + 2);
  a.customer = q.column_text(o + 3);
  a.terminal_key = q.column_text(o + 4);
  a.code_id = q.column_int(o + 5);
  a.kind = q.column_text(o + 6);
  if (const auto supply = q.column_int(o + 7); supply >= 0) a.supply = static_cast<std::int32_t>(supply);
  a.code = q.column_text(o + 8);
  a.severity = q.column_text(o + 9);
  a.detail = q.column_text(o + 10);
  a.raised_at = from_unix(q.column_int(o + 11));
  a.acknowledged_at = opt_time(q, o + 12);
  a.acknowledged_by = q.column_text(o + 13);
  a.cleared_at = opt_time(q, o + 14);
  a.cleared_by = q.column_text(o + 15);
  return a;
}

alert read_alert(const sql::statement& q) { return read_alert_at(q, 0); }

std::string subject_of(const alert& a) {
  if (!a.terminal_key.empty()) return "terminal:" + a.terminal_key;
  if (!a.site_id.empty()) return "site:" + a.site_id;
  return "code:" + std::to_string(a.code_id);
}

}  // namespace

void sql_storage::set_alert_settings(std::int64_t account_id, const alert_settings& s) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement up(db,
                    "UPDATE accounts SET alert_supply_low = ?1, alert_supply_empty = ?2, alert_terminal_silent = ?3, "
                    "alert_collector_silent = ?4, alert_code_expiry = ?5, order_lead_time = ?6 WHERE id = ?7");
  up.bind(1, s.supply_low).bind(2, s.supply_empty).bind(3, static_cast<std::int64_t>(s.terminal_silent.count()));
  up.bind(4, static_cast<std::int64_t>(s.collector_silent.count()))
      .bind(5, static_cast<std::int64_t>(s.code_expiry.count()));
  up.bind(6, static_cast<std::int64_t>(s.lead_time.count())).bind(7, account_id);
  up.run();
}

std::vector<alert> sql_storage::list_alerts(const alert_query& q) {
  auto held = db_->acquire();
  auto& db = *held;
  // Only the filters asked for are in the statement (PostgreSQL cannot type
  // a parameter that is only compared with NULL, nor one left out), numbered
  // in order.
  std::string where = " WHERE 1 = 1";
  std::vector<std::pair<int, std::string>> texts;
  int n = 0;
  if (q.dealer_id) where += " AND x.dealer_id = ?" + std::to_string(++n);
  const int dealer_at = n;
  if (q.open_only) where += " AND x.cleared_at IS NULL";
  const auto text_filter = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    where += std::string(" AND ") + column + " = ?" + std::to_string(++n);
    texts.emplace_back(n, value);
  };
  text_filter("x.kind", q.kind);
  text_filter("x.severity", q.severity);
  text_filter("x.site_id", q.site_id);
  text_filter("x.terminal_key", q.terminal_key);
  sql::statement st(db, std::string("SELECT ") + alert_columns + where +
                            " ORDER BY x.raised_at DESC, x.id DESC LIMIT " +
                            std::to_string(std::min<std::size_t>(q.limit, 10000)));
  if (q.dealer_id) st.bind(dealer_at, *q.dealer_id);
  for (const auto& [at, value] : texts) st.bind(at, value);
  return st.rows(read_alert);
}

std::optional<alert> sql_storage::find_alert(std::int64_t id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db, std::string("SELECT ") + alert_columns + " WHERE x.id = ?1");
  q.bind(1, id);
  return q.first(read_alert);
}

std::vector<alert_transition> sql_storage::alert_history(std::int64_t id) {
  auto held = db_->acquire();
  auto& db = *held;
  sql::statement q(db,
                   "SELECT h.id, h.alert_id, h.at, h.state, h.actor, x.kind, x.terminal_key, x.site_id, x.code_id "
                   "FROM alert_history h JOIN alerts x ON x.id = h.alert_id WHERE h.alert_id = ?1 ORDER BY h.id");
  q.bind(1, id);
  return q.rows([](const sql::statement& r) {
    alert a;
    a.terminal_key = r.column_text(6);
    a.site_id = r.column_text(7);
    a.code_id = r.column_int(8);
    return alert_transition{r.column_int(0),  r.column_int(1),  from_unix(r.column_int(2)),
                            r.column_text(3), r.column_text(4), r.column_text(5),
                            subject_of(a)};
  });
}

namespace {

// Runs `update` (which binds now, actor and id as ?1..?3 and returns the
// alert's kind, terminal_key, site_id, code_id when it changed a row) and
// records the transition `state` in the alert's history; nullopt when no
// alert changed.
std::optional<alert_transition> transition_alert(sql::connection& db, const char* update, const char* state,
                                                 std::int64_t id, const std::string& actor, time_point now) {
  sql::transaction tx(db);
  sql::statement up(db, update);
  up.bind(1, to_unix(now)).bind(2, actor).bind(3, id);
  if (!up.step()) return std::nullopt;
  alert a;
  a.kind = up.column_text(0);
  a.terminal_key = up.column_text(1);
  a.site_id = up.column_text(2);
  a.code_id = up.column_int(3);
  up.reset();
  std::vector<alert_transition> events;
  alert_writer writer(db);
  record_transition(writer, id, state, actor, to_unix(now), a.kind, subject_of(a), events);
  tx.commit();
  return events.front();
}

}  // namespace

std::optional<alert_transition> sql_storage::acknowledge_alert(std::int64_t id, const std::string& actor,
                                                               time_point now) {
  return retrying([&] {
    auto held = db_->acquire();
    return transition_alert(*held,
                            "UPDATE alerts SET acknowledged_at = ?1, acknowledged_by = ?2 WHERE id = ?3 AND "
                            "cleared_at IS NULL AND acknowledged_at IS NULL RETURNING kind, terminal_key, site_id, "
                            "code_id",
                            "acknowledged", id, actor, now);
  });
}

std::optional<alert_transition> sql_storage::clear_alert(std::int64_t id, const std::string& actor, time_point now) {
  return retrying([&] {
    auto held = db_->acquire();
    return transition_alert(*held,
                            "UPDATE alerts SET cleared_at = ?1, cleared_by = ?2 WHERE id = ?3 AND cleared_at IS NULL "
                            "RETURNING kind, terminal_key, site_id, code_id",
                            "cleared", id, actor, now);
  });
}

std::vector<alert_transition> sql_storage::check_alerts(time_point now) {
  return retrying([&]() -> std::vector<alert_transition> {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    const auto t = to_unix(now);
    std::vector<alert_transition> events;
    alert_writer writer(db);
    // Runs `text` (an INSERT or UPDATE … RETURNING id, subject, kind) and
    // records each row as `state`.
    const auto apply = [&](std::string text, const char* state, const char* actor) {
      // The time as a number on both engines (PostgreSQL would take an
      // untyped parameter in a select list as text).
      for (auto at = text.find("?1"); at != std::string::npos; at = text.find("?1", at + 18))
        text.replace(at, 2, "CAST(?1 AS BIGINT)");
      sql::statement q(db, text);
      q.bind(1, t);
      std::vector<std::tuple<std::int64_t, std::string, std::string>> rows;
      while (q.step()) rows.emplace_back(q.column_int(0), q.column_text(1), q.column_text(2));
      q.reset();
      for (const auto& [id, subject, kind] : rows)
        record_transition(writer, id, state, actor, t, kind, subject, events);
    };
    // A site that can report: an active credential.
    const std::string active = "EXISTS (SELECT 1 FROM credentials k WHERE k.site_id = s.id AND k.revoked_at IS NULL)";
    // Ends first: a terminal's alerts once it left the site (transferred, retired),
    apply(
        "UPDATE alerts SET cleared_at = ?1, cleared_by = 'center' WHERE terminal_key <> '' AND "
        "cleared_at IS NULL AND NOT EXISTS (SELECT 1 FROM terminals t WHERE t.key = alerts.terminal_key AND "
        "t.site_id = alerts.site_id) RETURNING id, subject, kind",
        "cleared", "center");
    // silence heard from again, a terminal gone from its site, a
    // site revoked, a code used, revoked, purged or expired.
    apply(
        "UPDATE alerts SET cleared_at = ?1, cleared_by = 'center' WHERE kind = 'terminal_silent' AND "
        "cleared_at IS NULL AND NOT EXISTS (SELECT 1 FROM terminals t JOIN sites s ON s.id = t.site_id JOIN "
        "accounts a ON a.id = s.dealer_id WHERE t.key = alerts.terminal_key AND t.site_id = alerts.site_id AND " +
            active +
            " AND COALESCE(t.last_reading_at, t.registered_at) < ?1 - a.alert_terminal_silent) "
            "RETURNING id, subject, kind",
        "cleared", "center");
    apply(
        "UPDATE alerts SET cleared_at = ?1, cleared_by = 'center' WHERE kind = 'collector_silent' AND "
        "cleared_at IS NULL AND NOT EXISTS (SELECT 1 FROM sites s JOIN accounts a ON a.id = s.dealer_id WHERE "
        "s.id = alerts.site_id AND " +
            active +
            " AND COALESCE(s.last_contact, s.created_at) < ?1 - a.alert_collector_silent) "
            "RETURNING id, subject, kind",
        "cleared", "center");
    apply(
        "UPDATE alerts SET cleared_at = ?1, cleared_by = 'center' WHERE kind = 'code_expiring' AND "
        "cleared_at IS NULL AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.id = alerts.code_id AND "
        "c.purged_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > ?1 AND c.terminals_registered = 0 AND "
        "NOT EXISTS (SELECT 1 FROM sites s WHERE s.code_id = c.id)) RETURNING id, subject, kind",
        "cleared", "center");
    // Then raises, once per episode: not again while an alert raised since
    // the subject was last heard from exists (open or cleared by hand).
    apply(
        "INSERT INTO alerts (dealer_id, site_id, terminal_key, subject, kind, severity, detail, raised_at) "
        "SELECT s.dealer_id, t.site_id, t.key, 'terminal:' || t.key, 'terminal_silent', 'warning', "
        "'no reading', ?1 FROM terminals t JOIN sites s ON s.id = t.site_id JOIN accounts a ON a.id = s.dealer_id "
        "WHERE " +
            active +
            " AND COALESCE(t.last_reading_at, t.registered_at) < ?1 - a.alert_terminal_silent AND NOT EXISTS "
            "(SELECT 1 FROM alerts x WHERE x.subject = 'terminal:' || t.key AND x.kind = 'terminal_silent' AND "
            "x.raised_at > COALESCE(t.last_reading_at, t.registered_at)) "
            "ON CONFLICT DO NOTHING RETURNING id, subject, kind",
        "raised", "center");
    apply(
        "INSERT INTO alerts (dealer_id, site_id, terminal_key, subject, kind, severity, detail, raised_at) "
        "SELECT s.dealer_id, s.id, '', 'site:' || s.id, 'collector_silent', 'critical', s.side_name, ?1 "
        "FROM sites s JOIN accounts a ON a.id = s.dealer_id WHERE s.side_kind = 'collector' AND " +
            active +
            " AND COALESCE(s.last_contact, s.created_at) < ?1 - a.alert_collector_silent AND NOT EXISTS "
            "(SELECT 1 FROM alerts x WHERE x.subject = 'site:' || s.id AND x.kind = 'collector_silent' AND "
            "x.raised_at > COALESCE(s.last_contact, s.created_at)) "
            "ON CONFLICT DO NOTHING RETURNING id, subject, kind",
        "raised", "center");
    apply(
        "INSERT INTO alerts (dealer_id, site_id, terminal_key, code_id, subject, kind, severity, detail, "
        "raised_at) SELECT c.dealer_id, '', '', c.id, 'code:' || CAST(c.id AS TEXT), 'code_expiring', 'warning', "
        "c.customer, ?1 FROM codes c JOIN accounts a ON a.id = c.dealer_id WHERE c.purged_at IS NULL AND "
        "c.revoked_at IS NULL AND c.expires_at > ?1 AND c.expires_at <= ?1 + a.alert_code_expiry AND "
        "c.terminals_registered = 0 AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.code_id = c.id) AND NOT EXISTS "
        "(SELECT 1 FROM alerts x WHERE x.subject = 'code:' || CAST(c.id AS TEXT) AND x.kind = 'code_expiring') "
        "ON CONFLICT DO NOTHING RETURNING id, subject, kind",
        "raised", "center");
    tx.commit();
    return events;
  });
}

std::vector<dealer_health> sql_storage::dealer_monitoring(time_point now, std::optional<std::int64_t> dealer_id) {
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  std::vector<dealer_health> out;
  std::map<std::string, std::size_t> at;  // name -> index in out
  // Every dealer with its silent terminals (check_alerts' terminal_silent
  // rule): one pass over the terminals, grouped.
  sql::statement silent(
      db,
      "SELECT a.name, (SELECT count(*) FROM terminals t JOIN sites s ON s.id = t.site_id WHERE s.dealer_id = a.id "
      "AND COALESCE(t.last_reading_at, t.registered_at) < CAST(?1 AS BIGINT) - a.alert_terminal_silent AND EXISTS "
      "(SELECT 1 FROM credentials k WHERE k.site_id = s.id AND k.revoked_at IS NULL)) FROM accounts a "
      "WHERE a.role = 'dealer' AND (CAST(?2 AS BIGINT) IS NULL OR a.id = ?2) ORDER BY a.name");
  silent.bind(1, to_unix(now)).bind(2, dealer_id);
  while (silent.step()) {
    dealer_health d;
    d.dealer = silent.column_text(0);
    d.terminals_silent = silent.column_int(1);
    at.emplace(d.dealer, out.size());
    out.push_back(std::move(d));
  }
  // Open alerts: the rows of the partial index alerts_open only.
  sql::statement open(db,
                      "SELECT a.name, x.kind, x.severity, count(*) FROM alerts x JOIN accounts a ON a.id = x.dealer_id "
                      "WHERE x.cleared_at IS NULL AND a.role = 'dealer' AND (CAST(?1 AS BIGINT) IS NULL OR "
                      "x.dealer_id = ?1) GROUP BY a.name, x.kind, x.severity ORDER BY a.name, x.kind, x.severity");
  open.bind(1, dealer_id);
  while (open.step()) {
    const auto it = at.find(open.column_text(0));
    if (it == at.end()) continue;  // not possible in one snapshot; never a dealer out of order
    out[it->second].alerts_open.push_back({open.column_text(1), open.column_text(2), open.column_int(3)});
  }
  snapshot.end();
  return out;
}

void sql_storage::supply_histories(std::optional<std::int64_t> dealer_id, const std::string& site_id,
                                   const std::string& terminal_key, std::size_t per_terminal,
                                   const std::function<void(supply_history&)>& each) {
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  const auto limit = static_cast<std::int64_t>(std::clamp<std::size_t>(per_terminal, 1, 100));
  std::string where = " WHERE 1 = 1";
  if (dealer_id) where += " AND s.dealer_id = ?1";
  if (!site_id.empty()) where += dealer_id ? " AND s.id = ?2" : " AND s.id = ?1";
  sql::statement sites_q(db, std::string("SELECT ") + site_columns + where + " ORDER BY s.id");
  if (dealer_id) sites_q.bind(1, *dealer_id);
  if (!site_id.empty()) sites_q.bind(dealer_id ? 2 : 1, site_id);
  const auto sites = sites_q.rows(read_site);
  // The newest readings of one terminal: one index descent, at most `limit` rows.
  sql::statement newest(db,
                        "SELECT taken_at, supplies FROM readings WHERE site_id = ?1 AND terminal_key = ?2 AND "
                        "late = 0 ORDER BY taken_at DESC, id DESC LIMIT ?3");
  for (const auto& s : sites) {
    for (const auto& t : terminals_of(db, s.id)) {
      if (!terminal_key.empty() && t.key != terminal_key) continue;
      supply_history h;
      h.s = &s;
      h.terminal = &t;
      newest.bind(1, s.id).bind(2, t.key).bind(3, limit);
      while (newest.step()) {
        reading r;
        r.terminal_key = t.key;
        r.taken = from_unix(newest.column_int(0));
        std::string why;
        if (auto sup = json::parse(newest.column_text(1), why); sup && sup->is_array())
          for (const auto& x : *sup)
            if (auto one = json::supply_from(x, why)) r.supplies.push_back(*one);
        h.readings.push_back(std::move(r));
      }
      newest.reset();
      std::reverse(h.readings.begin(), h.readings.end());
      each(h);
    }
  }
  snapshot.end();
}

namespace {

// A terminal's fleet_state as a number (fleet_state's order), for terminals
// `t` of sites `s` of dealers `a`, at ?1: the first of silent, critical,
// warning that holds, from the open alerts (the partial index alerts_open
// on subject answers each EXISTS; "+x.dealer_id" keeps SQLite's planner off
// alerts_dealer, which would walk the dealer's every alert per terminal),
// else healthy.
constexpr const char* fleet_state_sql =
    "CASE WHEN t.last_reading_at IS NULL OR t.last_reading_at < ?1 - a.alert_terminal_silent OR EXISTS (SELECT 1 "
    "FROM alerts x WHERE x.subject = 'terminal:' || t.key AND x.cleared_at IS NULL AND +x.dealer_id = s.dealer_id "
    "AND x.kind = 'terminal_silent') THEN 3 WHEN EXISTS (SELECT 1 FROM alerts x WHERE x.subject = 'terminal:' || "
    "t.key AND x.cleared_at IS NULL AND +x.dealer_id = s.dealer_id AND x.severity = 'critical') THEN 2 WHEN EXISTS "
    "(SELECT 1 FROM alerts x WHERE x.subject = 'terminal:' || t.key AND x.cleared_at IS NULL AND +x.dealer_id = "
    "s.dealer_id AND x.severity = 'warning') THEN 1 ELSE 0 END";

}  // namespace

fleet_counts sql_storage::fleet_states(std::optional<std::int64_t> dealer_id, time_point now) {
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  fleet_counts out;
  {
    sql::statement q(db, std::string("SELECT count(*) FROM alerts x WHERE x.cleared_at IS NULL") +
                             (dealer_id ? " AND x.dealer_id = ?1" : ""));
    if (dealer_id) q.bind(1, *dealer_id);
    if (q.step()) out.open_alerts = q.column_int(0);
  }
  // The scope written out: the planner then uses the dealer's index.
  const std::string scope = dealer_id ? " WHERE s.dealer_id = ?2" : "";
  sql::statement q(db, std::string("SELECT state, count(*) FROM (SELECT ") + fleet_state_sql +
                           " AS state FROM terminals t JOIN sites s ON s.id = t.site_id JOIN accounts a ON a.id = "
                           "s.dealer_id" +
                           scope + ") f GROUP BY state");
  q.bind(1, to_unix(now));
  if (dealer_id) q.bind(2, *dealer_id);
  while (q.step()) {
    const auto n = q.column_int(1);
    switch (q.column_int(0)) {
      case 3:
        out.silent = n;
        break;
      case 2:
        out.critical = n;
        break;
      case 1:
        out.warning = n;
        break;
      default:
        out.healthy = n;
    }
  }
  snapshot.end();
  return out;
}

std::vector<fleet_terminal> sql_storage::fleet_terminals(std::optional<std::int64_t> dealer_id, time_point now,
                                                         fleet_state state, std::size_t limit) {
  auto held = db_->acquire();
  auto& db = *held;
  const std::string scope = dealer_id ? " WHERE s.dealer_id = ?4" : "";
  sql::statement q(db, std::string("SELECT * FROM (SELECT t.key, t.site_id, t.manufacturer, t.model, t.serial, t.uuid, "
                                   "t.firmware, t.registered_at, t.last_reading_at, s.customer, ") +
                           fleet_state_sql +
                           " AS state FROM terminals t JOIN sites s ON s.id = t.site_id JOIN accounts a ON a.id = "
                           "s.dealer_id" +
                           scope + ") f WHERE state = ?2 ORDER BY customer, site_id, key LIMIT ?3");
  q.bind(1, to_unix(now)).bind(2, static_cast<std::int64_t>(state));
  q.bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)));
  if (dealer_id) q.bind(4, *dealer_id);
  std::vector<fleet_terminal> out;
  while (q.step()) {
    fleet_terminal f;
    f.terminal = read_terminal(q);
    f.customer = q.column_text(9);
    f.state = static_cast<fleet_state>(q.column_int(10));
    out.push_back(std::move(f));
  }
  return out;
}

void sql_storage::fleet_month_marks(std::int64_t dealer_id, const std::vector<time_point>& boundaries,
                                    const std::function<void(month_marks&)>& each) {
  if (boundaries.size() < 2 || boundaries.size() > 25 || !std::is_sorted(boundaries.begin(), boundaries.end()) ||
      std::adjacent_find(boundaries.begin(), boundaries.end()) != boundaries.end())
    throw error(exit_code::software, "fleet_month_marks: 2 to 25 boundaries in ascending order");
  const auto n = boundaries.size() - 1;
  // The boundaries as rows (i, b_i, b_{i+1}); the last one's end is open.
  std::string rows;
  for (std::size_t i = 0; i <= n; ++i)
    rows += std::string(i ? ", " : "") + "(" + std::to_string(i) + ", CAST(?" + std::to_string(2 * i + 2) +
            " AS BIGINT), CAST(?" + std::to_string(2 * i + 3) + " AS BIGINT))";
  // Per (site, terminal) of the dealer's ownership periods and boundary:
  // the newest reading before it, else the oldest in its month (COALESCE
  // looks for it only when there is none before). Each an index descent on
  // readings_site_terminal. (Whether a month holds a reading flagged
  // counter_reset would read every reading's row: counter_reset is not in
  // the index. The caller finds a reset from the marks instead.)
  const std::string order = " ORDER BY x.taken_at DESC, x.received_at DESC, x.id DESC LIMIT 1";
  auto held = db_->acquire();
  auto& db = *held;
  read_snapshot snapshot(db);
  sql::statement q(
      db,
      "WITH b (i, from_at, to_at) AS (VALUES " + rows +
          "), p AS (SELECT DISTINCT o.site_id, o.key FROM ownership o JOIN sites s ON s.id = o.site_id "
          "WHERE s.dealer_id = ?1), m AS (SELECT p.site_id, p.key, b.i, COALESCE((SELECT x.id FROM readings x WHERE "
          "x.site_id = p.site_id AND x.terminal_key = p.key AND x.taken_at < b.from_at AND x.late = 0" +
          order +
          "), (SELECT x.id FROM readings x WHERE x.site_id = p.site_id AND x.terminal_key = p.key AND x.taken_at >= "
          "b.from_at AND x.taken_at < b.to_at AND x.late = 0 ORDER BY x.taken_at, x.received_at, x.id LIMIT 1)) AS "
          "mark FROM p CROSS JOIN b) SELECT m.site_id, m.key, m.i, r.id IS NOT NULL, r.taken_at, r.counters "
          "FROM m LEFT JOIN readings r ON r.site_id = m.site_id AND r.id = m.mark ORDER BY m.site_id, m.key, m.i");
  q.bind(1, dealer_id);
  for (std::size_t i = 0; i <= n; ++i) {
    q.bind(static_cast<int>(2 * i + 2), to_unix(boundaries[i]));
    // The last boundary's month has no end.
    q.bind(static_cast<int>(2 * i + 3), i < n ? to_unix(boundaries[i + 1]) : to_unix(boundaries[i]));
  }
  month_marks cur;
  const auto flush = [&] {
    if (!cur.terminal_key.empty()) each(cur);
    cur = {};
  };
  while (q.step()) {
    auto site_id = q.column_text(0);
    auto key = q.column_text(1);
    if (site_id != cur.site_id || key != cur.terminal_key) {
      flush();
      cur.site_id = std::move(site_id);
      cur.terminal_key = std::move(key);
      cur.marks.assign(n + 1, std::nullopt);
    }
    const auto i = static_cast<std::size_t>(q.column_int(2));
    if (i >= cur.marks.size()) continue;
    if (q.column_int(3) != 0) {
      stored_reading r;
      r.site_id = cur.site_id;
      r.r.terminal_key = cur.terminal_key;
      r.r.taken = from_unix(q.column_int(4));
      r.r.counters = counters_of(q.column_text(5));
      cur.marks[i] = std::move(r);
    }
  }
  flush();
  snapshot.end();
}

}  // namespace fleetreg::center

// Webhooks and deliveries (issue 19 step 4).

namespace fleetreg::center {
namespace {

constexpr const char* webhook_columns = "w.id, w.account_id, w.url, w.salt, w.created_at, w.blocked_until";

webhook read_webhook(const sql::statement& q, int at = 0) {
  return webhook{q.column_int(at),
                 q.column_int(at + 1),
                 q.column_text(at + 2),
                 q.column_text(at + 3),
                 from_unix(q.column_int(at + 4)),
                 from_unix(q.column_int(at + 5))};
}

constexpr const char* delivery_columns =
    "d.id, d.webhook_id, d.history_id, w.url, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, "
    "d.last_status, d.last_error, d.delivered_at, d.failed_at";

delivery read_delivery(const sql::statement& q) {
  delivery d;
  d.id = q.column_int(0);
  d.webhook_id = q.column_int(1);
  d.event_id = q.column_int(2);
  d.url = q.column_text(3);
  d.attempts = q.column_int(4);
  d.created_at = from_unix(q.column_int(5));
  d.next_attempt_at = opt_time(q, 6);
  d.last_attempt_at = opt_time(q, 7);
  d.last_status = q.column_int(8);
  d.last_error = q.column_text(9);
  d.delivered_at = opt_time(q, 10);
  d.failed_at = opt_time(q, 11);
  d.state = d.delivered_at ? "delivered" : d.failed_at ? "failed" : "pending";
  return d;
}

}  // namespace

std::optional<std::int64_t> sql_storage::add_webhook(const webhook& w, std::size_t max_per_account) {
  return retrying([&]() -> std::optional<std::int64_t> {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    // The account's row serialises two adds (PostgreSQL); SQLite has one writer.
    if (db.kind() == sql::dialect::postgresql) {
      sql::statement lock(db, "SELECT id FROM accounts WHERE id = ?1 FOR UPDATE");
      lock.bind(1, w.account_id);
      lock.run();
    }
    sql::statement count(db, "SELECT count(*) FROM webhooks WHERE account_id = ?1");
    count.bind(1, w.account_id);
    if (count.step() && count.column_int(0) >= static_cast<std::int64_t>(max_per_account)) return std::nullopt;
    count.reset();
    sql::statement ins(db,
                       "INSERT INTO webhooks (account_id, url, salt, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id");
    ins.bind(1, w.account_id).bind(2, w.url).bind(3, w.salt).bind(4, to_unix(w.created_at));
    const auto id = ins.step() ? ins.column_int(0) : 0;
    ins.reset();
    tx.commit();
    return id;
  });
}

std::vector<webhook> sql_storage::list_webhooks(std::optional<std::int64_t> account_id) {
  auto held = db_->acquire();
  sql::statement q(*held, std::string("SELECT ") + webhook_columns +
                              " FROM webhooks w WHERE CAST(?1 AS BIGINT) IS NULL OR w.account_id = ?1 ORDER BY w.id");
  q.bind(1, account_id);
  return q.rows([](const sql::statement& r) { return read_webhook(r); });
}

std::optional<webhook> sql_storage::find_webhook(std::int64_t id) {
  auto held = db_->acquire();
  sql::statement q(*held, std::string("SELECT ") + webhook_columns + " FROM webhooks w WHERE w.id = ?1");
  q.bind(1, id);
  return q.first([](const sql::statement& r) { return read_webhook(r); });
}

bool sql_storage::remove_webhook(std::int64_t id) {
  return retrying([&] {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement del(db, "DELETE FROM deliveries WHERE webhook_id = ?1");
    del.bind(1, id);
    del.run();
    sql::statement hook(db, "DELETE FROM webhooks WHERE id = ?1");
    hook.bind(1, id);
    hook.run();
    tx.commit();
    return hook.changes() > 0;
  });
}

std::vector<delivery_job> sql_storage::claim_deliveries(time_point now, std::chrono::milliseconds lease,
                                                        std::size_t limit) {
  return retrying([&] {
    auto held = db_->acquire();
    auto& db = *held;
    const auto t = to_unix(now);
    const auto until = to_unix(now + lease);
    // Most calls find nothing due (the delivery threads ask every second):
    // a read first, outside any transaction, so that an idle center (or one
    // whose receivers are all down, blocked) never takes the write lock for
    // this (SQLite: one writer; the readings' group commit and every
    // request's write wait for it, and a long-poll flood slowed enough to
    // fail under ASan).
    {
      sql::statement due(db,
                         "SELECT 1 FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE "
                         "d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?1 AND d.leased_until <= ?1 AND "
                         "w.blocked_until <= ?1 LIMIT 1");
      due.bind(1, t);
      const bool any = due.step();
      due.reset();
      if (!any) return std::vector<delivery_job>{};
    }
    sql::transaction tx(db);
    // Due, not leased, its webhook not blocked; oldest first. PostgreSQL:
    // rows another replica is claiming right now are skipped, not waited for.
    std::string pick =
        "SELECT d.id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.next_attempt_at IS NOT NULL "
        "AND d.next_attempt_at <= ?1 AND d.leased_until <= ?1 AND w.blocked_until <= ?1 ORDER BY d.id LIMIT ?3";
    if (db.kind() == sql::dialect::postgresql) pick += " FOR UPDATE OF d SKIP LOCKED";
    sql::statement claim(db,
                         "UPDATE deliveries SET leased_until = ?2, attempts = attempts + 1, last_attempt_at = ?1 "
                         "WHERE id IN (" +
                             pick + ") RETURNING id");
    claim.bind(1, t).bind(2, until).bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> ids;
    while (claim.step()) ids.push_back(claim.column_int(0));
    claim.reset();
    std::sort(ids.begin(), ids.end());
    std::vector<delivery_job> jobs;
    sql::statement read(db, std::string("SELECT ") + delivery_columns + ", " + webhook_columns +
                                ", h.at, h.state, h.actor, " + alert_columns +
                                " JOIN alert_history h ON h.alert_id = x.id JOIN deliveries d ON d.history_id = h.id "
                                "JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?1");
    for (const auto id : ids) {
      read.bind(1, id);
      if (read.step()) {
        delivery_job j;
        j.d = read_delivery(read);
        j.hook = read_webhook(read, 12);
        j.event.id = j.d.event_id;
        j.event.at = from_unix(read.column_int(18));
        j.event.state = read.column_text(19);
        j.event.actor = read.column_text(20);
        auto a = read_alert_at(read, 21);
        j.event.alert_id = a.id;
        j.event.kind = a.kind;
        j.event.subject = subject_of(a);
        j.subject = std::move(a);
        jobs.push_back(std::move(j));
      }
      read.reset();
    }
    tx.commit();
    return jobs;
  });
}

void sql_storage::finish_delivery(std::int64_t delivery_id, std::int64_t webhook_id, const delivery_outcome& o,
                                  time_point now) {
  retrying([&] {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    const auto t = to_unix(now);
    using k = delivery_outcome::kind;
    sql::statement up(db,
                      "UPDATE deliveries SET leased_until = 0, last_status = ?2, last_error = ?3, "
                      "next_attempt_at = ?4, delivered_at = ?5, failed_at = ?6 WHERE id = ?1");
    up.bind(1, delivery_id).bind(2, o.status).bind(3, o.error.substr(0, 500));
    if (o.result == k::retry)
      up.bind(4, to_unix(o.next_attempt_at));
    else
      up.bind_null(4);
    up.bind(5, o.result == k::delivered ? std::optional<std::int64_t>(t) : std::nullopt);
    up.bind(6, o.result == k::failed ? std::optional<std::int64_t>(t) : std::nullopt);
    up.run();
    sql::statement hook(db, "UPDATE webhooks SET blocked_until = ?2 WHERE id = ?1");
    hook.bind(1, webhook_id).bind(2, o.result == k::delivered ? std::int64_t{0} : to_unix(o.blocked_until));
    hook.run();
    tx.commit();
  });
}

std::vector<delivery> sql_storage::list_deliveries(std::optional<std::int64_t> account_id, std::int64_t webhook_id,
                                                   std::size_t limit) {
  auto held = db_->acquire();
  sql::statement q(*held,
                   std::string("SELECT ") + delivery_columns +
                       " FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE (CAST(?1 AS BIGINT) IS NULL OR "
                       "w.account_id = ?1) AND (CAST(?2 AS BIGINT) = 0 OR w.id = ?2) ORDER BY d.id DESC LIMIT ?3");
  q.bind(1, account_id).bind(2, webhook_id).bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)));
  return q.rows(read_delivery);
}

}  // namespace fleetreg::center

// E-mail digests (issue 19 step 4).

namespace fleetreg::center {

void sql_storage::set_digest(std::int64_t account_id, const std::string& recipients, std::chrono::seconds interval) {
  retrying([&] {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement up(db, "UPDATE accounts SET digest_recipients = ?1, digest_interval = ?2 WHERE id = ?3");
    up.bind(1, recipients).bind(2, static_cast<std::int64_t>(interval.count())).bind(3, account_id);
    up.run();
    // Turned off: what waited is dropped (nobody to send it to).
    if (recipients.empty()) {
      sql::statement del(db, "DELETE FROM digest_items WHERE dealer_id = ?1");
      del.bind(1, account_id);
      del.run();
    }
    tx.commit();
  });
}

std::optional<digest_batch> sql_storage::claim_digest(time_point now, std::chrono::milliseconds retry,
                                                      std::size_t limit) {
  return retrying([&]() -> std::optional<digest_batch> {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    const auto t = to_unix(now);
    std::string pick = std::string(account_select) +
                       "WHERE digest_recipients <> '' AND digest_due <= ?1 AND EXISTS (SELECT 1 FROM digest_items i "
                       "WHERE i.dealer_id = accounts.id) ORDER BY id LIMIT 1";
    if (db.kind() == sql::dialect::postgresql) pick += " FOR UPDATE SKIP LOCKED";
    sql::statement q(db, pick);
    q.bind(1, t);
    auto dealer = q.first(read_account);
    q.reset();
    if (!dealer) return std::nullopt;
    // Claimed: no other center sends it before `retry` (then it is due again).
    sql::statement up(db, "UPDATE accounts SET digest_due = ?1 WHERE id = ?2");
    up.bind(1, to_unix(now + retry)).bind(2, dealer->id);
    up.run();
    digest_batch b;
    b.dealer = *dealer;
    sql::statement items(db,
                         std::string("SELECT h.id, h.at, h.state, h.actor, ") + alert_columns +
                             " JOIN alert_history h ON h.alert_id = x.id JOIN digest_items i ON i.history_id = h.id "
                             "WHERE i.dealer_id = ?1 ORDER BY h.id LIMIT ?2");
    items.bind(1, dealer->id).bind(2, static_cast<std::int64_t>(limit));
    while (items.step()) {
      alert_transition e;
      e.id = items.column_int(0);
      e.at = from_unix(items.column_int(1));
      e.state = items.column_text(2);
      e.actor = items.column_text(3);
      auto a = read_alert_at(items, 4);
      e.alert_id = a.id;
      e.kind = a.kind;
      e.subject = subject_of(a);
      b.items.emplace_back(std::move(e), std::move(a));
    }
    items.reset();
    tx.commit();
    return b;
  });
}

void sql_storage::digest_sent(std::int64_t account_id, std::int64_t through_history_id, time_point next) {
  retrying([&] {
    auto held = db_->acquire();
    auto& db = *held;
    sql::transaction tx(db);
    sql::statement del(db, "DELETE FROM digest_items WHERE dealer_id = ?1 AND history_id <= ?2");
    del.bind(1, account_id).bind(2, through_history_id);
    del.run();
    sql::statement up(db, "UPDATE accounts SET digest_due = ?1 WHERE id = ?2");
    up.bind(1, to_unix(next)).bind(2, account_id);
    up.run();
    tx.commit();
  });
}

}  // namespace fleetreg::center
