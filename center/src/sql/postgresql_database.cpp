// SPDX-License-Identifier: Apache-2.0
#include "postgresql_database.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <unordered_map>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/random.hpp"
#include "pq_ptr.hpp"

namespace fleetreg::center::sql {
namespace {

constexpr const char* channel = "fleetreg_requests";
// The advisory lock that lets one center at a time migrate the schema.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(4710233615021)";

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "postgresql"; }
  std::string message(int) const override { return "PostgreSQL error"; }
};

std::string first_line(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (const auto nl = s.find('\n'); nl != std::string::npos) s = s.substr(0, nl);
  return s;
}

// Opens one connection: application_name and a connect timeout unless the
// URI says otherwise (its values come last and win).
pq_conn_ptr connect(const std::string& uri) {
  const char* keys[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {"fleetreg-center", "10", uri.c_str(), nullptr};
  pq_conn_ptr c(PQconnectdbParams(keys, values, 1));
  if (!c) throw postgresql_error("08001", "PostgreSQL: out of memory opening a connection");
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw postgresql_error("08001", "cannot connect to PostgreSQL: " + first_line(PQerrorMessage(c.get())));
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

// The failure of `r` (or of the connection) as an exception.
[[noreturn]] void fail(PGconn* c, const PGresult* r, const std::string& what, bool retry_safe = true) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  if (PQstatus(c) != CONNECTION_OK && sqlstate.empty()) sqlstate = retry_safe ? "08006" : "08007";
  const auto message = first_line(r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(c));
  if (sqlstate == "53100") throw storage_full("PostgreSQL " + what + ": " + message);  // disk_full
  throw postgresql_error(sqlstate, "PostgreSQL " + what + ": " + message, retry_safe);
}

class pg_connection;

class pg_cursor final : public cursor {
 public:
  pg_cursor(PGconn* c, std::string name, int params)
      : c_(c),
        name_(std::move(name)),
        values_(static_cast<std::size_t>(params)),
        null_(static_cast<std::size_t>(params), true) {}

  void bind_int(int index, std::int64_t value) override { set(index, std::to_string(value)); }
  void bind_text(int index, std::string_view value) override { set(index, std::string(value)); }
  void bind_null(int index) override {
    check_index(index);
    null_[static_cast<std::size_t>(index - 1)] = true;
  }
  bool step() override {
    if (!result_) run();
    return ++row_ < rows_;
  }
  void reset() noexcept override {
    result_.reset();
    row_ = -1;
    rows_ = 0;
  }
  std::int64_t column_int(int col) const override {
    const char* v = PQgetvalue(result_.get(), row_, col);
    if (v[0] == 't' && v[1] == 0) return 1;  // a boolean (EXISTS …)
    if (v[0] == 'f' && v[1] == 0) return 0;
    std::int64_t out = 0;
    std::from_chars(v, v + std::char_traits<char>::length(v), out);
    return out;
  }
  std::string column_text(int col) const override {
    return std::string(PQgetvalue(result_.get(), row_, col),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, col)));
  }
  bool column_is_null(int col) const override { return PQgetisnull(result_.get(), row_, col) != 0; }
  std::int64_t changes() const override { return changes_; }

 private:
  void check_index(int index) const {
    if (index < 1 || static_cast<std::size_t>(index) > values_.size())
      throw error(exit_code::software, "SQL parameter " + std::to_string(index) + " out of range");
  }
  void set(int index, std::string value) {
    check_index(index);
    values_[static_cast<std::size_t>(index - 1)] = std::move(value);
    null_[static_cast<std::size_t>(index - 1)] = false;
  }
  void run() {
    std::vector<const char*> params(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i) params[i] = null_[i] ? nullptr : values_[i].c_str();
    result_.reset(
        PQexecPrepared(c_, name_.c_str(), static_cast<int>(params.size()), params.data(), nullptr, nullptr, 0));
    const auto status = result_ ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      auto failed = std::move(result_);
      fail(c_, failed.get(), "statement failed");
    }
    rows_ = PQntuples(result_.get());
    row_ = -1;
    const char* n = PQcmdTuples(result_.get());
    changes_ = 0;
    std::from_chars(n, n + std::char_traits<char>::length(n), changes_);
  }

  PGconn* c_;
  std::string name_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  pq_result_ptr result_;
  int row_ = -1;
  int rows_ = 0;
  std::int64_t changes_ = 0;
};

class pg_connection final : public connection {
 public:
  explicit pg_connection(pq_conn_ptr c) : c_(std::move(c)) {}
  dialect kind() const noexcept override { return dialect::postgresql; }

