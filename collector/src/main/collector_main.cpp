// SPDX-License-Identifier: Apache-2.0
// fleetreg-collector: the on-site server (site mode).

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <string>

#include "fleetreg/collector/collector.hpp"
#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/stop_signal.hpp"

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
    "  run                                    report to the center (foreground)\n"
    "  status                                 registration and outbox\n"
    "\n"
    "  -c, --config=FILE     configuration file (default /etc/fleetreg/collector.conf)\n"
    "  -t, --test-config     check the configuration and exit\n"
    "  -d, --debug[=TOPICS]  debug log\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n";

void print_devices(const std::vector<collector::device_info>& devices, bool as_json) {
  if (as_json) {
    json::value list = json::value::array();
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
      list.push_back(v);
    }
    std::printf("%s\n", list.dump(2).c_str());
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

int discover_command(const collector::config& cfg, const std::vector<std::string>& args) {
  const auto o = command_line::parse_arguments(args, 1, {{}, {"json"}});
  const bool as_json = o.has("json");
  const bool show_progress = !as_json && isatty(STDERR_FILENO);
  const auto devices = collector::discover(cfg, [&](const char* what, std::size_t done, std::size_t total) {
    if (show_progress) std::fprintf(stderr, "\r%s %zu of %zu   %s", what, done, total, done == total ? "\n" : "");
  });
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
                                   {"run",
                                    [&](argv_words a) {
                                      command_line::parse_arguments(a, 1, {});
                                      collector::run(cfg, stop_signal::on_termination());
                                      return 0;
                                    }}},
                                  args);
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
