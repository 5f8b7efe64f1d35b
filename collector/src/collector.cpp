// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/collector.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <optional>
#include <cstdlib>
#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <utility>

#include "fleetreg/collector/ipp_reader.hpp"
#include "fleetreg/collector/snmp_reader.hpp"
#include "fleetreg/collector/sweep.hpp"
#include "fleetreg/core/config.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fleetreg/core/random.hpp"
#include "fleetreg/mdns/browser.hpp"
#include "fleetreg/profiles/extension.hpp"
#include "fleetreg/rest_client/center_client.hpp"
#include "fleetreg/rest_client/reporter.hpp"

namespace fleetreg::collector {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

rest_client::center_options center_of(const config& cfg, const std::string& url) {
  return {url, cfg.ca_file, cfg.proxy, cfg.allow_plain_http};
}

// The mDNS browser of `run`, on its own io_context thread; the poll loop
// takes snapshots of what it currently sees.
class live_browser {
 public:
  explicit live_browser(const config& cfg) {
    if (!cfg.mdns_enabled) return;
    browser_ = std::make_unique<mdns::browser>(
        io_, std::vector<std::string>(std::begin(mdns::printer_service_types), std::end(mdns::printer_service_types)),
        mdns::browser::handlers{[this](const mdns::service& s) {
                                  std::lock_guard lock(mutex_);
                                  services_[id_of(s)] = s;
                                },
                                [this](const mdns::service& s) {
                                  std::lock_guard lock(mutex_);
                                  std::erase_if(services_, [&](const auto& kv) {
                                    return kv.second.name == s.name && kv.second.type == s.type;
                                  });
                                },
                                [this] {
                                  std::lock_guard lock(mutex_);
                                  settled_ = true;
                                  settled_cv_.notify_all();
                                }});
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~live_browser() {
    if (!thread_.joinable()) return;
    // The browser lives on the loop's thread: free it there, then stop.
    boost::asio::post(io_, [this] {
      browser_.reset();
      io_.stop();
    });
    thread_.join();
  }
  /// Waits (up to `limit`) for the first answers, then returns what is seen
  /// now (nothing when mDNS is disabled).
  std::optional<std::vector<mdns::service>> snapshot(std::chrono::milliseconds limit) {
    if (!thread_.joinable()) return std::vector<mdns::service>{};
    std::unique_lock lock(mutex_);
    settled_cv_.wait_for(lock, limit, [this] { return settled_; });
    std::vector<mdns::service> out;
    for (const auto& [k, s] : services_) out.push_back(s);
    return out;
  }

 private:
  static std::string id_of(const mdns::service& s) { return s.type + "\n" + s.name + "\n" + s.address; }
  boost::asio::io_context io_;
  std::unique_ptr<mdns::browser> browser_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable settled_cv_;
  bool settled_ = false;
  std::map<std::string, mdns::service> services_;
};

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

// The SNMP secrets live apart from the configuration, readable by their owner only.
void load_secrets(config& c) {
  struct stat st {};
  if (::stat(c.secrets_file.c_str(), &st) != 0)
    throw configuration_error("cannot read the SNMP secrets file " + c.secrets_file);
  if (st.st_mode & 077)
    throw configuration_error("the SNMP secrets file " + c.secrets_file + " is readable by others; chmod 600 it");
  const auto ini = fleetreg::config::ini_file::load(c.secrets_file);
  namespace fc = fleetreg::config;
  std::string user, auth = "sha256", auth_pass, priv_pass;
  auto& o = c.credentials;
  const std::array<fc::option, 5> table = {{
      {"v2c", "community", fc::string_target{&o.community, 64}},
      {"v3", "user", fc::string_target{&user, 32}},
      {"v3", "auth_protocol", fc::string_target{&auth, 8}},
      {"v3", "auth_passphrase", fc::string_target{&auth_pass, 128}},
      {"v3", "priv_passphrase", fc::string_target{&priv_pass, 128}},
  }};
  fc::apply_options(ini, table);
  if (user.empty()) return;
  if (auth_pass.size() < 8 || priv_pass.size() < 8)
    throw configuration_error(c.secrets_file + ": SNMPv3 passphrases need at least 8 characters");
  if (auth == "sha1")
    o.auth = snmp::auth_protocol::sha1;
  else if (auth == "sha256")
    o.auth = snmp::auth_protocol::sha256;
  else if (auth == "sha512")
    o.auth = snmp::auth_protocol::sha512;
  else
    throw configuration_error(c.secrets_file + ": [v3] auth_protocol is sha1, sha256 or sha512");
  o.version = snmp::snmp_version::v3;
  o.level = snmp::security_level::auth_priv;
  o.user = user;
  o.auth_passphrase = auth_pass;
  o.priv_passphrase = priv_pass;
}

config load_config(const std::string& path) {
  config c;
  c.name = host_name();
  std::string file = path;
  if (file.empty() && ::access(default_config_path, F_OK) == 0) file = default_config_path;
  if (file.empty()) return c;
  const auto ini = fleetreg::config::ini_file::load(file);
  namespace fc = fleetreg::config;
  using namespace std::chrono_literals;
  std::string targets, ranges, profile_dirs;
  std::chrono::milliseconds outbox_age = c.outbox.max_age;
  const std::array<fc::option, 22> table = {{
      {"collector", "state_dir", fc::string_target{&c.state_dir, 1024}},
      {"collector", "name", fc::string_target{&c.name, 255}},
      {"center", "url", fc::string_target{&c.center_url, 255}},
      {"center", "ca_file", fc::string_target{&c.ca_file, 1024}},
      {"center", "proxy", fc::string_target{&c.proxy, 255}},
      {"center", "allow_plain_http", fc::bool_target{&c.allow_plain_http}},
      {"snmp", "targets", fc::string_target{&targets, 65536}},
      {"snmp", "ranges", fc::string_target{&ranges, 65536}},
      {"snmp", "port", fc::integer_target{&c.snmp_port, 1, 65535}},
      {"snmp", "community", fc::string_target{&c.community, 64}},
      {"snmp", "secrets_file", fc::string_target{&c.secrets_file, 1024}},
      {"snmp", "timeout", fc::duration_target{&c.snmp_timeout, 100ms, 60s}},
      {"snmp", "retries", fc::integer_target{&c.snmp_retries, 0, 10}},
      {"snmp", "sweep_concurrency",
       fc::integer_target{&c.sweep_concurrency, 1, static_cast<std::int64_t>(max_sweep_concurrency)}},
      {"mdns", "enabled", fc::bool_target{&c.mdns_enabled}},
      {"mdns", "browse_time", fc::duration_target{&c.browse_time, 100ms, 60s}},
      {"ipp", "timeout", fc::duration_target{&c.ipp_timeout, 100ms, 60s}},
      {"run", "wait", fc::duration_target{&c.wait, 0s, 300s}},
      {"run", "read_interval", fc::duration_target{&c.read_interval, 1s, std::chrono::hours(24 * 7)}},
      {"outbox", "max_readings", fc::integer_target{&c.outbox.max_readings, 100, 100000000}},
      {"outbox", "max_age", fc::duration_target{&outbox_age, std::chrono::hours(1), std::chrono::hours(24 * 3660)}},
      {"profiles", "directories", fc::string_target{&profile_dirs, 4096}},
  }};
  fc::apply_options(ini, table);
  c.outbox.max_age = std::chrono::duration_cast<std::chrono::seconds>(outbox_age);
  c.targets = split_list(targets);
  c.ranges = split_list(ranges);
  if (ini.find("profiles", "directories")) c.profile_directories = split_list(profile_dirs);
  for (const auto& r : c.ranges)
    if (!expand_cidr(r))
      throw configuration_error(file + ": [snmp] ranges: '" + r + "' is not an IPv4 CIDR range of /16 or smaller");
  c.credentials.community = c.community;
  if (!c.secrets_file.empty()) load_secrets(c);
  return c;
}

std::string describe_profiles(const std::string& what, const profiles::profile_set& set) {
  std::string line = what + ": " + std::to_string(set.profiles().size()) + " loaded";
  if (!set.problems().empty())
    line += ", " + std::to_string(set.problems().size()) + " files skipped (" + set.problems().front() +
            (set.problems().size() > 1 ? "; …" : "") + ")";
  return line;
}

std::shared_ptr<const profiles::profile_set> reload_profiles(const config& cfg,
                                                             std::shared_ptr<const profiles::profile_set> current) {
  auto fresh = load_profiles(cfg);
  if (current && fresh->profiles().empty() && !current->profiles().empty() && fresh->files_read() > 0) {
    log::warning("counter profiles not reloaded: none of " + std::to_string(fresh->files_read()) + " files loaded (" +
                 (fresh->problems().empty() ? std::string() : fresh->problems().front()) + "); keeping the " +
                 std::to_string(current->profiles().size()) + " loaded before");
    return current;
  }
  log::notice(describe_profiles("counter profiles reloaded", *fresh));
  return fresh;
}

std::shared_ptr<const profiles::profile_set> load_profiles(const config& cfg) {
  auto set = std::make_shared<profiles::profile_set>(profiles::profile_set::load(cfg.profile_directories));
  log::debug("profiles", std::to_string(set->profiles().size()) + " counter profiles loaded, " +
                             std::to_string(set->problems().size()) + " files skipped");
  return set;
}

mdns_target target_of(const mdns::service& s, std::int64_t snmp_port) {
  mdns_target t;
  const auto host = s.ipv6 ? "[" + s.address + "]" : s.address;
  const auto transport = s.ipv6 ? std::string("udp6:") : std::string("udp:");
  if (s.type == mdns::fleetreg_service_type) {
    t.snmp_peer = transport + host + ":" + std::to_string(s.port);
    return t;
  }
  // A printer's agent listens on the configured SNMP port of its address.
  t.snmp_peer = transport + host + ":" + std::to_string(snmp_port);
  if (s.type == "_ipp._tcp" || s.type == "_ipps._tcp") {
    std::string rp = s.txt.count("rp") ? s.txt.at("rp") : "ipp/print";
    if (!rp.empty() && rp.front() == '/') rp.erase(0, 1);
    t.ipp_uri = (s.type == "_ipps._tcp" ? "ipps://" : "ipp://") + host + ":" + std::to_string(s.port) + "/" + rp;
  }
  return t;
}

std::vector<device_info> discover(const config& cfg, const discovery_progress& progress,
                                  const std::optional<std::vector<mdns::service>>& services, profile_context profiles) {
  if (!profiles.set) profiles.set = load_profiles(cfg);
  // 1. Where to look: mDNS services, configured targets, swept ranges.
  std::vector<mdns::service> found;
  if (services) {
    found = *services;
  } else if (cfg.mdns_enabled) {
    found = mdns::browse_once({std::begin(mdns::printer_service_types), std::end(mdns::printer_service_types)},
                              cfg.browse_time);
    log::debug("discovery", "mDNS: " + std::to_string(found.size()) + " service instances");
  }
  std::vector<std::string> peers;
  std::map<std::string, std::vector<std::string>> via;  // peer → how it was found
  auto add_peer = [&](const std::string& peer, const std::string& how) {
    if (!via.count(peer)) peers.push_back(peer);
    auto& v = via[peer];
    if (std::find(v.begin(), v.end(), how) == v.end()) v.push_back(how);
  };
  // A printer announced over IPv4 and IPv6 (or as _ipp and _ipps) resolves
  // once per address: one IPP read per printer instance, at its preferred
  // address (IPv4 before IPv6, ipp before ipps), the others kept as fallbacks.
  struct ipp_choice {
    std::string peer, uri;
    bool ipv6 = false, secure = false;
  };
  std::map<std::string, std::vector<ipp_choice>> ipp_instances;  // "name.domain" → addresses
  for (const auto& s : found) {
    const auto t = target_of(s, cfg.snmp_port);
    const auto how = "mdns " + s.type + " '" + s.name + "'";
    add_peer(t.snmp_peer, how);
    if (!t.ipp_uri.empty())
      ipp_instances[s.name + "." + s.domain].push_back({t.snmp_peer, t.ipp_uri, s.ipv6, s.type == "_ipps._tcp"});
  }
  for (auto& [instance, choices] : ipp_instances)
    std::sort(choices.begin(), choices.end(), [](const ipp_choice& a, const ipp_choice& b) {
      return std::tie(a.ipv6, a.secure, a.uri) < std::tie(b.ipv6, b.secure, b.uri);
    });
  for (const auto& t : cfg.targets) add_peer(t, "configured target");
  // A range's addresses are made as the sweep reaches them and get no note
  // each (a /16 is 65,534 of them): those that answer are noted below. An
  // address listed already, or in an earlier range, is asked once.
  const auto port = static_cast<int>(cfg.snmp_port);
  std::vector<std::pair<const std::string*, cidr_peers>> swept;  // the range, its peers
  std::size_t count = peers.size();
  for (const auto& range : cfg.ranges)
    if (auto r = cidr_peers::parse(range, port)) {  // checked by load_config
      count += r->size();
      swept.emplace_back(&range, *r);
    }
  auto peer_at = [&](std::size_t i) -> std::string {
    if (i < peers.size()) return peers[i];
    i -= peers.size();
    for (std::size_t r = 0; r < swept.size(); i -= swept[r].second.size(), ++r) {
      if (i >= swept[r].second.size()) continue;
      auto p = swept[r].second[i];
      if (via.count(p)) return {};
      for (std::size_t e = 0; e < r; ++e)
        if (peer_in_range(p, *swept[e].first, port)) return {};
      return p;
    }
    return {};
  };
  auto note_sweeps = [&](const std::string& peer) {
    for (const auto& range : cfg.ranges)
      if (peer_in_range(peer, range, port)) {
        auto& v = via[peer];
        const auto how = "sweep " + range;
        if (std::find(v.begin(), v.end(), how) == v.end()) v.push_back(how);
      }
  };

  // 2. Who answers SNMP: every peer at once.
  auto base = cfg.credentials;
  base.timeout = cfg.snmp_timeout;
  base.retries = static_cast<int>(cfg.snmp_retries);
  if (progress) progress({"probed", 0, count, 0});  // the step's clock starts now
  const auto answering = sweep(count, peer_at, base, static_cast<std::size_t>(cfg.sweep_concurrency),
                               [&](std::size_t done, std::size_t total, std::size_t answered) {
                                 if (progress && (done == total || done % 16 == 0))
                                   progress({"probed", done, total, answered});
                               });
  log::debug("discovery",
             "SNMP: " + std::to_string(answering.size()) + " of " + std::to_string(count) + " addresses answered");

  // 3. Read those that answered (IPv4 first, so that a device reached both
  // ways keeps its IPv4 address); IPP for printers none of whose addresses did.
  auto answers = [&](const std::string& peer) {
    return std::find(answering.begin(), answering.end(), peer) != answering.end();
  };
  std::vector<const std::vector<ipp_choice>*> ipp_todo;
  for (const auto& [instance, choices] : ipp_instances)
    if (std::none_of(choices.begin(), choices.end(), [&](const ipp_choice& c) { return answers(c.peer); }))
      ipp_todo.push_back(&choices);
  std::vector<std::string> readable = answering;
  std::stable_partition(readable.begin(), readable.end(), [](const std::string& p) { return !p.starts_with("udp6:"); });
  const auto total = readable.size() + ipp_todo.size();
  std::size_t done = 0, read = 0;
  if (progress) progress({"read", 0, total, 0});
  std::map<std::string, device_info> by_key;
  std::vector<device_info> unkeyed;
  auto keep = [&](device_info&& d, const std::string& peer) {
    ++read;
    note_sweeps(peer);
    for (const auto& how : via[peer]) d.seen_via.push_back(how);
    if (const auto key = d.key()) {
      auto [it, fresh] = by_key.try_emplace(*key, std::move(d));
      if (!fresh) merge(it->second, std::move(d));  // one device seen two ways is one terminal
    } else {
      unkeyed.push_back(std::move(d));
    }
  };
  for (const auto& peer : readable) {
    snmp::session_options o = base;
    o.peer = peer;
    std::error_code ec;
    try {
      profiles::extension ext(profiles.set, profiles.wraps);
      if (auto d = read_device(o, ec, &ext))
        keep(std::move(*d), peer);
      else if (ec)
        log::info("cannot read " + peer + ": " + ec.message());
    } catch (const std::exception& e) {
      log::warning("cannot read " + peer + ": " + e.what());
    }
    if (progress) progress({"read", ++done, total, read});
  }
  for (const auto* choices : ipp_todo) {
    for (const auto& c : *choices) {
      std::error_code ec;
      std::string why;
      if (auto d = read_ipp(c.uri, cfg.ipp_timeout, ec, &why)) {
        keep(std::move(*d), c.peer);
        break;
      }
      log::info("cannot read " + c.uri + ": " + why);
    }
    if (progress) progress({"read", ++done, total, read});
  }
  std::vector<device_info> out;
  for (auto& [k, d] : by_key) out.push_back(std::move(d));
  for (auto& d : unkeyed) out.push_back(std::move(d));
  return out;
}

registration_state register_site(const config& cfg, store& st, const std::string& center_url, const std::string& code,
                                 const std::vector<device_info>& devices) {
  std::string why;
  const auto canonical = provisional_code::normalize(code, &why);
  if (canonical.empty()) throw error(exit_code::data, why);
  json::value terminals = json::value::array();
  std::vector<std::string> keys;
  for (const auto& d : devices)
    if (d.why_not_registrable().empty()) {
      terminals.push_back(json::to_json(d.id));
      keys.push_back(*d.key());
    }
  if (keys.empty()) throw error(exit_code::failure, "no registrable terminal was found");
  rest_client::center_client center(center_of(cfg, center_url), std::chrono::seconds(30));
  // The same key for every attempt with this code, so that a retry after a
  // lost answer returns the same site instead of making a second one.
  const auto idem = st.idempotency_key(canonical);
  const auto answer =
      center.register_terminals(canonical, {{"kind", "collector"}, {"name", cfg.name}}, terminals, idem);
  // The site reports the terminals the center placed at it; the others wait
  // for a dealer's decision (asked again at each read) or were refused.
  std::vector<std::string> reporting;
  std::size_t pending = 0;
  for (const auto& r : answer.results) {
    if (r.reporting())
      reporting.push_back(r.key);
    else if (r.status == "pending_claim")
      ++pending;
    else
      log::warning("terminal " + log::quote(r.key) + " not registered: " + log::quote(r.reason));
  }
  if (answer.results.empty()) reporting = keys;  // an older center: all of them
  st.set_registration(center_url, answer.site_id, reporting, answer.credential);
  st.forget_idempotency_key(canonical);
  log::notice("registered " + std::to_string(reporting.size()) + " terminals with " + center_url +
              " site=" + answer.site_id +
              (pending ? "; " + std::to_string(pending) + " wait for a dealer's confirmation" : std::string()));
  return st.registration();
}

std::vector<std::string> add_new_terminals(store& st, rest_client::center_client& center,
                                           const std::vector<device_info>& devices) {
  auto reg = st.registration();
  json::value terminals = json::value::array();
  std::vector<std::string> added;
  for (const auto& d : devices) {
    if (!d.why_not_registrable().empty()) continue;
    const auto key = *d.key();
    if (std::find(reg.terminals.begin(), reg.terminals.end(), key) != reg.terminals.end()) continue;
    terminals.push_back(json::to_json(d.id));
    added.push_back(key);
  }
  if (added.empty() || reg.site_id.empty()) return {};
  const auto answer = center.add_terminals(st.credential(), terminals);
  if (!answer.error.empty())
    log::warning("cannot add " + std::to_string(added.size()) + " new terminals: " + answer.error);
  std::vector<std::string> now_reporting;
  std::size_t pending = 0;
  for (const auto& r : answer.results) {
    if (r.reporting())
      now_reporting.push_back(r.key);
    else if (r.status == "pending_claim")
      ++pending;
  }
  if (pending > 0) log::info(std::to_string(pending) + " terminals wait for a dealer's confirmation");
  if (now_reporting.empty()) return {};
  reg.terminals.insert(reg.terminals.end(), now_reporting.begin(), now_reporting.end());
  st.set_terminals(reg.terminals);
  log::notice("added " + std::to_string(now_reporting.size()) + " terminals found since the registration");
  return now_reporting;
}

std::size_t take_readings(const config& cfg, store& st, rest_client::center_client& center,
                          const std::string& request_id, const std::optional<std::vector<mdns::service>>& services,
                          std::shared_ptr<const profiles::profile_set> profiles) {
  auto devices = discover(cfg, {}, services, {std::move(profiles), &st});
  add_new_terminals(st, center, devices);
  const auto reg = st.registration();
  const std::set<std::string, std::less<>> registered(reg.terminals.begin(), reg.terminals.end());
  std::size_t n = 0;
  for (auto& device : devices) {
    // Each device's memory goes back as soon as its reading is made: the
    // outbox's pages reuse it, instead of a fleet's devices and its readings
    // both being held at the end.
    auto d = std::exchange(device, device_info{});
    const auto key = d.key();
    if (!key || !registered.count(*key)) continue;
    auto r = make_reading(*key, st.now(), d.source);
    r.counters = std::move(d.counters);
    r.supplies = std::move(d.supplies);
    r.extras = std::move(d.extras);
    r.provenance = std::move(d.provenance);
    r.device_status = std::move(d.device_status);
    r.alerts = std::move(d.alerts);
    r.request_id = request_id;
    st.outbox().add(r);  // on disk before anything is sent
    ++n;
  }
  return n;
}

namespace {

// The collector's side of the reporting loop: the registration and the
// credential in its store, the terminals read over SNMP/IPP (on request and
// on its own schedule), status.json for the monitoring plugin.
class collector_side final : public rest_client::reporting_side {
 public:
  collector_side(const config& cfg, store& st, const stop_signal& stop, reload_signal* reload)
      : cfg_(cfg), st_(st), mdns_seen_(cfg), profiles_(load_profiles(cfg)) {
    log::notice(describe_profiles("counter profiles", *profiles_));
    // SIGHUP is taken here, apart from the reporting loop (which may be in a
    // long-poll or backing off), so a reload is logged within 200 ms.
    if (reload)
      reload_watch_ = std::jthread([this, &stop, reload](std::stop_token done) {
        while (!done.stop_requested() && !stop.wait_for(std::chrono::milliseconds(200))) {
          if (!reload->take()) continue;
          try {
            auto fresh = reload_profiles(cfg_, current_profiles());
            std::lock_guard<std::mutex> lock(profiles_mutex_);
            profiles_ = std::move(fresh);
          } catch (const std::exception& e) {
            log::error(std::string("counter profiles not reloaded: ") + e.what());
          }
        }
      });
  }

