// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/mdns/announcer.hpp"

#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>

#include <boost/asio/io_context.hpp>

#include "avahi_ptr.hpp"
#include "connection.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::mdns {

struct announcer::impl {
  impl(boost::asio::io_context& io, announcement an, std::function<void(const std::string&)> st)
      : a(std::move(an)),
        state(std::move(st)),
        conn(io, "announcer",
             {[this](AvahiClient* c) { publish(c); }, [this] { withdraw(); },
              [this](AvahiClient*, AvahiClientState s) {
                // Our host name collided or the daemon re-registers: start over.
                if (s == AVAHI_CLIENT_S_COLLISION || s == AVAHI_CLIENT_S_REGISTERING) withdraw();
              }}) {}

  ~impl() { withdraw(); }

  std::string fqdn() const {
    if (a.host_name.empty() || a.host_name.find('.') != std::string::npos) return a.host_name;
    return a.host_name + ".local";
  }

  void report(const std::string& text) {
    if (state) state(text);
  }

  void publish(AvahiClient* c) noexcept {
    if (group) return;
    group.reset(avahi_entry_group_new(c, on_group, this));
    if (!group) return fail(c, "cannot create an entry group");
    const auto host = fqdn();
    int err = 0;
    if (!host.empty()) {
      AvahiAddress addr{};
      if (!avahi_address_parse(a.address.c_str(), AVAHI_PROTO_UNSPEC, &addr))
        return fail(c, "'" + a.address + "' is not a numeric address");
      err = avahi_entry_group_add_address(group.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags{},
                                          host.c_str(), &addr);
      if (err < 0)
        return fail(c, "cannot publish " + host + " → " + a.address + ": " + detail::avahi_error(err).message());
    }
    detail::string_list_ptr txt;
    for (const auto& [k, v] : a.txt) txt.reset(avahi_string_list_add_pair(txt.release(), k.c_str(), v.c_str()));
    err = avahi_entry_group_add_service_strlst(group.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags{},
                                               a.name.c_str(), a.type.c_str(), nullptr,
                                               host.empty() ? nullptr : host.c_str(), a.port, txt.get());
    if (err == AVAHI_ERR_COLLISION) return rename(c);
    if (err < 0) return fail(c, "cannot publish " + a.type + ": " + detail::avahi_error(err).message());
    if ((err = avahi_entry_group_commit(group.get())) < 0)
      return fail(c, "cannot commit: " + detail::avahi_error(err).message());
  }

  void fail(AvahiClient*, const std::string& why) noexcept {
    log::warning("mDNS: " + why);
    report(why);
    established_ = false;
  }

  void rename(AvahiClient* c) noexcept {
    const detail::avahi_string_ptr alt(avahi_alternative_service_name(a.name.c_str()));
    log::notice("mDNS: the name '" + a.name + "' is taken; announcing as '" + alt.get() + "'");
    a.name = alt.get();
    withdraw();
    publish(c);
  }

  void withdraw() noexcept {
    established_ = false;
    group.reset();
  }

  static void on_group(AvahiEntryGroup* g, AvahiEntryGroupState s, void* self) noexcept {
    auto* me = static_cast<impl*>(self);
    switch (s) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        me->established_ = true;
        log::info("mDNS: announcing '" + me->a.name + "' (" + me->a.type + ") on " +
                  (me->a.host_name.empty() ? std::string("this host") : me->fqdn() + " " + me->a.address));
        me->report("established " + me->a.name);
        break;
      case AVAHI_ENTRY_GROUP_COLLISION:
        me->rename(avahi_entry_group_get_client(g));
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        me->fail(nullptr, "announcement failed: " +
                              detail::avahi_error(avahi_client_errno(avahi_entry_group_get_client(g))).message());
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }

  announcement a;
  std::function<void(const std::string&)> state;
  detail::entry_group_ptr group;  // reset by withdraw() (also in ~impl) while its client exists
  bool established_ = false;
  detail::connection conn;  // last: destroyed first
};

announcer::announcer(boost::asio::io_context& io, announcement a, std::function<void(const std::string&)> state)
    : impl_(std::make_unique<impl>(io, std::move(a), std::move(state))) {}

announcer::~announcer() = default;

bool announcer::established() const { return impl_->established_; }

}  // namespace fleetreg::mdns
