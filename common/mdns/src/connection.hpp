// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <avahi-client/client.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>

#include "asio_poll.hpp"
#include "avahi_ptr.hpp"

namespace fleetreg::mdns::detail {

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
  /// True while the daemon is usable (between `up` and `down`).
  bool connected() const { return connected_; }
  /// The client (nullptr while none exists); the connection owns it.
  AvahiClient* client() const { return client_.get(); }

 private:
  static void on_state(AvahiClient* c, AvahiClientState state, void* self) noexcept;
  void state_changed(AvahiClient* c, AvahiClientState state) noexcept;
  void open() noexcept;
  void close_later() noexcept;
  void say(bool warning, const std::string& text) const noexcept;

  asio_poll poll_;
  std::string what_;
  handlers h_;
  client_ptr client_;
  bool connected_ = false;
  bool said_unavailable_ = false;
  bool quiet_ = false;
  boost::asio::steady_timer retry_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace fleetreg::mdns::detail
