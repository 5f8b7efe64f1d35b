// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <avahi-common/watch.h>

#include <boost/asio/io_context.hpp>

namespace fleetreg::mdns::detail {

/// Avahi's poll API (watches on file descriptors, timeouts) implemented on a
/// Boost.Asio io_context, so Avahi runs on the caller's event loop instead of
/// a thread of its own. Every callback runs on the io_context's thread.
class asio_poll {
 public:
  explicit asio_poll(boost::asio::io_context& io);
  asio_poll(const asio_poll&) = delete;
  asio_poll& operator=(const asio_poll&) = delete;
  /// The vtable to pass to avahi_client_new; valid while this object lives.
  const AvahiPoll* api() const { return &api_; }
  /// The loop every callback runs on.
  boost::asio::io_context& io() const { return io_; }

 private:
  AvahiPoll api_{};
  boost::asio::io_context& io_;
};

}  // namespace fleetreg::mdns::detail
