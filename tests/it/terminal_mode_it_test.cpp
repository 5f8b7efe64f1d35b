// SPDX-License-Identifier: Apache-2.0
// Terminal mode against real daemons, in the test's private network
// namespace: snmpd with the shipped fleetreg snippet (VACM) and SNMPv3 users,
// the subagent, `fleetreg-terminal run`, the real center; and a collector
// that must leave a self-registered terminal alone.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "fleetreg/core/json.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/test/center_fixture.hpp"
#include "fleetreg/test/center_stand_in.hpp"
#include "fleetreg/test/snmp_fixtures.hpp"

namespace fleetreg::test {
namespace {

namespace tm = snmp::terminal_mib;
using snmp::append;

// The shipped snippet, minus the lines the fixture sets itself (socket, master).
std::vector<std::string> shipped_snippet() {
  std::ifstream in(FLEETREG_SHIPPED_SNMPD_SNIPPET);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.starts_with("master") && !line.starts_with("agentX")) lines.push_back(line);
  return lines;
}

class TerminalModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = shipped_snippet();
    config.push_back("createUser fleetpanel SHA-256 \"auth-pass-123\" AES \"priv-pass-123\"");
    config.push_back("createUser fleetmon SHA-256 \"auth-pass-123\"");
    snmpd = std::make_unique<snmpd_daemon>(dir, "snmpd", config, "127.0.88.1", 161, false);
    term.start_subagent(snmpd->agentx_socket());
    ASSERT_TRUE(wait_until([&] { return state().has_value(); }));
    center.start();
    std::ofstream(dir.file("terminal.conf")) << "[center]\nallow_plain_http = yes\n[run]\nwait = 2s\n";
  }

  std::optional<long> state() {
    const auto v = get_one(snmpd->v2c(), append(tm::reg_state, {0}));
    return v ? std::optional<long>(v->integer) : std::nullopt;
  }
  std::string text(const snmp::oid_vector& object) {
    const auto v = get_one(snmpd->v2c(), append(object, {0}));
    return v ? v->octets : "";
  }
  // SET of the center URL and the code in one PDU.
  std::error_code set_code(const snmp::session_options& o, const std::string& code) {
    std::error_code ec;
    snmp::client c(o);
    c.set({{append(tm::reg_center_url, {0}), snmp::value::make_string(center.url())},
           {append(tm::reg_provisional_code, {0}), snmp::value::make_string(code)}},
          ec);
    return ec;
  }
  // One SET over the panel's SNMPv3 authPriv user (or `o`).
  std::error_code set(const snmp::oid_vector& object, snmp::value v, std::optional<snmp::session_options> o = {}) {
    std::error_code ec;
    snmp::client c(o ? *o : panel());
    c.set({{append(object, {0}), std::move(v)}}, ec);
    return ec;
  }
  std::error_code unregister(std::optional<snmp::session_options> o = {}) {
    return set(tm::reg_action, snmp::value::make_integer(static_cast<int>(tm::reg_action_value::unregister)),
               std::move(o));
  }
  snmp::session_options panel() { return snmpd->v3("fleetpanel", snmp::security_level::auth_priv); }
  static bool is_status(const std::error_code& ec, snmp::error_status status) {
    return ec.category() == snmp::pdu_category() && ec.value() == static_cast<int>(status);
  }
  // Registered through a code SET over SNMPv3 authPriv and `run`; returns the site id.
  std::string register_over_snmp(std::unique_ptr<process>& daemon) {
    const auto code = center.dealer_and_code("dealer", "Sharp Kunde AG");
    EXPECT_FALSE(set_code(panel(), code));
    daemon = start_run();
    EXPECT_TRUE(wait_until([&] { return state() == registered; }, 60s)) << daemon->log();
    return text(tm::reg_site_id);
  }
  // Asks `c` for a reading of `site` and waits until it has `n` of them:
  // answered by the long-poll (wait = 2 s), well before the center would
  // ask again for a request left unanswered.
  static bool reading_arrives(const center_daemon& c, const std::string& site, std::size_t n) {
    if (c.ctl({"request", "--site", site}).exit_code != 0) return false;
    return wait_until(
        [&] {
          const auto r = json::value::parse(c.ctl({"readings", "--site", site, "--json"}).out, nullptr, false);
          return !r.is_discarded() && r.size() >= n;
        },
        20s);
  }
  std::string read_credential() {
    std::ifstream in(term.state_dir() + "/credential");
    std::string line;
    std::getline(in, line);
    return line;
  }
  std::unique_ptr<process> start_run() {
    return std::make_unique<process>(std::vector<std::string>{built_program("fleetreg-terminal"), "-c",
                                                              dir.file("terminal.conf"), "-s", term.state_dir(), "run"},
                                     dir, "terminal-run");
  }
  static constexpr long registered = static_cast<long>(tm::reg_state_value::registered);
  static constexpr long failed = static_cast<long>(tm::reg_state_value::failed);
  static constexpr long unregistered = static_cast<long>(tm::reg_state_value::unregistered);
  static constexpr long revoked = static_cast<long>(tm::reg_state_value::revoked);

  temp_dir dir;
  sim_terminal term{dir, "mfp", "Sharp", "MX-3071", "SH-7001"};
  std::unique_ptr<snmpd_daemon> snmpd;
  center_daemon center{dir, {.tls = false, .extra_config = ""}};
};

