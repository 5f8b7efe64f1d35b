// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/sweep.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>

#include <arpa/inet.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>

#include "fleetreg/core/log.hpp"
#include "fleetreg/snmp/handles.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/session.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::collector {
namespace {

// One outstanding peer. SNMPv3 goes probing → need_get → getting: the
// engine-ID discovery is an unauthenticated probe sent asynchronously like
// any request (Net-SNMP's own probe inside the first send would block for
// a whole timeout per silent address).
enum class phase { probing, need_get, getting, done };

struct probe {
  std::size_t index = 0;
  std::string peer;  // its name, made when the sweep reaches it
  phase state = phase::getting;
  bool answered = false;
  std::string why;  // why it did not answer (debug log)
  std::vector<u_char> engine_id;
  snmp::session_ptr session;

  void finish(bool ok, std::string text = {}) noexcept {
    if (state == phase::done) return;  // a REPORT may come twice (SEC_ERROR and RECEIVED_MESSAGE)
    state = phase::done;
    answered = ok;
    why = std::move(text);
  }
};

// Net-SNMP calls this (C) for a response, a report, a resend or a timeout;
// nothing may throw. Always returns 1 (the PDU is the library's).
int on_response(int operation, netsnmp_session*, int, netsnmp_pdu* pdu, void* magic) noexcept {
  auto* p = static_cast<probe*>(magic);
  if (operation == NETSNMP_CALLBACK_OP_RESEND) return 1;
  const bool report = pdu && pdu->command == SNMP_MSG_REPORT &&
                      (operation == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || operation == NETSNMP_CALLBACK_OP_SEC_ERROR);
  if (p->state == phase::probing) {
    if (report && pdu->securityEngineIDLen > 0) {
      p->engine_id.assign(pdu->securityEngineID, pdu->securityEngineID + pdu->securityEngineIDLen);
      p->state = phase::need_get;  // the GET goes out from the loop, not from inside the callback
    } else {
      p->finish(false, operation == NETSNMP_CALLBACK_OP_TIMED_OUT ? "timeout" : "no engine ID in the answer");
    }
    return 1;
  }
  if (p->state != phase::getting) return 1;
  if (report) {
    const int type = snmpv3_get_report_type(pdu);
    // notInTimeWindow with retries left: the library resends by itself.
    if (type == SNMPERR_NOT_IN_TIME_WINDOW && operation == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) return 1;
    p->finish(false, snmp_api_errstring(type));
  } else if (operation == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu) {
    p->finish(pdu->errstat == SNMP_ERR_NOERROR, snmp_errstring(static_cast<int>(pdu->errstat)));
  } else {
    p->finish(false, operation == NETSNMP_CALLBACK_OP_TIMED_OUT ? "timeout" : "send failed");
  }
  return 1;
}

// The identity question: serial numbers of the fleetreg MIB and the Printer-MIB.
bool send_get(probe& p) {
  snmp::pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_GET));
  const auto serial = snmp::append(snmp::terminal_mib::serial_number, {0});
  const auto prt_serial = snmp::append(snmp::printer_mib::prt_general_entry, {17, 1});
  snmp_add_null_var(pdu.get(), serial.data(), serial.size());
  snmp_add_null_var(pdu.get(), prt_serial.data(), prt_serial.size());
  p.state = phase::getting;
  std::error_code ec;
  if (snmp::async_send(p.session.get(), pdu, on_response, &p, ec)) return true;
  p.finish(false, "cannot send: " + ec.message());  // `pdu` still owns what was not sent
  return false;
}

// An unauthenticated, reportable GET without user or engine ID: the agent
// answers with a REPORT that carries its engine ID (RFC 3414 §4).
bool send_engine_probe(probe& p) {
  snmp::pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_GET));
  pdu->version = SNMP_VERSION_3;
  pdu->securityName = strdup("");  // the PDU's (freed with it); not NULL: else the session's user name is filled in
  pdu->securityNameLen = 0;
  pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
  pdu->securityModel = SNMP_SEC_MODEL_USM;
  p.state = phase::probing;
  std::error_code ec;
  if (snmp::async_send(p.session.get(), pdu, on_response, &p, ec)) return true;
  p.finish(false, "cannot send the engine-ID probe: " + ec.message());
  return false;
}

}  // namespace

std::optional<cidr_peers> cidr_peers::parse(const std::string& cidr, int port) {
  const auto slash = cidr.find('/');
  const auto addr = cidr.substr(0, slash);
  int bits = 32;
  if (slash != std::string::npos) {
    const auto b = cidr.substr(slash + 1);
    const auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc{} || ptr != b.data() + b.size() || bits < 16 || bits > 32) return std::nullopt;
  }
  in_addr a{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1) return std::nullopt;
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - bits);
  const std::uint32_t net = ntohl(a.s_addr) & mask;
  const std::uint32_t size = std::uint32_t{1} << (32 - bits);
  // Without the network and broadcast addresses, but for a /31 or /32.
  return size > 2 ? cidr_peers(net + 1, size - 2, port) : cidr_peers(net, size, port);
}

