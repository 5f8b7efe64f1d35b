// SPDX-License-Identifier: Apache-2.0
// The REST wire formats (contract v1) as the center reads what collectors and
// terminals send: fleetreg::json::parse, then the registration body
// (code, registering_side, terminals), the add-terminals body, the readings
// batch, and each decoder on the document itself.
// Invariants: decoders never throw; what a decoder accepts encodes back to
// the same value; every refusal's reason serialises into a JSON error body.
#include <cstdint>
#include <string>

#include "fleetreg/core/json.hpp"
#include "fleetreg/core/provisional_code.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;

void check_reason(const std::string& why) {
  fuzz::check_serialises(json::value{{"reason", why}}, "a refusal's reason");
}

void check_identity(const json::value& v) {
  std::string why;
  const auto id = json::identity_from(v, why);
  if (!id) return check_reason(why);
  fuzz::check_serialises(json::to_json(*id), "an accepted identity");
  const auto again = json::identity_from(json::to_json(*id), why);
  if (!again || *again != *id) broken("identity does not survive to_json/identity_from: " + why);
  (void)terminal_key(*id);
}

void check_counters(const json::value& v) {
  std::string why;
  const auto c = json::counters_from(v, why);
  if (!c) return check_reason(why);
  const auto again = json::counters_from(json::to_json(*c), why);
  if (!again || *again != *c) broken("counters do not survive to_json/counters_from: " + why);
}

void check_supply(const json::value& v) {
  std::string why;
  const auto s = json::supply_from(v, why);
  if (!s) return check_reason(why);
  if (validate(*s)) broken("supply_from accepted a supply that validate() refuses");
  fuzz::check_serialises(json::to_json(*s), "an accepted supply");
  const auto again = json::supply_from(json::to_json(*s), why);
  if (!again || *again != *s) broken("supply does not survive to_json/supply_from: " + why);
  (void)s->percent();
}

void check_reading(const json::value& v) {
  std::string why;
  const auto r = json::reading_from(v, why);
  if (!r) return check_reason(why);
  fuzz::check_serialises(json::to_json(*r), "an accepted reading");
  // taken_at travels with whole seconds: compare the rest as it is.
  const auto again = json::reading_from(json::to_json(*r), why);
  if (!again) broken("an accepted reading does not decode from its own encoding: " + why);
  if (again->id != r->id || again->terminal_key != r->terminal_key || again->counters != r->counters ||
      again->supplies != r->supplies || again->source != r->source || again->request_id != r->request_id ||
      to_unix(again->taken) != to_unix(r->taken))
    broken("reading does not survive to_json/reading_from");
}

// POST /api/v1/registrations and /api/v1/sites/{id}/terminals, read the way
// center::api does (its terminals are keyed and checked for duplicates there).
void check_registration(const json::value& body) {
  if (!body.is_object()) return;
  std::string why, code, kind, name;
  if (json::optional_string(body, "code", code, why, 64)) {
    const auto canonical = provisional_code::normalize(code, &why);
    if (canonical.empty()) check_reason(why);
  } else {
    check_reason(why);
  }
  if (const auto side = body.find("registering_side"); side != body.end() && side->is_object()) {
    if (!json::optional_string(*side, "kind", kind, why, 16) || !json::optional_string(*side, "name", name, why, 255))
      check_reason(why);
  }
  if (const auto list = body.find("terminals"); list != body.end() && list->is_array())
    for (const auto& t : *list) check_identity(t);
}

void check_readings_batch(const json::value& body) {
  if (!body.is_object()) return;
  if (const auto list = body.find("readings"); list != body.end() && list->is_array())
    for (const auto& r : *list) check_reading(r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string why;
  const auto v = json::parse(fuzz::text_of(data, size), why);
  if (!v) return 0;
  check_registration(*v);
  check_readings_batch(*v);
  // Each decoder on the document and on its members, so that every shape is
  // reached without its envelope.
  check_identity(*v);
  check_counters(*v);
  check_supply(*v);
  check_reading(*v);
  if (v->is_structured())
    for (const auto& member : *v) {
      check_identity(member);
      check_counters(member);
      check_supply(member);
      check_reading(member);
    }
  return 0;
}
