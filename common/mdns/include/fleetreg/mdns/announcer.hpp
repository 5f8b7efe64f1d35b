// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace fleetreg::mdns {

/// What a terminal host announces: its own host name with an address record,
/// and one service instance on that host.
struct announcement {
  std::string host_name;  ///< "term1" or "term1.local"; empty = the avahi-daemon's host
  std::string address;    ///< numeric IPv4/IPv6 published for host_name (required with host_name)
  std::string name;       ///< instance name; renamed on conflict ("name #2")
  std::string type;       ///< "_fleetreg._udp"
  std::uint16_t port = 161;
  std::map<std::string, std::string> txt;
};

/// Keeps an announcement published while the io_context runs: through
/// avahi-daemon restarts and name conflicts (the instance gets an
/// alternative name). Never throws for an absent daemon; `state` reports
/// "established <name>" or why it is not.
class announcer {
 public:
  announcer(boost::asio::io_context& io, announcement a, std::function<void(const std::string&)> state = {});
  ~announcer();
  announcer(const announcer&) = delete;
  announcer& operator=(const announcer&) = delete;

  bool established() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fleetreg::mdns
