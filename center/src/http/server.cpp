// SPDX-License-Identifier: Apache-2.0
#include "server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "fleetreg/center/peer.hpp"
#include "fleetreg/core/error.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/core/log.hpp"
#include "fleetreg/core/random.hpp"
#include "request_reader.hpp"

namespace fleetreg::center {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// A long-poll waiting on some connection; the registry wakes it from any thread.
struct parked {
  virtual ~parked() = default;
  virtual void wake() = 0;
};

// Parses "https://host:port" / "http://[::1]:port" into an endpoint.
tcp::endpoint listen_endpoint(const std::string& listen) {
  const auto scheme_end = listen.find("://");
  const auto rest = scheme_end == std::string::npos ? listen : listen.substr(scheme_end + 3);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) throw error(exit_code::config, "[center] listen has no port: " + listen);
  auto host = rest.substr(0, colon);
  const auto port_text = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) throw error(exit_code::config, "[center] listen has a bad port: " + listen);
    port = port * 10 + (c - '0');
  }
  if (port_text.empty() || port > 65535) throw error(exit_code::config, "[center] listen has a bad port: " + listen);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) throw error(exit_code::config, "[center] listen needs a numeric address, not '" + host + "'");
  return {address, static_cast<unsigned short>(port)};
}

}  // namespace

namespace detail {

// Everything the sessions share: the API, limits, the worker pool, the
// long-poll registry and the connection counts.
struct server_core {
  api& api_;
  const config& cfg_;
  std::vector<peer::network> trusted_;
  std::optional<asio::ssl::context> tls_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  asio::thread_pool workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::size_t next_loop_ = 0;
  std::string id_prefix_ = make_uuid().substr(0, 8);
  std::atomic<std::uint64_t> next_id_{0};

  // Long-polls by site. Shared with the storage's notification callback,
  // which may run on the storage's thread until the storage goes.
  struct registry {
    std::mutex mutex;
    bool open = true;
    std::unordered_map<std::string, std::list<std::weak_ptr<parked>>> waiting;
  };
  std::shared_ptr<registry> registry_ = std::make_shared<registry>();

  std::mutex connections_mutex_;
  std::unordered_map<std::string, std::int64_t> per_peer_;
  std::int64_t connections_ = 0;

  server_core(api& a, storage& st, const config& cfg);
  ~server_core();

  void accept();
  std::string next_request_id() {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s-%llx", id_prefix_.c_str(),
                  static_cast<unsigned long long>(next_id_.fetch_add(1, std::memory_order_relaxed)));
    return buf;
  }
  bool trusted(const std::string& address) const {
    const auto a = peer::parse_address(address);
    return a && std::any_of(trusted_.begin(), trusted_.end(), [&](const auto& n) { return n.contains(*a); });
  }

  // Long-poll registry (any thread).
  void enlist(const std::string& key, const std::weak_ptr<parked>& p) {
    std::lock_guard lock(registry_->mutex);
    if (registry_->open) registry_->waiting[key].push_back(p);
  }
  void delist(const std::string& key, const parked* p) {
    std::lock_guard lock(registry_->mutex);
    const auto it = registry_->waiting.find(key);
    if (it == registry_->waiting.end()) return;
    it->second.remove_if([p](const std::weak_ptr<parked>& w) {
      const auto s = w.lock();
      return !s || s.get() == p;
    });
    if (it->second.empty()) registry_->waiting.erase(it);
  }
  // Wakes under the lock (a wake only posts to the session's loop), so that
  // once the registry is closed no wake reaches a loop being torn down.
  static void wake(registry& r, const std::string& key) {
    std::lock_guard lock(r.mutex);
    if (!r.open) return;
    if (key.empty()) {  // notifications may have been missed: every waiter re-checks
      for (const auto& [site, list] : r.waiting)
        for (const auto& w : list)
          if (auto s = w.lock()) s->wake();
      return;
    }
    const auto it = r.waiting.find(key);
    if (it == r.waiting.end()) return;
    for (const auto& w : it->second)
      if (auto s = w.lock()) s->wake();
  }
};

}  // namespace detail

namespace {

using detail::server_core;

// Frees a connection's place in the counts when the session goes.
class connection_ticket {
 public:
  connection_ticket(server_core& s, std::string key) : server_(s), key_(std::move(key)) {}
  ~connection_ticket() {
    std::lock_guard lock(server_.connections_mutex_);
    --server_.connections_;
    if (const auto it = server_.per_peer_.find(key_); it != server_.per_peer_.end() && --it->second <= 0)
      server_.per_peer_.erase(it);
  }
  connection_ticket(const connection_ticket&) = delete;
  connection_ticket& operator=(const connection_ticket&) = delete;

