// SPDX-License-Identifier: Apache-2.0
// fleetreg-terminal: the terminal's firmware and operation panel stand-in.

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/files.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/privileges.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/mdns/announcer.hpp"
#include "fleetreg/mdns/service.hpp"
#include "fleetreg/terminal/config.hpp"
#include "fleetreg/terminal/report.hpp"
#include "fleetreg/terminal/store.hpp"
#include "fleetreg/snmp/enterprises.hpp"
#include "fleetreg/terminal/terminal_mode.hpp"

namespace {

using namespace fleetreg;

constexpr const char* usage_text =
    "Usage: fleetreg-terminal [-c FILE] [-s DIR] COMMAND [OPTION]...\n"
    "The firmware and panel of a simulated office terminal (copier, MFP).\n"
    "\n"
    "Commands:\n"
    "  init --manufacturer M --model M --serial S [--firmware F] [--uuid U|auto]\n"
    "       [--color] [--toner PERCENT] [SYSTEM]\n"
    "                                          create the terminal's state\n"
    "  set-system [SYSTEM]                     change the system group (options given)\n"
    "  snmpd-config [--output FILE]            print (or write, mode 0644) the snmpd.conf\n"
    "                                          snippet that serves the system group\n"
    "  copy  --sheets N [--color] [--duplex]   run a copy job\n"
    "  print --sheets N [--color] [--duplex]   run a print job\n"
    "  scan  --images N                        scan N images\n"
    "  fax-in  --pages N                       receive (and print) a fax\n"
    "  fax-out --pages N                       send a fax\n"
    "  status idle|busy|error|unknown [--message TEXT]\n"
    "                                          set the device status\n"
    "  refill [--drum]                         put in new toner (and drum)\n"
    "  show [--json]                           print identity, counters, supplies\n"
    "  register --code CODE [--center URL]   register this terminal with a center\n"
    "                                          (terminal mode; the panel's code entry;\n"
    "                                          only while unregistered, pending or failed)\n"
    "  unregister                              end the terminal's registration: forget\n"
    "                                          its credential, drop unsent readings\n"
    "                                          (audited); then a new center and code\n"
    "                                          can be entered\n"
    "  run                                     terminal mode: register when a code is\n"
    "                                          pending, answer the center (foreground)\n"
    "  announce [--host-name H --address A] [--port P] [--name N]\n"
    "                                          announce the terminal over mDNS\n"
    "                                          (DNS-SD _fleetreg._udp) until stopped\n"
    "\n"
    "SYSTEM (MIB-II's system group, served by snmpd; see snmpd-config):\n"
    "  --sys-object-id OID   the vendor's sysObjectID, under 1.3.6.1.4.1.<enterprise>\n"
    "                        (init's default: <the manufacturer's enterprise>.1 for a\n"
    "                        known printer vendor, else none: snmpd's own)\n"
    "  --sys-descr TEXT      sysDescr (default \"<manufacturer> <model>; firmware <f>\")\n"
    "  --sys-name NAME       sysName (default <manufacturer's first word>-<serial>)\n"
    "  --contact TEXT        sysContact\n"
    "  --location TEXT       sysLocation\n"
    "\n"
    "Options:\n"
    "  -c, --config=FILE      configuration file (default /etc/fleetreg/terminal.conf)\n"
    "  -s, --state-dir=DIR    state directory (overrides [terminal] state_dir)\n"
    "  -d, --debug[=TOPICS]   debug log\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n";

std::uint64_t parse_count(const char* text, const char* what) {
  std::uint64_t v = 0;
  const std::string_view s(text);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty())
    throw usage_error(std::string(what) + " must be a whole number, not '" + std::string(s) + "'");
  return v;
}

using words = std::vector<std::string>;
using command_line::parse_arguments;

int run_job(terminal::store& st, service kind, const words& args) {
  const bool marks = kind == service::copy || kind == service::print;
  const char* unit = kind == service::scan ? "images" : (marks ? "sheets" : "pages");
  const auto o = parse_arguments(
      args, 1, {{unit}, marks ? words{"color", "duplex"} : (kind == service::fax_in ? words{"duplex"} : words{})});
  terminal::job j;
  j.kind = kind;
  j.units = parse_count(o.require(unit).c_str(), unit);
  j.color = o.has("color");
  j.duplex = o.has("duplex");
  st.apply_job(j);
  std::printf("%s: %llu %s%s%s\n", std::string(to_string(kind)).c_str(), static_cast<unsigned long long>(j.units), unit,
              j.color ? ", colour" : "", j.duplex ? ", duplex" : "");
  return 0;
}

// Who runs this command, for the audit line: the user who started it (before
// become_owner_of), and the sudo user behind root.
uid_t invoking_uid = 0;

std::string panel_user() {
  std::string who = "via=panel uid=" + std::to_string(invoking_uid);
  if (const auto* pw = ::getpwuid(invoking_uid)) who += " user=" + log::quote(pw->pw_name);
  if (const char* sudo = std::getenv("SUDO_USER")) who += " sudo_user=" + log::quote(sudo);
  return who;
}

