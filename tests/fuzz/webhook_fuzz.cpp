// SPDX-License-Identifier: Apache-2.0
// What a dealer types as a webhook URL (the dealer site's form, centerctl
// webhook add) and what a receiver answers as Retry-After (issue 19 step 4).
// Invariants: the URL check never throws; a refusal says why; an accepted
// URL is https://, within the length limit, and holds no character that
// could end a header line or a log field (CR, LF, space, control, non-ASCII);
// Retry-After is never negative nor beyond a day.
#include <chrono>
#include <cstdint>
#include <string>

#include "fleetreg/center/delivery.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using namespace fleetreg::center;
using fuzz::broken;

void url(const std::string& text) {
  const auto why = webhook_url_problem(text);
  if (why) {
    if (why->empty()) broken("a webhook URL refused without a reason: " + text);
    return;
  }
  if (!text.starts_with("https://")) broken("an accepted webhook URL is not https: " + text);
  if (text.size() > max_webhook_url) broken("an accepted webhook URL is too long");
  for (const char ch : text)
    if (ch <= ' ' || ch >= 0x7f) broken("an accepted webhook URL holds a control, space or non-ASCII byte: " + text);
  if (text.find('@') != std::string::npos && text.find('@') < text.find('/', 8))
    broken("an accepted webhook URL holds a user name: " + text);
}

void retry_after(const std::string& text) {
  const auto d = parse_retry_after(text);
  if (d && (*d < std::chrono::seconds(0) || *d > std::chrono::hours(24)))
    broken("a Retry-After out of bounds: " + text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::text_of(data, size));
  url(text);
  retry_after(text);
  return 0;
}
