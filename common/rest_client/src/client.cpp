// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/client.hpp"

#include <boost/asio/ssl.hpp>
#include <cpprest/http_client.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <memory>
#include <stdexcept>

namespace fleetreg::rest_client {

namespace wh = web::http;

struct client::impl {
  std::unique_ptr<wh::client::http_client> http;
  const stop_signal* stop = nullptr;
};

client::client(const options& o) : impl_(std::make_unique<impl>()) {
  impl_->stop = o.stop;
  wh::client::http_client_config conf;
  conf.set_timeout(std::chrono::duration_cast<std::chrono::seconds>(o.timeout).count() > 0
                       ? std::chrono::duration_cast<std::chrono::seconds>(o.timeout)
                       : std::chrono::seconds(1));
  conf.set_validate_certificates(o.verify_tls);
  if (!o.proxy.empty()) conf.set_proxy(web::web_proxy(web::uri(o.proxy)));
  if (!o.ca_file.empty()) {
    const auto ca = o.ca_file;
    conf.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) { ctx.load_verify_file(ca); });
  }
  try {
    impl_->http = std::make_unique<wh::client::http_client>(web::uri(o.base_url), conf);
  } catch (const std::exception& e) {
    throw std::invalid_argument("invalid center URL '" + o.base_url + "': " + e.what());
  }
}

client::~client() = default;

response client::request(const std::string& method, const std::string& path_and_query, const std::string& body,
                         const std::map<std::string, std::string>& headers, std::error_code& ec,
                         std::string* error_text) {
  response out;
  try {
    wh::http_request req(method);
    req.set_request_uri(path_and_query);
    for (const auto& [k, v] : headers) req.headers().add(k, v);
    if (!body.empty()) req.set_body(body, "application/json");
    pplx::cancellation_token_source cancel;
    auto sent = impl_->http->request(req, cancel.get_token());
    if (impl_->stop) {
      // Wait for the answer, looking at the stop request every 100 ms: a
      // long-poll must not hold a stopping daemon for its whole wait.
      auto answered = std::make_shared<std::promise<void>>();
      auto done = answered->get_future();
      sent.then([answered](pplx::task<wh::http_response>) { answered->set_value(); });
      while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
        if (impl_->stop->requested()) {
          cancel.cancel();
          break;
        }
    }
    auto resp = sent.get();
    out.status = resp.status_code();
    for (const auto& [k, v] : resp.headers()) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      out.headers[name] = v;
    }
    const auto bytes = resp.extract_vector().get();
    out.body.assign(bytes.begin(), bytes.end());
    ec.clear();
  } catch (const std::exception& e) {
    ec = std::make_error_code(std::errc::io_error);
    if (error_text) *error_text = e.what();
  }
  return out;
}

}  // namespace fleetreg::rest_client
