// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fleetreg/mdns/service.hpp"

namespace boost::asio {
class io_context;
}

namespace fleetreg::mdns {

/// Browses service types and resolves every instance, on the given
/// io_context (one thread). Connects to avahi-daemon over the D-Bus system
/// bus (DBUS_SYSTEM_BUS_ADDRESS); when the daemon is absent or restarts it
/// waits for it and browses again, logging the change once. Callbacks run on
/// the io_context's thread.
class browser {
 public:
  struct handlers {
    std::function<void(const service&)> resolved;  ///< an instance found (again after a restart)
    /// An instance went away (name, type, domain; host and address empty).
    std::function<void(const service&)> removed;
    /// Every type has reported its initial answers (Avahi's ALL_FOR_NOW), or
    /// the daemon is not available: a one-shot browse can stop waiting.
    std::function<void()> settled;
  };
  /// Starts browsing `types` at once. Never throws for an absent daemon.
  /// `quiet`: the daemon's absence goes to the debug log ("mdns"), not as a warning.
  browser(boost::asio::io_context& io, std::vector<std::string> types, handlers h, bool quiet = false);
  ~browser();
  browser(const browser&) = delete;
  browser& operator=(const browser&) = delete;

  /// True while connected to a running avahi-daemon.
  bool connected() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One-shot browse: runs a private io_context until every type settled and
/// every resolver answered, or `limit` passed. Returns the resolved
/// instances (empty when avahi-daemon is not reachable; said in the debug log).
std::vector<service> browse_once(const std::vector<std::string>& types, std::chrono::milliseconds limit);

}  // namespace fleetreg::mdns