TEST_F(TerminalModeTest, OnlyAnAuthPrivUserMaySetTheCode) {
  const auto code = center.dealer_and_code("dealer", "Sharp Kunde AG");
  // v2c (read-only community), the read-only v3 user, the panel user at
  // authNoPriv: every one refused with an SNMP error, nothing recorded.
  for (const auto& o : {snmpd->v2c(), snmpd->v3("fleetmon", snmp::security_level::auth_no_priv),
                        snmpd->v3("fleetpanel", snmp::security_level::auth_no_priv)}) {
    const auto ec = set_code(o, code);
    // An SNMP error-status from snmpd (noAccess, authorizationError), not a timeout.
    EXPECT_EQ(ec.category(), snmp::pdu_category()) << o.user << ": " << ec.message();
    EXPECT_TRUE(ec.value() == 6 || ec.value() == 16) << o.user << ": " << ec.message();
  }
  EXPECT_EQ(state(), unregistered);
  EXPECT_EQ(text(tm::reg_center_url), "");
  // Reading works for the monitoring user.
  EXPECT_TRUE(get_one(snmpd->v3("fleetmon", snmp::security_level::auth_no_priv), append(tm::serial_number, {0})));
  // The panel user with privacy may; the code itself is never readable.
  EXPECT_FALSE(set_code(snmpd->v3("fleetpanel", snmp::security_level::auth_priv), code));
  EXPECT_EQ(state(), static_cast<long>(tm::reg_state_value::pending));
  EXPECT_EQ(text(tm::reg_center_url), center.url());
  EXPECT_EQ(text(tm::reg_provisional_code), "");
}

