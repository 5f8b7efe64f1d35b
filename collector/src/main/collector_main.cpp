// SPDX-License-Identifier: Apache-2.0
// fleetreg-collector: the on-site server (site mode).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "fleetreg/collector/collector.hpp"
#include "fleetreg/collector/progress.hpp"
#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/reload_signal.hpp"
#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/profiles/extension.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"

namespace {

using namespace fleetreg;

constexpr const char* usage_text =
    "Usage: fleetreg-collector [-c FILE] COMMAND [OPTION]...\n"
    "Find the office terminals on this network, register them with a fleetreg\n"
    "center with a provisional code, and report their counters when asked.\n"
    "\n"
    "Commands:\n"
    "  discover [--json]                      list the terminals found\n"
    "  register --code CODE [--center URL]    register them with the center\n"
    "  run                                    report to the center (foreground;\n"
    "                                         SIGHUP reloads the counter profiles)\n"
    "  status                                 registration and outbox\n"
    "  profile list                           the counter profiles loaded\n"
    "  profile check FILE...                  check profile files\n"
    "  profile show ADDRESS [--verbose]       read a device with the profiles, step by step\n"
    "  (COMMAND --help: its own help)\n"
    "\n"
    "  -c, --config=FILE     configuration file (default /etc/fleetreg/collector.conf)\n"
    "  -t, --test-config     check the configuration and exit\n"
    "  -d, --debug[=TOPICS]  debug log\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n";

void print_devices(const std::vector<collector::device_info>& devices, bool as_json) {
  if (as_json) {
    // One device at a time, as `[…].dump(2)` would print the list: a
    // thousand devices' JSON is never held at once.
    std::fputs(devices.empty() ? "[]" : "[\n", stdout);
    bool first = true;
    for (const auto& d : devices) {
      auto v = json::to_json(d.id);
      v["address"] = d.address;
      v["source"] = std::string(to_string(d.source));
      v["key"] = d.key() ? json::value(*d.key()) : json::value();
      v["registrable"] = d.why_not_registrable().empty();
      if (!d.why_not_registrable().empty()) v["reason"] = d.why_not_registrable();
      v["counters"] = json::to_json(d.counters);
      json::value supplies = json::value::array();
      for (const auto& s : d.supplies) supplies.push_back(json::to_json(s));
      v["supplies"] = supplies;
      v["extras"] = d.extras;
      v["provenance"] = d.provenance;
      v["device_status"] = d.device_status;
      json::value alerts = json::value::array();
      for (const auto& a : d.alerts) alerts.push_back(json::to_json(a));
      v["alerts"] = alerts;
      v["field_sources"] = d.field_sources;
      v["seen_via"] = d.seen_via;
      std::string text = "  " + v.dump(2);
      for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1))
        text.insert(at + 1, "  ");
      std::fputs(first ? "" : ",\n", stdout);
      std::fputs(text.c_str(), stdout);
      first = false;
    }
    std::fputs(devices.empty() ? "\n" : "\n]\n", stdout);
    return;
  }
  std::printf("%-28s %-30s %-20s %-13s %s\n", "address", "terminal", "serial", "source", "registrable");
  for (const auto& d : devices) {
    const auto why = d.why_not_registrable();
    std::printf("%-28s %-30s %-20s %-13s %s\n", d.address.c_str(), (d.id.manufacturer + " " + d.id.model).c_str(),
                d.id.serial.c_str(), std::string(to_string(d.source)).c_str(),
                why.empty() ? "yes" : ("no: " + why).c_str());
    std::string via;
    for (const auto& v : d.seen_via) via += (via.empty() ? "" : "; ") + v;
    std::printf("%-28s seen via: %s\n", "", via.c_str());
    // What it reports, registrable or not.
    std::string read;
    for (const auto svc : all_services)
      for (const auto kind : all_counter_kinds)
        if (const auto n = d.counters.get(svc, kind)) read += " " + cell_name(svc, kind) + "=" + std::to_string(*n);
    for (const auto& [k, n] : d.extras) read += " " + k + "=" + std::to_string(n);
    if (!read.empty()) std::printf("%-28s counters:%s\n", "", read.c_str());
    read.clear();
    for (const auto& s : d.supplies) {
      const auto p = s.percent();
      read += (read.empty() ? " " : "; ") + (s.description.empty() ? std::string(to_string(s.type)) : s.description) +
              (p ? " " + std::to_string(*p) + "%" : std::string());
    }
    if (!read.empty()) std::printf("%-28s supplies:%s\n", "", read.c_str());
    read.clear();
    for (const auto& a : d.alerts) read += (read.empty() ? " " : "; ") + a.severity + " " + a.group + "/" + a.code;
    if (!d.device_status.empty() || !read.empty())
      std::printf("%-28s status: %s%s%s\n", "", d.device_status.empty() ? "-" : d.device_status.c_str(),
                  read.empty() ? "" : ", alerts:", read.c_str());
  }
}