 private:
  server_core& server_;
  std::string key_;
};

// One connection: TLS handshake (https), then requests one at a time:
// first bytes (idle timeout), header (header timeout), body (body timeout),
// handler (inline or on the worker pool), answer (write timeout) or park.
template <class Stream>
class session final : public parked, public std::enable_shared_from_this<session<Stream>> {
 public:
  session(server_core& s, Stream stream, std::string peer, std::unique_ptr<connection_ticket> ticket)
      : server_(s),
        cfg_(s.cfg_),
        stream_(std::move(stream)),
        socket_peer_(std::move(peer)),
        ticket_(std::move(ticket)),
        timer_(beast::get_lowest_layer(stream_).get_executor()) {}

  void start() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      beast::get_lowest_layer(stream_).expires_after(cfg_.tls_handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->debug("TLS handshake failed: " + ec.message());
        self->read_request();
      });
    } else {
      read_request();
    }
  }

  // Any thread: a notification for this long-poll's site.
  void wake() override {
    asio::post(beast::get_lowest_layer(stream_).get_executor(), [self = this->shared_from_this()] {
      if (self->parked_ && !self->done_) self->poll_now();
    });
  }

 private:
  void debug(const std::string& what) { log::debug("http", what + " peer=" + log::quote(socket_peer_)); }

  // --- reading ------------------------------------------------------------
  void read_request() {
    parser_.emplace();
    edge::limit(*parser_, cfg_);
    if (buffer_.size() > 0) return read_header();
    // Idle until the first byte of the next request arrives.
    beast::get_lowest_layer(stream_).expires_after(cfg_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(1536),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return;  // closed by the client, or idle too long: nothing to say
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    beast::get_lowest_layer(stream_).expires_after(cfg_.header_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec, true);
    if (auto r = edge::check_header(*parser_, cfg_)) return refuse(*r);
    const auto& msg = parser_->get();
    if (parser_->is_done()) return process();
    if (beast::iequals(msg[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      beast::get_lowest_layer(stream_).expires_after(cfg_.write_timeout);
      bhttp::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) return;
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    beast::get_lowest_layer(stream_).expires_after(cfg_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec, false);
      self->process();
    });
  }

  void on_read_error(beast::error_code ec, bool in_header) {
    const std::string_view seen(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (auto r = edge::refusal_for(ec, seen, cfg_)) return refuse(*r);
    if (ec == beast::error::timeout) debug(in_header ? "header read timed out" : "body read timed out");
  }

  // An answer at the edge (no handler ran); the connection closes after it.
  void refuse(const http::response& r) {
    std::string why, reason = "?";
    if (const auto body = json::parse(r.body, why); body && body->contains("error"))
      reason = (*body)["error"].value("code", "?");
    log::info("refused at the edge peer=" + log::quote(socket_peer_) + " status=" + std::to_string(r.status) +
              " reason=" + log::quote(reason));
    keep_alive_ = false;
    write(r);
  }

  // --- handling -------------------------------------------------------------
  void process() {
    auto msg = parser_->release();
    parser_.reset();
    keep_alive_ = msg.keep_alive();
    auto converted = edge::to_request(msg, socket_peer_, server_.trusted_, server_.next_request_id());
    if (auto* r = std::get_if<http::response>(&converted)) return refuse(*r);
    auto& req = std::get<http::request>(converted);
    if (api::cheap(req)) return on_result(run(req));
    asio::post(server_.workers_, [self = this->shared_from_this(), req = std::move(req)]() mutable {
      auto result = std::make_shared<http::result>(self->run(req));
      asio::post(beast::get_lowest_layer(self->stream_).get_executor(),
                 [self, result] { self->on_result(std::move(*result)); });
    });
  }

  // Runs the API; whatever happens becomes a response.
  http::result run(const http::request& req) noexcept {
    try {
      return server_.api_.handle(req);
    } catch (...) {
      log::error("request failed id=" + req.id + " path=" + log::quote(req.path) + " error=unexpected");
      return http::error_response(500, "internal_error",
                                  "the center could not complete the request (request " + req.id + ")",
                                  {{"request_id", req.id}});
    }
  }

  void on_result(http::result result) {
    if (auto* r = std::get_if<http::response>(&result)) return write(*r);
    park(std::get<http::deferred>(std::move(result)));
  }

  // --- long-polls ------------------------------------------------------------
  void park(http::deferred d) {
    if (buffer_.size() == 0) buffer_.shrink_to_fit();  // thousands may wait: keep them small
    deferred_ = std::move(d);
    parked_ = true;
    done_ = expired_ = in_flight_ = again_ = false;
    server_.enlist(deferred_.key, this->weak_from_this());
    timer_.expires_after(deferred_.wait);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->done_) return;
      self->expired_ = true;
      if (!self->in_flight_) self->finish(self->deferred_.timeout);
    });
    // The client may leave while we wait: a readable socket with nothing to
    // read is its FIN (TLS or not, no request can come before our answer).
    auto& sock = beast::get_lowest_layer(stream_).socket();
    beast::get_lowest_layer(stream_).expires_never();
    sock.async_wait(tcp::socket::wait_read, [self = this->shared_from_this(), gen = generation_](beast::error_code ec) {
      if (gen != self->generation_ || self->done_) return;
      beast::error_code e;
      const auto available = beast::get_lowest_layer(self->stream_).socket().available(e);
      if (ec || e || available == 0) self->abandon();
    });
    // A request may have been queued between the handler's poll and now.
    poll_now();
  }

  void poll_now() {
    if (in_flight_) {
      again_ = true;
      return;
    }
    in_flight_ = true;
    asio::post(server_.workers_, [self = this->shared_from_this()] {
      std::optional<http::response> r;
      try {
        r = self->deferred_.poll();
      } catch (const std::exception& e) {
        log::error(std::string("long-poll failed: ") + e.what());
        r = http::error_response(500, "internal_error", "the center could not complete the request");
      }
      asio::post(beast::get_lowest_layer(self->stream_).get_executor(), [self, r = std::move(r)] {
        self->in_flight_ = false;
        if (self->done_) return;
        if (r) return self->finish(*r);
        if (self->expired_) return self->finish(self->deferred_.timeout);
        if (self->again_) {
          self->again_ = false;
          self->poll_now();
        }
      });
    });
  }

  void unpark() {
    done_ = true;
    parked_ = false;
    ++generation_;
    timer_.cancel();
    server_.delist(deferred_.key, this);
  }

  void finish(const http::response& r) {
    unpark();
    const auto answer = r;
    deferred_ = {};  // frees the long-poll's place
    write(answer);
  }

  void abandon() {
    debug("client left during a long-poll");
    unpark();
    deferred_ = {};
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  // --- writing ----------------------------------------------------------------
  void write(const http::response& r) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    bool cache_control = false;
    for (const auto& [k, v] : r.headers) {
      res->insert(k, v);
      cache_control = cache_control || beast::iequals(k, "Cache-Control");
    }
    // Answers are not cached unless the handler says otherwise (the stylesheet).
    if (!cache_control) res->set(bhttp::field::cache_control, "no-store");
    if (r.status != 204 && r.status != 304) {
      if (!r.body.empty()) res->set(bhttp::field::content_type, r.content_type);
      res->body() = r.body;
    }
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(cfg_.write_timeout);
    bhttp::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (self->keep_alive_) return self->read_request();
      self->close();
    });
  }

  // Closes after an answer: the client must be able to read it, so the
  // sending side is shut first and what the client still sends is read and
  // dropped for a moment (a lingering close), instead of a reset that could
  // destroy the answer in flight.
  void close() {
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      lowest.expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
      lowest.expires_after(std::chrono::seconds(2));
      linger(0);
    }
  }

  void linger(std::size_t drained) {
    if (drained > (1u << 20)) return;
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = this->shared_from_this(), drained](beast::error_code ec, std::size_t n) {
                              if (ec) return;
                              self->linger(drained + n);
                            });
  }

  server_core& server_;
  const config& cfg_;
  Stream stream_;
  std::string socket_peer_;
  std::unique_ptr<connection_ticket> ticket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  // The parked long-poll (connection's loop only).
  http::deferred deferred_;
  asio::steady_timer timer_;
  bool parked_ = false, done_ = false, expired_ = false, in_flight_ = false, again_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace

