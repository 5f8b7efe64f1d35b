// SPDX-License-Identifier: Apache-2.0
// What a center (or whoever answers in its place) sends check_fleetreg
// center --dealer: the body of GET /api/v1/status?dealer=, judged by
// plugins::check_dealer_answer. Invariants: nothing throws; the output is
// exactly one line "FLEETREG CENTER <STATE>: …" whose state is the result's;
// a judged answer (not UNKNOWN) carries the alert counts as perfdata; the
// default thresholds make any open critical alert CRITICAL.
#include <cstdint>
#include <string>

#include "fleetreg/plugins/check.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;

void check_one(const plugins::center_options& o, std::string_view body) {
  const auto r = plugins::check_dealer_answer(o, body);
  const auto& out = r.output;
  if (out.empty() || out.back() != '\n' || out.find('\n') != out.size() - 1)
    broken("the output is not exactly one line: " + out);
  const auto state = std::string(plugins::to_string(r.state));
  if (!out.starts_with("FLEETREG CENTER " + state + ": ")) broken("the line does not say the state " + state);
  if (r.state == plugins::state::unknown) return;
  if (out.find(" | alerts_critical=") == std::string::npos || out.find(" alerts_warning=") == std::string::npos)
    broken("a judged answer without the alert counts as perfdata: " + out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  plugins::center_options o;
  o.dealer = "Dealer | with\na line break";
  check_one(o, text);
  o.warning = plugins::range::parse("5");
  o.critical = plugins::range::parse("@1:2");
  check_one(o, text);
  // The defaults: a critical alert open is CRITICAL whatever else.
  plugins::center_options d;
  d.dealer = "d";
  const auto r = plugins::check_dealer_answer(d, text);
  if (r.state != plugins::state::unknown && r.state != plugins::state::critical &&
      r.output.find("alerts_critical=0;") == std::string::npos)
    broken("open critical alerts without CRITICAL: " + r.output);
  return 0;
}
