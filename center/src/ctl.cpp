// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/ctl.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>

#include "fleetreg/center/backup.hpp"
#include "fleetreg/center/crypto.hpp"
#include "fleetreg/center/migrate.hpp"
#include "fleetreg/center/operations.hpp"
#include "fleetreg/center/sqlite_storage.hpp"
#include "fleetreg/center/webhook_client.hpp"
#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/config.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::center {

const char* const ctl_commands_usage =
    "Commands:\n"
    "  key init                                create the server key (secret_file, 0600, the\n"
    "                                          center's user's); refused when one exists\n"
    "  key fingerprint                         the installed server key's fingerprint\n"
    "  account add NAME [--admin]              create a dealer (or admin) account;\n"
    "                                          the password is read from stdin\n"
    "  account set NAME --code-validity D      default validity of the dealer's codes\n"
    "  account set NAME --digest \"A@B, C@D\"|off [--digest-interval 60m]\n"
    "                                          e-mail digest of the dealer's alert events\n"
    "                                          (7d, 36h, 90m; 'default': the center's)\n"
    "  account set NAME --billing-weights W    what the dealer bills: \"cell=factor,...\" ('' = total.impressions)\n"
    "  account set NAME --alerts S             the dealer's alert thresholds and order lead time:\n"
    "                                          \"supply-low=15,supply-empty=0,terminal-silent=24h,\n"
    "                                          collector-silent=60m,code-expiry=3d,lead-time=14d\"\n"
    "                                          (any of them; 'default': the center's)\n"
    "  account list                            accounts and whether they are disabled\n"
    "  account disable NAME                    no more logins; its sessions end at once\n"
    "  account enable NAME                     allow a disabled account to log in again\n"
    "  code issue --dealer NAME --customer NAME [--contact TEXT] [--reference TEXT]\n"
    "             [--validity D] [--single-site]\n"
    "                                          issue a provisional code (shown once)\n"
    "  code list [--dealer NAME]               codes issued (never the codes themselves)\n"
    "  code revoke ID                          end a code before it expires\n"
    "  site list [--dealer NAME]               registered sites\n"
    "  terminal list --site ID                 terminals of a site\n"
    "  terminal transfer KEY --to SITE         move a terminal to another site\n"
    "  terminal retire KEY                     take a terminal out of service\n"
    "  claim list [--dealer NAME]              claims on terminals held by another site\n"
    "  claim accept ID | claim refuse ID       move the terminal to the claimant, or not\n"
    "  request --site ID                       queue an on-demand meter read\n"
    "  requests --site ID                      requests of a site and when they were answered\n"
    "  readings --site ID [--limit N] [--json] readings of a site\n"
    "  revoke --site ID                        revoke a site's credential\n"
    "  rotate --site ID                        send the site a new credential at its next\n"
    "                                          contact (the old one works until it is used)\n"
    "  token issue NAME [--billing --dealer NAME]\n"
    "                                          issue a monitoring (or a dealer's billing)\n"
    "                                          API token (shown once)\n"
    "  token list                              tokens, their scope and last use\n"
    "  token revoke ID                         revoke a token\n"
    "  billing close --dealer NAME --before YYYY-MM-DD\n"
    "                                          readings dated before it arriving later\n"
    "                                          are stored late and never billed\n"
    "  alert list [--dealer NAME] [--kind K] [--severity S] [--site ID] [--all] [--json]\n"
    "                                          open alerts (--all: cleared ones too), newest first\n"
    "  alert ack ID | alert clear ID           acknowledge an open alert, or clear it by hand\n"
    "  alert check                             run the timer's alert rules now (silence, codes)\n"
    "  webhook add --dealer NAME URL           POST the dealer's alert events to an https URL;\n"
    "                                          prints the signing secret once\n"
    "  webhook list [--dealer NAME]            webhooks and their state\n"
    "  webhook remove ID                       remove a webhook and its queued events\n"
    "  webhook test ID                         POST a test event now, print the answer\n"
    "  digest send                             send the e-mail digests due now ([email])\n"
    "  delivery list [--webhook ID] [--limit N] [--json]\n"
    "                                          the newest deliveries, with state and last error\n"
    "  purge                                   drop the hashes of expired codes\n"
    "  backup FILE                             consistent copy of the database, 0600, while\n"
    "                                          the center runs; it records the server key's\n"
    "                                          fingerprint, not the key: keep secret_file too\n"
    "  restore FILE [--accept-other-key]       replace the database (refused while the center\n"
    "                                          runs, or when FILE was made under another key)\n"
    "  migrate --to postgresql://USER@HOST[:PORT]/DB\n"
    "                                          copy this SQLite center into an empty PostgreSQL\n"
    "                                          database (its schema made by the migrations), in\n"
    "                                          one transaction committed only when every table's\n"
    "                                          row count and checksum match; refused while the\n"
    "                                          center runs. A source of an older schema is first\n"
    "                                          upgraded in place, as the center does on start.\n"
    "                                          Then set [center] database to the URI (password in\n"
    "                                          ~/.pgpass or PGPASSFILE, not in the configuration)\n"
    "\n"
    "The server key is never made implicitly: fleetreg-center and 'code issue' refuse\n"
    "to run without it. Run as root, fleetreg-centerctl becomes the owner of the\n"
    "database's directory (the center's user) before it opens a file: a backup's\n"
    "directory must be writable by that user.\n";