namespace detail {

server_core::server_core(api& a, storage& st, const config& cfg)
    : api_(a),
      cfg_(cfg),
      trusted_(peer::parse_networks(cfg.trusted_proxies)),
      workers_(static_cast<std::size_t>(cfg.worker_threads)) {
  if (cfg.listen.starts_with("https://")) {
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                      asio::ssl::context::single_dh_use);
    // Idle TLS connections (parked long-polls) give their buffers back.
    SSL_CTX_set_mode(tls_->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    try {
      tls_->use_certificate_chain_file(cfg.tls_certificate);
      tls_->use_private_key_file(cfg.tls_key, asio::ssl::context::pem);
    } catch (const std::exception& e) {
      throw error(exit_code::config, "cannot load the TLS certificate " + cfg.tls_certificate + " or key " +
                                         cfg.tls_key + ": " + e.what());
    }
  }
  auto io_threads = static_cast<std::size_t>(cfg.io_threads);
  if (io_threads == 0) io_threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  for (std::size_t i = 0; i < io_threads; ++i) {
    loops_.push_back(std::make_unique<asio::io_context>());
    guards_.push_back(asio::make_work_guard(*loops_.back()));
  }
  const auto endpoint = listen_endpoint(cfg.listen);
  try {
    acceptor_.emplace(*loops_.front());
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(endpoint);
    acceptor_->listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    throw error(exit_code::unavailable, "cannot listen on " + cfg.listen + ": " + e.what());
  }
  st.on_notify([r = registry_](const std::string& site_id) { wake(*r, site_id); });
  accept();
  for (auto& loop : loops_)
    threads_.emplace_back([&loop] {
      // A handler that throws must not end the loop: log and carry on.
      for (;;) {
        try {
          loop->run();
          return;
        } catch (const std::exception& e) {
          log::error(std::string("event loop: ") + e.what());
        } catch (...) {
          log::error("event loop: unknown exception");
        }
      }
    });
}

server_core::~server_core() {
  {
    std::lock_guard lock(registry_->mutex);
    registry_->open = false;
    registry_->waiting.clear();
  }
  asio::post(*loops_.front(), [this] {
    beast::error_code ec;
    acceptor_->close(ec);
  });
  for (auto& g : guards_) g.reset();
  for (auto& loop : loops_) loop->stop();
  for (auto& t : threads_) t.join();
  workers_.join();
  // The sessions still queued in the loops go now, while the counts and the
  // registry they give their places back to are still here.
  acceptor_.reset();
  loops_.clear();
}

void server_core::accept() {
  auto& loop = *loops_[next_loop_];
  next_loop_ = (next_loop_ + 1) % loops_.size();
  acceptor_->async_accept(loop, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec) {
      beast::error_code e;
      const auto remote = socket.remote_endpoint(e);
      if (!e) {
        auto address = remote.address();
        if (address.is_v6() && address.to_v6().is_v4_mapped())
          address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
        auto peer = address.to_string();
        auto key = peer::limit_key(peer);
        bool admitted = false, too_many_from_peer = false;
        {
          std::lock_guard lock(connections_mutex_);
          const auto from_peer = per_peer_[key];
          too_many_from_peer = from_peer >= cfg_.max_connections_per_peer && !trusted(peer);
          admitted = connections_ < cfg_.max_connections && !too_many_from_peer;
          if (admitted) {
            ++connections_;
            ++per_peer_[key];
          } else if (from_peer == 0) {
            per_peer_.erase(key);
          }
        }
        if (!admitted) {
          // Plain HTTP gets a short answer (a small write into an empty send
          // buffer does not block); TLS cannot without a handshake.
          if (!tls_) {
            const std::string body =
                too_many_from_peer
                    ? R"({"error":{"code":"too_many_connections","message":"too many connections from this address"}})"
                    : R"({"error":{"code":"server_busy","message":"the center holds too many connections"}})";
            const std::string answer =
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
                "Content-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
            socket.non_blocking(true, e);
            asio::write(socket, asio::buffer(answer), e);
            socket.shutdown(tcp::socket::shutdown_send, e);
          }
          log::debug("http", "connection refused peer=" + log::quote(peer) +
                                 (too_many_from_peer ? " reason=per_peer" : " reason=total"));
          socket.close(e);
        } else {
          socket.set_option(tcp::no_delay(true), e);
          auto ticket = std::make_unique<connection_ticket>(*this, std::move(key));
          // Started on the socket's own loop: sessions are single-threaded.
          const auto executor = socket.get_executor();
          if (tls_) {
            auto s = std::make_shared<session<tls_stream>>(*this, tls_stream(std::move(socket), *tls_), std::move(peer),
                                                           std::move(ticket));
            asio::post(executor, [s] { s->start(); });
          } else {
            auto s = std::make_shared<session<plain_stream>>(*this, plain_stream(std::move(socket)), std::move(peer),
                                                             std::move(ticket));
            asio::post(executor, [s] { s->start(); });
          }
        }
      }
    } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
      // Out of descriptors: wait a moment instead of spinning on accept.
      log::warning("cannot accept connections: " + ec.message());
      auto timer = std::make_shared<asio::steady_timer>(acceptor_->get_executor(), std::chrono::milliseconds(100));
      timer->async_wait([this, timer](beast::error_code) { accept(); });
      return;
    }
    accept();
  });
}

}  // namespace detail

server::server(api& a, storage& st, const config& cfg) : core_(std::make_unique<detail::server_core>(a, st, cfg)) {}
server::~server() = default;

}  // namespace fleetreg::center
