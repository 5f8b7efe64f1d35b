// SPDX-License-Identifier: Apache-2.0
#include "asio_poll.hpp"

#include <avahi-common/error.h>
#include <sys/time.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "fleetreg/core/log.hpp"

namespace asio = boost::asio;

namespace {

// Shared with the completion handlers, which may run after Avahi freed the
// watch: `generation` tells a stale completion from a current one.
struct watch_state {
  watch_state(asio::io_context& io, int descriptor) : sd(io, descriptor), fd(descriptor) {}
  asio::posix::stream_descriptor sd;
  int fd = -1;
  AvahiWatchEvent events{};
  AvahiWatchEvent revents{};
  AvahiWatchCallback callback = nullptr;
  void* userdata = nullptr;
  AvahiWatch* self = nullptr;
  unsigned generation = 0;
  bool dead = false;
};

struct timeout_state {
  explicit timeout_state(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  AvahiTimeoutCallback callback = nullptr;
  void* userdata = nullptr;
  AvahiTimeout* self = nullptr;
  unsigned generation = 0;
  bool dead = false;
};

}  // namespace

// Avahi declares these as opaque structs in the global namespace.
struct AvahiWatch {
  std::shared_ptr<watch_state> s;
};
struct AvahiTimeout {
  std::shared_ptr<timeout_state> s;
};

namespace fleetreg::mdns::detail {
namespace {

asio::io_context& io_of(const AvahiPoll* api) { return *static_cast<asio::io_context*>(api->userdata); }

void arm(const std::shared_ptr<watch_state>& s);

void arm_one(const std::shared_ptr<watch_state>& s, AvahiWatchEvent event) {
  const auto wait = event == AVAHI_WATCH_IN ? asio::posix::stream_descriptor::wait_read
                                            : asio::posix::stream_descriptor::wait_write;
  s->sd.async_wait(wait, [s, event, g = s->generation](const boost::system::error_code& ec) {
    if (ec || s->dead || g != s->generation) return;
    // Re-arm first (a new generation): the callback may update or free the watch.
    s->revents = event;
    arm(s);
    s->callback(s->self, s->fd, event, s->userdata);
  });
}

void arm(const std::shared_ptr<watch_state>& s) {
  ++s->generation;
  s->sd.cancel();
  if (s->events & AVAHI_WATCH_IN) arm_one(s, AVAHI_WATCH_IN);
  if (s->events & AVAHI_WATCH_OUT) arm_one(s, AVAHI_WATCH_OUT);
}

AvahiWatch* watch_new(const AvahiPoll* api, int fd, AvahiWatchEvent event, AvahiWatchCallback callback,
                      void* userdata) {
  auto* w = new AvahiWatch{std::make_shared<watch_state>(io_of(api), fd)};
  w->s->fd = fd;
  w->s->events = event;
  w->s->callback = callback;
  w->s->userdata = userdata;
  w->s->self = w;
  arm(w->s);
  return w;
}

void watch_update(AvahiWatch* w, AvahiWatchEvent event) {
  w->s->events = event;
  arm(w->s);
}

AvahiWatchEvent watch_get_events(AvahiWatch* w) { return w->s->revents; }

void watch_free(AvahiWatch* w) {
  w->s->dead = true;
  ++w->s->generation;
  w->s->sd.cancel();
  w->s->sd.release();  // the descriptor is Avahi's (D-Bus's) to close
  delete w;
}

void timeout_set(const std::shared_ptr<timeout_state>& s, const struct timeval* tv) {
  ++s->generation;
  s->timer.cancel();
  if (!tv) return;  // disabled
  timeval now{};
  ::gettimeofday(&now, nullptr);
  const long long us =
      (static_cast<long long>(tv->tv_sec) - now.tv_sec) * 1000000LL + (static_cast<long long>(tv->tv_usec) - now.tv_usec);
  s->timer.expires_after(std::chrono::microseconds(us > 0 ? us : 0));
  s->timer.async_wait([s, g = s->generation](const boost::system::error_code& ec) {
    if (ec || s->dead || g != s->generation) return;
    s->callback(s->self, s->userdata);
  });
}

AvahiTimeout* timeout_new(const AvahiPoll* api, const struct timeval* tv, AvahiTimeoutCallback callback,
                          void* userdata) {
  auto* t = new AvahiTimeout{std::make_shared<timeout_state>(io_of(api))};
  t->s->callback = callback;
  t->s->userdata = userdata;
  t->s->self = t;
  timeout_set(t->s, tv);
  return t;
}

void timeout_update(AvahiTimeout* t, const struct timeval* tv) { timeout_set(t->s, tv); }

void timeout_free(AvahiTimeout* t) {
  t->s->dead = true;
  ++t->s->generation;
  t->s->timer.cancel();
  delete t;
}

}  // namespace

asio_poll::asio_poll(asio::io_context& io) : io_(io) {
  api_.userdata = &io;
  api_.watch_new = watch_new;
  api_.watch_update = watch_update;
  api_.watch_get_events = watch_get_events;
  api_.watch_free = watch_free;
  api_.timeout_new = timeout_new;
  api_.timeout_update = timeout_update;
  api_.timeout_free = timeout_free;
}

connection::connection(asio::io_context& io, std::string what, handlers h, bool quiet)
    : poll_(io), what_(std::move(what)), h_(std::move(h)), quiet_(quiet), retry_(io) {
  open();
}

void connection::say(bool warning, const std::string& text) const noexcept {
  const auto line = "mDNS (" + what_ + "): " + text;
  if (quiet_) log::debug("mdns", line);
  else if (warning) log::warning(line);
  else log::notice(line);
}

connection::~connection() {
  retry_.cancel();
  if (client_) avahi_client_free(client_);
}

void connection::open() noexcept {
  int err = 0;
  // AVAHI_CLIENT_NO_FAIL: wait for an absent daemon, reconnect after a restart.
  client_ = avahi_client_new(poll_.api(), AVAHI_CLIENT_NO_FAIL, on_state, this, &err);
  if (client_) return;
  if (!said_unavailable_)
    say(true, std::string("cannot reach avahi-daemon over D-Bus: ") + avahi_strerror(err) + "; retrying every 5 s");
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
    if (client_) avahi_client_free(client_);
    client_ = nullptr;
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
      if (connected_ || !said_unavailable_)
        say(true, "avahi-daemon is not running; waiting for it");
      said_unavailable_ = true;
      connected_ = false;
      if (h_.down) h_.down();
      break;
    case AVAHI_CLIENT_FAILURE:
      say(true, std::string("avahi client failed: ") + avahi_strerror(avahi_client_errno(c)) + "; reconnecting");
      said_unavailable_ = true;
      connected_ = false;
      if (h_.down) h_.down();
      close_later();
      break;
  }
}

}  // namespace fleetreg::mdns::detail
