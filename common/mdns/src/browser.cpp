// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/mdns/browser.hpp"

#include <avahi-client/lookup.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cctype>

#include "avahi_ptr.hpp"
#include "connection.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::mdns {

struct browser::impl {
  impl(boost::asio::io_context& io, std::vector<std::string> t, handlers hs, bool quiet)
      : types(std::move(t)),
        h(std::move(hs)),
        conn(io, "browser", {[this](AvahiClient* c) { up(c); }, [this] { down(); }, {}}, quiet) {}

  ~impl() { down(); }

  void up(AvahiClient* c) noexcept {
    settled_types = 0;
    for (const auto& type : types) {
      detail::service_browser_ptr b(avahi_service_browser_new(c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, type.c_str(),
                                                              nullptr, AvahiLookupFlags{}, on_browse, this));
      if (b) {
        browsers.push_back(std::move(b));
      } else {
        log::warning("mDNS: cannot browse " + type + ": " + detail::avahi_error(avahi_client_errno(c)).message());
        ++settled_types;
      }
    }
    check_settled();
  }

  // The daemon went away: every browser and resolver is void now.
  void down() noexcept {
    resolvers.clear();
    browsers.clear();
    settle();  // nothing more to wait for until it is back
  }

  void settle() noexcept {
    if (settled_sent) return;
    settled_sent = true;
    if (h.settled) h.settled();
  }

  void check_settled() noexcept {
    if (settled_types >= types.size() && resolvers.empty()) settle();
  }

  static void on_browse(AvahiServiceBrowser* b, AvahiIfIndex iface, AvahiProtocol proto, AvahiBrowserEvent event,
                        const char* name, const char* type, const char* domain, AvahiLookupResultFlags,
                        void* self) noexcept {
    auto* me = static_cast<impl*>(self);
    switch (event) {
      case AVAHI_BROWSER_NEW: {
        auto* c = avahi_service_browser_get_client(b);
        if (detail::service_resolver_ptr r{avahi_service_resolver_new(
                c, iface, proto, name, type, domain, AVAHI_PROTO_UNSPEC, AvahiLookupFlags{}, on_resolve, me)})
          me->resolvers.push_back(std::move(r));
        else
          log::info("mDNS: cannot resolve " + std::string(name) + ": " +
                    detail::avahi_error(avahi_client_errno(c)).message());
        break;
      }
      case AVAHI_BROWSER_REMOVE:
        if (me->h.removed) {
          service s;
          s.name = name;
          s.type = type;
          s.domain = domain;
          me->h.removed(s);
        }
        break;
      case AVAHI_BROWSER_ALL_FOR_NOW:
        ++me->settled_types;
        me->check_settled();
        break;
      case AVAHI_BROWSER_FAILURE:
        log::warning("mDNS: browsing failed: " +
                     detail::avahi_error(avahi_client_errno(avahi_service_browser_get_client(b))).message());
        ++me->settled_types;
        me->check_settled();
        break;
      case AVAHI_BROWSER_CACHE_EXHAUSTED:
        break;
    }
  }

  static void on_resolve(AvahiServiceResolver* r, AvahiIfIndex, AvahiProtocol, AvahiResolverEvent event,
                         const char* name, const char* type, const char* domain, const char* host,
                         const AvahiAddress* address, uint16_t port, AvahiStringList* txt, AvahiLookupResultFlags,
                         void* self) noexcept {
    auto* me = static_cast<impl*>(self);
    if (event == AVAHI_RESOLVER_FOUND && address) {
      service s;
      s.name = name;
      s.type = type;
      s.domain = domain;
      s.host = host ? host : "";
      char text[AVAHI_ADDRESS_STR_MAX] = {};
      avahi_address_snprint(text, sizeof text, address);
      s.address = text;
      s.ipv6 = address->proto == AVAHI_PROTO_INET6;
      s.port = port;
      for (auto* l = txt; l; l = avahi_string_list_get_next(l)) {
        char* key = nullptr;
        char* value = nullptr;
        size_t size = 0;
        if (avahi_string_list_get_pair(l, &key, &value, &size) != 0) continue;
        const detail::avahi_string_ptr key_owner(key), value_owner(value);
        std::string k = key;
        std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
        s.txt[k] = value ? std::string(value, size) : "";
      }
      if (me->h.resolved) {
        try {
          me->h.resolved(s);
        } catch (const std::exception& e) {
          log::warning(std::string("mDNS: handling ") + name + ": " + e.what());
        }
      }
    } else if (event == AVAHI_RESOLVER_FAILURE) {
      log::info("mDNS: cannot resolve " + std::string(name) + " (" + type +
                "): " + detail::avahi_error(avahi_client_errno(avahi_service_resolver_get_client(r))).message());
    }
    // Done with this instance: freeing the resolver inside its own callback is allowed.
    std::erase_if(me->resolvers, [r](const detail::service_resolver_ptr& p) { return p.get() == r; });
    me->check_settled();
  }

  std::vector<std::string> types;
  handlers h;
  // Freed by down() (also in ~impl) while their client still exists.
  std::vector<detail::service_browser_ptr> browsers;
  std::vector<detail::service_resolver_ptr> resolvers;
  std::size_t settled_types = 0;
  bool settled_sent = false;
  detail::connection conn;  // last: destroyed first, while the rest still exists
};

browser::browser(boost::asio::io_context& io, std::vector<std::string> types, handlers h, bool quiet)
    : impl_(std::make_unique<impl>(io, std::move(types), std::move(h), quiet)) {}

browser::~browser() = default;

bool browser::connected() const { return impl_->conn.connected(); }

std::vector<service> browse_once(const std::vector<std::string>& types, std::chrono::milliseconds limit) {
  boost::asio::io_context io;
  std::vector<service> found;
  browser b(io, types, {[&](const service& s) { found.push_back(s); }, {}, [&] { io.stop(); }}, true);
  boost::asio::steady_timer deadline(io, limit);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  io.run();
  return found;
}

}  // namespace fleetreg::mdns