  std::shared_ptr<const profiles::profile_set> current_profiles() {
    std::lock_guard<std::mutex> lock(profiles_mutex_);
    return profiles_;
  }

  round begin_round() override {
    const auto reg = st_.registration();
    if (reg.revoked) {
      log::error("the center revoked this collector's credential: register again with a new code");
      return {round::action::stop, {}, {}, {}};
    }
    return {round::action::report, {}, center_of(cfg_, reg.center_url), st_.credential()};
  }

  void before_delivery(rest_client::center_client& center) override {
    if (std::chrono::steady_clock::now() < next_own_read_) return;
    read_and_store(center, "");
    next_own_read_ = std::chrono::steady_clock::now() + cfg_.read_interval;
  }

  // Reads the terminals into the outbox. When the state directory cannot
  // take them (a full disk), the reading is lost, the outbox stays as it
  // was (the transaction did not commit) and the collector goes on: it says
  // why once (log, status.json) and reads again at the next interval.
  std::size_t read_and_store(rest_client::center_client& center, const std::string& request_id) {
    try {
      const auto n =
          take_readings(cfg_, st_, center, request_id, mdns_seen_.snapshot(cfg_.browse_time), current_profiles());
      if (!store_error_.empty()) log::notice("readings are stored again in " + cfg_.state_dir);
      store_error_.clear();
      return n;
    } catch (const std::exception& e) {
      const auto why = std::string("cannot store readings in ") + cfg_.state_dir + ": " + e.what();
      if (why != store_error_) log::error(why + " (read again every " + describe_interval() + ")");
      store_error_ = why;
      st_.write_status(false, store_error_);
      return 0;
    }
  }

