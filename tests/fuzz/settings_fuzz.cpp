// SPDX-License-Identifier: Apache-2.0
// A dealer's settings as typed into the dealer site or fleetreg-centerctl:
// billing weights ("copy.impressions=2,…", issue 16) and alert thresholds
// ("supply-low=10,terminal-silent=48h,…", issue 19).
// Invariants: a refusal says why; an accepted text's canonical form
// (to_string) is accepted again and gives the same settings; alert
// thresholds keep low above empty and their durations in bounds.
#include <chrono>
#include <cstdint>
#include <string>

#include "fleetreg/center/alerts.hpp"
#include "fleetreg/center/billing.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using namespace fleetreg::center;
using fuzz::broken;

void weights(const std::string& text) {
  std::string why;
  const auto w = parse_billing_weights(text, why);
  if (!w) {
    if (why.empty()) broken("billing weights refused without a reason: " + text);
    return;
  }
  const auto canonical = to_string(*w);
  std::string again_why;
  const auto again = parse_billing_weights(canonical, again_why);
  if (!again) broken("the canonical billing weights are refused: " + canonical + " (" + again_why + ")");
  if (again->milli != w->milli) broken("billing weights change through their canonical text: " + canonical);
}

void thresholds(const std::string& text) {
  std::string why;
  const alert_settings base;
  const auto s = parse_alert_settings(text, base, why);
  if (!s) {
    if (why.empty()) broken("alert thresholds refused without a reason: " + text);
    return;
  }
  if (s->supply_low <= s->supply_empty || s->supply_low > 100 || s->supply_empty < 0)
    broken("accepted thresholds with low not above empty: " + text);
  using std::chrono::seconds;
  for (const auto d : {s->terminal_silent, s->collector_silent, s->code_expiry, s->lead_time})
    if (d < seconds(300) || d > seconds(365 * 86400)) broken("an accepted duration out of bounds: " + text);
  const auto canonical = to_string(*s);
  std::string again_why;
  const auto again = parse_alert_settings(canonical, alert_settings{}, again_why);
  if (!again) broken("the canonical thresholds are refused: " + canonical + " (" + again_why + ")");
  if (!(*again == *s)) broken("thresholds change through their canonical text: " + canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::text_of(data, size));
  weights(text);
  thresholds(text);
  return 0;
}
