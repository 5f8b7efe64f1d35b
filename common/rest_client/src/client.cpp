// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/client.hpp"

#include <boost/asio/ssl.hpp>
#include <cpprest/http_client.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fleetreg::rest_client {

namespace wh = web::http;

struct client::impl {
  std::unique_ptr<wh::client::http_client> http;
};

client::client(const options& o) : impl_(std::make_unique<impl>()) {
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
    auto resp = impl_->http->request(req).get();
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
