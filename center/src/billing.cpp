// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/billing.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "fleetreg/core/reading.hpp"

namespace fleetreg::center {
namespace {

constexpr std::array<service, 6> services = {service::copy,   service::print,   service::scan,
                                             service::fax_in, service::fax_out, service::total};
constexpr std::array<counter_kind, 4> kinds = {counter_kind::impressions, counter_kind::impressions_mono,
                                               counter_kind::impressions_color, counter_kind::sheets};

}  // namespace

std::string csv_cell(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

namespace {

std::string opt(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : ""; }
std::string opt(const std::optional<time_point>& t) { return t ? format_utc(*t) : ""; }

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// A factor 0–1000 with at most three decimals, in thousandths.
std::optional<std::uint32_t> parse_factor(const std::string& text) {
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  const auto frac = dot == std::string::npos ? std::string() : text.substr(dot + 1);
  auto digits = [](const std::string& d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 4 || !digits(whole) || frac.size() > 3 || !digits(frac) ||
      (dot != std::string::npos && frac.empty()))
    return std::nullopt;
  std::uint32_t v = static_cast<std::uint32_t>(std::stoul(whole)) * 1000;
  auto f = frac;
  f.resize(3, '0');
  v += static_cast<std::uint32_t>(std::stoul(f));
  if (v > 1000000) return std::nullopt;
  return v;
}

bool is_cell_or_extra(const std::string& key) {
  const auto dot = key.find('.');
  if (dot != std::string::npos && parse_service(key.substr(0, dot)) && parse_counter_kind(key.substr(dot + 1)))
    return true;
  return is_extra_key(key);
}

}  // namespace

std::optional<std::uint32_t> billing_weights::of(const std::string& key) const {
  if (milli.empty()) return key == "total.impressions" ? std::optional<std::uint32_t>(1000) : std::nullopt;
  const auto it = milli.find(key);
  return it == milli.end() ? std::nullopt : std::optional<std::uint32_t>(it->second);
}

std::optional<billing_weights> parse_billing_weights(std::string_view text, std::string& why) {
  if (text.size() > 4096) {
    why = "billing weights are longer than 4,096 bytes";
    return std::nullopt;
  }
  billing_weights w;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of(",\n", start);
    if (end == std::string_view::npos) end = text.size();
    const auto entry = trim(text.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    const auto eq = entry.find('=');
    const auto key = trim(std::string_view(entry).substr(0, eq));
    if (eq == std::string::npos || !is_cell_or_extra(key)) {
      why = "'" + truncate_utf8(entry, 64) +
            "' is not CELL=FACTOR (a cell such as copy.impressions-mono or an extras key such as "
            "copy.impressions-mono.a3)";
      return std::nullopt;
    }
    const auto factor = parse_factor(trim(std::string_view(entry).substr(eq + 1)));
    if (!factor) {
      why = "the factor of " + key + " must be a number from 0 to 1000 with at most three decimals";
      return std::nullopt;
    }
    if (!w.milli.emplace(key, *factor).second) {
      why = key + " is weighted twice";
      return std::nullopt;
    }
    if (w.milli.size() > max_billing_weights) {
      why = "at most 64 weighted cells";
      return std::nullopt;
    }
  }
  return w;
}

std::string format_milli(std::uint64_t milli) {
  auto s = std::to_string(milli / 1000);
  if (const auto frac = milli % 1000) {
    auto f = std::to_string(frac);
    f.insert(0, 3 - f.size(), '0');
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s;
}

std::string to_string(const billing_weights& w) {
  std::string out;
  for (const auto& [key, m] : w.milli) out += (out.empty() ? "" : ",") + key + "=" + format_milli(m);
  return out;
}

std::string billing_line::cell() const { return extra.empty() ? cell_name(svc, kind) : extra; }

std::optional<time_point> parse_billing_day(const std::string& day) {
  if (day.size() != 10) return std::nullopt;
  return parse_utc(day + "T00:00:00Z");
}

namespace {

// The clicks of one counter (a cell or an extras key) over `readings`.
template <typename Value>
billing_line bill_one(const std::vector<stored_reading>& readings, Value&& value_of) {
  billing_line l;
  l.terminal_key = readings.front().r.terminal_key;
  l.site_id = readings.back().site_id;
  std::optional<std::uint64_t> prev;
  for (const auto& s : readings) {
    const std::optional<std::uint64_t> v = value_of(s.r);
    if (!v) continue;
    if (!prev) {
      l.start = v;
      l.start_at = s.r.taken;
    } else if (*v >= *prev) {
      l.clicks += *v - *prev;
    } else {
      l.clicks += *v;  // reset or swap: the new counter started from zero
      ++l.resets;
    }
    prev = v;
    l.end = v;
    l.end_at = s.r.taken;
  }
  return l;
}

}  // namespace

std::vector<billing_line> bill_terminal(const std::vector<stored_reading>& readings, const billing_weights& weights) {
  std::vector<billing_line> out;
  if (readings.empty()) return out;
  for (auto svc : services)
    for (auto kind : kinds) {
      auto l = bill_one(readings, [&](const reading& r) { return r.counters.get(svc, kind); });
      l.svc = svc;
      l.kind = kind;
      l.weight = weights.of(l.cell());
      if (l.start) out.push_back(std::move(l));
    }
  std::set<std::string> extras;
  for (const auto& s : readings)
    for (const auto& [key, v] : s.r.extras) extras.insert(key);
  for (const auto& key : extras) {
    auto l = bill_one(readings, [&](const reading& r) {
      const auto it = r.extras.find(key);
      return it == r.extras.end() ? std::optional<std::uint64_t>() : std::optional<std::uint64_t>(it->second);
    });
    l.extra = key;
    l.weight = weights.of(key);
    if (l.start) out.push_back(std::move(l));
  }
  return out;
}

std::string billing_csv(const std::vector<billing_line>& lines) {
  std::string out =
      "customer,site,terminal,model,service,kind,start_time,start,end_time,end,clicks,resets,cell,weight,"
      "weighted_clicks\r\n";
  for (const auto& l : lines) {
    const bool cell = l.extra.empty();
    const std::string cells[] = {l.customer,
                                 l.site_id,
                                 l.terminal_key,
                                 l.model,
                                 cell ? std::string(to_string(l.svc)) : std::string(),
                                 cell ? std::string(to_string(l.kind)) : std::string(),
                                 opt(l.start_at),
                                 opt(l.start),
                                 opt(l.end_at),
                                 opt(l.end),
                                 std::to_string(l.clicks),
                                 std::to_string(l.resets),
                                 l.cell(),
                                 l.weight ? format_milli(*l.weight) : std::string(),
                                 l.weight ? format_milli(l.weighted_milli()) : std::string()};
    for (std::size_t i = 0; i < std::size(cells); ++i) out += (i ? "," : "") + csv_cell(cells[i]);
    out += "\r\n";
  }
  return out;
}

namespace {

// Lines grouped per terminal (in order of first appearance) and every cell
// that has a line, cells in the model's order then extras keys sorted.
struct wide_table {
  std::vector<std::vector<const billing_line*>> terminals;
  std::vector<std::string> cells;
};

wide_table widen(const std::vector<billing_line>& lines) {
  wide_table t;
  std::map<std::string, std::size_t> row_of;
  std::set<std::string> extras;
  std::set<std::string> present;
  for (const auto& l : lines) {
    const auto key = l.site_id + "\n" + l.terminal_key;
    auto [it, fresh] = row_of.try_emplace(key, t.terminals.size());
    if (fresh) t.terminals.emplace_back();
    t.terminals[it->second].push_back(&l);
    (l.extra.empty() ? present : extras).insert(l.cell());
  }
  for (auto svc : services)
    for (auto kind : kinds)
      if (present.count(cell_name(svc, kind))) t.cells.push_back(cell_name(svc, kind));
  t.cells.insert(t.cells.end(), extras.begin(), extras.end());
  return t;
}

}  // namespace

std::string billing_wide_csv(const std::vector<billing_line>& lines) {
  const auto t = widen(lines);
  std::string out = "customer,site,terminal,model";
  for (const auto& c : t.cells) out += "," + csv_cell(c);
  out += ",billed\r\n";
  for (const auto& row : t.terminals) {
    const auto& first = *row.front();
    out += csv_cell(first.customer) + "," + csv_cell(first.site_id) + "," + csv_cell(first.terminal_key) + "," +
           csv_cell(first.model);
    std::uint64_t billed = 0;
    for (const auto& c : t.cells) {
      out += ",";
      for (const auto* l : row)
        if (l->cell() == c) out += std::to_string(l->clicks);
    }
    for (const auto* l : row) billed += l->weighted_milli();
    out += "," + format_milli(billed) + "\r\n";
  }
  return out;
}

json::value billing_json(const std::vector<billing_line>& lines, const billing_weights& weights) {
  json::value list = json::value::array();
  for (const auto& l : lines) {
    const bool cell = l.extra.empty();
    list.push_back({{"customer", l.customer},
                    {"site", l.site_id},
                    {"terminal", l.terminal_key},
                    {"model", l.model},
                    {"service", cell ? json::value(std::string(to_string(l.svc))) : json::value()},
                    {"kind", cell ? json::value(std::string(to_string(l.kind))) : json::value()},
                    {"cell", l.cell()},
                    {"start_time", l.start_at ? json::value(format_utc(*l.start_at)) : json::value()},
                    {"start", l.start ? json::value(*l.start) : json::value()},
                    {"end_time", l.end_at ? json::value(format_utc(*l.end_at)) : json::value()},
                    {"end", l.end ? json::value(*l.end) : json::value()},
                    {"clicks", l.clicks},
                    {"resets", l.resets},
                    {"weight", l.weight ? json::value(format_milli(*l.weight)) : json::value()},
                    {"weighted_clicks", l.weight ? json::value(format_milli(l.weighted_milli())) : json::value()}});
  }
  json::value terminals = json::value::array();
  for (const auto& row : widen(lines).terminals) {
    json::value cells = json::value::object();
    std::uint64_t billed = 0;
    for (const auto* l : row) {
      cells[l->cell()] = l->clicks;
      billed += l->weighted_milli();
    }
    terminals.push_back({{"site", row.front()->site_id},
                         {"terminal", row.front()->terminal_key},
                         {"model", row.front()->model},
                         {"clicks", cells},
                         {"billed", format_milli(billed)}});
  }
  json::value w = json::value::object();
  for (const auto& [key, m] : weights.milli) w[key] = format_milli(m);
  if (weights.milli.empty()) w["total.impressions"] = "1";
  return {{"lines", list}, {"terminals", terminals}, {"weights", w}};
}

print_volume volume_of(const std::vector<billing_line>& lines) {
  // The clicks of each cell that has a line (its counter was read).
  std::map<std::pair<service, counter_kind>, std::uint64_t> cells;
  for (const auto& l : lines)
    if (l.extra.empty()) cells[{l.svc, l.kind}] = l.clicks;
  const auto sum = [&](counter_kind k) -> std::optional<std::uint64_t> {
    if (const auto it = cells.find({service::total, k}); it != cells.end()) return it->second;
    std::optional<std::uint64_t> out;
    for (auto svc : {service::copy, service::print, service::fax_in})
      if (const auto it = cells.find({svc, k}); it != cells.end()) out = out.value_or(0) + it->second;
    return out;
  };
  print_volume v;
  const auto mono = sum(counter_kind::impressions_mono);
  const auto colour = sum(counter_kind::impressions_color);
  if (mono || colour) {
    v.mono = mono.value_or(0);
    v.colour = colour.value_or(0);
  } else {
    v.unsplit = sum(counter_kind::impressions).value_or(0);
  }
  return v;
}

}  // namespace fleetreg::center