// Publishes the terminal (its own host name and address when configured)
// through avahi-daemon until SIGTERM/SIGINT; survives daemon restarts.
int announce(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {{"host-name", "address", "port", "name"}, {}});
  terminal::store st(cfg.state_dir);
  const auto state = st.load();
  mdns::announcement a;
  a.host_name = o.get("host-name") ? *o.get("host-name") : cfg.mdns_host_name;
  a.address = o.get("address") ? *o.get("address") : cfg.mdns_address;
  if (!a.host_name.empty() && a.address.empty()) throw usage_error("--host-name needs --address");
  a.port = static_cast<std::uint16_t>(cfg.mdns_snmp_port);
  if (const auto* p = o.get("port")) {
    const auto v = parse_count(p->c_str(), "--port");
    if (v < 1 || v > 65535) throw usage_error("--port is 1..65535");
    a.port = static_cast<std::uint16_t>(v);
  }
  a.name = o.get("name") ? *o.get("name") : cfg.mdns_name;
  if (a.name.empty()) a.name = state.id.manufacturer + " " + state.id.model + " " + state.id.serial;
  if (a.name.size() > 63) a.name.resize(63);
  a.type = mdns::fleetreg_service_type;
  a.txt = {{"txtvers", "1"}, {"ty", state.id.manufacturer + " " + state.id.model}, {"mib", "FLEETREG-TERMINAL-MIB"}};
  // The process's stop signal, seen on the event loop through its descriptor.
  const auto& stop = stop_signal::on_termination();
  boost::asio::io_context io;
  boost::asio::posix::stream_descriptor stopped(io, ::dup(stop.wake_fd()));
  stopped.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [&](const boost::system::error_code&) { io.stop(); });
  mdns::announcer announcer(io, a);
  io.run();
  return 0;
}

// The SYSTEM options of init and set-system.
const words system_options = {"sys-object-id", "sys-descr", "sys-name", "contact", "location"};

// `base` with the SYSTEM options given in `o` (an empty value clears one).
terminal::system_info system_from(const command_line::arguments& o, terminal::system_info base = {}) {
  auto& s = base;
  s.sys_object_id = terminal::canonical_sys_object_id(o.get_or("sys-object-id", s.sys_object_id));
  s.sys_descr = o.get_or("sys-descr", s.sys_descr);
  s.sys_name = o.get_or("sys-name", s.sys_name);
  s.sys_contact = o.get_or("contact", s.sys_contact);
  s.sys_location = o.get_or("location", s.sys_location);
  if (const auto why = terminal::validate(s)) throw usage_error(*why);
  return s;
}

int init(const terminal::config& cfg, const words& args) {
  words options = {"manufacturer", "model", "serial", "firmware", "uuid", "toner"};
  options.insert(options.end(), system_options.begin(), system_options.end());
  const auto o = parse_arguments(args, 1, {options, {"color"}});
  identity id;
  id.manufacturer = o.require("manufacturer");
  id.model = o.require("model");
  id.serial = o.require("serial");
  if (const auto* f = o.get("firmware")) id.firmware = *f;
  if (const auto* u = o.get("uuid")) id.uuid = (*u == "auto") ? make_uuid() : *u;
  int toner = 100;
  if (const auto* t = o.get("toner")) {
    const auto v = parse_count(t->c_str(), "--toner");
    if (v > 100) throw usage_error("--toner is a percentage, 0..100");
    toner = static_cast<int>(v);
  }
  auto system = system_from(o);
  // Without --sys-object-id: the manufacturer's enterprise arc, when it is a
  // known printer vendor, so that inventory tools see the vendor (a real
  // terminal's firmware knows its exact product OID).
  if (!o.get("sys-object-id"))
    if (const auto enterprise = snmp::enterprise_of(id.manufacturer))
      system.sys_object_id = "1.3.6.1.4.1." + std::to_string(*enterprise) + ".1";
  terminal::store::create(cfg.state_dir, id, system, o.has("color"), toner);
  std::printf("terminal %s created in %s\n", terminal_key(id).value_or("").c_str(), cfg.state_dir.c_str());
  return 0;
}

int set_system(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {system_options, {}});
  terminal::store st(cfg.state_dir);
  st.set_system_info(system_from(o, st.load().system));
  std::printf("system group changed; run 'fleetreg-terminal snmpd-config' and restart snmpd\n");
  return 0;
}

int snmpd_config(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {{"output"}, {}});
  terminal::store st(cfg.state_dir);
  const auto text = terminal::format_snmpd_identity(st.load());
  if (const auto* out = o.get("output")) {
    // snmpd reads it (as root at start, as its own user on a reload).
    write_private_file(*out, text);
    if (::chmod(out->c_str(), 0644) != 0) throw error(exit_code::io, "cannot make " + *out + " readable");
    return 0;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

int set_status(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {{"message"}, {}, 1});
  const auto state = terminal::parse_device_state(o.positional.empty() ? "" : o.positional[0]);
  if (!state) throw usage_error("status is one of idle, busy, error, unknown");
  terminal::store st(cfg.state_dir);
  st.set_status(*state, o.get_or("message", ""));
  return 0;
}

