// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fleetreg/collector/device.hpp"
#include "fleetreg/collector/store.hpp"
#include "fleetreg/core/reload_signal.hpp"
#include "fleetreg/core/stop_signal.hpp"
#include "fleetreg/mdns/service.hpp"
#include "fleetreg/profiles/profile_set.hpp"
#include "fleetreg/rest_client/center_client.hpp"
#include "fleetreg/snmp/client.hpp"

/// The collector's work: discover terminals, register them with a center
/// using a provisional code, and answer the center's requests for running
/// status through the zero-loss outbox.
namespace fleetreg::collector {

inline constexpr const char* default_config_path = "/etc/fleetreg/collector.conf";

struct config {
  // [collector]
  std::string state_dir = "/var/lib/fleetreg-collector";
  std::string name;  ///< how the center names this collector; default: host name
  // [center]
  std::string center_url;  ///< set by `register --center`, or here
  std::string ca_file;     ///< PEM CA bundle for the center's certificate; empty = system
  std::string proxy;       ///< http://proxy:port or empty
  bool allow_plain_http = false;
  // [snmp]
  std::vector<std::string> targets;  ///< SNMP agents ("udp:host:port"), comma-separated in the file
  std::vector<std::string> ranges;   ///< IPv4 CIDR ranges swept asynchronously ("192.0.2.0/24")
  std::int64_t snmp_port = 161;      ///< port used for the ranges
  std::string community = "public";
  /// Root-only file with the SNMP secrets: [v2c] community, or [v3] user,
  /// auth_protocol (sha1|sha256|sha512), auth_passphrase, priv_passphrase
  /// (AES). When it names a v3 user, every target is read with SNMPv3 authPriv.
  std::string secrets_file;
  snmp::session_options credentials;  ///< filled from community / secrets_file
  std::chrono::milliseconds snmp_timeout{std::chrono::seconds(1)};
  std::int64_t snmp_retries = 1;
  /// Addresses of the ranges and targets asked at once (one UDP socket each).
  std::int64_t sweep_concurrency = 2048;
  // [mdns]
  bool mdns_enabled = true;                                        ///< browse DNS-SD through avahi-daemon
  std::chrono::milliseconds browse_time{std::chrono::seconds(3)};  ///< one-shot browse limit
  // [ipp]
  std::chrono::milliseconds ipp_timeout{std::chrono::seconds(5)};
  // [run]
  std::chrono::milliseconds wait{std::chrono::seconds(25)};  ///< long-poll wait
  std::chrono::milliseconds read_interval{std::chrono::hours(1)};
  // [outbox]
  rest_client::outbox_caps outbox;  ///< max_readings, max_age: the oldest go first
  // [profiles]
  /// Counter profile directories, read in order (a later file with the same
  /// id replaces an earlier one); comma-separated in the file.
  std::vector<std::string> profile_directories = {profiles::shipped_directory, profiles::local_directory};
};

/// Loads the file (default path when empty and present). Throws configuration_error.
config load_config(const std::string& path);

/// Loads the counter profiles of `cfg.profile_directories`; each file that is
/// skipped is logged (and listed in problems()). Never throws but bad_alloc.
std::shared_ptr<const profiles::profile_set> load_profiles(const config& cfg);

/// After a reload request (SIGHUP): the profiles loaded again, or `current`
/// when none of the files loaded while `current` had profiles (a directory
/// emptied by mistake, every file broken). Logs the count and the problems
/// either way. Never throws but bad_alloc.
std::shared_ptr<const profiles::profile_set> reload_profiles(const config& cfg,
                                                             std::shared_ptr<const profiles::profile_set> current);

/// "WHAT: N loaded, M files skipped (first problem; …)" for the log.
std::string describe_profiles(const std::string& what, const profiles::profile_set& set);

/// What reading a device over SNMP adds to the standard MIBs: the counter
/// profiles (nullptr: load them from the config's directories) and where
/// 32-bit counters keep their state (nullptr: none; they are reported modulo 2^32).
struct profile_context {
  std::shared_ptr<const profiles::profile_set> set;
  profiles::wrap_state* wraps = nullptr;
};

/// What discovery should try at one mDNS service instance: an SNMP peer
/// (its own type and printers' LPD/raw services: the agent at the address),
/// and an IPP URI for _ipp._tcp/_ipps._tcp.
struct mdns_target {
  std::string snmp_peer;  ///< "udp:A.B.C.D:161" or ""
  std::string ipp_uri;    ///< "ipp://A.B.C.D:631/ipp/print" or ""
};
mdns_target target_of(const mdns::service& s, std::int64_t snmp_port);

/// Finds the terminals: the services seen over mDNS (`services`, or a
/// one-shot browse of `browse_time` when nullopt and mDNS is enabled), the
/// configured targets and the swept ranges are probed over SNMP at once;
/// those that answer are read (fleetreg MIB, else Printer-MIB), and IPP
/// printers that did not answer SNMP are read over IPP. Devices seen more
/// than once (same terminal key) are one. `progress` is called as addresses
/// are probed (step "probed": `found` = how many answered) and as devices are
/// read (step "read": `found` = how many were read), each step first with
/// `done` 0 when it starts.
struct discovery_step {
  const char* what = "";  ///< "probed" or "read"
  std::size_t done = 0, total = 0, found = 0;
};
/// `cancelled` (when given) is asked as the sweep reaches each address and
/// before each device is read: once it says yes, no new address is asked and
/// no further device read (those asked already answer or time out), and the
/// devices read so far are returned — `run` stops within about a timeout of
/// a SIGTERM, even in the middle of a /16.
using discovery_progress = std::function<void(const discovery_step&)>;
std::vector<device_info> discover(const config& cfg, const discovery_progress& progress = {},
                                  const std::optional<std::vector<mdns::service>>& services = std::nullopt,
                                  profile_context profiles = {}, const std::function<bool()>& cancelled = {});

/// Registers the registrable devices with the center in one request.
/// Checks the code's check character first. Throws fleetreg::error with one
/// line (exit code data for a bad code, failure for a refusal, unavailable
/// when the center cannot be reached); nothing is stored then. A retry after a
/// network failure reuses the same Idempotency-Key, so it never makes a second site.
registration_state register_site(const config& cfg, store& st, const std::string& center_url, const std::string& code,
                                 const std::vector<device_info>& devices);

/// Registers, with the formal credential and through `center` (the
/// reporting loop's client), the registrable devices among `devices` that are
/// not registered yet. Returns the keys added; refusals and transport errors
/// are logged and leave the list as it was.
std::vector<std::string> add_new_terminals(store& st, rest_client::center_client& center,
                                           const std::vector<device_info>& devices);

/// Discovers, adds terminals that appeared since the registration (through
/// `center`), then reads the registered ones and commits one reading each to
/// the outbox (answering `request_id` when set). Returns how many were read.
/// `services`: what a running mDNS browser sees (nullopt: browse once).
/// `profiles`: the counter profiles (nullptr: loaded from the config); the
/// store keeps their 32-bit counters' state.
/// `stop` (when given): discovery ends early once it is requested (see discover).
std::size_t take_readings(const config& cfg, store& st, rest_client::center_client& center,
                          const std::string& request_id,
                          const std::optional<std::vector<mdns::service>>& services = std::nullopt,
                          std::shared_ptr<const profiles::profile_set> profiles = nullptr,
                          const stop_signal* stop = nullptr);

/// `fleetreg-collector run`: the reporting loop of rest_client::reporter
/// (deliver, long-poll, read on request; paced, see center_pacing) with one
/// long-lived center_client, plus reads on the own schedule ([run]
/// read_interval), which go on while the pacing holds polls back. The
/// collector's side: the credential in its store (a rotated one stored
/// before use), a revocation ends the loop (logged: register again),
/// terminals the center says left the site are not read any more, status.json
/// after every poll. mDNS browsing runs all the while on the collector's own
/// event loop (a Boost.Asio thread), through avahi-daemon restarts. Returns
/// within 100 ms of `stop` being asked for, also during a long-poll. Throws
/// fleetreg::error (config) when not registered. The counter profiles are
/// loaded at the start and again within 200 ms of `reload` being requested
/// (SIGHUP), as reload_profiles says; a read in progress finishes with the
/// set it started with.
void run(const config& cfg, const stop_signal& stop, reload_signal* reload = nullptr);

}  // namespace fleetreg::collector
