// SPDX-License-Identifier: Apache-2.0
// check_fleetreg: a Nagios/Icinga/Naemon plugin for fleetreg terminals, the
// center and the collector (Monitoring Plugins development guidelines).

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "fleetreg/core/command_line.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/plugins/check.hpp"

namespace {

using namespace fleetreg;
using namespace fleetreg::plugins;

constexpr const char* usage_text =
    "Usage: check_fleetreg terminal -H HOST [-p PORT] [-C COMMUNITY | -P 3 -u USER -l authPriv|authNoPriv\n"
    "                      -a SHA|SHA-256|SHA-512 -A AUTHPASS [-x AES -X PRIVPASS]]\n"
    "                      [--supply-warning PCT] [--supply-critical PCT] [-w RANGE] [-c RANGE]\n"
    "       check_fleetreg center -H HOST [-p PORT] --token-file FILE [--ca-file FILE] [--http]\n"
    "                      [-w RANGE] [-c RANGE] (stale terminals)\n"
    "                      [--unanswered-warning RANGE] [--unanswered-critical RANGE]\n"
    "                      [--expiring-warning RANGE] [--expiring-critical RANGE]\n"
    "       check_fleetreg center -H HOST [-p PORT] --token-file FILE [--ca-file FILE] [--http]\n"
    "                      --dealer NAME [-w RANGE] (open warning alerts) [-c RANGE] (open critical alerts;\n"
    "                      both default to 0: any open alert of the severity alerts)\n"
    "       check_fleetreg collector [--status-file FILE] [-w RANGE] [-c RANGE] (outbox backlog)\n"
    "                      [--age-warning RANGE] [--age-critical RANGE] (seconds since the last upload)\n"
    "Common: -t SECONDS (timeout, default 10), -v (verbose), -h (help), -V (version)\n"
    "\n"
    "RANGE as in the Monitoring Plugins guidelines: 10 (alert outside 0..10), 10: (below 10),\n"
    "~:10 (above 10), 10:20 (outside), @10:20 (inside). --supply-warning 15 means: warn below 15 %.\n"
    "Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for usage and transport errors).\n";

// Usage errors are UNKNOWN too, one line on stdout (the guidelines).
[[noreturn]] void plugin_usage_error(const std::string& why) {
  const char* hint = why.ends_with("(see --help)") ? "" : " (see --help)";
  std::printf("FLEETREG UNKNOWN: %s%s\n", why.c_str(), hint);
  std::exit(3);
}

std::optional<range> parse_range(const char* text, const char* what) {
  auto r = range::parse(text);
  if (!r) plugin_usage_error(std::string(what) + " '" + text + "' is not a threshold range");
  return r;
}

// A percentage floor: "15" means "alert below 15"; a full range is taken as is.
std::optional<range> supply_range(const char* text) {
  std::string s = text;
  if (s.find_first_of(":@~") == std::string::npos) s += ":";
  return parse_range(s.c_str(), "supply threshold");
}

void on_alarm(int) {
  static const char line[] = "FLEETREG UNKNOWN: no answer within the timeout (-t)\n";
  (void)!::write(STDOUT_FILENO, line, sizeof line - 1);
  ::_exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host, port, community = "public", protocol = "2c", user, level = "authPriv", auth = "SHA-256", auth_pass,
                          priv = "AES", priv_pass, token_path, ca, status_path, dealer;
  int timeout = 10, verbose = 0;
  bool http = false;
  std::optional<range> w, c, sw, sc, uw, uc, ew, ec, aw, ac;
  using command_line::argument;
  const auto text = [](std::string& into) { return [&into](const char* v) { into = v; }; };
  const auto threshold = [](std::optional<range>& into, const char* what) {
    return [&into, what](const char* v) { into = parse_range(v, what); };
  };
  std::vector<std::string> operands;
  try {
    const auto done = command_line::parser("check_fleetreg", usage_text)
                          .info_exit_code(3)  // the guidelines: --help and --version exit UNKNOWN
                          .add({'H', "hostname", argument::required, text(host)})
                          .add({'p', "port", argument::required, text(port)})
                          .add({'t', "timeout", argument::required,
                                [&](const char* v) {
                                  char* end = nullptr;
                                  const long n = std::strtol(v, &end, 10);
                                  if (!*v || *end || n < 1 || n > 300)
                                    plugin_usage_error("-t is a number of seconds, 1..300");
                                  timeout = static_cast<int>(n);
                                }})
                          .add({'w', "warning", argument::required, threshold(w, "-w")})
                          .add({'c', "critical", argument::required, threshold(c, "-c")})
                          .add({'v', "verbose", argument::none, [&](const char*) { ++verbose; }})
                          .add({'C', "community", argument::required, text(community)})
                          .add({'P', "protocol", argument::required, text(protocol)})
                          .add({'u', "user", argument::required, text(user)})
                          .add({'l', "seclevel", argument::required, text(level)})
                          .add({'a', "authproto", argument::required, text(auth)})
                          .add({'A', "authpassword", argument::required, text(auth_pass)})
                          .add({'x', "privproto", argument::required, text(priv)})
                          .add({'X', "privpassword", argument::required, text(priv_pass)})
                          .add({0, "supply-warning", argument::required, [&](const char* v) { sw = supply_range(v); }})
                          .add({0, "supply-critical", argument::required, [&](const char* v) { sc = supply_range(v); }})
                          .add({0, "token-file", argument::required, text(token_path)})
                          .add({0, "ca-file", argument::required, text(ca)})
                          .add({0, "http", argument::none, [&](const char*) { http = true; }})
                          .add({0, "dealer", argument::required, text(dealer)})
                          .add({0, "unanswered-warning", argument::required, threshold(uw, "--unanswered-warning")})
                          .add({0, "unanswered-critical", argument::required, threshold(uc, "--unanswered-critical")})
                          .add({0, "expiring-warning", argument::required, threshold(ew, "--expiring-warning")})
                          .add({0, "expiring-critical", argument::required, threshold(ec, "--expiring-critical")})
                          .add({0, "status-file", argument::required, text(status_path)})
                          .add({0, "age-warning", argument::required, threshold(aw, "--age-warning")})
                          .add({0, "age-critical", argument::required, threshold(ac, "--age-critical")})
                          .parse(argc, argv, &operands, 1);
    if (done) return *done;
  } catch (const fleetreg::usage_error& e) {
    plugin_usage_error(e.what());
  }
  if (operands.empty()) plugin_usage_error("the first argument is the mode: terminal, center or collector");
  const std::string mode = operands[0];
  if (mode != "terminal" && mode != "center" && mode != "collector") plugin_usage_error("unknown mode '" + mode + "'");
  if (!dealer.empty() && mode != "center") plugin_usage_error("--dealer goes with the center mode");
  if (!port.empty() && (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
                        std::stoi(port) < 1 || std::stoi(port) > 65535))
    plugin_usage_error("-p is a port number");
  std::signal(SIGALRM, on_alarm);
  ::alarm(static_cast<unsigned>(timeout) + 1);  // the checks' own timeouts come first

  result r;
  if (mode == "terminal") {
    if (host.empty()) plugin_usage_error("terminal needs -H HOST");
    terminal_options o;
    o.snmp.peer =
        "udp:" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + (port.empty() ? "161" : port);
    if (host.find(':') != std::string::npos) o.snmp.peer = "udp6" + o.snmp.peer.substr(3);
    o.snmp.timeout = std::chrono::milliseconds(timeout * 1000 / 3);
    o.snmp.retries = 1;
    if (protocol == "3") {
      if (user.empty() || auth_pass.size() < 8)
        plugin_usage_error("SNMPv3 needs -u USER and -A AUTHPASS (8 characters or more)");
      o.snmp.version = snmp::snmp_version::v3;
      o.snmp.user = user;
      if (auth == "SHA" || auth == "SHA1")
        o.snmp.auth = snmp::auth_protocol::sha1;
      else if (auth == "SHA-256" || auth == "SHA256")
        o.snmp.auth = snmp::auth_protocol::sha256;
      else if (auth == "SHA-512" || auth == "SHA512")
        o.snmp.auth = snmp::auth_protocol::sha512;
      else
        plugin_usage_error("-a is SHA, SHA-256 or SHA-512");
      o.snmp.auth_passphrase = auth_pass;
      if (level == "authPriv") {
        if (priv != "AES") plugin_usage_error("-x is AES");
        if (priv_pass.size() < 8) plugin_usage_error("authPriv needs -X PRIVPASS (8 characters or more)");
        o.snmp.level = snmp::security_level::auth_priv;
        o.snmp.priv_passphrase = priv_pass;
      } else if (level == "authNoPriv") {
        o.snmp.level = snmp::security_level::auth_no_priv;
      } else {
        plugin_usage_error("-l is authPriv or authNoPriv");
      }
    } else if (protocol == "2c") {
      o.snmp.community = community;
    } else {
      plugin_usage_error("-P is 2c or 3");
    }
    o.warning = w ? w : sw;
    o.critical = c ? c : sc;
    r = check_terminal(o);
  } else if (mode == "center") {
    if (host.empty()) plugin_usage_error("center needs -H HOST");
    if (token_path.empty()) plugin_usage_error("center needs --token-file FILE (a monitoring token)");
    std::ifstream in(token_path);
    std::string token;
    if (!std::getline(in, token) || token.empty()) plugin_usage_error("cannot read a token from " + token_path);
    center_options o;
    o.url = std::string(http ? "http://" : "https://") + host + ":" + (port.empty() ? "8443" : port);
    o.ca_file = ca;
    o.token = token;
    o.timeout = std::chrono::seconds(timeout);
    o.warning = w;
    o.critical = c;
    o.unanswered_warning = uw;
    o.unanswered_critical = uc;
    o.expiring_warning = ew;
    o.expiring_critical = ec;
    if (!dealer.empty() && (uw || uc || ew || ec))
      plugin_usage_error("--dealer checks the dealer's alerts: -w and -c only, not --unanswered-* or --expiring-*");
    if (dealer.size() > 64) plugin_usage_error("--dealer is a dealer account's name (64 bytes at most)");
    o.dealer = dealer;
    r = check_center(o);
  } else {
    collector_options o;
    if (!status_path.empty()) o.status_file = status_path;
    o.warning = w;
    o.critical = c;
    o.age_warning = aw;
    o.age_critical = ac;
    r = check_collector(o);
  }
  std::fputs(r.output.c_str(), stdout);
  if (verbose)
    for (const auto& d : r.details) std::printf("%s\n", d.c_str());
  // Out without running static destructors: cpprestsdk's process-wide asio
  // pool may still hold the connection of the center check (a timer, a
  // pending read) while its statics are torn down, a use-after-free seen
  // under AddressSanitizer as exit code 1 in place of the plugin's state.
  std::fflush(stdout);
  std::_Exit(static_cast<int>(r.state));
}