std::string cidr_peers::operator[](std::size_t i) const {
  in_addr h{htonl(first_ + static_cast<std::uint32_t>(i))};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &h, text, sizeof text);
  return "udp:" + std::string(text) + ":" + std::to_string(port_);
}

std::optional<std::vector<std::string>> expand_cidr(const std::string& cidr, int port) {
  const auto range = cidr_peers::parse(cidr, port);
  if (!range) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(range->size());
  for (std::size_t i = 0; i < range->size(); ++i) out.push_back((*range)[i]);
  return out;
}

bool peer_in_range(const std::string& peer, const std::string& cidr, int port) {
  const std::string suffix = ":" + std::to_string(port);
  if (!peer.starts_with("udp:") || !peer.ends_with(suffix)) return false;
  const auto host = peer.substr(4, peer.size() - 4 - suffix.size());
  const auto slash = cidr.find('/');
  int bits = 32;
  if (slash != std::string::npos) {
    const auto b = cidr.substr(slash + 1);
    const auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc{} || ptr != b.data() + b.size() || bits < 16 || bits > 32) return false;
  }
  in_addr a{}, net{};
  if (inet_pton(AF_INET, host.c_str(), &a) != 1 || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1)
    return false;
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - bits);
  const std::uint32_t h = ntohl(a.s_addr), n = ntohl(net.s_addr) & mask;
  if ((h & mask) != n) return false;
  const std::uint32_t size = std::uint32_t{1} << (32 - bits);
  return size <= 2 || (h != n && h != n + size - 1);  // as expand_cidr: without network and broadcast
}

namespace {

// The sweep on a Boost.Asio io_context: each session's socket is watched with
// async_wait (Net-SNMP then reads it), and its next retransmission or timeout
// (snmp_sess_select_info) is a steady_timer that calls snmp_sess_timeout.
class sweeper {
 public:
  sweeper(std::size_t count, const std::function<std::string(std::size_t)>& peer_at, const snmp::session_options& base,
          std::size_t concurrency, const sweep_progress& progress)
      : count_(count), peer_at_(peer_at), base_(base), tmpl_(base), concurrency_(concurrency), progress_(progress) {}

  std::vector<std::string> run() {
    fill();
    io_.run();
    std::sort(answered_list_.begin(), answered_list_.end());
    std::vector<std::string> out;
    out.reserve(answered_list_.size());
    for (auto& [index, peer] : answered_list_) out.push_back(std::move(peer));
    return out;
  }

 private:
  struct watch {
    explicit watch(boost::asio::io_context& io) : timer(io) {}
    std::unique_ptr<boost::asio::posix::stream_descriptor> socket;
    boost::asio::steady_timer timer;
    unsigned generation = 0;
  };

  // Starts peers up to the concurrency; a peer without a name is done at once.
  void fill() {
    while (next_ < count_ && active_ < concurrency_) {
      const auto i = next_++;
      auto name = peer_at_(i);
      if (name.empty()) {
        ++finished_;
        if (progress_) progress_(finished_, count_, answered_);
        continue;
      }
      start(i, std::move(name));
    }
  }

  void start(std::size_t i, std::string name) {
    auto& p = probes_[i];  // a map node: its address is stable while it is outstanding
    p.index = i;
    p.peer = std::move(name);
    ++active_;
    watches_.emplace(i, std::make_unique<watch>(io_));
    auto s = tmpl_.copy();
    s.peername = const_cast<char*>(p.peer.c_str());
    s.flags |= SNMP_FLAGS_DONT_PROBE;
    p.session.reset(snmp_sess_open(&s));
    if (!p.session) {
      p.finish(false, "cannot open a session");
    } else if (base_.version != snmp::snmp_version::v3) {
      send_get(p);
    } else {
      // Opening clears DONT_PROBE again; without it the first send would run
      // Net-SNMP's synchronous engine-ID probe.
      snmp_sess_session(p.session.get())->flags |= SNMP_FLAGS_DONT_PROBE;
      send_engine_probe(p);
    }
    step(p);
  }

  // After anything happened to a probe: go on with it, or retire it.
  void step(probe& p) {
    if (p.state == phase::need_get) {
      // The engine ID is in the session now: create the USM user with keys
      // localized to it, then ask the real question.
      usm_create_user_from_session(snmp_sess_session(p.session.get()));
      send_get(p);
    }
    if (p.state == phase::done) return retire(p);
    arm(p);
  }

