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

std::string month_label(time_point month) { return format_utc(month).substr(0, 7); }

std::string volume_chart(const std::vector<month_volume>& months, int width, int height) {
  const int left = 70, right = 10, top = 34, bottom = 30;
  const int w = width - left - right, h = height - top - bottom;
  std::uint64_t vmax = 0, total = 0;
  bool unsplit = false;
  for (const auto& m : months) {
    vmax = std::max(vmax, m.v.mono + m.v.colour + m.v.unsplit);
    total += m.v.mono + m.v.colour + m.v.unsplit;
    unsplit = unsplit || m.v.unsplit > 0;
  }
  const auto span =
      months.empty() ? std::string() : month_label(months.front().month) + " to " + month_label(months.back().month);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart volume\" viewBox=\"0 0 " +
                    std::to_string(width) + " " + std::to_string(height) +
                    "\" role=\"img\" aria-labelledby=\"volume-title volume-desc\"><title id=\"volume-title\">"
                    "Monthly volume of the fleet</title><desc id=\"volume-desc\">Impressions per month, " +
                    html::escape(span) + ", mono and colour stacked; " + std::to_string(total) +
                    " in all. The table below the chart has the figures.</desc>";
  svg += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top) + "\" width=\"" + std::to_string(w) +
         "\" height=\"" + std::to_string(h) + "\" class=\"plot\"/>";
  // The legend, top left.
  struct part {
    const char* label;
    const char* css;
    std::uint64_t print_volume::*field;
  };
  std::vector<part> parts = {{"mono", "mono", &print_volume::mono}, {"colour", "colour", &print_volume::colour}};
  if (unsplit) parts.push_back({"not split", "unsplit", &print_volume::unsplit});
  int lx = left;
  for (const auto& p : parts) {
    svg += "<rect x=\"" + std::to_string(lx) + "\" y=\"10\" width=\"12\" height=\"12\" class=\"" + p.css + "\"/>";
    svg += "<text x=\"" + std::to_string(lx + 16) + "\" y=\"21\">" + p.label + "</text>";
    lx += 90;
  }
  svg += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + 4) + "\" text-anchor=\"end\">" +
         std::to_string(vmax) + "</text><text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(top + h) +
         "\" text-anchor=\"end\">0</text>";
  if (months.empty() || vmax == 0)
    return svg + "<text x=\"" + std::to_string(left + 10) + "\" y=\"" + std::to_string(top + 30) +
           "\">No volume yet</text></svg>";
  const double slot = static_cast<double>(w) / static_cast<double>(months.size());
  const double bar = slot * 0.7;
  auto num = [](double d) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", d);
    return std::string(b);
  };
  for (std::size_t i = 0; i < months.size(); ++i) {
    const auto& m = months[i];
    const auto label = month_label(m.month);
    const double x = left + slot * static_cast<double>(i) + (slot - bar) / 2;
    double base = top + h;
    for (const auto& p : parts) {
      const auto v = m.v.*p.field;
      if (v == 0) continue;
      const double bh = static_cast<double>(v) / static_cast<double>(vmax) * h;
      base -= bh;
      svg += "<rect class=\"" + std::string(p.css) + "\" x=\"" + num(x) + "\" y=\"" + num(base) + "\" width=\"" +
             num(bar) + "\" height=\"" + num(bh) + "\"><title>" + label + " " + p.label + ": " + std::to_string(v) +
             "</title></rect>";
    }
    // Every month's label on a wide chart; every other one keeps them apart.
    if (months.size() <= 12 || i % 2 == 0)
      svg += "<text x=\"" + num(x + bar / 2) + "\" y=\"" + std::to_string(top + h + 18) + "\" text-anchor=\"middle\">" +
             label.substr(2) + "</text>";
  }
  return svg + "</svg>";
}

std::string volume_table(const std::vector<month_volume>& months) {
  std::string rows;
  for (const auto& m : months)
    rows += "<tr><td>" + month_label(m.month) + "</td><td class=\"num\">" + std::to_string(m.v.mono) +
            "</td><td class=\"num\">" + std::to_string(m.v.colour) + "</td><td class=\"num\">" +
            std::to_string(m.v.unsplit) + "</td><td class=\"num\">" +
            std::to_string(m.v.mono + m.v.colour + m.v.unsplit) + "</td></tr>";
  return "<table class=\"volume\"><caption>Impressions per month</caption><tr><th>Month</th><th>Mono</th>"
         "<th>Colour</th><th>Not split</th><th>Total</th></tr>" +
         rows + "</table>";
}

}  // namespace fleetreg::center::web
