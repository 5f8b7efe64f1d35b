// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/config.hpp"
#include "fleetreg/center/storage.hpp"

namespace fleetreg::center {

namespace detail {
struct server_core;  // server.cpp: what the connections share
}

/// The center's HTTP(S) edge on Boost.Beast: accepts connections on
/// `io_threads` event loops, parses requests within the [http] limits
/// (header section, request target, body, read/idle/TLS-handshake/write
/// timeouts, connections in total and per client), turns them into
/// http::request values for the API, runs handlers that touch the database
/// on a worker pool, and parks long-polls on the event loop (no thread held)
/// until the storage notifies their site, the client goes away or their wait
/// ends. Nothing a client sends can make an exception escape into a loop.
class server {
 public:
  /// Starts serving. Throws fleetreg::error when the address cannot be
  /// listened on or the TLS certificate or key cannot be loaded.
  server(api& a, storage& st, const config& cfg);
  /// Stops accepting, closes every connection and waits for the handlers.
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

 private:
  std::unique_ptr<detail::server_core> core_;
};

}  // namespace fleetreg::center
