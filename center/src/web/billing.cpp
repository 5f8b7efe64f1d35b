// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/billing.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "html.hpp"

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
  std::string out =
      "customer,site,terminal,model,service,kind,start_time,start,end_time,end,clicks,resets\r\n";
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

std::string counters_chart(const std::vector<stored_reading>& readings, int width, int height) {
  struct series {
    std::string label;
    std::vector<std::pair<double, double>> points;  // (t, value)
    std::vector<std::pair<double, double>> resets;
  };
  std::vector<series> all;
  for (auto svc : services) {
    if (svc == service::total) continue;
    // Mono and colour apart where the terminal reports them; else all impressions.
    bool split = false;
    for (const auto& s : readings)
      split = split || s.r.counters.get(svc, counter_kind::impressions_color).has_value();
    const std::vector<counter_kind> ks = split ? std::vector<counter_kind>{counter_kind::impressions_mono,
                                                                           counter_kind::impressions_color}
                                               : std::vector<counter_kind>{counter_kind::impressions};
    for (auto k : ks) {
      series se;
      se.label = std::string(to_string(svc)) + (split ? (k == counter_kind::impressions_mono ? " mono" : " colour") : "");
      std::optional<std::uint64_t> prev;
      for (const auto& s : readings) {
        const auto v = s.r.counters.get(svc, k);
        if (!v) continue;
        const double t = static_cast<double>(to_unix(s.r.taken));
        se.points.emplace_back(t, static_cast<double>(*v));
        if (prev && *v < *prev) se.resets.emplace_back(t, static_cast<double>(*v));
        prev = v;
      }
      if (!se.points.empty() && (se.points.back().second > 0 || !se.resets.empty())) all.push_back(std::move(se));
    }
  }
  const int left = 70, right = 150, top = 20, bottom = 40;
  const int w = width - left - right, h = height - top - bottom;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " + std::to_string(width) +
                    " " + std::to_string(height) + "\" role=\"img\" aria-label=\"Counters over time\">";
  svg += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top) + "\" width=\"" + std::to_string(w) +
         "\" height=\"" + std::to_string(h) + "\" class=\"plot\"/>";
  if (all.empty()) return svg + "<text x=\"" + std::to_string(left + 10) + "\" y=\"" + std::to_string(top + 30) +
                          "\">No counters yet</text></svg>";
  double t0 = 1e300, t1 = -1e300, vmax = 0;
  for (const auto& se : all)
    for (const auto& [t, v] : se.points) {
      t0 = std::min(t0, t);
      t1 = std::max(t1, t);
      vmax = std::max(vmax, v);
    }
  if (t1 <= t0) t1 = t0 + 1;
  if (vmax <= 0) vmax = 1;
  auto x = [&](double t) { return left + (t - t0) / (t1 - t0) * w; };
  auto y = [&](double v) { return top + h - v / vmax * h; };
  auto num = [](double d) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", d);
    return std::string(b);
  };
  static constexpr const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                            "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"};
  svg += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + 4) + "\" text-anchor=\"end\">" +
         std::to_string(static_cast<std::uint64_t>(vmax)) + "</text>";
  svg += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + h) + "\" text-anchor=\"end\">0</text>";
  const auto from = format_utc(from_unix(static_cast<std::int64_t>(t0)));
  const auto to = format_utc(from_unix(static_cast<std::int64_t>(t1)));
  svg += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top + h + 18) + "\">" + html::escape(from.substr(0, 16)) + "</text>";
  svg += "<text x=\"" + std::to_string(left + w) + "\" y=\"" + std::to_string(top + h + 18) + "\" text-anchor=\"end\">" +
         html::escape(to.substr(0, 16)) + "</text>";
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto* colour = colours[i % std::size(colours)];
    std::string pts;
    for (const auto& [t, v] : all[i].points) pts += num(x(t)) + "," + num(y(v)) + " ";
    svg += "<polyline class=\"series\" fill=\"none\" stroke=\"" + std::string(colour) + "\" points=\"" + pts + "\">" +
           "<title>" + html::escape(all[i].label) + "</title></polyline>";
    for (const auto& [t, v] : all[i].resets)
      svg += "<circle class=\"reset\" cx=\"" + num(x(t)) + "\" cy=\"" + num(y(v)) + "\" r=\"5\"><title>" +
             html::escape(all[i].label) + ": counter went down (reset or device swap)</title></circle>";
    const int ly = top + 14 + static_cast<int>(i) * 18;
    svg += "<rect x=\"" + std::to_string(left + w + 12) + "\" y=\"" + std::to_string(ly - 9) +
           "\" width=\"12\" height=\"4\" fill=\"" + colour + "\"/>";
    svg += "<text x=\"" + std::to_string(left + w + 30) + "\" y=\"" + std::to_string(ly - 4) + "\">" +
           html::escape(all[i].label) + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace fleetreg::center
