// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fleetreg/center/config.hpp"
#include "fleetreg/center/http.hpp"
#include "fleetreg/center/peer.hpp"

/// The pure half of the HTTP edge: the parser's limits, what each parse
/// error answers, and a parsed message turned into an http::request. The
/// server (server.cpp) and the HTTP fuzz target both use these, so the
/// fuzzer exercises the code that faces the internet. No I/O.
namespace fleetreg::center::edge {

using parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using message = boost::beast::http::request<boost::beast::http::string_body>;

/// Applies the header and body limits of `cfg` to a fresh parser.
void limit(parser& p, const config& cfg);

/// The answer to a request that failed to parse with `ec`, given the bytes
/// read so far (to tell a too long request line, 414, from a too large
/// header section, 431). Nullopt when nothing should be answered: the client
/// went away or was too slow.
std::optional<http::response> refusal_for(const boost::beast::error_code& ec, std::string_view seen, const config& cfg);

/// The answer to a request whose header section parsed but must not be read
/// further (target over max_target_bytes → 414, Content-Length over
/// max_body_bytes → 413), or nullopt.
std::optional<http::response> check_header(const parser& p, const config& cfg);

/// Turns a parsed message into a request: decoded path and query (a
/// malformed escape or a control character is a 400 response instead),
/// lower-cased headers (repeated ones joined with ", "), the client address
/// (from Forwarded / X-Forwarded-For only when `socket_peer` is in
/// `trusted`), and `id`. Moves the body out of `msg`.
std::variant<http::request, http::response> to_request(message& msg, const std::string& socket_peer,
                                                       const std::vector<peer::network>& trusted, std::string id);

}  // namespace fleetreg::center::edge
