// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/center_stand_in.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <thread>

namespace fleetreg::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using handler = std::function<center_stand_in::answer(const center_stand_in::request&)>;

// One connection: read a request, answer it, and again while it stays open.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, const handler& handle) : stream_(std::move(socket)), handle_(handle) {}

  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->answer(ec); });
  }

 private:
  void answer(beast::error_code ec) {
    if (ec) return close();
    const auto a = handle_(
        {std::string(request_.method_string()), std::string(request_.target()), std::chrono::steady_clock::now()});
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(a.status));
    for (const auto& [name, value] : a.headers) response_.set(name, value);
    if (!a.body.empty()) response_.set(http::field::content_type, "application/json");
    response_.body() = a.body;
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
      if (wec || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  beast::tcp_stream stream_;
  const handler& handle_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

struct center_stand_in::impl {
  // Declared before the io_context: sessions the io_context still holds
  // when it is destroyed refer to `handle`.
  handler handle;
  mutable std::mutex mutex;
  std::vector<request> seen;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // closed: stopping
      std::make_shared<session>(std::move(socket), handle)->read();
      accept();
    });
  }
};

center_stand_in::center_stand_in(script answers) : impl_(std::make_unique<impl>()) {
  impl_->handle = [this, answers = std::move(answers)](const request& r) {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->seen.push_back(r);
    }
    return answers(r);
  };
  const tcp::endpoint loopback(asio::ip::address_v4::loopback(), 0);
  impl_->acceptor.open(loopback.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(loopback);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

center_stand_in::~center_stand_in() {
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  impl_->thread.join();
}

std::string center_stand_in::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

std::vector<center_stand_in::request> center_stand_in::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->seen;
}

std::string center_stand_in::error_body(const std::string& code, const std::string& message, const std::string& extra) {
  return R"({"error": {"code": ")" + code + R"(", "message": ")" + message + "\"" +
         (extra.empty() ? "" : ", " + extra) + "}}";
}

}  // namespace fleetreg::test
