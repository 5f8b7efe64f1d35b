// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/sweep.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/library/snmpusm.h>

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>

#include "fleetreg/core/log.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/session.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::collector {
namespace {

struct session_closer {
  void operator()(void* s) const noexcept { snmp_sess_close(s); }
};

// One outstanding peer. SNMPv3 goes probing → need_get → getting: the
// engine-ID discovery is an unauthenticated probe sent asynchronously like
// any request (Net-SNMP's own probe inside the first send would block for
// a whole timeout per silent address).
enum class phase { probing, need_get, getting, done };

struct probe {
  std::size_t index = 0;
  phase state = phase::getting;
  bool answered = false;
  std::string why;  // why it did not answer (debug log)
  std::vector<u_char> engine_id;
  std::unique_ptr<void, session_closer> session;

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
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  const auto serial = snmp::append(snmp::terminal_mib::serial_number, {0});
  const auto prt_serial = snmp::append(snmp::printer_mib::prt_general_entry, {17, 1});
  snmp_add_null_var(pdu, serial.data(), serial.size());
  snmp_add_null_var(pdu, prt_serial.data(), prt_serial.size());
  p.state = phase::getting;
  if (snmp_sess_async_send(p.session.get(), pdu, on_response, &p) != 0) return true;
  snmp_free_pdu(pdu);  // not sent: still ours
  p.finish(false, "cannot send");
  return false;
}

// An unauthenticated, reportable GET without user or engine ID: the agent
// answers with a REPORT that carries its engine ID (RFC 3414 §4).
bool send_engine_probe(probe& p) {
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  pdu->version = SNMP_VERSION_3;
  pdu->securityName = strdup("");  // not NULL: else the session's user name is filled in
  pdu->securityNameLen = 0;
  pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
  pdu->securityModel = SNMP_SEC_MODEL_USM;
  p.state = phase::probing;
  if (snmp_sess_async_send(p.session.get(), pdu, on_response, &p) != 0) return true;
  snmp_free_pdu(pdu);
  p.finish(false, "cannot send the engine-ID probe");
  return false;
}

}  // namespace

std::optional<std::vector<std::string>> expand_cidr(const std::string& cidr, int port) {
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
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  const std::uint32_t net = ntohl(a.s_addr) & mask;
  const std::uint32_t size = std::uint32_t{1} << (32 - bits);
  std::vector<std::string> out;
  const std::uint32_t first = size > 2 ? 1 : 0, last = size > 2 ? size - 2 : size - 1;
  for (std::uint32_t i = first; i <= last; ++i) {
    in_addr h{htonl(net + i)};
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &h, text, sizeof text);
    out.push_back("udp:" + std::string(text) + ":" + std::to_string(port));
  }
  return out;
}

std::vector<std::string> sweep(const std::vector<std::string>& peers, const snmp::session_options& base,
                               std::size_t concurrency,
                               const std::function<void(std::size_t done, std::size_t total)>& progress) {
  const snmp::session_template tmpl(base);  // v3 keys derived once for every peer
  const bool v3 = base.version == snmp::snmp_version::v3;
  std::vector<probe> probes(peers.size());
  concurrency = std::max<std::size_t>(1, std::min<std::size_t>(concurrency, 512));
  std::size_t next = 0, finished = 0;
  std::map<std::size_t, probe*> active;

  auto start_one = [&](std::size_t i) {
    auto& p = probes[i];
    p.index = i;
    active[i] = &p;
    auto s = tmpl.copy();
    s.peername = const_cast<char*>(peers[i].c_str());
    s.flags |= SNMP_FLAGS_DONT_PROBE;
    p.session.reset(snmp_sess_open(&s));
    if (!p.session) return p.finish(false, "cannot open a session");
    if (!v3) {
      send_get(p);
      return;
    }
    // Opening clears DONT_PROBE again; without it the first send would run
    // Net-SNMP's synchronous engine-ID probe.
    snmp_sess_session(p.session.get())->flags |= SNMP_FLAGS_DONT_PROBE;
    send_engine_probe(p);
  };

  while (finished < peers.size()) {
    while (next < peers.size() && active.size() < concurrency) start_one(next++);
    // One select over every outstanding session; at most 512 of them (below
    // FD_SETSIZE), so a plain fd_set is enough. Each session's own
    // block/timeout is asked separately (the call overwrites them).
    fd_set fds;
    FD_ZERO(&fds);
    int maxfd = 0;
    timeval tv{1, 0};
    for (auto& [i, p] : active) {
      if (p->state == phase::done || p->state == phase::need_get) continue;
      int n = 0, block = 1;
      timeval t{0, 0};
      snmp_sess_select_info(p->session.get(), &n, &fds, &t, &block);
      maxfd = std::max(maxfd, n);
      if (!block && (t.tv_sec < tv.tv_sec || (t.tv_sec == tv.tv_sec && t.tv_usec < tv.tv_usec))) tv = t;
    }
    if (maxfd > 0) {
      fd_set ready = fds;
      if (select(maxfd, &ready, nullptr, nullptr, &tv) > 0)
        for (auto& [i, p] : active)
          if (p->state != phase::done && p->state != phase::need_get) snmp_sess_read(p->session.get(), &ready);
    }
    for (auto& [i, p] : active) {
      if (p->state == phase::need_get) {
        // The engine ID is in the session now: create the USM user with
        // keys localized to it, then ask the real question.
        usm_create_user_from_session(snmp_sess_session(p->session.get()));
        send_get(*p);
      } else if (p->state != phase::done) {
        snmp_sess_timeout(p->session.get());  // retransmissions and timeouts
      }
    }
    for (auto it = active.begin(); it != active.end();) {
      auto* p = it->second;
      if (p->state != phase::done) {
        ++it;
        continue;
      }
      if (!p->answered) {
        log::debug("sweep", peers[p->index] + ": " + p->why);
        // A user whose keys did not fit would stay cached for this engine.
        if (v3 && !p->engine_id.empty() && p->why != "timeout")
          if (auto* u = usm_get_user(p->engine_id.data(), p->engine_id.size(), base.user.c_str()); u && u->engineIDLen) {
            usm_remove_user(u);
            usm_free_user(u);
          }
      }
      p->session.reset();
      it = active.erase(it);
      ++finished;
      if (progress) progress(finished, peers.size());
    }
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < peers.size(); ++i)
    if (probes[i].answered) out.push_back(peers[i]);
  return out;
}

}  // namespace fleetreg::collector