namespace {

// A command's options and operands, by the one sub-command parser; each
// command checks how many operands it got.
using options = command_line::arguments;
options parse(const std::vector<std::string>& args, std::size_t from, const std::vector<std::string>& with_value,
              const std::vector<std::string>& flags) {
  return command_line::parse_arguments(args, from, {with_value, flags, args.size()});
}

// fleetreg-centerctl is the root operator's tool: it acts with admin rights.
account operator_account() {
  account a;
  a.name = "centerctl";
  a.role = role::admin;
  return a;
}

std::string when(const std::optional<time_point>& t) { return t ? format_utc(*t) : "-"; }

std::int64_t id_argument(const options& o, const char* what) {
  if (o.positional.size() != 1) throw usage_error(std::string(what) + " needs one ID");
  const auto& v = o.positional[0];
  std::int64_t id = 0;
  const auto start = v.starts_with("#") ? 1 : 0;
  const auto [p, ec] = std::from_chars(v.data() + start, v.data() + v.size(), id);
  if (ec != std::errc{} || p != v.data() + v.size() || id <= 0)
    throw usage_error(std::string(what) + ": '" + v + "' is not an ID");
  return id;
}

// "YYYY-MM-DD" as midnight UTC.
time_point parse_day(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3)
    throw usage_error("'" + text + "' is not a date YYYY-MM-DD");
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) throw usage_error("'" + text + "' is not a date YYYY-MM-DD");
  return time_point{std::chrono::sys_days{ymd}.time_since_epoch()};
}

// The database, the operations on it and the operator, for one command.
// Commands act through `svc` only; `database` is named for the backup, which
// stays SQLite's online backup.
struct center_access {
  center_access(const config& cfg, bool needs_key)
      : key(needs_key ? crypto::load_server_key(cfg.secret_file) : crypto::digest{}),
        database(open_storage(parse_database_location(cfg.database), 2)),
        svc(*database, system_clock_source::instance(), cfg, key),
        op(operator_account()) {}

  time_point now() const { return system_clock_source::instance().now(); }
  // --dealer NAME as the dealer's id (an unknown name is refused), or all dealers.
  std::optional<std::int64_t> dealer_filter(const options& o) {
    if (!o.has("dealer")) return std::nullopt;
    return svc.require_account(o.get_or("dealer", "")).id;
  }

  crypto::digest key;
  std::unique_ptr<sql_storage> database;
  operations svc;
  account op;
};

}  // namespace

bool ctl_runs_as_root(const std::vector<std::string>& args) {
  return args.size() >= 2 && args[0] == "key" && args[1] == "init";
}