// discover's progress on stderr: on a terminal one line rewritten in place
// (at most 10 times a second) and replaced by the step's summary when it
// ends; otherwise only the summary of each step, one line, no carriage return.
class progress_display {
 public:
  explicit progress_display(bool tty) : tty_(tty) {}
  ~progress_display() { end_step(); }

  void operator()(const collector::discovery_step& s) {
    const auto now = steady::now();
    if (step_.what != std::string_view(s.what)) {
      end_step();
      started_ = now;
      open_ = true;
    }
    step_ = s;
    if (s.done >= s.total) return end_step();
    if (!tty_ || now - drawn_ < std::chrono::milliseconds(100)) return;
    drawn_ = now;
    std::fprintf(stderr, "\r%s\x1b[K", collector::format_progress(s, elapsed(now)).c_str());
    std::fflush(stderr);
  }

 private:
  using steady = std::chrono::steady_clock;
  std::chrono::milliseconds elapsed(steady::time_point now) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
  }
  void end_step() {
    if (!open_) return;
    open_ = false;
    const auto line = collector::format_summary(step_, elapsed(steady::now()));
    std::fprintf(stderr, tty_ ? "\r%s\x1b[K\n" : "%s\n", line.c_str());
    std::fflush(stderr);
  }
  bool tty_;
  bool open_ = false;
  collector::discovery_step step_;
  steady::time_point started_{}, drawn_{};
};

int discover_command(const collector::config& cfg, const std::vector<std::string>& args) {
  const auto o = command_line::parse_arguments(args, 1, {{}, {"json"}});
  const bool as_json = o.has("json");
  std::vector<collector::device_info> devices;
  {
    progress_display show(isatty(STDERR_FILENO) == 1);
    devices = collector::discover(cfg, [&](const collector::discovery_step& s) { show(s); });
  }
  print_devices(devices, as_json);
  return 0;
}

int register_command(const collector::config& cfg, const std::vector<std::string>& args) {
  const auto o = command_line::parse_arguments(args, 1, {{"code", "center"}, {}});
  const auto code = o.get_or("code", "");
  const auto center = o.get_or("center", cfg.center_url);
  if (code.empty()) throw usage_error("register needs --code CODE");
  if (center.empty()) throw usage_error("register needs --center URL (or [center] url in the configuration)");
  // A mistyped code is refused before anything else happens.
  std::string why;
  if (provisional_code::normalize(code, &why).empty()) throw error(exit_code::data, why);
  collector::store st(cfg.state_dir, system_clock_source::instance(), cfg.outbox);
  const auto devices = collector::discover(cfg);
  std::printf("Registering with %s:\n", center.c_str());
  print_devices(devices, false);
  for (const auto& d : devices)
    if (const auto reason = d.why_not_registrable(); !reason.empty())
      std::printf("skipping %s (%s %s): %s\n", d.address.c_str(), d.id.manufacturer.c_str(), d.id.model.c_str(),
                  reason.c_str());
  const auto reg = collector::register_site(cfg, st, center, code, devices);
  std::printf("registered %zu terminals, site %s; credential stored in %s/credential\n", reg.terminals.size(),
              reg.site_id.c_str(), cfg.state_dir.c_str());
  return 0;
}

