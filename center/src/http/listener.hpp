// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "fleetreg/center/api.hpp"
#include "fleetreg/center/config.hpp"
#include "fleetreg/center/storage.hpp"

namespace fleetreg::center {

/// The cpprestsdk edge: turns HTTP(S) requests into http::request values for
/// the API, answers its responses, and parks long-polls (no thread held) until
/// the storage notifies their site or their wait ends.
class listener {
 public:
  /// Throws fleetreg::error when the address cannot be listened on.
  listener(api& a, storage& st, const config& cfg);
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace fleetreg::center
