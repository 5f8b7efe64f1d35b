// SPDX-License-Identifier: Apache-2.0
// check_fleetreg: a Nagios/Icinga/Naemon plugin for fleetreg terminals, the
// center and the collector (Monitoring Plugins development guidelines).

#include <getopt.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

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
    "       check_fleetreg collector [--status-file FILE] [-w RANGE] [-c RANGE] (outbox backlog)\n"
    "                      [--age-warning RANGE] [--age-critical RANGE] (seconds since the last upload)\n"
    "Common: -t SECONDS (timeout, default 10), -v (verbose), -h (help), -V (version)\n"
    "\n"
    "RANGE as in the Monitoring Plugins guidelines: 10 (alert outside 0..10), 10: (below 10),\n"
    "~:10 (above 10), 10:20 (outside), @10:20 (inside). --supply-warning 15 means: warn below 15 %.\n"
    "Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for usage and transport errors).\n";

[[noreturn]] void usage_error(const std::string& why) {
  std::printf("FLEETREG UNKNOWN: %s (see --help)\n", why.c_str());
  std::exit(3);
}

std::optional<range> parse_range(const char* text, const char* what) {
  auto r = range::parse(text);
  if (!r) usage_error(std::string(what) + " '" + text + "' is not a threshold range");
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
  if (argc >= 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0)) {
    std::fputs(usage_text, stdout);
    return 3;  // the guidelines: --help exits UNKNOWN
  }
  if (argc >= 2 && (std::strcmp(argv[1], "-V") == 0 || std::strcmp(argv[1], "--version") == 0)) {
    std::puts("check_fleetreg " FLEETREG_VERSION);
    return 3;
  }
  if (argc < 2 || argv[1][0] == '-') usage_error("the first argument is the mode: terminal, center or collector");
  const std::string mode = argv[1];
  if (mode != "terminal" && mode != "center" && mode != "collector") usage_error("unknown mode '" + mode + "'");

  enum { supply_w = 256, supply_c, token_file, ca_file, plain_http, unanswered_w, unanswered_c, expiring_w,
         expiring_c, status_file, age_w, age_c };
  static const option long_options[] = {
      {"hostname", required_argument, nullptr, 'H'},     {"port", required_argument, nullptr, 'p'},
      {"timeout", required_argument, nullptr, 't'},      {"warning", required_argument, nullptr, 'w'},
      {"critical", required_argument, nullptr, 'c'},     {"verbose", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},               {"version", no_argument, nullptr, 'V'},
      {"community", required_argument, nullptr, 'C'},    {"protocol", required_argument, nullptr, 'P'},
      {"user", required_argument, nullptr, 'u'},         {"seclevel", required_argument, nullptr, 'l'},
      {"authproto", required_argument, nullptr, 'a'},    {"authpassword", required_argument, nullptr, 'A'},
      {"privproto", required_argument, nullptr, 'x'},    {"privpassword", required_argument, nullptr, 'X'},
      {"supply-warning", required_argument, nullptr, supply_w},
      {"supply-critical", required_argument, nullptr, supply_c},
      {"token-file", required_argument, nullptr, token_file}, {"ca-file", required_argument, nullptr, ca_file},
      {"http", no_argument, nullptr, plain_http},
      {"unanswered-warning", required_argument, nullptr, unanswered_w},
      {"unanswered-critical", required_argument, nullptr, unanswered_c},
      {"expiring-warning", required_argument, nullptr, expiring_w},
      {"expiring-critical", required_argument, nullptr, expiring_c},
      {"status-file", required_argument, nullptr, status_file},
      {"age-warning", required_argument, nullptr, age_w},  {"age-critical", required_argument, nullptr, age_c},
      {nullptr, 0, nullptr, 0}};
  std::string host, port, community = "public", protocol = "2c", user, level = "authPriv", auth = "SHA-256",
                           auth_pass, priv = "AES", priv_pass, token_path, ca, status_path;
  int timeout = 10, verbose = 0;
  bool http = false;
  std::optional<range> w, c, sw, sc, uw, uc, ew, ec, aw, ac;
  optind = 2;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":H:p:t:w:c:vhVC:P:u:l:a:A:x:X:", long_options, nullptr)) != -1) {
    switch (opt) {
      case 'H': host = optarg; break;
      case 'p': port = optarg; break;
      case 't': {
        char* end = nullptr;
        const long v = std::strtol(optarg, &end, 10);
        if (!*optarg || *end || v < 1 || v > 300) usage_error("-t is a number of seconds, 1..300");
        timeout = static_cast<int>(v);
        break;
      }
      case 'w': w = parse_range(optarg, "-w"); break;
      case 'c': c = parse_range(optarg, "-c"); break;
      case 'v': ++verbose; break;
      case 'h': std::fputs(usage_text, stdout); return 3;
      case 'V': std::puts("check_fleetreg " FLEETREG_VERSION); return 3;
      case 'C': community = optarg; break;
      case 'P': protocol = optarg; break;
      case 'u': user = optarg; break;
      case 'l': level = optarg; break;
      case 'a': auth = optarg; break;
      case 'A': auth_pass = optarg; break;
      case 'x': priv = optarg; break;
      case 'X': priv_pass = optarg; break;
      case supply_w: sw = supply_range(optarg); break;
      case supply_c: sc = supply_range(optarg); break;
      case token_file: token_path = optarg; break;
      case ca_file: ca = optarg; break;
      case plain_http: http = true; break;
      case unanswered_w: uw = parse_range(optarg, "--unanswered-warning"); break;
      case unanswered_c: uc = parse_range(optarg, "--unanswered-critical"); break;
      case expiring_w: ew = parse_range(optarg, "--expiring-warning"); break;
      case expiring_c: ec = parse_range(optarg, "--expiring-critical"); break;
      case status_file: status_path = optarg; break;
      case age_w: aw = parse_range(optarg, "--age-warning"); break;
      case age_c: ac = parse_range(optarg, "--age-critical"); break;
      case ':': usage_error(std::string("option ") + argv[optind - 1] + " needs a value");
      default: usage_error(std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (optind < argc) usage_error(std::string("unexpected argument '") + argv[optind] + "'");
  if (!port.empty() && (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
                        std::stoi(port) < 1 || std::stoi(port) > 65535))
    usage_error("-p is a port number");
  std::signal(SIGALRM, on_alarm);
  ::alarm(static_cast<unsigned>(timeout) + 1);  // the checks' own timeouts come first

  result r;
  if (mode == "terminal") {
    if (host.empty()) usage_error("terminal needs -H HOST");
    terminal_options o;
    o.snmp.peer = "udp:" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + (port.empty() ? "161" : port);
    if (host.find(':') != std::string::npos) o.snmp.peer = "udp6" + o.snmp.peer.substr(3);
    o.snmp.timeout = std::chrono::milliseconds(timeout * 1000 / 3);
    o.snmp.retries = 1;
    if (protocol == "3") {
      if (user.empty() || auth_pass.size() < 8) usage_error("SNMPv3 needs -u USER and -A AUTHPASS (8 characters or more)");
      o.snmp.version = snmp::snmp_version::v3;
      o.snmp.user = user;
      if (auth == "SHA" || auth == "SHA1") o.snmp.auth = snmp::auth_protocol::sha1;
      else if (auth == "SHA-256" || auth == "SHA256") o.snmp.auth = snmp::auth_protocol::sha256;
      else if (auth == "SHA-512" || auth == "SHA512") o.snmp.auth = snmp::auth_protocol::sha512;
      else usage_error("-a is SHA, SHA-256 or SHA-512");
      o.snmp.auth_passphrase = auth_pass;
      if (level == "authPriv") {
        if (priv != "AES") usage_error("-x is AES");
        if (priv_pass.size() < 8) usage_error("authPriv needs -X PRIVPASS (8 characters or more)");
        o.snmp.level = snmp::security_level::auth_priv;
        o.snmp.priv_passphrase = priv_pass;
      } else if (level == "authNoPriv") {
        o.snmp.level = snmp::security_level::auth_no_priv;
      } else {
        usage_error("-l is authPriv or authNoPriv");
      }
    } else if (protocol == "2c") {
      o.snmp.community = community;
    } else {
      usage_error("-P is 2c or 3");
    }
    o.warning = w ? w : sw;
    o.critical = c ? c : sc;
    r = check_terminal(o);
  } else if (mode == "center") {
    if (host.empty()) usage_error("center needs -H HOST");
    if (token_path.empty()) usage_error("center needs --token-file FILE (a monitoring token)");
    std::ifstream in(token_path);
    std::string token;
    if (!std::getline(in, token) || token.empty()) usage_error("cannot read a token from " + token_path);
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
  return static_cast<int>(r.state);
}
