// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/collector/sweep.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>

#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"

namespace fleetreg::collector {
namespace {

struct session_closer {
  void operator()(void* s) const noexcept { snmp_sess_close(s); }
};

// One outstanding probe.
struct probe {
  std::size_t index = 0;
  bool done = false;
  bool answered = false;
  std::unique_ptr<void, session_closer> session;
};

// Net-SNMP calls this (C) for a response or a timeout; nothing may throw.
int on_response(int operation, netsnmp_session*, int, netsnmp_pdu* pdu, void* magic) noexcept {
  auto* p = static_cast<probe*>(magic);
  p->done = true;
  p->answered = operation == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu && pdu->errstat == SNMP_ERR_NOERROR;
  return 1;
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
  snmp::init_client_library("fleetreg");
  std::vector<probe> probes(peers.size());
  concurrency = std::max<std::size_t>(1, std::min<std::size_t>(concurrency, 512));
  std::size_t next = 0, finished = 0;
  std::map<std::size_t, probe*> active;

  auto start_one = [&](std::size_t i) {
    auto& p = probes[i];
    p.index = i;
    netsnmp_session s;
    snmp_sess_init(&s);
    s.peername = const_cast<char*>(peers[i].c_str());
    s.version = SNMP_VERSION_2c;
    s.community = reinterpret_cast<u_char*>(const_cast<char*>(base.community.c_str()));
    s.community_len = base.community.size();
    s.timeout = static_cast<long>(base.timeout.count()) * 1000;
    s.retries = base.retries;
    s.callback = on_response;
    s.callback_magic = &p;
    p.session.reset(snmp_sess_open(&s));
    netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
    const auto serial = snmp::append(snmp::terminal_mib::serial_number, {0});
    const auto prt_serial = snmp::append(snmp::printer_mib::prt_general_entry, {17, 1});
    snmp_add_null_var(pdu, serial.data(), serial.size());
    snmp_add_null_var(pdu, prt_serial.data(), prt_serial.size());
    if (!p.session || snmp_sess_async_send(p.session.get(), pdu, on_response, &p) == 0) {
      snmp_free_pdu(pdu);  // not sent: still ours
      p.done = true;
    }
    active[i] = &p;
  };

  while (finished < peers.size()) {
    while (next < peers.size() && active.size() < concurrency) start_one(next++);
    // One select over every outstanding session; at most FD_SETSIZE of them
    // (concurrency is capped below), so a plain fd_set is enough.
    fd_set fds;
    FD_ZERO(&fds);
    int maxfd = 0;
    timeval tv{1, 0};
    for (auto& [i, p] : active) {
      if (p->done) continue;
      int n = 0, b = 1;
      timeval t{0, 0};
      snmp_sess_select_info(p->session.get(), &n, &fds, &t, &b);
      maxfd = std::max(maxfd, n);
      if (!b && (t.tv_sec < tv.tv_sec || (t.tv_sec == tv.tv_sec && t.tv_usec < tv.tv_usec))) tv = t;
    }
    if (maxfd > 0) {
      fd_set ready = fds;
      if (select(maxfd, &ready, nullptr, nullptr, &tv) > 0)
        for (auto& [i, p] : active)
          if (!p->done) snmp_sess_read(p->session.get(), &ready);
    }
    // Retransmissions and timeouts (each session checks its own clock).
    for (auto& [i, p] : active)
      if (!p->done) snmp_sess_timeout(p->session.get());
    for (auto it = active.begin(); it != active.end();) {
      if (it->second->done) {
        it->second->session.reset();
        it = active.erase(it);
        ++finished;
        if (progress) progress(finished, peers.size());
      } else {
        ++it;
      }
    }
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < peers.size(); ++i)
    if (probes[i].answered) out.push_back(peers[i]);
  return out;
}

}  // namespace fleetreg::collector