TEST_F(TerminalModeTest, RegistersItselfAndAnswersRequestsExactlyOnce) {
  const auto code = center.dealer_and_code("dealer", "Sharp Kunde AG");
  ASSERT_FALSE(set_code(snmpd->v3("fleetpanel", snmp::security_level::auth_priv), code));
  auto daemon = start_run();
  ASSERT_TRUE(wait_until([&] { return state() == registered; }, 60s)) << daemon->log();
  const auto sites = center.ctl({"site", "list"}).out;
  ASSERT_NE(sites.find("terminal:"), std::string::npos) << sites;
  ASSERT_NE(sites.find("Sharp Kunde AG"), std::string::npos) << sites;
  const auto site = sites.substr(sites.find('\n') + 1, 36);
  EXPECT_EQ(text(tm::reg_site_id), site);
  EXPECT_NE(center.ctl({"terminal", "list", "--site", site}).out.find("sharp:SH-7001"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((term.state_dir() + "/credential").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A copy job, then a request: the reading reaches the center exactly once.
  ASSERT_EQ(term.terminal({"copy", "--sheets", "9"}).exit_code, 0);
  const auto requested = center.ctl({"request", "--site", site});
  ASSERT_EQ(requested.exit_code, 0) << requested.err;
  json::value readings;
  ASSERT_TRUE(wait_until(
      [&] {
        readings = json::value::parse(center.ctl({"readings", "--site", site, "--json"}).out, nullptr, false);
        return !readings.is_discarded() && !readings.empty();
      },
      60s))
      << daemon->log();
  std::this_thread::sleep_for(3s);  // a second delivery would have arrived by now
  readings = json::value::parse(center.ctl({"readings", "--site", site, "--json"}).out);
  ASSERT_EQ(readings.size(), 1u) << readings.dump();
  EXPECT_EQ(readings[0]["terminal"], "sharp:SH-7001");
  EXPECT_EQ(readings[0]["source"], "terminal");
  EXPECT_EQ(readings[0]["counters"]["copy"]["impressions"], 9);
  EXPECT_FALSE(readings[0].value("request_id", std::string()).empty());
  EXPECT_TRUE(wait_until([&] {
    return text(tm::reg_last_report).size() == 8 || text(tm::reg_last_report).size() == 11;
  })) << "frtRegLastReport is a DateAndTime";

  // A collector on the same network lists it as registered itself, and leaves it alone.
  std::ofstream(dir.file("collector.conf")) << "[collector]\nstate_dir = " << dir.file("collector") << "\n"
                                            << "[snmp]\ntargets = " << snmpd->peer() << "\n[mdns]\nenabled = no\n";
  const auto found = run({built_program("fleetreg-collector"), "-c", dir.file("collector.conf"), "discover", "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  const auto devices = json::value::parse(found.out);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_FALSE(devices[0]["registrable"].get<bool>());
  EXPECT_NE(devices[0]["reason"].get<std::string>().find("terminal mode"), std::string::npos);

  // Restarted programs: still registered, the credential still there and 0600.
  EXPECT_EQ(daemon->stop(), 0);
  EXPECT_EQ(term.stop_subagent(), 0);
  term.start_subagent(snmpd->agentx_socket());
  daemon = start_run();
  ASSERT_TRUE(wait_until([&] { return state() == registered; }));
  ASSERT_EQ(::stat((term.state_dir() + "/credential").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Revoked at the center: visible in the MIB, reporting stops.
  ASSERT_EQ(center.ctl({"revoke", "--site", site}).exit_code, 0);
  ASSERT_EQ(center.ctl({"request", "--site", site}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return state() == revoked; }, 60s)) << daemon->log();
  EXPECT_EQ(daemon->stop(), 0);
}

TEST_F(TerminalModeTest, RefusedCodeIsShownAndChangesNothing) {
  center.dealer_and_code("dealer", "Sharp Kunde AG");
  // Well-formed (the check symbol fits) but never issued.
  const auto r = run({built_program("fleetreg-terminal"), "-c", dir.file("terminal.conf"), "-s", term.state_dir(),
                      "register", "--center", center.url(), "--code", "0000-0000-0000"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(wait_until([&] { return state() == failed; }));
  EXPECT_NE(text(tm::reg_last_error).find("refused"), std::string::npos) << text(tm::reg_last_error);
  EXPECT_EQ(center.ctl({"site", "list"}).out.find("terminal:"), std::string::npos);
  const auto show = term.terminal({"show"});
  EXPECT_NE(show.out.find("failed"), std::string::npos) << show.out;
  struct stat st {};
  EXPECT_NE(::stat((term.state_dir() + "/credential").c_str(), &st), 0);
  // A typo is caught on the panel, before anything is sent or stored.
  const auto typo = run({built_program("fleetreg-terminal"), "-c", dir.file("terminal.conf"), "-s", term.state_dir(),
                         "register", "--center", center.url(), "--code", "0000-0000-0001"});
  EXPECT_EQ(typo.exit_code, 65) << typo.err;
  EXPECT_EQ(state(), failed);

  // The panel path with a good code works after a refusal.
  const auto code = center.dealer_and_code("dealer2", "Zweiter Kunde");
  const auto ok = run({built_program("fleetreg-terminal"), "-c", dir.file("terminal.conf"), "-s", term.state_dir(),
                       "register", "--center", center.url(), "--code", code});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(wait_until([&] { return state() == registered; }));
}

// Issue 14 item 7: a SET of the center URL on a registered terminal used to
// send its credential and readings to the new URL. Now it is refused in the
// SET's check phase and the terminal keeps reporting to its center.
TEST_F(TerminalModeTest, CenterUrlSetWhileRegisteredIsRefusedAndReportsStay) {
  center_stand_in elsewhere([](const center_stand_in::request&) { return center_stand_in::answer{204, {}, ""}; });
  std::unique_ptr<process> daemon;
  const auto site = register_over_snmp(daemon);
  ASSERT_EQ(state(), registered);

  // Over SNMPv3 authPriv, the user snmpd lets write: the subagent says no.
  const auto ec = set(tm::reg_center_url, snmp::value::make_string(elsewhere.url()));
  EXPECT_TRUE(is_status(ec, snmp::error_status::inconsistent_value)) << ec.message();
  // Clearing it (the configuration's URL would apply) is a change of center too.
  const auto cleared = set(tm::reg_center_url, snmp::value::make_string(""));
  EXPECT_TRUE(is_status(cleared, snmp::error_status::inconsistent_value)) << cleared.message();
  EXPECT_EQ(text(tm::reg_center_url), center.url());
  EXPECT_EQ(state(), registered);
  EXPECT_EQ(text(tm::reg_site_id), site);
  const auto log = term.subagent()->log();
  EXPECT_NE(log.find("frtRegCenterUrl.0 refused (inconsistentValue)"), std::string::npos) << log;
  EXPECT_NE(log.find("requested_center_url=" + elsewhere.url()), std::string::npos) << log;

  // Still reporting to its own center; nothing ever reached the other URL.
  ASSERT_EQ(term.terminal({"copy", "--sheets", "4"}).exit_code, 0);
  EXPECT_TRUE(reading_arrives(center, site, 1)) << daemon->log();
  std::this_thread::sleep_for(3s);  // a poll to the other URL would have gone out by now
  EXPECT_TRUE(elsewhere.requests().empty()) << elsewhere.requests().size() << " requests went elsewhere";
  EXPECT_EQ(state(), registered);
  EXPECT_EQ(daemon->stop(), 0);
}

// Entering a code again on a registered terminal used to leave it `failed`
// for good with a valid credential. Now the code is refused and nothing changes.
TEST_F(TerminalModeTest, CodeSetWhileRegisteredIsRefusedAndTheStateStays) {
  std::unique_ptr<process> daemon;
  const auto site = register_over_snmp(daemon);
  const auto credential = read_credential();
  ASSERT_FALSE(credential.empty());
  const auto other = center.dealer_and_code("dealer2", "Anderer Kunde");

  const auto ec = set(tm::reg_provisional_code, snmp::value::make_string(other));
  EXPECT_TRUE(is_status(ec, snmp::error_status::inconsistent_value)) << ec.message();
  // Center URL and code in one PDU: refused whole.
  const auto both = set_code(panel(), other);
  EXPECT_TRUE(is_status(both, snmp::error_status::inconsistent_value)) << both.message();
  // Long enough for `run` to have tried a pending code (wait = 2 s).
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(state(), registered);
  EXPECT_EQ(text(tm::reg_site_id), site);
  EXPECT_EQ(text(tm::reg_last_error), "");
  EXPECT_EQ(read_credential(), credential);
  EXPECT_NE(term.subagent()->log().find("frtRegProvisionalCode.0 refused (inconsistentValue)"), std::string::npos)
      << term.subagent()->log();
  EXPECT_EQ(term.subagent()->log().find(other), std::string::npos) << "a code is never logged";
  ASSERT_EQ(term.terminal({"copy", "--sheets", "2"}).exit_code, 0);
  EXPECT_TRUE(reading_arrives(center, site, 1)) << daemon->log();
  EXPECT_EQ(daemon->stop(), 0);

  // The panel applies the same rule, and names the way out.
  const auto panel_register = run({built_program("fleetreg-terminal"), "-c", dir.file("terminal.conf"), "-s",
                                   term.state_dir(), "register", "--code", other});
  EXPECT_EQ(panel_register.exit_code, 1) << panel_register.err;
  EXPECT_NE(panel_register.err.find("fleetreg-terminal unregister"), std::string::npos) << panel_register.err;
  EXPECT_EQ(state(), registered);
}

// The way out: an audited unregister over SNMPv3 authPriv (frtRegAction),
// after which a new center URL and code register the terminal again.
TEST_F(TerminalModeTest, UnregisterThenANewCenterAndCodeRegisterAgain) {
  std::unique_ptr<process> daemon;
  const auto site = register_over_snmp(daemon);
  struct stat st {};
  ASSERT_EQ(::stat((term.state_dir() + "/credential").c_str(), &st), 0);

  // Only the panel's authPriv user may unregister (snmpd's VACM).
  for (const auto& o : {snmpd->v2c(), snmpd->v3("fleetmon", snmp::security_level::auth_no_priv),
                        snmpd->v3("fleetpanel", snmp::security_level::auth_no_priv)}) {
    const auto ec = unregister(o);
    EXPECT_EQ(ec.category(), snmp::pdu_category()) << o.user << ": " << ec.message();
    EXPECT_TRUE(ec.value() == 6 || ec.value() == 16) << o.user << ": " << ec.message();
  }
  EXPECT_EQ(state(), registered);
  const auto action = get_one(snmpd->v2c(), append(tm::reg_action, {0}));
  ASSERT_TRUE(action);
  EXPECT_EQ(action->integer, static_cast<long>(tm::reg_action_value::none)) << "frtRegAction reads none(1)";

  ASSERT_FALSE(unregister()) << "over SNMPv3 authPriv";
  EXPECT_TRUE(wait_until([&] { return state() == unregistered; }));
  EXPECT_TRUE(wait_until([&] { return ::stat((term.state_dir() + "/credential").c_str(), &st) != 0; }))
      << "the credential is forgotten";
  EXPECT_EQ(text(tm::reg_site_id), "");
  EXPECT_EQ(text(tm::reg_center_url), center.url()) << "kept";
  std::string log;
  EXPECT_TRUE(wait_until([&] {
    log = term.subagent()->log();
    return log.find("audit: terminal unregistered") != std::string::npos;
  }));
  EXPECT_NE(
      log.find("audit: terminal unregistered via=snmp context=\"\" security_name=unknown was=registered site=" + site),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("credential=deleted"), std::string::npos) << log;
  EXPECT_NE(log.find("readings_dropped=0"), std::string::npos) << log;

  // A second center and a code of its own: registered there, reporting there.
  temp_dir other_dir;
  center_daemon second{other_dir, {.tls = false, .extra_config = ""}};
  second.start();
  const auto code = second.dealer_and_code("dealer", "Neuer Kunde GmbH");
  std::error_code ec;
  snmp::client c(panel());
  c.set({{append(tm::reg_center_url, {0}), snmp::value::make_string(second.url())},
         {append(tm::reg_provisional_code, {0}), snmp::value::make_string(code)}},
        ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(wait_until([&] { return state() == registered; }, 60s)) << daemon->log();
  const auto new_site = text(tm::reg_site_id);
  EXPECT_NE(new_site, site);
  EXPECT_EQ(text(tm::reg_center_url), second.url());
  EXPECT_NE(second.ctl({"site", "list"}).out.find(new_site), std::string::npos);
  ASSERT_EQ(::stat((term.state_dir() + "/credential").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(term.terminal({"copy", "--sheets", "3"}).exit_code, 0);
  EXPECT_TRUE(reading_arrives(second, new_site, 1)) << daemon->log();
  EXPECT_EQ(daemon->stop(), 0);

  // The panel's unregister, audited with the local user.
  const auto r = term.terminal({"unregister"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("unregistered (was registered)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("audit: terminal unregistered via=panel uid="), std::string::npos) << r.err;
  EXPECT_TRUE(wait_until([&] { return state() == unregistered; }));
}

}  // namespace
}  // namespace fleetreg::test
