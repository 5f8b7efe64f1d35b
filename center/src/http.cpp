// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/http.hpp"

namespace fleetreg::center::http {

std::string request::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

response json_response(int status, const json::value& body) {
  response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::value::error_handler_t::replace);
  return r;
}

response error_response(int status, const std::string& code, const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

}  // namespace fleetreg::center::http
