// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/refusal.hpp"

namespace fleetreg::center {

int http_status(refusal_kind kind) noexcept {
  switch (kind) {
    case refusal_kind::invalid:
      return 400;
    case refusal_kind::unprocessable:
      return 422;
    case refusal_kind::too_large:
      return 413;
    case refusal_kind::wrong_method:
      return 405;
    case refusal_kind::unauthenticated:
      return 401;
    case refusal_kind::forbidden:
      return 403;
    case refusal_kind::not_found:
      return 404;
    case refusal_kind::conflict:
      return 409;
    case refusal_kind::gone:
      return 410;
    case refusal_kind::too_many:
      return 429;
    case refusal_kind::busy:
      return 503;
    case refusal_kind::storage_full:
      return 507;
  }
  return 500;
}

refusal::refusal(refusal_kind kind, const std::string& what)
    : error(kind == refusal_kind::invalid || kind == refusal_kind::unprocessable || kind == refusal_kind::too_large
                ? exit_code::data
                : exit_code::failure,
            what),
      kind_(kind) {}

refusal refusal::no_such(const std::string& object, const std::string& name) {
  refusal r(refusal_kind::not_found, "no " + object + " " + name);
  r.object_ = object;
  return r;
}

}  // namespace fleetreg::center
