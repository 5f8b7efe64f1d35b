// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/terminal/job.hpp"

namespace fleetreg::terminal {
namespace {

constexpr std::int32_t toner_capacity = 20'000;  // impressions per cartridge
constexpr std::int32_t drum_capacity = 60'000;

bool marks_paper(service s) { return s == service::copy || s == service::print || s == service::fax_in; }

void use(supply& s, std::uint64_t amount) {
  if (s.level < 0) return;  // unknown / some remaining: nothing to count down
  const auto left = static_cast<std::uint64_t>(s.level);
  s.level = static_cast<std::int32_t>(amount >= left ? 0 : left - amount);
}

}  // namespace

std::optional<std::string> validate(const job& j, bool color_capable) {
  if (j.kind == service::total) return "total is not a job";
  if (j.units == 0) return "a job needs at least 1 unit";
  if (j.units > max_job_units) return "a job may move a counter by at most " + std::to_string(max_job_units);
  if (j.color && !color_capable) return "this terminal prints in black and white only";
  if (j.color && (j.kind == service::scan || j.kind == service::fax_out || j.kind == service::fax_in))
    return "colour applies to copy and print jobs only";
  if (j.duplex && !marks_paper(j.kind)) return "duplex applies to copy, print and fax-in only";
  return std::nullopt;
}

void apply(const job& j, counter_set& counters, std::vector<supply>& supplies) {
  if (!marks_paper(j.kind)) {
    counters.add(j.kind, counter_kind::impressions, j.units);
    counters.add(j.kind, counter_kind::impressions_mono, j.units);
    return;
  }
  const std::uint64_t impressions = j.units * (j.duplex ? 2 : 1);
  const auto split = j.color ? counter_kind::impressions_color : counter_kind::impressions_mono;
  for (auto s : {j.kind, service::total}) {
    counters.add(s, counter_kind::impressions, impressions);
    counters.add(s, split, impressions);
    counters.add(s, counter_kind::sheets, j.units);
  }
  for (auto& s : supplies) {
    if (s.type == supply_type::opc) use(s, impressions);
    if (s.type != supply_type::toner) continue;
    // Every impression uses black; a colour impression also uses C, M and Y.
    if (s.colorant == "black" || j.color) use(s, impressions);
  }
}

std::vector<supply> default_supplies(bool color, int toner_percent) {
  std::vector<supply> out;
  // Appends one supply row (index = its position, from 1).
  auto add = [&](supply_type type, supply_class klass, supply_unit unit, std::string description, std::string colorant,
                 std::int32_t max_capacity, std::int32_t level) {
    supply s;
    s.index = static_cast<std::int32_t>(out.size() + 1);
    s.type = type;
    s.klass = klass;
    s.unit = unit;
    s.description = std::move(description);
    s.colorant = std::move(colorant);
    s.max_capacity = max_capacity;
    s.level = level;
    out.push_back(std::move(s));
  };
  const auto toner_level = static_cast<std::int32_t>(static_cast<std::int64_t>(toner_capacity) * toner_percent / 100);
  auto toner = [&](std::string colorant, std::string name) {
    add(supply_type::toner, supply_class::consumed, supply_unit::impressions, std::move(name), std::move(colorant),
        toner_capacity, toner_level);
  };
  toner("black", "Black Toner");
  if (color) {
    toner("cyan", "Cyan Toner");
    toner("magenta", "Magenta Toner");
    toner("yellow", "Yellow Toner");
  }
  add(supply_type::opc, supply_class::consumed, supply_unit::impressions, "Drum Unit", "", drum_capacity,
      drum_capacity);
  add(supply_type::waste_toner, supply_class::filled, supply_unit::items, "Waste Toner Box", "", supply_other,
      supply_some_remaining);
  return out;
}

counter_set zero_counters() {
  counter_set c;
  for (auto s : all_services)
    for (auto k : all_counter_kinds) c.set(s, k, 0);
  return c;
}

}  // namespace fleetreg::terminal