int refill(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {{}, {"drum"}});
  terminal::store st(cfg.state_dir);
  st.refill(o.has("drum"));
  return 0;
}

int show(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {{}, {"json"}});
  terminal::store st(cfg.state_dir);
  const auto state = st.load();
  std::fputs((o.has("json") ? terminal::format_json(state) : terminal::format_text(state)).c_str(), stdout);
  return 0;
}

int register_terminal(const terminal::config& cfg, const words& args) {
  const auto o = parse_arguments(args, 1, {{"code", "center"}, {}});
  const auto code = o.require("code");
  if (const auto why = terminal::validate_code(code)) throw error(exit_code::data, *why);
  std::optional<std::string> url;
  if (const auto* c = o.get("center")) {
    if (const auto why = terminal::validate_center_url(*c)) throw usage_error("--center: " + *why);
    url = *c;
  }
  terminal::store st(cfg.state_dir);
  if (!url && st.registration_inputs_now().center_url.empty() && cfg.center_url.empty())
    throw usage_error("register needs --center URL (or [center] url in the configuration)");
  if (const auto change = st.set_registration_inputs(url, code); !change.done())
    throw error(exit_code::failure, change.refused + " ('fleetreg-terminal unregister')");
  const auto state = terminal::register_now(cfg, st, false);
  const auto reg = st.load().registration;
  if (state == terminal::registration_state::registered) {
    std::printf("registered, site %s; credential stored in %s/%s\n", reg.site_id.c_str(), cfg.state_dir.c_str(),
                terminal::credential_file_name);
    return 0;
  }
  if (state == terminal::registration_state::pending)
    throw error(exit_code::unavailable, reg.last_error + "; the code stays pending for 'fleetreg-terminal run'");
  throw error(exit_code::failure, reg.last_error);
}

int unregister(const terminal::config& cfg, const words& args) {
  parse_arguments(args, 1, {});
  terminal::store st(cfg.state_dir);
  const auto change = st.unregister();
  if (!change.done()) throw error(exit_code::failure, change.refused);
  const auto forgotten = st.forget_registration();
  if (!forgotten) throw error(exit_code::failure, "a registration was made meanwhile; nothing was forgotten");
  log::notice(terminal::format_unregister_audit(panel_user(), change.before, *forgotten));
  std::printf("unregistered (was %s); credential %s, %lld unsent readings dropped\n",
              std::string(terminal::to_string(change.before.state)).c_str(),
              forgotten->credential_removed ? "deleted" : "none", static_cast<long long>(forgotten->readings_dropped));
  return 0;
}

int dispatch(const terminal::config& cfg, const words& args) {
  using run_fn = std::function<int(const words&)>;
  const auto on_store = [&](auto fn) -> run_fn { return [&cfg, fn](const words& a) { return fn(cfg, a); }; };
  const auto job = [&](service kind) -> run_fn {
    return [&cfg, kind](const words& a) {
      terminal::store st(cfg.state_dir);
      return run_job(st, kind, a);
    };
  };
  return command_line::dispatch({{"init", on_store(init)},
                                 {"copy", job(service::copy)},
                                 {"print", job(service::print)},
                                 {"scan", job(service::scan)},
                                 {"fax-in", job(service::fax_in)},
                                 {"fax-out", job(service::fax_out)},
                                 {"status", on_store(set_status)},
                                 {"set-system", on_store(set_system)},
                                 {"snmpd-config", on_store(snmpd_config)},
                                 {"refill", on_store(refill)},
                                 {"show", on_store(show)},
                                 {"register", on_store(register_terminal)},
                                 {"unregister", on_store(unregister)},
                                 {"run",
                                  [&cfg](const words& a) {
                                    parse_arguments(a, 1, {});
                                    terminal::run(cfg, stop_signal::on_termination());
                                    return 0;
                                  }},
                                 {"announce", [&cfg](const words& a) { return announce(cfg, a); }}},
                                args);
}

}  // namespace

int main(int argc, char** argv) {
  log::set_program("fleetreg-terminal");
  invoking_uid = ::getuid();
  try {
    std::string config_path, state_dir;
    std::vector<std::string> args;
    if (const auto done =
            command_line::parser("fleetreg-terminal", usage_text)
                .config(&config_path)
                .add({'s', "state-dir", command_line::argument::required, [&](const char* v) { state_dir = v; }})
                .debug()
                .sub_commands()
                .parse(argc, argv, &args))
      return *done;
    if (args.empty()) throw usage_error("no command given (see --help)");
    auto cfg = terminal::load_config(config_path);
    if (!state_dir.empty()) cfg.state_dir = state_dir;
    become_owner_of(cfg.state_dir);
    return dispatch(cfg, args);
  } catch (const std::exception& e) {
    log::error(e.what());
    return exit_code_of(e);
  }
}
