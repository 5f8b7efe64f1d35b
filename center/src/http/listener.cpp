// SPDX-License-Identifier: Apache-2.0
#include "listener.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cpprest/http_listener.h>
#include <cpprest/uri.h>

#include <algorithm>
#include <cctype>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg::center {
namespace {

namespace wh = web::http;
using wh::experimental::listener::http_listener;
using wh::experimental::listener::http_listener_config;

void reply(wh::http_request& req, const http::response& r) {
  wh::http_response resp(static_cast<wh::status_code>(r.status));
  for (const auto& [k, v] : r.headers) resp.headers().add(k, v);
  if (r.status != 204 && !r.body.empty()) resp.set_body(r.body, r.content_type);
  // Answers are not cached unless the handler says otherwise (the stylesheet).
  // cpprestsdk folds repeated header names into one line: one Set-Cookie per answer.
  if (!resp.headers().has("Cache-Control")) resp.headers().add("Cache-Control", "no-store");
  req.reply(resp).then([](pplx::task<void> t) {
    try {
      t.get();
    } catch (...) {
      // The client went away; nothing to do.
    }
  });
}

}  // namespace

struct listener::impl {
  // A parked long-poll.
  struct waiter {
    wh::http_request req;
    http::deferred d;
    std::unique_ptr<boost::asio::steady_timer> timer;
    bool done = false;
  };

  api& api_;
  const config& cfg_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  std::unordered_map<std::string, std::list<std::shared_ptr<waiter>>> waiting_;  // io thread only
  std::unique_ptr<http_listener> listener_;

  // Cleared before this object goes: the storage may outlive the listener
  // and still deliver a notification.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);

  impl(api& a, storage& st, const config& cfg) : api_(a), cfg_(cfg) {
    work_ = std::make_unique<decltype(work_)::element_type>(io_.get_executor());
    io_thread_ = std::thread([this] { io_.run(); });
    st.on_notify([this, alive = alive_](const std::string& site_id) {
      if (!*alive) return;
      boost::asio::post(io_, [this, site_id] { wake(site_id); });
    });
    http_listener_config conf;
    conf.set_timeout(std::chrono::seconds(std::chrono::duration_cast<std::chrono::seconds>(cfg.max_wait).count() + 30));
    if (cfg.listen.starts_with("https://")) {
      conf.set_ssl_context_callback([&cfg](boost::asio::ssl::context& ctx) {
        ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                        boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                        boost::asio::ssl::context::no_tlsv1_1);
        ctx.use_certificate_chain_file(cfg.tls_certificate);
        ctx.use_private_key_file(cfg.tls_key, boost::asio::ssl::context::pem);
      });
    }
    try {
      listener_ = std::make_unique<http_listener>(web::uri(cfg.listen), conf);
      listener_->support([this](wh::http_request req) { on_request(std::move(req)); });
      listener_->open().wait();
    } catch (const std::exception& e) {
      stop_io();
      throw error(exit_code::unavailable, "cannot listen on " + cfg.listen + ": " + e.what());
    }
  }

  ~impl() {
    try {
      if (listener_) listener_->close().wait();
    } catch (...) {
    }
    stop_io();
  }

  void stop_io() {
    *alive_ = false;
    boost::asio::post(io_, [this] {
      for (auto& [site, list] : waiting_)
        for (auto& w : list) w->timer->cancel();
      waiting_.clear();
    });
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
  }

  void on_request(wh::http_request req) {
    // Refuse an oversized body before reading it.
    const auto length = req.headers().content_length();
    if (length > static_cast<std::size_t>(cfg_.max_body_bytes)) {
      reply(req,
            http::error_response(413, "body_too_large",
                                 "the request body is larger than " + std::to_string(cfg_.max_body_bytes) + " bytes"));
      return;
    }
    // No body announced: answer on this thread, without a continuation.
    if (length == 0 && !req.headers().has("Transfer-Encoding")) {
      handle(std::move(req), {});
      return;
    }
    req.extract_vector().then([this, req](pplx::task<std::vector<unsigned char>> body_task) mutable {
      std::string body;
      try {
        const auto bytes = body_task.get();
        body.assign(bytes.begin(), bytes.end());
      } catch (const std::exception&) {
        reply(req, http::error_response(400, "invalid_body", "the request body could not be read"));
        return;
      }
      handle(std::move(req), std::move(body));
    });
  }

  void handle(wh::http_request req, std::string body) {
    http::request r;
    r.body = std::move(body);
    r.method = req.method();
    const auto& uri = req.relative_uri();
    r.path = web::uri::decode(uri.path());
    for (const auto& [k, v] : web::uri::split_query(uri.query())) r.query[web::uri::decode(k)] = web::uri::decode(v);
    for (const auto& [k, v] : req.headers()) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      r.headers[name] = v;
    }
    r.peer = req.remote_address();
    auto result = api_.handle(r);
    if (auto* resp = std::get_if<http::response>(&result)) {
      reply(req, *resp);
      return;
    }
    park(std::move(req), std::get<http::deferred>(std::move(result)));
  }

  void park(wh::http_request req, http::deferred d) {
    auto w = std::make_shared<waiter>();
    w->req = std::move(req);
    w->d = std::move(d);
    w->timer = std::make_unique<boost::asio::steady_timer>(io_, w->d.wait);
    ++api_.open_long_polls;
    boost::asio::post(io_, [this, w] {
      waiting_[w->d.key].push_back(w);
      w->timer->async_wait([this, w](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled: answered by a notification
        finish(w, w->d.timeout);
      });
      // A request may have been queued between the first poll and parking.
      try_answer(w);
    });
  }

  // io thread: answer every waiter of the site that now has requests.
  void wake(const std::string& site_id) {
    const auto it = waiting_.find(site_id);
    if (it == waiting_.end()) return;
    auto list = it->second;  // copy: finish() edits the map
    for (auto& w : list) try_answer(w);
  }

  void try_answer(const std::shared_ptr<waiter>& w) {
    if (w->done) return;
    std::optional<http::response> r;
    try {
      r = w->d.poll();
    } catch (const std::exception& e) {
      log::error(std::string("long-poll failed: ") + e.what());
      r = http::error_response(500, "internal_error", "the center could not complete the request");
    }
    if (r) finish(w, *r);
  }

  void finish(const std::shared_ptr<waiter>& w, const http::response& r) {
    if (w->done) return;
    w->done = true;
    w->timer->cancel();
    auto& list = waiting_[w->d.key];
    list.remove(w);
    if (list.empty()) waiting_.erase(w->d.key);
    --api_.open_long_polls;
    reply(w->req, r);
  }
};

listener::listener(api& a, storage& st, const config& cfg) : impl_(std::make_unique<impl>(a, st, cfg)) {}
listener::~listener() = default;

}  // namespace fleetreg::center
