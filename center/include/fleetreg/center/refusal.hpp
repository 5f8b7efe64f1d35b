// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "fleetreg/core/error.hpp"

namespace fleetreg::center {

/// Why the center refuses a request or an action. Each kind has one HTTP
/// status (http_status) and one exit code (data for input the caller can fix:
/// invalid, unprocessable, too_large; failure else).
enum class refusal_kind {
  invalid,          ///< 400: the input is malformed or out of range
  unprocessable,    ///< 422: well-formed, but its content cannot be taken (a list's entries)
  too_large,        ///< 413: the body or the batch is over the center's limit
  wrong_method,     ///< 405: the path exists, not with this method
  unauthenticated,  ///< 401: no or no valid login, session or token
  forbidden,        ///< 403: known, but not this account's or this token's to do
  not_found,        ///< 404: no such object, or another dealer's (never told apart)
  conflict,         ///< 409: the object's state does not allow it (done already)
  gone,             ///< 410: the object existed and ended (expired, revoked)
  too_many,         ///< 429: too many failed attempts; wait and retry
  busy,             ///< 503: the center is busy; retry in a few seconds
  storage_full,     ///< 507: the center's database has no space left; retry later
};

/// The HTTP status of a refusal of `kind`: the one place where a refusal
/// becomes a status, used by the dealer site and the API.
int http_status(refusal_kind kind) noexcept;

/// A refusal of the operations layer or a handler: nothing was changed.
/// what() is a sentence a serviceperson understands (fleetreg-centerctl
/// prints it); a not_found refusal also names the kind of object ("site",
/// "terminal", …) so that pages can answer without echoing what was asked.
class refusal : public error {
 public:
  /// A refusal of `kind` with the sentence `what`.
  refusal(refusal_kind kind, const std::string& what);
  /// not_found: "no <object> <name>", e.g. no_such("site", id).
  static refusal no_such(const std::string& object, const std::string& name);

  /// What kind of refusal this is.
  refusal_kind kind() const noexcept { return kind_; }
  /// For not_found: the kind of object ("site", "terminal", "code"…); else "".
  const std::string& object() const noexcept { return object_; }

 private:
  refusal_kind kind_;
  std::string object_;
};

}  // namespace fleetreg::center
