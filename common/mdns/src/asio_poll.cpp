// SPDX-License-Identifier: Apache-2.0
#include "asio_poll.hpp"

#include <sys/time.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

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
  const auto wait =
      event == AVAHI_WATCH_IN ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write;
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
  const long long us = (static_cast<long long>(tv->tv_sec) - now.tv_sec) * 1000000LL +
                       (static_cast<long long>(tv->tv_usec) - now.tv_usec);
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

}  // namespace fleetreg::mdns::detail
