// SPDX-License-Identifier: Apache-2.0
// Counter profile text (docs/PROFILES.md): fleetreg::profiles::parse_profile
// (yaml-cpp, then the validator), and a profile that passes is matched,
// planned and evaluated against a small fixed set of answers.
// Invariants: nothing escapes but bad_alloc; a refusal is "fuzz.yaml:LINE:
// message" on one line; an accepted profile keeps every limit of the format.
#include <cstdint>
#include <string>
#include <vector>

#include "fleetreg/profiles/evaluate.hpp"
#include "fleetreg/profiles/profile.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;

std::size_t depth_of(const profiles::expression& e) {
  std::size_t d = 0;
  for (const auto& i : e.items) d = std::max(d, depth_of(i));
  return d + 1;
}

std::vector<snmp::varbind> answers() {
  std::vector<snmp::varbind> out;
  auto add = [&](const char* oid, snmp::value v) { out.push_back({*snmp::parse_oid(oid), std::move(v)}); };
  snmp::value sys;
  sys.type = snmp::value_type::object_id;
  sys.oid = *snmp::parse_oid("1.3.6.1.4.1.367.1.1");
  add("1.3.6.1.2.1.1.2.0", sys);
  add("1.3.6.1.4.1.367.3.2.1.2.19.5.1.2.1", snmp::value::make_integer(10));
  add("1.3.6.1.4.1.367.3.2.1.2.19.5.1.9.1", snmp::value::make_integer(-2));
  add("1.3.6.1.4.1.367.3.2.1.2.19.5.1.5.1", snmp::value::make_string("A3"));
  add("1.3.6.1.4.1.2699.1.3.1.1.2.0", snmp::value::make_string("12345678901234567890"));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  const auto r = profiles::parse_profile(text, "fuzz.yaml");
  if (!r.value) {
    if (r.error.rfind("fuzz.yaml:", 0) != 0) broken("a refusal does not name the file: " + r.error);
    return 0;
  }
  if (!r.error.empty()) broken("an accepted profile carries an error");
  const auto& p = *r.value;
  if (p.id.empty() || p.id.size() > 48) broken("id out of limits");
  if (p.priority < profiles::min_priority || p.priority > profiles::max_priority) broken("priority out of range");
  if (p.version < 1) broken("version below 1");
  if (p.tables.size() > profiles::max_tables) broken("too many tables");
  if (p.counters.size() + p.extras.size() + p.derive.size() > profiles::max_rules) broken("too many rules");
  if (p.sysobjectid_prefixes.empty() && p.exists.empty()) broken("a profile without a match condition");
  for (const auto& c : p.counters)
    if (depth_of(c.expr) > profiles::max_expression_depth) broken("expression nested too deep");
  for (const auto& c : p.extras)
    if (!is_extra_key(c.key)) broken("bad extras key accepted");
  // The evaluation of what was accepted never fails.
  const auto vbs = answers();
  const auto m = profiles::match(p, vbs);
  (void)profiles::plan({&p}, vbs);
  snmp::terminal_reading reading;
  profiles::memory_wrap_state wraps;
  std::vector<profiles::trace_line> trace;
  profiles::evaluate({&p}, vbs, reading, &wraps, &trace);
  if (reading.extras.size() > max_extras) broken("too many extras");
  for (const auto& [k, v] : reading.provenance)
    if (!is_provenance_key(k) || v.size() > max_provenance_length) broken("bad provenance " + k);
  (void)m;
  return 0;
}