int run_ctl(const config& cfg, const std::vector<std::string>& command, std::FILE* out, std::FILE* in) {
  crypto::init();
  // A command on the database opens it for itself (and loads the server key
  // only when it needs it: issuing a code, a backup).
  auto with_center = [&](bool needs_key, std::function<int(center_access&, const std::vector<std::string>&)> run) {
    return [&cfg, needs_key, run = std::move(run)](const std::vector<std::string>& words) {
      center_access db(cfg, needs_key);
      return run(db, words);
    };
  };
  const auto enable_or_disable_account =
      with_center(false, [&](center_access& db, const std::vector<std::string>& args) {
        const auto& sub = args[1];
        const auto o = parse(args, 2, {}, {});
        if (o.positional.size() != 1) throw usage_error("account " + sub + " needs one NAME");
        db.svc.set_account_enabled(db.op.name, o.positional[0], sub == "enable");
        std::fprintf(out, "account %s %sd\n", o.positional[0].c_str(), sub.c_str());
        return 0;
      });
  const auto accept_or_refuse_claim = with_center(false, [&](center_access& db, const std::vector<std::string>& args) {
    const auto& sub = args[1];
    const auto o = parse(args, 2, {}, {});
    const auto id = id_argument(o, sub == "accept" ? "claim accept" : "claim refuse");
    if (sub == "accept")
      db.svc.accept_claim(db.op, id);
    else
      db.svc.refuse_claim(db.op, id);
    std::fprintf(out, "claim #%lld %s\n", static_cast<long long>(id), sub == "accept" ? "accepted" : "refused");
    return 0;
  });
  const auto ack_or_clear_alert = with_center(false, [&](center_access& db, const std::vector<std::string>& args) {
    const auto& sub = args[1];
    const auto o = parse(args, 2, {}, {});
    const auto id = id_argument(o, sub == "ack" ? "alert ack" : "alert clear");
    if (sub == "ack")
      db.svc.acknowledge_alert(db.op, id);
    else
      db.svc.clear_alert(db.op, id);
    std::fprintf(out, "alert #%lld %s\n", static_cast<long long>(id), sub == "ack" ? "acknowledged" : "cleared");
    return 0;
  });
  const std::vector<command_line::sub_command> commands = {
      {"key init",
       [&](const std::vector<std::string>& args) {
         parse(args, 2, {}, {});
         // Run as root, the file goes to the owner of the database's directory.
         const auto key = crypto::create_server_key(cfg.secret_file, owner_directory(cfg));
         std::fprintf(out, "created the server key %s (fingerprint %s); back it up apart from the database\n",
                      cfg.secret_file.c_str(), crypto::key_fingerprint(key).c_str());
         return 0;
       }},
      {"key fingerprint",
       [&](const std::vector<std::string>& args) {
         parse(args, 2, {}, {});
         std::fprintf(out, "%s\n", crypto::key_fingerprint(crypto::load_server_key(cfg.secret_file)).c_str());
         return 0;
       }},
      {"restore",
       [&](const std::vector<std::string>& args) {
         const auto o = parse(args, 1, {}, {"accept-other-key"});
         if (o.positional.size() != 1) throw usage_error("restore needs one FILE");
         const auto record =
             restore_backup(o.positional[0], cfg, crypto::load_server_key(cfg.secret_file), o.has("accept-other-key"));
         const auto made = record ? " (made " + record->made_at + ")" : std::string();
         std::fprintf(out, "restored %s from %s%s\n", cfg.database.c_str(), o.positional[0].c_str(), made.c_str());
         return 0;
       }},
      {"migrate",
       [&](const std::vector<std::string>& args) {
         const auto o = parse(args, 1, {"to"}, {});
         if (!o.positional.empty()) throw usage_error("migrate takes no operand: migrate --to postgresql://…");
         const auto uri = o.require("to");
         if (!uri.starts_with("postgresql://") && !uri.starts_with("postgres://"))
           throw usage_error("migrate --to takes a postgresql://… URI");
         const auto from = parse_database_location(cfg.database);
         const auto to = parse_database_location(uri);
         migrate_options mo;
         mo.progress = [](const std::string& line) { log::info(line); };
         const auto r = migrate_center(from, to, mo);
         std::fprintf(out, "%-20s %10s  %-16s %8s\n", "table", "rows", "checksum", "seconds");
         for (const auto& t : r.tables)
           std::fprintf(out, "%-20s %10lld  %-16s %8.2f\n", t.name.c_str(), static_cast<long long>(t.rows),
                        t.checksum.substr(0, 16).c_str(), t.seconds);
         std::fprintf(out,
                      "moved %s (schema %d) to %s: %zu tables, %lld rows in %.1f s (%.0f rows/s; copying %.1f s, "
                      "verifying %.1f s); row counts and checksums match\n"
                      "next: set [center] database = %s and start fleetreg-center\n",
                      from.shown().c_str(), r.schema_version, to.shown().c_str(), r.tables.size(),
                      static_cast<long long>(r.rows), r.seconds,
                      static_cast<double>(r.rows) / std::max(r.seconds, 1e-9), r.copy_seconds, r.verify_seconds,
                      to.shown().c_str());
         return 0;
       }},
      {"account add", with_center(false,
                                  [&](center_access& db, const std::vector<std::string>& args) {
                                    const auto o = parse(args, 2, {}, {"admin"});
                                    if (o.positional.size() != 1) throw usage_error("account add needs one NAME");
                                    char line[1100];
                                    if (!std::fgets(line, sizeof line, in))
                                      throw error(exit_code::data, "no password on standard input");
                                    std::string password(line);
                                    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
                                      password.pop_back();
                                    db.svc.create_account(db.op.name, o.positional[0],
                                                          o.has("admin") ? role::admin : role::dealer, password);
                                    std::fprintf(out, "account %s created\n", o.positional[0].c_str());
                                    return 0;
                                  })},
      {"account list", with_center(false,
                                   [&](center_access& db, const std::vector<std::string>& args) {
                                     parse(args, 2, {}, {});
                                     std::fprintf(out, "%-32s %-7s %s\n", "account", "role", "state");
                                     for (const auto& a : db.svc.accounts(db.op))
                                       std::fprintf(out, "%-32s %-7s %s\n", a.name.c_str(),
                                                    a.role == role::admin ? "admin" : "dealer",
                                                    a.disabled ? "disabled" : "active");
                                     return 0;
                                   })},
      {"account disable", enable_or_disable_account},
      {"account enable", enable_or_disable_account},
      {"code issue",
       with_center(
           true,
           [&](center_access& db, const std::vector<std::string>& args) {
             const auto o = parse(args, 2, {"dealer", "customer", "contact", "reference", "validity"}, {"single-site"});
             const auto dealer = db.svc.require_account(o.require("dealer"));
             code_options co;
             co.validity = db.svc.parse_validity(o.get_or("validity", ""));
             co.single_site = o.has("single-site");
             const auto issued = db.svc.issue_code(dealer, o.require("customer"), o.get_or("contact", ""),
                                                   o.get_or("reference", ""), co);
             std::fprintf(out, "%s\ncode #%lld for %s, valid until %s%s\n", issued.code.c_str(),
                          static_cast<long long>(issued.record.id), issued.record.customer.c_str(),
                          format_utc(issued.record.expires_at).c_str(), co.single_site ? ", one site only" : "");
             return 0;
           })},
      {"code revoke", with_center(false,
                                  [&](center_access& db, const std::vector<std::string>& args) {
                                    const auto o = parse(args, 2, {}, {});
                                    const auto id = id_argument(o, "code revoke");
                                    db.svc.revoke_code(db.op, id);
                                    std::fprintf(out, "code #%lld revoked\n", static_cast<long long>(id));
                                    return 0;
                                  })},
      {"account set",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(
                         args, 2, {"code-validity", "billing-weights", "alerts", "digest", "digest-interval"}, {});
                     if (o.positional.size() != 1) throw usage_error("account set needs one NAME");
                     const auto dealer = db.svc.require_account(o.positional[0]);
                     const auto validity = o.get("code-validity");
                     const auto weights = o.get("billing-weights");
                     const auto alerts = o.get("alerts");
                     const auto digest = o.get("digest");
                     const auto digest_interval = o.get("digest-interval");
                     if (!validity && !weights && !alerts && !digest && !digest_interval)
                       throw usage_error("account set needs --code-validity, --billing-weights, --alerts or --digest");
                     if (digest || digest_interval) {
                       std::optional<std::chrono::seconds> every;
                       if (digest_interval) {
                         const auto d = fleetreg::config::parse_duration(*digest_interval);
                         if (!d)
                           throw usage_error("--digest-interval: '" + *digest_interval +
                                             "' is not a duration (e.g. 60m)");
                         every = std::chrono::duration_cast<std::chrono::seconds>(*d);
                       }
                       db.svc.set_digest(db.op, dealer, digest ? *digest : dealer.digest_recipients, every);
                       const auto now = db.svc.require_account(dealer.name);
                       std::fprintf(out, "digest of %s: %s every %lld min\n", dealer.name.c_str(),
                                    now.digest_recipients.empty() ? "off" : now.digest_recipients.c_str(),
                                    static_cast<long long>(now.digest_interval.count() / 60));
                     }
                     if (alerts) {
                       db.svc.set_alert_settings(db.op, dealer, *alerts);
                       std::fprintf(out, "alerts of %s: %s\n", dealer.name.c_str(),
                                    to_string(db.svc.require_account(dealer.name).alerts).c_str());
                     }
                     if (validity) {
                       const auto v = db.svc.parse_validity(*validity);
                       db.svc.set_code_validity(db.op.name, dealer, v);
                       std::fprintf(out, "codes of %s are valid %s by default\n", dealer.name.c_str(),
                                    v ? (std::to_string(v->count() / 3600) + " h").c_str() : "as the center's default");
                     }
                     if (weights) {
                       db.svc.set_billing_weights(db.op, dealer, *weights);
                       const auto now = db.svc.billing_weights_of(db.svc.require_account(dealer.name));
                       std::fprintf(out, "%s bills %s\n", dealer.name.c_str(),
                                    now.milli.empty() ? "total.impressions=1 (the default)" : to_string(now).c_str());
                     }
                     return 0;
                   })},
      {"claim list", with_center(false,
                                 [&](center_access& db, const std::vector<std::string>& args) {
                                   const auto o = parse(args, 2, {"dealer"}, {});
                                   std::fprintf(out, "%-5s %-9s %-32s %-36s %-36s %s\n", "#", "state", "terminal",
                                                "held by site", "claimed by site", "since");
                                   for (const auto& c : db.svc.claims(db.op, db.dealer_filter(o)))
                                     std::fprintf(out, "%-5lld %-9s %-32s %-36s %-36s %s\n",
                                                  static_cast<long long>(c.id), c.state.c_str(), c.key.c_str(),
                                                  c.holder_site_id.c_str(), c.claimant_site_id.c_str(),
                                                  format_utc(c.created_at).c_str());
                                   return 0;
                                 })},
      {"claim accept", accept_or_refuse_claim},
      {"claim refuse", accept_or_refuse_claim},
      {"code list",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 2, {"dealer"}, {});
                     std::fprintf(out, "%-5s %-16s %-28s %-21s %-21s %s\n", "#", "dealer", "customer", "issued",
                                  "expires", "terminals");
                     for (const auto& c : db.svc.codes(db.op, db.dealer_filter(o)))
                       std::fprintf(out, "%-5lld %-16s %-28s %-21s %-21s %lld%s\n", static_cast<long long>(c.id),
                                    c.dealer_name.c_str(), c.customer.c_str(), format_utc(c.issued_at).c_str(),
                                    format_utc(c.expires_at).c_str(), static_cast<long long>(c.terminals_registered),
                                    c.revoked_at  ? " (revoked)"
                                    : c.purged_at ? " (purged)"
                                                  : "");
                     return 0;
                   })},
      {"site list", with_center(false,
                                [&](center_access& db, const std::vector<std::string>& args) {
                                  const auto o = parse(args, 2, {"dealer"}, {});
                                  std::fprintf(out, "%-36s %-28s %-32s %-21s %s\n", "site", "customer", "registered by",
                                               "last contact", "credential");
                                  for (const auto& s : db.svc.sites(db.op, db.dealer_filter(o)))
                                    std::fprintf(out, "%-36s %-28s %-32s %-21s %s\n", s.id.c_str(), s.customer.c_str(),
                                                 (s.side.kind + ":" + s.side.name).c_str(),
                                                 when(s.last_contact).c_str(),
                                                 s.credential_active ? "active" : "revoked");
                                  return 0;
                                })},
      {"terminal list", with_center(false,
                                    [&](center_access& db, const std::vector<std::string>& args) {
                                      const auto o = parse(args, 2, {"site"}, {});
                                      for (const auto& t : db.svc.terminals(db.op, o.require("site")))
                                        std::fprintf(out, "%-32s %-24s %-20s last reading %s\n", t.key.c_str(),
                                                     t.id.model.c_str(), t.id.serial.c_str(),
                                                     when(t.last_reading_at).c_str());
                                      return 0;
                                    })},
      {"terminal transfer", with_center(false,
                                        [&](center_access& db, const std::vector<std::string>& args) {
                                          const auto o = parse(args, 2, {"to"}, {});
                                          if (o.positional.size() != 1)
                                            throw usage_error("terminal transfer needs one KEY");
                                          db.svc.transfer_terminal(db.op, o.positional[0], o.require("to"));
                                          std::fprintf(out, "terminal %s moved to site %s\n", o.positional[0].c_str(),
                                                       o.get_or("to", "").c_str());
                                          return 0;
                                        })},
      {"terminal retire", with_center(false,
                                      [&](center_access& db, const std::vector<std::string>& args) {
                                        const auto o = parse(args, 2, {}, {});
                                        if (o.positional.size() != 1)
                                          throw usage_error("terminal retire needs one KEY");
                                        db.svc.retire_terminal(db.op, o.positional[0]);
                                        std::fprintf(out, "terminal %s retired\n", o.positional[0].c_str());
                                        return 0;
                                      })},
      {"request", with_center(false,
                              [&](center_access& db, const std::vector<std::string>& args) {
                                const auto o = parse(args, 1, {"site"}, {});
                                std::fprintf(out, "request %s queued\n",
                                             db.svc.request_reading(db.op, o.require("site")).c_str());
                                return 0;
                              })},
      {"requests", with_center(false,
                               [&](center_access& db, const std::vector<std::string>& args) {
                                 const auto o = parse(args, 1, {"site"}, {});
                                 for (const auto& r : db.svc.requests(db.op, o.require("site")))
                                   std::fprintf(out, "%s %-10s queued %s answered %s\n", r.id.c_str(), r.kind.c_str(),
                                                format_utc(r.created_at).c_str(), when(r.answered_at).c_str());
                                 return 0;
                               })},
      {"readings",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 1, {"site", "limit"}, {"json"});
                     const auto s = db.svc.require_site(db.op, o.require("site"));
                     std::size_t limit = 1000;
                     if (o.has("limit")) {
                       const auto v = o.get_or("limit", "");
                       const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
                       if (ec != std::errc{} || p != v.data() + v.size()) throw usage_error("--limit must be a number");
                     }
                     const auto list = db.svc.readings(db.op, s.id, limit);
                     if (o.has("json")) {
                       json::value arr = json::value::array();
                       for (const auto& r : list) {
                         auto v = json::to_json(r.r);
                         v["received_at"] = format_utc(r.received_at);
                         v["counter_reset"] = r.counter_reset;
                         arr.push_back(v);
                       }
                       std::fprintf(out, "%s\n", arr.dump(2).c_str());
                       return 0;
                     }
                     for (const auto& r : list) {
                       const auto total = r.r.counters.get(fleetreg::service::total, counter_kind::impressions);
                       const auto copy = r.r.counters.get(fleetreg::service::copy, counter_kind::impressions);
                       std::fprintf(out, "%s %-32s copy %8s total %8s  %s%s\n", format_utc(r.r.taken).c_str(),
                                    r.r.terminal_key.c_str(), copy ? std::to_string(*copy).c_str() : "-",
                                    total ? std::to_string(*total).c_str() : "-",
                                    r.r.request_id.empty() ? "collector's own schedule"
                                                           : ("request " + r.r.request_id.substr(0, 8)).c_str(),
                                    r.counter_reset ? " RESET" : "");
                     }
                     return 0;
                   })},
      {"revoke", with_center(false,
                             [&](center_access& db, const std::vector<std::string>& args) {
                               const auto o = parse(args, 1, {"site"}, {});
                               db.svc.revoke(db.op, o.require("site"));
                               std::fprintf(out, "credential of site %s revoked\n", o.get_or("site", "").c_str());
                               return 0;
                             })},
      {"rotate",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 1, {"site"}, {});
                     db.svc.rotate(db.op, o.require("site"));
                     std::fprintf(
                         out,
                         "site %s receives a new credential at its next contact; the old one works until the new one "
                         "is used, or for %lld h\n",
                         o.get_or("site", "").c_str(),
                         static_cast<long long>(
                             std::chrono::duration_cast<std::chrono::hours>(cfg.rotation_overlap).count()));
                     return 0;
                   })},
      {"token issue",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 2, {"dealer"}, {"billing"});
                     if (o.positional.size() != 1) throw usage_error("token issue needs one NAME");
                     if (o.has("billing")) {
                       const auto dealer = db.svc.require_account(o.require("dealer"));
                       std::fprintf(out, "%s\n",
                                    db.svc.issue_billing_token(db.op.name, dealer, o.positional[0]).c_str());
                     } else {
                       if (o.has("dealer"))
                         throw usage_error("--dealer goes with --billing: monitoring tokens see the whole center");
                       std::fprintf(out, "%s\n", db.svc.issue_monitoring_token(db.op.name, o.positional[0]).c_str());
                     }
                     return 0;
                   })},
      {"token list", with_center(false,
                                 [&](center_access& db, const std::vector<std::string>& args) {
                                   parse(args, 2, {}, {});
                                   std::fprintf(out, "%-5s %-24s %-10s %-16s %-21s %-21s %s\n", "#", "name", "scope",
                                                "dealer", "issued", "last used", "revoked");
                                   for (const auto& t : db.svc.tokens(db.op))
                                     std::fprintf(out, "%-5lld %-24s %-10s %-16s %-21s %-21s %s\n",
                                                  static_cast<long long>(t.id), t.name.c_str(), t.scope.c_str(),
                                                  t.dealer_name.empty() ? "-" : t.dealer_name.c_str(),
                                                  format_utc(t.created_at).c_str(), when(t.last_used_at).c_str(),
                                                  when(t.revoked_at).c_str());
                                   return 0;
                                 })},
      {"token revoke", with_center(false,
                                   [&](center_access& db, const std::vector<std::string>& args) {
                                     const auto o = parse(args, 2, {}, {});
                                     const auto id = id_argument(o, "token revoke");
                                     db.svc.revoke_token(db.op, id);
                                     std::fprintf(out, "token #%lld revoked\n", static_cast<long long>(id));
                                     return 0;
                                   })},
      {"billing close", with_center(false,
                                    [&](center_access& db, const std::vector<std::string>& args) {
                                      const auto o = parse(args, 2, {"dealer", "before"}, {});
                                      const auto dealer = db.svc.require_account(o.require("dealer"));
                                      const auto until = parse_day(o.require("before"));
                                      db.svc.close_billing(db.op, dealer, until);
                                      std::fprintf(out, "billing of %s closed before %s\n", dealer.name.c_str(),
                                                   format_utc(until).c_str());
                                      return 0;
                                    })},
      {"alert list",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 2, {"dealer", "kind", "severity", "site"}, {"all", "json"});
                     if (!o.positional.empty()) throw usage_error("alert list takes no operand");
                     alert_query q;
                     q.dealer_id = db.dealer_filter(o);
                     q.open_only = !o.has("all");
                     q.kind = o.get_or("kind", "");
                     q.severity = o.get_or("severity", "");
                     q.site_id = o.get_or("site", "");
                     const auto list = db.svc.alerts(db.op, q);
                     if (o.has("json")) {
                       json::value arr = json::value::array();
                       for (const auto& a : list) arr.push_back(alert_json(a));
                       std::fprintf(out, "%s\n", arr.dump(2).c_str());
                       return 0;
                     }
                     std::fprintf(out, "%-6s %-8s %-16s %-32s %-21s %-12s %s\n", "#", "severity", "kind", "subject",
                                  "raised", "state", "detail");
                     for (const auto& a : list) {
                       const auto subject = !a.terminal_key.empty() ? a.terminal_key
                                            : !a.site_id.empty()    ? a.site_id
                                                                    : "code #" + std::to_string(a.code_id);
                       const auto state = a.cleared_at ? "cleared" : a.acknowledged_at ? "acknowledged" : "open";
                       auto detail = a.detail;
                       if (a.supply) detail = "supply " + std::to_string(*a.supply) + ": " + detail;
                       if (!a.code.empty()) detail = a.code + ": " + detail;
                       std::fprintf(out, "%-6lld %-8s %-16s %-32s %-21s %-12s %s\n", static_cast<long long>(a.id),
                                    a.severity.c_str(), a.kind.c_str(), log::quote(subject).c_str(),
                                    format_utc(a.raised_at).c_str(), state, log::quote(detail).c_str());
                     }
                     return 0;
                   })},
      {"alert ack", ack_or_clear_alert},
      {"alert clear", ack_or_clear_alert},
      {"alert check", with_center(false,
                                  [&](center_access& db, const std::vector<std::string>& args) {
                                    parse(args, 2, {}, {});
                                    std::fprintf(out, "%zu alert transitions\n", db.svc.check_alerts());
                                    return 0;
                                  })},
      {"webhook add", with_center(true,
                                  [&](center_access& db, const std::vector<std::string>& args) {
                                    const auto o = parse(args, 2, {"dealer"}, {});
                                    if (o.positional.size() != 1) throw usage_error("webhook add needs one URL");
                                    const auto dealer = db.svc.require_account(o.require("dealer"));
                                    const auto added = db.svc.add_webhook(db.op, dealer, o.positional[0]);
                                    std::fprintf(out, "webhook #%lld of %s: %s\nsigning secret (shown once): %s\n",
                                                 static_cast<long long>(added.hook.id), dealer.name.c_str(),
                                                 added.hook.url.c_str(), added.secret.c_str());
                                    return 0;
                                  })},
      {"webhook list",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 2, {"dealer"}, {});
                     if (!o.positional.empty()) throw usage_error("webhook list takes no operand");
                     std::fprintf(out, "%-6s %-8s %-21s %-21s %s\n", "#", "dealer", "added", "blocked until", "url");
                     std::map<std::int64_t, std::string> names;
                     for (const auto& a : db.svc.accounts(db.op)) names[a.id] = a.name;
                     for (const auto& w : db.svc.webhooks(db.op, db.dealer_filter(o))) {
                       const auto& dealer = names[w.account_id];
                       std::fprintf(out, "%-6lld %-8s %-21s %-21s %s\n", static_cast<long long>(w.id), dealer.c_str(),
                                    format_utc(w.created_at).c_str(),
                                    w.blocked_until > db.now() ? format_utc(w.blocked_until).c_str() : "-",
                                    w.url.c_str());
                     }
                     return 0;
                   })},
      {"webhook remove", with_center(false,
                                     [&](center_access& db, const std::vector<std::string>& args) {
                                       const auto id = id_argument(parse(args, 2, {}, {}), "webhook remove");
                                       db.svc.remove_webhook(db.op, id);
                                       std::fprintf(out, "webhook #%lld removed\n", static_cast<long long>(id));
                                       return 0;
                                     })},
      {"webhook test", with_center(true,
                                   [&](center_access& db, const std::vector<std::string>& args) {
                                     const auto id = id_argument(parse(args, 2, {}, {}), "webhook test");
                                     webhook_client client(webhook_options_from(cfg));
                                     const auto answer = db.svc.test_webhook(
                                         db.op, id, [&](const webhook_request& r) { return client.post(r); });
                                     if (answer.status >= 200 && answer.status < 300) {
                                       std::fprintf(out, "webhook #%lld answered HTTP %lld\n",
                                                    static_cast<long long>(id), static_cast<long long>(answer.status));
                                       return 0;
                                     }
                                     throw error(
                                         exit_code::unavailable,
                                         "webhook #" + std::to_string(id) + " did not take the test event: " +
                                             (answer.status ? "HTTP " + std::to_string(answer.status) : answer.error));
                                   })},
      {"digest send",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     parse(args, 2, {}, {});
                     const smtp_client mail(smtp_options_from(cfg));
                     std::fprintf(out, "%zu digests sent\n",
                                  db.svc.send_digests([&](const std::string& from, const std::vector<std::string>& to,
                                                          const std::string& m) { return mail.send(from, to, m); }));
                     return 0;
                   })},
      {"delivery list",
       with_center(false,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 2, {"webhook", "limit"}, {"json"});
                     if (!o.positional.empty()) throw usage_error("delivery list takes no operand");
                     std::int64_t hook = 0, limit = 50;
                     const auto number = [](const std::string& v, const char* what, std::int64_t& n) {
                       const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                       if (ec != std::errc{} || p != v.data() + v.size() || n <= 0 || n > 1000)
                         throw usage_error(std::string(what) + ": '" + v + "' is not a number from 1 to 1000");
                     };
                     if (o.has("webhook")) number(o.get_or("webhook", ""), "--webhook", hook);
                     if (o.has("limit")) number(o.get_or("limit", ""), "--limit", limit);
                     const auto list = db.svc.deliveries(db.op, hook, static_cast<std::size_t>(limit));
                     if (o.has("json")) {
                       json::value arr = json::value::array();
                       for (const auto& d : list) arr.push_back(delivery_json(d));
                       std::fprintf(out, "%s\n", arr.dump(2).c_str());
                       return 0;
                     }
                     std::fprintf(out, "%-8s %-8s %-8s %-10s %-8s %-6s %-21s %s\n", "#", "webhook", "event", "state",
                                  "attempts", "status", "next attempt", "last error");
                     for (const auto& d : list)
                       std::fprintf(out, "%-8lld %-8lld %-8lld %-10s %-8lld %-6lld %-21s %s\n",
                                    static_cast<long long>(d.id), static_cast<long long>(d.webhook_id),
                                    static_cast<long long>(d.event_id), d.state.c_str(),
                                    static_cast<long long>(d.attempts), static_cast<long long>(d.last_status),
                                    when(d.next_attempt_at).c_str(), log::quote(d.last_error).c_str());
                     return 0;
                   })},
      {"purge", with_center(false,
                            [&](center_access& db, const std::vector<std::string>& args) {
                              parse(args, 1, {}, {});
                              std::fprintf(out, "purged %lld expired codes\n",
                                           static_cast<long long>(db.svc.purge(db.op.name)));
                              return 0;
                            })},
      {"backup",
       with_center(true,
                   [&](center_access& db, const std::vector<std::string>& args) {
                     const auto o = parse(args, 1, {}, {});
                     if (o.positional.size() != 1) throw usage_error("backup needs one FILE");
                     auto* file = dynamic_cast<sqlite_storage*>(db.database.get());
                     if (!file)
                       throw error(exit_code::usage,
                                   "backup copies a SQLite center's file; back up a PostgreSQL center with pg_dump "
                                   "(docs/OPERATIONS.md)");
                     const auto record = write_backup(*file, cfg, db.key, o.positional[0], db.now());
                     std::fprintf(
                         out,
                         "backed up %s to %s (mode 0600); it needs the server key %s (fingerprint %s): keep a copy of "
                         "that file too, apart from the backups\n",
                         cfg.database.c_str(), o.positional[0].c_str(), record.key_file.c_str(),
                         record.key_fingerprint.c_str());
                     return 0;
                   })},
  };
  return command_line::dispatch(commands, command);
}

}  // namespace fleetreg::center
