// SPDX-License-Identifier: Apache-2.0
#include "chart.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "html.hpp"

namespace fleetreg::center::web {
namespace {

constexpr std::array<service, 5> services = {service::copy, service::print, service::scan, service::fax_in,
                                             service::fax_out};

struct series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (t, value)
  std::vector<std::pair<double, double>> resets;
};

// One series per service (mono and colour apart where the terminal reports
// them, else all impressions) that has counted anything.
std::vector<series> series_of(const std::vector<stored_reading>& readings) {
  std::vector<series> all;
  for (auto svc : services) {
    bool split = false;
    for (const auto& s : readings) split = split || s.r.counters.get(svc, counter_kind::impressions_color).has_value();
    const std::vector<counter_kind> ks =
        split ? std::vector<counter_kind>{counter_kind::impressions_mono, counter_kind::impressions_color}
              : std::vector<counter_kind>{counter_kind::impressions};
    for (auto k : ks) {
      series se;
      se.label =
          std::string(to_string(svc)) + (split ? (k == counter_kind::impressions_mono ? " mono" : " colour") : "");
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
  return all;
}

}  // namespace

std::string counters_chart(const std::vector<stored_reading>& readings, int width, int height) {
  const auto all = series_of(readings);
  const int left = 70, right = 150, top = 20, bottom = 40;
  const int w = width - left - right, h = height - top - bottom;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " + std::to_string(width) +
                    " " + std::to_string(height) + "\" role=\"img\" aria-label=\"Counters over time\">";
  svg += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top) + "\" width=\"" + std::to_string(w) +
         "\" height=\"" + std::to_string(h) + "\" class=\"plot\"/>";
  if (all.empty())
    return svg + "<text x=\"" + std::to_string(left + 10) + "\" y=\"" + std::to_string(top + 30) +
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
  svg +=
      "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + h) + "\" text-anchor=\"end\">0</text>";
  const auto from = format_utc(from_unix(static_cast<std::int64_t>(t0)));
  const auto to = format_utc(from_unix(static_cast<std::int64_t>(t1)));
  svg += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top + h + 18) + "\">" +
         html::escape(from.substr(0, 16)) + "</text>";
  svg += "<text x=\"" + std::to_string(left + w) + "\" y=\"" + std::to_string(top + h + 18) +
         "\" text-anchor=\"end\">" + html::escape(to.substr(0, 16)) + "</text>";
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

}  // namespace fleetreg::center::web
