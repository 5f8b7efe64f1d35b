// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/billing.hpp"

#include <array>

namespace fleetreg::center {
namespace {

constexpr std::array<service, 6> services = {service::copy,   service::print,   service::scan,
                                             service::fax_in, service::fax_out, service::total};
constexpr std::array<counter_kind, 4> kinds = {counter_kind::impressions, counter_kind::impressions_mono,
                                               counter_kind::impressions_color, counter_kind::sheets};

std::string csv_cell(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string opt(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : ""; }
std::string opt(const std::optional<time_point>& t) { return t ? format_utc(*t) : ""; }

}  // namespace

std::optional<time_point> parse_billing_day(const std::string& day) {
  if (day.size() != 10) return std::nullopt;
  return parse_utc(day + "T00:00:00Z");
}

std::vector<billing_line> bill_terminal(const std::vector<stored_reading>& readings) {
  std::vector<billing_line> out;
  if (readings.empty()) return out;
  for (auto svc : services)
    for (auto kind : kinds) {
      billing_line l;
      l.terminal_key = readings.front().r.terminal_key;
      l.site_id = readings.back().site_id;
      l.svc = svc;
      l.kind = kind;
      std::optional<std::uint64_t> prev;
      for (const auto& s : readings) {
        const auto v = s.r.counters.get(svc, kind);
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
      if (l.start) out.push_back(std::move(l));
    }
  return out;
}

std::string billing_csv(const std::vector<billing_line>& lines) {
  std::string out = "customer,site,terminal,model,service,kind,start_time,start,end_time,end,clicks,resets\r\n";
  for (const auto& l : lines) {
    const std::string cells[] = {l.customer,
                                 l.site_id,
                                 l.terminal_key,
                                 l.model,
                                 std::string(to_string(l.svc)),
                                 std::string(to_string(l.kind)),
                                 opt(l.start_at),
                                 opt(l.start),
                                 opt(l.end_at),
                                 opt(l.end),
                                 std::to_string(l.clicks),
                                 std::to_string(l.resets)};
    for (std::size_t i = 0; i < std::size(cells); ++i) out += (i ? "," : "") + csv_cell(cells[i]);
    out += "\r\n";
  }
  return out;
}

json::value billing_json(const std::vector<billing_line>& lines) {
  json::value list = json::value::array();
  for (const auto& l : lines)
    list.push_back({{"customer", l.customer},
                    {"site", l.site_id},
                    {"terminal", l.terminal_key},
                    {"model", l.model},
                    {"service", std::string(to_string(l.svc))},
                    {"kind", std::string(to_string(l.kind))},
                    {"start_time", l.start_at ? json::value(format_utc(*l.start_at)) : json::value()},
                    {"start", l.start ? json::value(*l.start) : json::value()},
                    {"end_time", l.end_at ? json::value(format_utc(*l.end_at)) : json::value()},
                    {"end", l.end ? json::value(*l.end) : json::value()},
                    {"clicks", l.clicks},
                    {"resets", l.resets}});
  return {{"lines", list}};
}

}  // namespace fleetreg::center
