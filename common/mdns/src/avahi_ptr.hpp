// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>

#include <memory>
#include <system_error>

#include "fleetreg/mdns/service.hpp"

/// Owning handles for what Avahi's client library allocates: the one place in
/// the tree that frees an Avahi object. Freeing a client frees the browsers,
/// resolvers and entry groups made with it, so those handles must be reset
/// before their client's (the owners keep them in that order).
namespace fleetreg::mdns::detail {

/// avahi_client_free.
struct client_deleter {
  void operator()(AvahiClient* c) const noexcept { avahi_client_free(c); }
};
using client_ptr = std::unique_ptr<AvahiClient, client_deleter>;

/// avahi_entry_group_free (withdraws what the group published).
struct entry_group_deleter {
  void operator()(AvahiEntryGroup* g) const noexcept { avahi_entry_group_free(g); }
};
using entry_group_ptr = std::unique_ptr<AvahiEntryGroup, entry_group_deleter>;

/// avahi_service_browser_free.
struct service_browser_deleter {
  void operator()(AvahiServiceBrowser* b) const noexcept { avahi_service_browser_free(b); }
};
using service_browser_ptr = std::unique_ptr<AvahiServiceBrowser, service_browser_deleter>;

/// avahi_service_resolver_free.
struct service_resolver_deleter {
  void operator()(AvahiServiceResolver* r) const noexcept { avahi_service_resolver_free(r); }
};
using service_resolver_ptr = std::unique_ptr<AvahiServiceResolver, service_resolver_deleter>;

/// avahi_string_list_free (the whole list from its head).
struct string_list_deleter {
  void operator()(AvahiStringList* l) const noexcept { avahi_string_list_free(l); }
};
using string_list_ptr = std::unique_ptr<AvahiStringList, string_list_deleter>;

/// avahi_free, for strings Avahi made for the caller (alternative names,
/// TXT keys and values).
struct avahi_deleter {
  void operator()(void* p) const noexcept { avahi_free(p); }
};
using avahi_string_ptr = std::unique_ptr<char, avahi_deleter>;

/// An Avahi error code (AVAHI_ERR_*, avahi_client_errno) as a std::error_code
/// in avahi_category().
inline std::error_code avahi_error(int code) noexcept { return {code, avahi_category()}; }

}  // namespace fleetreg::mdns::detail
