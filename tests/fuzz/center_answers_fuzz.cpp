// SPDX-License-Identifier: Apache-2.0
// What a center (or whoever answers in its place) sends the reporting sides:
// the body of an upload's answer, of a registration's answer, of a refusal,
// and a Retry-After value, read by fleetreg::rest_client (center.hpp).
// Invariants: nothing throws; of the readings sent, each is exactly once
// done, refused or unanswered (none leaves twice, none is invented); limits
// stay in their ranges; a Retry-After is 1 s..1 h.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fleetreg/rest_client/center_client.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;

void check_readings(std::string_view body) {
  const std::vector<std::string> sent = {"a", "b", "c", "b"};  // a duplicate id too
  const auto r = rest_client::parse_reading_answers(body, sent);
  std::multiset<std::string> seen;
  for (const auto& id : r.done) seen.insert(id);
  for (const auto& [id, reason] : r.refused) seen.insert(id);
  for (const auto& id : r.unanswered) seen.insert(id);
  if (!r.per_reading && r.done != sent) broken("an answer without results did not acknowledge the batch");
  for (const auto& id : seen)
    if (id != "a" && id != "b" && id != "c") broken("an id that was not sent: " + id);
  if (r.per_reading)
    for (const std::string id : {"a", "c"})
      if (seen.count(id) != 1) broken("reading " + id + " answered " + std::to_string(seen.count(id)) + " times");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  check_readings(text);
  for (const auto& t : rest_client::parse_terminal_results(text))
    if (t.key.empty() && t.status.empty() && t.reporting()) broken("an empty answer reports");
  rest_client::response refusal;
  refusal.status = 413;
  refusal.body = std::string(text);
  (void)rest_client::center_message(refusal);
  if (const auto w = rest_client::parse_max_wait(text); w && (w->count() < 0 || w->count() > 86400))
    broken("max_wait out of 0..86400");
  std::string why;
  if (const auto v = json::parse(text, why)) {
    rest_client::center_limits limits;
    rest_client::read_limits(*v, limits);
    if (v->is_object() && v->contains("error")) rest_client::read_limits((*v)["error"], limits);
    if (limits.max_readings_per_batch < 1 || limits.max_terminals_per_registration < 1 || limits.max_body_bytes < 1024)
      broken("a limit below its range");
  }
  (void)rest_client::plausible_credential(text);
  if (size <= 64) {
    const auto wait = rest_client::parse_retry_after(text, from_unix(1795622885));
    if (wait && (*wait < rest_client::retry_after_min || *wait > rest_client::retry_after_max))
      broken("Retry-After out of 1 s..1 h");
  }
  return 0;
}
