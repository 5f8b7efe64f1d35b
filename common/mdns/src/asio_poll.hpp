// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <avahi-client/client.h>
#include <avahi-common/watch.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>

namespace fleetreg::mdns::detail {

/// Avahi's poll API (watches on file descriptors, timeouts) implemented on a
/// Boost.Asio io_context, so Avahi runs on the caller's event loop instead of
/// a thread of its own. Every callback runs on the io_context's thread.
class asio_poll {
 public:
  explicit asio_poll(boost::asio::io_context& io);
  asio_poll(const asio_poll&) = delete;
  asio_poll& operator=(const asio_poll&) = delete;
  const AvahiPoll* api() const { return &api_; }
  boost::asio::io_context& io() const { return io_; }

 private:
  AvahiPoll api_{};
  boost::asio::io_context& io_;
};

/// One AvahiClient that stays connected: created with AVAHI_CLIENT_NO_FAIL so
/// it waits for an absent daemon and reconnects after a restart; recreated
/// after a hard failure (the D-Bus bus itself gone) every few seconds.
/// `up` runs when the daemon is usable (create browsers/groups there),
/// `down` when the objects made in `up` became invalid (free them there).
class connection {
 public:
  struct handlers {
    std::function<void(AvahiClient*)> up;
    std::function<void()> down;
    std::function<void(AvahiClient*, AvahiClientState)> state;  ///< every state change (optional)
  };
  /// `quiet`: availability changes go to the debug log (one-shot browses).
  connection(boost::asio::io_context& io, std::string what, handlers h, bool quiet = false);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  bool connected() const { return connected_; }
  AvahiClient* client() const { return client_; }

 private:
  static void on_state(AvahiClient* c, AvahiClientState state, void* self) noexcept;
  void state_changed(AvahiClient* c, AvahiClientState state) noexcept;
  void open() noexcept;
  void close_later() noexcept;
  void say(bool warning, const std::string& text) const noexcept;

  asio_poll poll_;
  std::string what_;
  handlers h_;
  AvahiClient* client_ = nullptr;
  bool connected_ = false;
  bool said_unavailable_ = false;
  bool quiet_ = false;
  boost::asio::steady_timer retry_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace fleetreg::mdns::detail