  std::unique_ptr<cursor> prepare(std::string_view sql) override {
    auto it = prepared_.find(std::string(sql));
    if (it == prepared_.end()) {
      if (prepared_.size() >= 512) {  // dynamic SQL gone wild: start over
        exec("DEALLOCATE ALL");
        prepared_.clear();
      }
      int count = 0;
      const auto text = postgresql_parameters(sql, count);
      auto name = "f" + std::to_string(++next_);
      pq_result_ptr r(PQprepare(c_.get(), name.c_str(), text.c_str(), 0, nullptr));
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        fail(c_.get(), r.get(), "prepare failed (" + std::string(sql.substr(0, 100)) + ")");
      it = prepared_.emplace(std::string(sql), std::pair{std::move(name), count}).first;
    }
    return std::make_unique<pg_cursor>(c_.get(), it->second.first, it->second.second);
  }
  void exec(std::string_view sql) override { exec_checked(std::string(sql), true); }
  void begin() override { exec_checked("BEGIN ISOLATION LEVEL SERIALIZABLE", true); }
  void begin_locking() override { exec_checked("BEGIN ISOLATION LEVEL READ COMMITTED", true); }
  void commit() override {
    // A COMMIT whose answer is lost may have happened: not safe to repeat.
    pq_result_ptr r(PQexec(c_.get(), "COMMIT"));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(c_.get(), r.get(), "commit failed", false);
    // COMMIT of a transaction already aborted answers ROLLBACK, not an error.
    if (std::string_view(PQcmdStatus(r.get())) == "ROLLBACK")
      throw postgresql_error("40001", "PostgreSQL rolled the transaction back");
  }
  void rollback() noexcept override {
    if (PQstatus(c_.get()) != CONNECTION_OK) return;
    pq_result_ptr r(PQexec(c_.get(), "ROLLBACK"));
  }
  /// Fit to go back to the pool: connected and outside any transaction.
  bool reusable() noexcept {
    if (PQstatus(c_.get()) != CONNECTION_OK) return false;
    if (PQtransactionStatus(c_.get()) != PQTRANS_IDLE) rollback();
    return PQstatus(c_.get()) == CONNECTION_OK && PQtransactionStatus(c_.get()) == PQTRANS_IDLE;
  }

 private:
  void exec_checked(const std::string& sql, bool retry_safe) {
    pq_result_ptr r(PQexec(c_.get(), sql.c_str()));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      fail(c_.get(), r.get(), "statement failed", retry_safe);
  }

  pq_conn_ptr c_;
  std::unordered_map<std::string, std::pair<std::string, int>> prepared_;
  std::uint64_t next_ = 0;
};

// Reads one integer from a one-row query on `c`.
std::int64_t scalar(connection& c, std::string_view sql) {
  statement q(c, sql);
  return q.step() ? q.column_int(0) : 0;
}

}  // namespace

const std::error_category& postgresql_category() noexcept {
  static const category c;
  return c;
}

postgresql_error::postgresql_error(std::string sqlstate, const std::string& what, bool retry_safe)
    : std::system_error(1, postgresql_category(), what), sqlstate_(std::move(sqlstate)), retry_safe_(retry_safe) {}

std::string postgresql_parameters(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size() + 8);
  count = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char ch = sql[i];
    if (quote) {
      if (ch == quote) quote = 0;  // '' reopens at once: same effect
      out += ch;
      continue;
    }
    if (ch == '\'' || ch == '"') quote = ch;
    if (ch == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      int n = 0;
      std::size_t j = i + 1;
      for (; j < sql.size() && sql[j] >= '0' && sql[j] <= '9'; ++j) n = n * 10 + (sql[j] - '0');
      count = std::max(count, n);
      out += '$';
      out += sql.substr(i + 1, j - i - 1);
      i = j - 1;
      continue;
    }
    out += ch;
  }
  return out;
}

postgresql_database::postgresql_database(std::string uri, std::string shown, std::size_t pool)
    : uri_(std::move(uri)),
      shown_(std::move(shown)),
      pool_(std::max<std::size_t>(pool, 1), [this] { return std::make_unique<pg_connection>(connect(uri_)); }) {
  pool_.give_back(pool_.take());
}

postgresql_database::~postgresql_database() {
  stopping_ = true;
  if (stop_write_) {
    const char b = 1;
    [[maybe_unused]] const auto n = ::write(stop_write_.get(), &b, 1);
  }
  if (listener_.joinable()) listener_.join();
}

void postgresql_database::release(std::unique_ptr<connection> c) noexcept {
  if (c && !static_cast<pg_connection&>(*c).reusable()) c.reset();  // a broken one frees its place
  pool_.give_back(std::move(c));
}