int status_command(const collector::config& cfg, const std::vector<std::string>& args) {
  command_line::parse_arguments(args, 1, {});
  collector::store st(cfg.state_dir, system_clock_source::instance(), cfg.outbox);
  const auto reg = st.registration();
  const auto [size, oldest] = st.outbox().backlog();
  std::printf("registration  %s\n", reg.site_id.empty() ? "not registered" : (reg.revoked ? "revoked" : "registered"));
  if (!reg.site_id.empty()) {
    std::printf("center        %s\nsite          %s\nterminals     %zu\n", reg.center_url.c_str(), reg.site_id.c_str(),
                reg.terminals.size());
    std::printf("last upload   %s\n", reg.last_upload ? format_utc(*reg.last_upload).c_str() : "never");
  }
  std::printf("outbox        %lld readings%s\n", static_cast<long long>(size),
              oldest ? (", oldest " + format_utc(*oldest)).c_str() : "");
  const auto lost = st.outbox().stats();
  std::printf("not stored    %lld refused by the center, %lld dropped over the outbox's caps\n",
              static_cast<long long>(lost.refused), static_cast<long long>(lost.dropped));
  // What the running collector said last (status.json), e.g. a full disk.
  std::string why;
  std::ifstream status_file(cfg.state_dir + "/status.json");
  const std::string text((std::istreambuf_iterator<char>(status_file)), {});
  if (const auto status = json::parse(text, why); status && status->is_object()) {
    const auto problem = status->value("last_error", std::string());
    if (!problem.empty()) std::printf("problem       %s\n", problem.c_str());
  }
  return 0;
}

constexpr const char* profile_list_help =
    "Usage: fleetreg-collector profile list\n"
    "The counter profiles loaded from [profiles] directories (default\n"
    "/usr/share/fleetreg/profiles, then /etc/fleetreg/profiles.d), highest\n"
    "priority first: id, version, priority, vendor, file; then the profiles a\n"
    "later file with the same id replaced, and the files that were skipped.\n"
    "Exit status 0; 65 when a file was skipped.\n";

constexpr const char* profile_check_help =
    "Usage: fleetreg-collector profile check FILE...\n"
    "Parses and validates each counter profile file (docs/PROFILES.md). Prints\n"
    "'FILE: ok (ID VERSION)' for each good file on stdout and 'FILE:LINE: message'\n"
    "for each bad one on stderr. Exit status 0 when all are good, 65 otherwise.\n";

constexpr const char* profile_show_help =
    "Usage: fleetreg-collector profile show ADDRESS [--verbose]\n"
    "Reads one device (ADDRESS: a host, or a Net-SNMP peer such as\n"
    "udp:192.0.2.7:161) with the configured SNMP credentials and the loaded\n"
    "counter profiles, and shows the steps: sysObjectID, the profiles that\n"
    "matched in order, each OID with its raw value and the cell or extra it\n"
    "gave, and the final counters, extras and identity with their provenance.\n"
    "  --verbose   also why each other profile did not match\n"
    "Exit status 0; 69 when the device does not answer.\n";

bool wants_help(const std::vector<std::string>& args, const char* text) {
  for (std::size_t i = 1; i < args.size(); ++i)
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(text, stdout);
      return true;
    }
  return false;
}

