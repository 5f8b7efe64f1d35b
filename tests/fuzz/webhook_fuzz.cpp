// SPDX-License-Identifier: Apache-2.0
// What a dealer types as a webhook URL (the dealer site's form, centerctl
// webhook add) or as digest recipients, what a receiver answers as
// Retry-After, and the [email] relay settings (issue 19 step 4).
// Invariants: nothing throws; a refusal says why; an accepted URL is
// https://, within the length limit, and holds no character that could end
// a header line or a log field (CR, LF, space, control, non-ASCII); accepted
// recipients are at most 10 addresses each accepted alone and free of CR/LF;
// Retry-After is never negative nor beyond a day; accepted relay settings
// have a valid From address and a host of name characters only.
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>

#include "fleetreg/center/config.hpp"
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
  // The authority ends at the first '/', '?' or '#' (RFC 3986): an '@' in
  // the query or fragment is no user name.
  if (text.find('@') != std::string::npos && text.find('@') < text.find_first_of("/?#", 8))
    broken("an accepted webhook URL holds a user name: " + text);
}

void recipients(const std::string& text) {
  std::string why;
  const auto list = parse_recipients(text, why);
  if (!list) {
    if (why.empty()) broken("recipients refused without a reason: " + text);
    return;
  }
  if (list->size() > max_digest_recipients) broken("more than 10 recipients accepted: " + text);
  for (const auto& r : *list) {
    if (r.find_first_of("\r\n\t ,") != std::string::npos) broken("an accepted recipient holds a separator: " + r);
    if (mail_address_problem(r)) broken("an accepted recipient is refused alone: " + r);
  }
}

void relay(const std::string& text) {
  // The text as host, and as From address, of an otherwise usable relay.
  config c;
  c.smtp_host = text;
  c.mail_from = "fleet@center.example";
  if (!smtp_config_problem(c))
    for (const char ch : text)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.'))
        broken("a relay host with a stray character accepted: " + text);
  c.smtp_host = "relay.example";
  c.mail_from = text;
  if (!smtp_config_problem(c) && mail_address_problem(text)) broken("a bad From address accepted: " + text);
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
  recipients(text);
  relay(text);
  retry_after(text);
  return 0;
}