  void arm(probe& p) {
    auto& w = *watches_.at(p.index);
    const unsigned generation = ++w.generation;
    if (!w.socket) {
      auto* transport = snmp_sess_transport(p.session.get());
      w.socket = std::make_unique<boost::asio::posix::stream_descriptor>(io_, transport->sock);
    }
    w.socket->cancel();
    w.socket->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this, &p, &w, generation](const boost::system::error_code& ec) {
                           if (ec || generation != w.generation) return;
                           // Descriptors may pass FD_SETSIZE with hundreds of sessions.
                           const int fd = w.socket->native_handle();
                           netsnmp_large_fd_set fds;
                           netsnmp_large_fd_set_init(&fds, fd + 1);
                           NETSNMP_LARGE_FD_SET(fd, &fds);
                           snmp_sess_read2(p.session.get(), &fds);
                           netsnmp_large_fd_set_cleanup(&fds);
                           step(p);
                         });
    int n = 0, block = 1;
    netsnmp_large_fd_set unused;
    netsnmp_large_fd_set_init(&unused, FD_SETSIZE);
    timeval tv{0, 0};
    snmp_sess_select_info2(p.session.get(), &n, &unused, &tv, &block);
    netsnmp_large_fd_set_cleanup(&unused);
    w.timer.cancel();
    if (block) return;  // nothing outstanding to time out
    w.timer.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    w.timer.async_wait([this, &p, &w, generation](const boost::system::error_code& ec) {
      if (ec || generation != w.generation) return;
      snmp_sess_timeout(p.session.get());  // retransmit, or report the timeout
      step(p);
    });
  }

  void retire(probe& p) {
    if (!p.answered) {
      log::debug("sweep", p.peer + ": " + p.why);
      // A user whose keys did not fit would stay in the process-wide USM cache.
      if (base_.version == snmp::snmp_version::v3 && p.why != "timeout")
        snmp::forget_usm_user(p.engine_id.data(), p.engine_id.size(), base_.user);
    }
    if (auto it = watches_.find(p.index); it != watches_.end()) {
      auto& w = *it->second;
      ++w.generation;
      w.timer.cancel();
      if (w.socket) {
        w.socket->cancel();
        w.socket->release();  // the descriptor is Net-SNMP's to close
      }
      // Completions already queued still refer to the watch: free it after them.
      boost::asio::post(io_, [w = std::move(it->second)] {});
      watches_.erase(it);
    }
    p.session.reset();
    --active_;
    ++finished_;
    if (p.answered) {
      ++answered_;
      answered_list_.emplace_back(p.index, std::move(p.peer));
    }
    // Completions still queued for it check their watch's generation first
    // and never reach it.
    const auto index = p.index;
    probes_.erase(index);
    if (progress_) progress_(finished_, count_, answered_);
    // From the loop, not recursively: a run of failing peers must not nest.
    boost::asio::post(io_, [this] { fill(); });
  }

  std::size_t count_;
  const std::function<std::string(std::size_t)>& peer_at_;
  const snmp::session_options& base_;
  const snmp::session_template tmpl_;                               // v3 keys derived once for every peer
  std::map<std::size_t, probe> probes_;                             // the outstanding ones: a /16 is 65,534 peers
  std::vector<std::pair<std::size_t, std::string>> answered_list_;  // index, peer
  std::size_t concurrency_;
  const sweep_progress& progress_;
  boost::asio::io_context io_;
  std::map<std::size_t, std::unique_ptr<watch>> watches_;
  std::size_t next_ = 0, active_ = 0, finished_ = 0, answered_ = 0;
};

// As many outstanding peers as descriptors allow: the soft limit raised
// towards the hard one (systemd's default soft limit is 1024), with room
// kept for the process's other descriptors.
std::size_t fit_to_descriptors(std::size_t concurrency) {
  constexpr rlim_t reserve = 64;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return concurrency;
  const rlim_t wanted = static_cast<rlim_t>(concurrency) + reserve;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < wanted) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, lim.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= wanted) return concurrency;
  const auto fits = static_cast<std::size_t>(lim.rlim_cur > 2 * reserve ? lim.rlim_cur - reserve : reserve);
  log::warning("sweep: " + std::to_string(concurrency) + " peers at once need " + std::to_string(wanted) +
               " descriptors, the limit is " + std::to_string(lim.rlim_cur) + ": asking " + std::to_string(fits) +
               " at once");
  return fits;
}

}  // namespace

std::vector<std::string> sweep(std::size_t count, const std::function<std::string(std::size_t)>& peer_at,
                               const snmp::session_options& base, std::size_t concurrency,
                               const sweep_progress& progress) {
  concurrency = std::clamp<std::size_t>(concurrency, 1, max_sweep_concurrency);
  concurrency = std::min(concurrency, std::max<std::size_t>(count, 1));
  concurrency = fit_to_descriptors(concurrency);
  return sweeper(count, peer_at, base, concurrency, progress).run();
}

std::vector<std::string> sweep(const std::vector<std::string>& peers, const snmp::session_options& base,
                               std::size_t concurrency, const sweep_progress& progress) {
  return sweep(
      peers.size(), [&](std::size_t i) { return peers[i]; }, base, concurrency, progress);
}

}  // namespace fleetreg::collector