int profile_list_command(const collector::config& cfg, const std::vector<std::string>& args) {
  if (wants_help(args, profile_list_help)) return 0;
  command_line::parse_arguments(args, 2, {});
  const auto set = collector::load_profiles(cfg);
  std::printf("%-28s %7s %8s %-16s %s\n", "id", "version", "priority", "vendor", "file");
  for (const auto& p : set->profiles())
    std::printf("%-28s %7lld %8d %-16s %s\n", p.id.c_str(), static_cast<long long>(p.version), p.priority,
                p.vendor.empty() ? "-" : p.vendor.c_str(), p.file.c_str());
  for (const auto& r : set->replaced())
    std::printf("overridden: %s in %s by %s\n", r.id.c_str(), r.file.c_str(), r.by_file.c_str());
  for (const auto& problem : set->problems()) std::printf("skipped: %s\n", problem.c_str());
  return set->problems().empty() ? 0 : static_cast<int>(exit_code::data);
}

int profile_check_command(const std::vector<std::string>& args) {
  if (wants_help(args, profile_check_help)) return 0;
  const auto o = command_line::parse_arguments(args, 2, {{}, {}, 10000});
  if (o.positional.empty()) throw usage_error("profile check needs at least one FILE (see --help)");
  int rc = 0;
  for (const auto& f : o.positional) {
    const auto r = profiles::load_profile_file(f);
    if (r.value) {
      std::printf("%s: ok (%s %lld)\n", f.c_str(), r.value->id.c_str(), static_cast<long long>(r.value->version));
    } else {
      std::fprintf(stderr, "%s\n", r.error.c_str());
      rc = static_cast<int>(exit_code::data);
    }
  }
  return rc;
}

std::string peer_of(const collector::config& cfg, const std::string& address) {
  if (address.find(':') != std::string::npos && address.front() != '[') return address;
  return "udp:" + address + ":" + std::to_string(cfg.snmp_port);
}

