// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/plugins/check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "fleetreg/core/json.hpp"
#include "fleetreg/rest_client/client.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"

namespace fleetreg::plugins {
namespace {

namespace tm = snmp::terminal_mib;

result unknown(const std::string& service, const std::string& why) {
  return {state::unknown, first_line(service, state::unknown, why, {}), {}};
}

// A threshold as perfdata writes it ("" when not set).
std::string text_of(const std::optional<range>& r) { return r ? r->text : std::string(); }

// A query parameter's value, percent-encoded (RFC 3986 unreserved kept).
std::string url_encoded(std::string_view v) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char ch : v) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

// check_center with a dealer: its open alerts from /api/v1/status?dealer=.
result dealer_counts(const center_options& o, const json::value& body) {
  const std::string service = "FLEETREG CENTER";
  // A count: a whole number 0..10^12 (anything else is not a count).
  const auto number = [](const json::value& v, const char* name) -> std::optional<double> {
    if (!v.is_object() || !v.contains(name) || !v[name].is_number()) return std::nullopt;
    const auto d = v[name].get<double>();
    if (!(d >= 0 && d <= 1e12) || d != std::floor(d)) return std::nullopt;
    return d;
  };
  const auto open = body.contains("alerts_open") ? body["alerts_open"] : json::value();
  const auto warnings = number(open, "warning"), criticals = number(open, "critical");
  const auto silent = number(body, "terminals_silent");
  if (!warnings || !criticals || !silent || !body.contains("alerts_open_by_kind") ||
      !body["alerts_open_by_kind"].is_object())
    return unknown(service, "the center's answer lacks the dealer's alert counts");
  const auto w = o.warning ? o.warning : range::parse("0");
  const auto c = o.critical ? o.critical : range::parse("0");
  state s = check(*warnings, w, std::nullopt);
  s = worse(s, check(*criticals, std::nullopt, c));
  std::vector<perfdata> perf = {{"alerts_critical", *criticals, "", "", text_of(c), 0.0, std::nullopt},
                                {"alerts_warning", *warnings, "", text_of(w), "", 0.0, std::nullopt},
                                {"terminals_silent", *silent, "", "", "", 0.0, std::nullopt}};
  std::string kinds;
  // Kinds as the center names them ([a-z_], at most 32 of them): perfdata
  // labels that cannot break the line.
  std::size_t listed = 0;
  for (const auto& [kind, counts] : body["alerts_open_by_kind"].items()) {
    if (kind.empty() || kind.size() > 40 || kind.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
      continue;
    if (++listed > 32) break;
    const double n = number(counts, "warning").value_or(0) + number(counts, "critical").value_or(0);
    perf.push_back({kind, n, "", "", "", 0.0, std::nullopt});
    if (n > 0) kinds += (kinds.empty() ? "" : ", ") + kind + " " + std::to_string(static_cast<long long>(n));
  }
  char counts[160];
  std::snprintf(counts, sizeof counts, "%.0f critical and %.0f warning alerts open", *criticals, *warnings);
  std::string text = "dealer " + o.dealer + ": " + counts + (kinds.empty() ? "" : " (" + kinds + ")") + ", " +
                     std::to_string(static_cast<long long>(*silent)) + " silent terminals";
  return {s, first_line(service, s, text, perf), {}};
}

}  // namespace

result check_dealer_answer(const center_options& o, std::string_view text) {
  std::string why;
  const auto body = json::parse(text, why);
  if (!body || !body->is_object())
    return unknown("FLEETREG CENTER", "the center's answer is not JSON: " + (why.empty() ? "not an object" : why));
  try {
    return dealer_counts(o, *body);
  } catch (const std::exception& e) {  // a count out of any range (json's own checks)
    return unknown("FLEETREG CENTER", std::string("the center's answer is not a dealer's counts: ") + e.what());
  }
}

result check_terminal(const terminal_options& o) {
  const std::string service = "FLEETREG TERMINAL";
  std::error_code ec;
  std::optional<snmp::terminal_reading> d;
  std::optional<long> status;
  std::string status_message;
  try {
    d = snmp::read_terminal(o.snmp, ec);
    if (d && d->source == reading_source::fleetreg_mib) {
      snmp::client c(o.snmp);
      const auto vbs = c.get({snmp::append(tm::status_state, {0}), snmp::append(tm::status_message, {0})}, ec);
      for (const auto& vb : vbs) {
        if (vb.val.is_exception()) continue;
        if (vb.name == snmp::append(tm::status_state, {0}))
          status = vb.val.integer;
        else
          status_message = vb.val.octets.substr(0, 200);
      }
      ec.clear();
    }
  } catch (const std::exception& e) {
    return unknown(service, std::string("cannot query ") + o.snmp.peer + ": " + e.what());
  }
  if (!d) return unknown(service, "no answer from " + o.snmp.peer + (ec ? ": " + ec.message() : ""));
  // read_terminal lists any agent that answers; one that names no printer is not a terminal.
  if (d->source == reading_source::printer_mib && d->id.manufacturer.empty() && d->id.serial.empty() &&
      d->counters.empty() && d->supplies.empty())
    return unknown(service, o.snmp.peer + " answers SNMP but serves neither the fleetreg MIB nor the Printer-MIB");
  std::vector<perfdata> perf;
  result r;
  for (const auto svc :
       {service::copy, service::print, service::scan, service::fax_in, service::fax_out, service::total})
    for (const auto kind : {counter_kind::impressions, counter_kind::impressions_mono, counter_kind::impressions_color,
                            counter_kind::sheets})
      if (const auto v = d->counters.get(svc, kind); v && (*v > 0 || kind == counter_kind::impressions))
        perf.push_back({std::string(to_string(svc)) + "_" + std::string(to_string(kind)), static_cast<double>(*v), "c",
                        "", "", 0.0, std::nullopt});
  state s = state::ok;
  std::string worst_supply;
  std::optional<int> lowest;
  for (const auto& sup : d->supplies) {
    const auto p = sup.percent();
    if (!p) continue;
    const auto label = sup.description.empty() ? "supply " + std::to_string(sup.index) : sup.description;
    perf.push_back({label, static_cast<double>(*p), "%", text_of(o.warning), text_of(o.critical), 0.0, 100.0});
    const auto st = check(*p, o.warning, o.critical);
    r.details.push_back(label + ": " + std::to_string(*p) + "% " + std::string(to_string(st)));
    if (!lowest || *p < *lowest) {
      lowest = *p;
      worst_supply = label;
    }
    s = worse(s, st);
  }
  std::string text = d->id.manufacturer + " " + d->id.model + " serial " + d->id.serial;
  if (d->source != reading_source::fleetreg_mib) text += " (RFC 3805)";
  if (lowest) text += ", lowest supply " + worst_supply + " " + std::to_string(*lowest) + "%";
  if (status) {
    const auto v = static_cast<tm::status_value>(*status);
    if (v == tm::status_value::error) {
      s = state::critical;
      text += ", terminal error" + (status_message.empty() ? std::string() : ": " + status_message);
    } else if (v == tm::status_value::unknown) {
      s = worse(s, state::warning);
      text += ", terminal status unknown";
    } else {
      text += v == tm::status_value::busy ? ", busy" : ", idle";
    }
  }
  if (d->registered_in_terminal_mode) text += ", registered in terminal mode";
  r.state = s;
  r.output = first_line(service, s, text, perf);
  return r;
}

result check_center(const center_options& o) {
  const std::string service = "FLEETREG CENTER";
  rest_client::options http;
  http.base_url = o.url;
  http.ca_file = o.ca_file;
  http.timeout = o.timeout;
  std::error_code ec;
  std::string transport;
  rest_client::response resp;
  try {
    rest_client::client c(http);
    const auto path =
        o.dealer.empty() ? std::string("/api/v1/status") : "/api/v1/status?dealer=" + url_encoded(o.dealer);
    resp = c.request("GET", path, "", {{"Authorization", "Bearer " + o.token}}, ec, &transport);
  } catch (const std::exception& e) {
    return unknown(service, std::string("cannot query ") + o.url + ": " + e.what());
  }
  if (ec) return unknown(service, "cannot reach " + o.url + ": " + transport);
  if (resp.status == 401) return unknown(service, "the center refused the monitoring token (HTTP 401)");
  if (resp.status == 403)
    return unknown(service, "the token may not read the center's status (HTTP 403): use a monitoring token");
  if (resp.status == 404 && !o.dealer.empty()) return unknown(service, "the center has no dealer " + o.dealer);
  if (resp.status != 200) return unknown(service, "the center answered HTTP " + std::to_string(resp.status));
  if (!o.dealer.empty()) return check_dealer_answer(o, resp.body);
  std::string why;
  const auto body = json::parse(resp.body, why);
  if (!body || !body->is_object()) return unknown(service, "the center's answer is not JSON: " + why);
  auto count = [&](const char* name) -> std::optional<double> {
    if (!body->contains(name) || !(*body)[name].is_number()) return std::nullopt;
    return (*body)[name].get<double>();
  };
  const auto stale = count("stale_terminals"), terminals = count("terminals");
  const auto unanswered = count("unanswered_requests"), expiring = count("codes_expiring_soon");
  if (!stale || !unanswered || !expiring) return unknown(service, "the center's status lacks the expected counts");
  state s = check(*stale, o.warning, o.critical);
  s = worse(s, check(*unanswered, o.unanswered_warning, o.unanswered_critical));
  s = worse(s, check(*expiring, o.expiring_warning, o.expiring_critical));
  std::vector<perfdata> perf = {
      {"stale_terminals", *stale, "", text_of(o.warning), text_of(o.critical), 0.0, std::nullopt},
      {"unanswered_requests", *unanswered, "", text_of(o.unanswered_warning), text_of(o.unanswered_critical), 0.0,
       std::nullopt},
      {"codes_expiring_soon", *expiring, "", text_of(o.expiring_warning), text_of(o.expiring_critical), 0.0,
       std::nullopt}};
  if (terminals) perf.push_back({"terminals", *terminals, "", "", "", 0.0, std::nullopt});
  char text[200];
  std::snprintf(text, sizeof text, "%.0f stale terminals, %.0f unanswered requests, %.0f codes expiring soon", *stale,
                *unanswered, *expiring);
  return {s, first_line(service, s, text, perf), {}};
}

result check_collector(const collector_options& o) {
  const std::string service = "FLEETREG COLLECTOR";
  struct stat st {};
  if (::stat(o.status_file.c_str(), &st) != 0) return unknown(service, "cannot read " + o.status_file);
  if (st.st_size > 65536) return unknown(service, o.status_file + " is too large");
  std::ifstream in(o.status_file);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string why;
  const auto v = json::parse(text, why);
  if (!v || !v->is_object() || !v->contains("outbox") || !(*v)["outbox"].is_number())
    return unknown(service, o.status_file + " is not a collector status: " + why);
  const double outbox = (*v)["outbox"].get<double>();
  std::optional<double> age;
  if (v->contains("last_upload") && (*v)["last_upload"].is_string())
    if (const auto t = parse_utc((*v)["last_upload"].get<std::string>()))
      age = std::max<double>(0, std::chrono::duration<double>(std::chrono::system_clock::now() - *t).count());
  state s = check(outbox, o.warning, o.critical);
  if (age)
    s = worse(s, check(*age, o.age_warning, o.age_critical));
  else if (o.age_warning || o.age_critical)
    s = worse(s, state::warning);  // never uploaded
  const bool registered = v->value("registered", false);
  if (!registered) s = worse(s, state::warning);
  std::vector<perfdata> perf = {{"outbox", outbox, "", text_of(o.warning), text_of(o.critical), 0.0, std::nullopt}};
  if (age)
    perf.push_back({"last_upload_age", *age, "s", text_of(o.age_warning), text_of(o.age_critical), 0.0, std::nullopt});
  std::string line = std::to_string(static_cast<long long>(outbox)) + " readings waiting, last upload " +
                     (age ? std::to_string(static_cast<long long>(*age)) + " s ago" : std::string("never"));
  if (!registered) line += (*v).value("revoked", false) ? ", credential revoked" : ", not registered";
  if (!v->value("center_reachable", true)) line += ", center unreachable: " + v->value("last_error", std::string());
  return {s, first_line(service, s, line, perf), {}};
}

}  // namespace fleetreg::plugins
