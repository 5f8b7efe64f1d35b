// SPDX-License-Identifier: Apache-2.0
#include "connection.hpp"

#include <boost/asio/post.hpp>

#include "fleetreg/core/log.hpp"

namespace asio = boost::asio;

namespace fleetreg::mdns::detail {

connection::connection(asio::io_context& io, std::string what, handlers h, bool quiet)
    : poll_(io), what_(std::move(what)), h_(std::move(h)), quiet_(quiet), retry_(io) {
  open();
}

void connection::say(bool warning, const std::string& text) const noexcept {
  const auto line = "mDNS (" + what_ + "): " + text;
  if (quiet_)
    log::debug("mdns", line);
  else if (warning)
    log::warning(line);
  else
    log::notice(line);
}

connection::~connection() { retry_.cancel(); }

void connection::open() noexcept {
  int err = 0;
  // AVAHI_CLIENT_NO_FAIL: wait for an absent daemon, reconnect after a restart.
  // The state callback may run inside avahi_client_new, before client_ is set.
  client_.reset(avahi_client_new(poll_.api(), AVAHI_CLIENT_NO_FAIL, on_state, this, &err));
  if (client_) return;
  if (!said_unavailable_)
    say(true, "cannot reach avahi-daemon over D-Bus: " + avahi_error(err).message() + "; retrying every 5 s");
  said_unavailable_ = true;
  if (h_.down) h_.down();
  retry_.expires_after(std::chrono::seconds(5));
  retry_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (!ec && alive.lock()) open();
  });
}

// Freeing a client inside its own callback is not allowed: do it from the loop.
void connection::close_later() noexcept {
  asio::post(poll_.io(), [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.lock()) return;
    client_.reset();
    retry_.expires_after(std::chrono::seconds(1));
    retry_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (!ec && alive.lock()) open();
    });
  });
}

void connection::on_state(AvahiClient* c, AvahiClientState state, void* self) noexcept {
  static_cast<connection*>(self)->state_changed(c, state);
}

void connection::state_changed(AvahiClient* c, AvahiClientState state) noexcept {
  if (h_.state) h_.state(c, state);
  switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
    case AVAHI_CLIENT_S_REGISTERING:
    case AVAHI_CLIENT_S_COLLISION:
      if (!connected_) {
        connected_ = true;
        if (said_unavailable_) say(false, "connected to avahi-daemon");
        said_unavailable_ = false;
        if (h_.up) h_.up(c);
      }
      break;
    case AVAHI_CLIENT_CONNECTING:
      if (connected_ || !said_unavailable_) say(true, "avahi-daemon is not running; waiting for it");
      said_unavailable_ = true;
      connected_ = false;
      if (h_.down) h_.down();
      break;
    case AVAHI_CLIENT_FAILURE:
      say(true, "avahi client failed: " + avahi_error(avahi_client_errno(c)).message() + "; reconnecting");
      said_unavailable_ = true;
      connected_ = false;
      if (h_.down) h_.down();
      close_later();
      break;
  }
}

}  // namespace fleetreg::mdns::detail