int profile_show_command(const collector::config& cfg, const std::vector<std::string>& args) {
  if (wants_help(args, profile_show_help)) return 0;
  const auto o = command_line::parse_arguments(args, 2, {{}, {"verbose"}, 1});
  if (o.positional.size() != 1) throw usage_error("profile show needs one ADDRESS (see --help)");
  const bool verbose = o.has("verbose");
  const auto set = collector::load_profiles(cfg);
  for (const auto& problem : set->problems()) std::printf("skipped profile: %s\n", problem.c_str());
  auto opts = cfg.credentials;
  opts.timeout = cfg.snmp_timeout;
  opts.retries = static_cast<int>(cfg.snmp_retries);
  opts.peer = peer_of(cfg, o.positional[0]);
  profiles::memory_wrap_state wraps;  // a look, not a reading: the store's wrap state is not touched
  profiles::extension ext(set, &wraps);
  std::error_code ec;
  std::size_t trips = 0;
  const auto reading = snmp::read_terminal(opts, ec, &ext, &trips);
  if (ec) throw error(exit_code::unavailable, opts.peer + " does not answer: " + ec.message());
  std::printf("device       %s\n", opts.peer.c_str());
  if (!reading) {
    std::printf("it serves neither the fleetreg MIB nor the Printer-MIB (%zu round trips)\n", trips);
    return 0;
  }
  std::printf("sysObjectID  %s\n",
              reading->sys_object_id.empty() ? "(none)" : snmp::to_string(reading->sys_object_id).c_str());
  std::printf("sysDescr     %s\n", reading->sys_descr.c_str());
  std::printf("read as      %s, %zu round trips\n", std::string(to_string(reading->source)).c_str(), trips);
  if (reading->source == reading_source::fleetreg_mib)
    std::printf("it serves the fleetreg MIB: profiles are not used\n");
  std::printf("\nprofiles matched, in order:\n");
  std::size_t matched = 0;
  for (const auto& m : ext.matches())
    if (m.matched) {
      ++matched;
      std::printf("  %-28s priority %d  %s\n", m.p->tag().c_str(), m.p->priority, m.p->file.c_str());
    }
  if (matched == 0) std::printf("  (none)\n");
  if (verbose) {
    std::printf("\nprofiles not matched:\n");
    for (const auto& m : ext.matches())
      if (!m.matched) std::printf("  %-28s %s\n", m.p->tag().c_str(), m.reason.c_str());
  }
  if (!ext.trace().empty()) {
    std::printf("\nsteps (OID, raw value, result):\n");
    for (const auto& t : ext.trace()) {
      if (t.oid.empty())
        std::printf("  %-22s %-30s %s %s\n", t.profile.c_str(), t.target.c_str(), t.raw.c_str(), t.result.c_str());
      else
        std::printf("  %-22s %-30s %s = %s -> %s\n", t.profile.c_str(), t.target.c_str(), t.oid.c_str(), t.raw.c_str(),
                    t.result.c_str());
    }
  }
  auto origin = [&](const std::string& key) {
    const auto it = reading->provenance.find(key);
    return it == reading->provenance.end() ? std::string(to_string(reading->source)) : it->second;
  };
  std::printf("\ncounters:\n");
  for (const auto s : all_services)
    for (const auto k : all_counter_kinds)
      if (const auto v = reading->counters.get(s, k))
        std::printf("  %-26s %20llu  %s\n", cell_name(s, k).c_str(), static_cast<unsigned long long>(*v),
                    origin(cell_name(s, k)).c_str());
  if (!reading->extras.empty()) std::printf("\nextras:\n");
  for (const auto& [key, v] : reading->extras)
    std::printf("  %-26s %20llu  %s\n", key.c_str(), static_cast<unsigned long long>(v),
                origin("extra:" + key).c_str());
  std::printf("\nidentity:\n");
  const std::pair<const char*, const std::string*> fields[] = {{"manufacturer", &reading->id.manufacturer},
                                                               {"model", &reading->id.model},
                                                               {"serial", &reading->id.serial},
                                                               {"firmware", &reading->id.firmware}};
  for (const auto& [name, value] : fields)
    if (!value->empty())
      std::printf("  %-13s %-30s %s\n", name, value->c_str(), origin(std::string("identity.") + name).c_str());
  if (!ext.last_error().empty()) std::printf("\nproblem: %s\n", ext.last_error().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  log::set_program("fleetreg-collector");
  try {
    std::string config_path;
    bool test_only = false;
    std::vector<std::string> args;
    if (const auto done = command_line::parser("fleetreg-collector", usage_text)
                              .config(&config_path)
                              .test_config(&test_only)
                              .debug()
                              .sub_commands()
                              .parse(argc, argv, &args))
      return *done;
    auto cfg = collector::load_config(config_path);
    if (test_only) {
      std::printf("configuration OK: state %s, %zu SNMP targets\n", cfg.state_dir.c_str(), cfg.targets.size());
      return 0;
    }
    if (args.empty()) throw usage_error("no command given (see --help)");
    // Read again as the user the state belongs to: the SNMP secrets file must
    // be readable by the collector's user, by hand as under systemd.
    if (!become_owner_of(cfg.state_dir).empty()) cfg = collector::load_config(config_path);
    using argv_words = const std::vector<std::string>&;
    return command_line::dispatch({{"discover", [&](argv_words a) { return discover_command(cfg, a); }},
                                   {"register", [&](argv_words a) { return register_command(cfg, a); }},
                                   {"status", [&](argv_words a) { return status_command(cfg, a); }},
                                   {"profile list", [&](argv_words a) { return profile_list_command(cfg, a); }},
                                   {"profile check", [&](argv_words a) { return profile_check_command(a); }},
                                   {"profile show", [&](argv_words a) { return profile_show_command(cfg, a); }},
                                   {"run",
                                    [&](argv_words a) {
                                      command_line::parse_arguments(a, 1, {});
                                      auto& stop = stop_signal::on_termination();
                                      collector::run(cfg, stop, &reload_signal::on_hangup());
                                      return 0;
                                    }}},
                                  args);
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