bool postgresql_database::retryable(const std::exception& e) const noexcept {
  const auto* pg = dynamic_cast<const postgresql_error*>(&e);
  if (!pg) return false;
  const auto& s = pg->sqlstate();
  if (s == "40001" || s == "40P01") return true;  // serialization failure, deadlock
  return s.rfind("08", 0) == 0 && pg->retry_safe();
}

int postgresql_database::schema_version() {
  auto c = acquire();
  if (scalar(*c,
             "SELECT count(*) FROM pg_tables WHERE tablename = 'fleetreg_schema' AND schemaname = "
             "current_schema()") == 0)
    return 0;
  return static_cast<int>(scalar(*c, "SELECT coalesce(max(version), 0) FROM fleetreg_schema"));
}

void postgresql_database::migrate(const migrations& all) {
  auto c = acquire();
  transaction tx(*c);
  c->exec(migration_lock);  // another center starting now waits here
  c->exec("CREATE TABLE IF NOT EXISTS fleetreg_schema (version BIGINT NOT NULL)");
  int current = static_cast<int>(scalar(*c, "SELECT coalesce(max(version), 0) FROM fleetreg_schema"));
  const int newest = static_cast<int>(all.size());
  if (current > newest)
    throw error(exit_code::io, shown_ + " has schema version " + std::to_string(current) +
                                   ", newer than this program (" + std::to_string(newest) + ")");
  const int from = current;
  for (; current < newest; ++current) c->exec(all[static_cast<std::size_t>(current)]);
  if (current != from) {
    c->exec("DELETE FROM fleetreg_schema");
    c->exec("INSERT INTO fleetreg_schema (version) VALUES (" + std::to_string(current) + ")");
  }
  tx.commit();
  if (current != from) log::info("database " + shown_ + " migrated to schema version " + std::to_string(current));
}

void postgresql_database::notify(const std::string& site_id) {
  // Every center listening on this database hears it, this one too.
  auto c = acquire();
  statement q(*c, "SELECT pg_notify('fleetreg_requests', ?1)");
  q.bind(1, site_id);
  q.run();
}

void postgresql_database::on_notify(std::function<void(const std::string& site_id)> fn) {
  std::lock_guard lock(subscribers_mutex_);
  subscribers_.push_back(std::move(fn));
  if (listener_.joinable()) return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  stop_read_.reset(fds[0]);
  stop_write_.reset(fds[1]);
  listener_ = std::thread([this] { listen_loop(); });
}

void postgresql_database::deliver(const std::string& site_id) {
  std::vector<std::function<void(const std::string&)>> subs;
  {
    std::lock_guard lock(subscribers_mutex_);
    subs = subscribers_;
  }
  for (const auto& fn : subs) fn(site_id);
}

// The dedicated LISTEN connection: blocks in poll() on its socket and the
// stop pipe. A lost connection is re-opened with backoff (0.1 s doubling to
// 5 s); after it is back every waiter re-checks (site id ""), since
// notifications sent meanwhile are not replayed.
void postgresql_database::listen_loop() {
  auto backoff = std::chrono::milliseconds(100);
  bool was_down = false;
  // Sleeps `d` unless told to stop; false when stopping.
  auto pause = [&](std::chrono::milliseconds d) {
    pollfd p{stop_read_.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(d.count()));
    return !stopping_;
  };
  while (!stopping_) {
    pq_conn_ptr c;
    try {
      c = connect(uri_);
      pq_result_ptr r(PQexec(c.get(), (std::string("LISTEN ") + channel).c_str()));
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(c.get(), r.get(), "LISTEN failed");
    } catch (const std::exception& e) {
      if (!was_down) log::warning(std::string("wake-ups across centers paused: ") + e.what());
      was_down = true;
      if (!pause(backoff)) return;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(5));
      continue;
    }
    if (was_down) {
      log::notice("wake-ups across centers resumed: every waiting long-poll re-checks");
      deliver("");
    }
    was_down = false;
    backoff = std::chrono::milliseconds(100);
    while (!stopping_) {
      pollfd p[2] = {{PQsocket(c.get()), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (p[1].revents) return;
      if (PQconsumeInput(c.get()) == 0) {
        log::warning("wake-ups across centers lost their connection: " + first_line(PQerrorMessage(c.get())));
        was_down = true;
        break;
      }
      while (pq_notify_ptr n{PQnotifies(c.get())}) {
        const std::string site_id = n->extra ? n->extra : "";
        if (is_uuid(site_id)) deliver(site_id);
      }
    }
  }
}

}  // namespace fleetreg::center::sql