  std::string describe_interval() const {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(cfg_.read_interval).count()) + " s";
  }

  void delivered(const rest_client::center_client::delivery& d) override {
    if (d.acknowledged > 0) st_.set_last_upload();
    if (d.gone_terminals.empty()) return;
    // The center says the site holds these no more (transferred, retired):
    // stop reading them. Seen again later, they are asked for like new ones.
    auto keys = st_.registration().terminals;
    for (const auto& k : d.gone_terminals) {
      std::erase(keys, k);
      log::notice("terminal " + log::quote(k) + " is no longer at this site: not read any more");
    }
    st_.set_terminals(keys);
  }

  void status(const std::string& upload_error, const std::string& poll_error) override {
    st_.write_status(upload_error.empty() && poll_error.empty(),
                     !store_error_.empty() ? store_error_ : (poll_error.empty() ? upload_error : poll_error));
  }

  // The next round says so and stops.
  void revoked(const std::string&) override { st_.set_revoked(true); }

  void store_credential(const std::string& credential) override { st_.set_credential(credential); }

  void answer(const std::string& request_id, rest_client::center_client& center) override {
    const auto n = read_and_store(center, request_id);
    log::info("request " + request_id + ": " + std::to_string(n) + " terminals read");
  }

  // Paced, the own reads still go on at their time.
  std::chrono::milliseconds longest_pause() const override {
    return std::max(std::chrono::ceil<std::chrono::milliseconds>(next_own_read_ - std::chrono::steady_clock::now()),
                    std::chrono::milliseconds::zero());
  }

