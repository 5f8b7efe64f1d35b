// SPDX-License-Identifier: Apache-2.0
#include "request_reader.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cctype>

namespace fleetreg::center::edge {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

http::response too_long_target(const config& cfg) {
  return http::error_response(414, "target_too_long",
                              "the request target is longer than " + std::to_string(cfg.max_target_bytes) + " bytes");
}

http::response too_large_body(const config& cfg) {
  // The limits come with the refusal, so that a client can split its batch.
  return http::error_response(413, "body_too_large",
                              "the request body is larger than " + std::to_string(cfg.max_body_bytes) + " bytes",
                              {{"max_body_bytes", cfg.max_body_bytes},
                               {"max_readings_per_batch", cfg.max_readings_per_batch},
                               {"max_terminals_per_registration", cfg.max_terminals_per_registration}});
}

}  // namespace

void limit(parser& p, const config& cfg) {
  p.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
  p.body_limit(static_cast<std::uint64_t>(cfg.max_body_bytes));
}

std::optional<http::response> refusal_for(const beast::error_code& ec, std::string_view seen, const config& cfg) {
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == asio::ssl::error::stream_truncated || ec == beast::error::timeout)
    return std::nullopt;  // the client went away or was too slow: close, spend nothing on it
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    // Still inside the request line: the target is what is too long.
    const auto line_end = seen.find('\n');
    if (line_end == std::string_view::npos || line_end > static_cast<std::size_t>(cfg.max_target_bytes))
      return too_long_target(cfg);
    return http::error_response(
        431, "header_too_large",
        "the request header section is larger than " + std::to_string(cfg.max_header_bytes) + " bytes");
  }
  if (ec == bhttp::error::body_limit) return too_large_body(cfg);
  return http::error_response(400, "bad_request", "the request is not valid HTTP/1.1: " + ec.message());
}

std::optional<http::response> check_header(const parser& p, const config& cfg) {
  if (p.get().target().size() > static_cast<std::size_t>(cfg.max_target_bytes)) return too_long_target(cfg);
  if (const auto length = p.content_length(); length && *length > static_cast<std::uint64_t>(cfg.max_body_bytes))
    return too_large_body(cfg);
  return std::nullopt;
}

std::variant<http::request, http::response> to_request(message& msg, const std::string& socket_peer,
                                                       const std::vector<peer::network>& trusted, std::string id) {
  http::request req;
  req.id = std::move(id);
  std::string why;
  const std::string_view target(msg.target().data(), msg.target().size());
  if (!http::parse_target(target, req.path, req.query, why)) return http::error_response(400, "invalid_target", why);
  req.raw_path = std::string(target.substr(0, target.find('?')));
  req.method = std::string(msg.method_string());
  for (const auto& f : msg) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto [it, fresh] = req.headers.emplace(std::move(name), std::string(f.value()));
    if (!fresh) it->second += ", " + std::string(f.value());
  }
  req.body = std::move(msg.body());
  req.peer = trusted.empty()
                 ? socket_peer
                 : peer::client_address(socket_peer, req.header("forwarded"), req.header("x-forwarded-for"), trusted);
  return req;
}

}  // namespace fleetreg::center::edge