 private:
  const config& cfg_;
  store& st_;
  live_browser mdns_seen_;
  std::mutex profiles_mutex_;
  std::shared_ptr<const profiles::profile_set> profiles_;
  std::string store_error_;    // why the last read could not be stored; empty when it was
  std::jthread reload_watch_;  // last: stopped and joined first

  std::chrono::steady_clock::time_point next_own_read_ = std::chrono::steady_clock::now();
};

}  // namespace

void run(const config& cfg, const stop_signal& stop, reload_signal* reload) {
  // Integration tests run the collector "hours later" (an outage of the
  // center without waiting for it): readings, the outbox's times and its
  // backoff follow the shifted clock. For tests only, and said so.
  std::optional<offset_clock> shifted;
  if (const char* offset = std::getenv("FLEETREG_TEST_CLOCK_OFFSET")) {
    shifted.emplace(std::chrono::seconds(std::atoll(offset)));
    log::warning(std::string("clock shifted by ") + offset + " s (FLEETREG_TEST_CLOCK_OFFSET): for tests only");
  }
  store st(cfg.state_dir, shifted ? static_cast<const clock&>(*shifted) : system_clock_source::instance(), cfg.outbox);
  const auto reg = st.registration();
  if (reg.site_id.empty()) throw error(exit_code::config, "not registered: run 'fleetreg-collector register' first");
  log::notice("reporting " + std::to_string(reg.terminals.size()) + " terminals to " + reg.center_url);
  collector_side side(cfg, st, stop, reload);
  rest_client::reporter loop(side, st.outbox(), std::chrono::duration_cast<std::chrono::seconds>(cfg.wait), stop);
  loop.run();
}

}  // namespace fleetreg::collector
