// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/rest_client/center.hpp"

#include "fleetreg/core/error.hpp"

namespace fleetreg::rest_client {
namespace {

std::map<std::string, std::string> bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

}  // namespace

void check_center_url(const center_options& o) {
  if (o.url.starts_with("http://") && !o.allow_plain_http)
    throw error(exit_code::config, "the center URL is plain http: set [center] allow_plain_http = yes to allow it");
  if (!o.url.starts_with("https://") && !o.url.starts_with("http://"))
    throw error(exit_code::usage, "the center URL must start with https://");
}

std::string center_message(const response& r) {
  std::string why;
  if (auto body = json::parse(r.body, why); body && body->is_object() && body->contains("error") &&
                                            (*body)["error"].is_object())
    return (*body)["error"].value("message", "refused") + " (" + (*body)["error"].value("code", "") + ")";
  return "HTTP " + std::to_string(r.status);
}

center_client::center_client(const center_options& o, std::chrono::milliseconds timeout) : url_(o.url) {
  check_center_url(o);
  options http;
  http.base_url = o.url;
  http.ca_file = o.ca_file;
  http.proxy = o.proxy;
  http.timeout = timeout;
  http_ = std::make_unique<client>(http);
}

center_client::~center_client() = default;

center_client::registration center_client::register_terminals(const std::string& canonical_code,
                                                              const json::value& registering_side,
                                                              const json::value& terminals,
                                                              const std::string& idempotency_key) {
  const json::value body = {{"code", canonical_code}, {"registering_side", registering_side}, {"terminals", terminals}};
  std::error_code ec;
  std::string transport;
  const auto r = http_->request("POST", "/api/v1/registrations", body.dump(), {{"Idempotency-Key", idempotency_key}},
                                ec, &transport);
  if (ec) throw error(exit_code::unavailable, "cannot reach the center at " + url_ + ": " + transport);
  if (r.status != 201) throw error(exit_code::failure, "the center refused the registration: " + center_message(r));
  std::string why;
  const auto answer = json::parse(r.body, why);
  if (!answer || !answer->is_object() || !answer->contains("credential") || !answer->contains("site_id") ||
      !(*answer)["credential"].is_string() || !(*answer)["site_id"].is_string())
    throw error(exit_code::failure, "the center's answer is not a registration");
  return {(*answer)["site_id"].get<std::string>(), (*answer)["credential"].get<std::string>()};
}

std::string center_client::add_terminals(const std::string& credential, const json::value& terminals) {
  std::error_code ec;
  std::string transport;
  const json::value body = {{"terminals", terminals}};
  const auto r = http_->request("POST", "/api/v1/sites/self/terminals", body.dump(), bearer(credential), ec, &transport);
  if (ec) return transport;
  if (r.status != 200) return center_message(r);
  return {};
}

center_client::poll center_client::wait_for_requests(const std::string& credential, std::chrono::seconds wait) {
  poll out;
  std::error_code ec;
  std::string transport;
  const auto r = http_->request("GET", "/api/v1/requests?wait=" + std::to_string(wait.count()), "", bearer(credential),
                                ec, &transport);
  if (ec || r.status >= 500) {
    out.error = ec ? transport : center_message(r);
    return out;
  }
  out.reachable = true;
  if (r.status == 401) {
    out.revoked = true;
    out.error = center_message(r);
    return out;
  }
  if (r.status != 200) {
    out.error = center_message(r);
    return out;
  }
  std::string why;
  const auto body = json::parse(r.body, why);
  if (!body || !body->is_object() || !body->contains("requests") || !(*body)["requests"].is_array()) {
    out.error = "the center's answer has no requests list";
    return out;
  }
  for (const auto& req : (*body)["requests"])
    if (req.is_object() && req.contains("id") && req["id"].is_string()) out.request_ids.push_back(req["id"]);
  return out;
}

center_client::delivery center_client::deliver(outbox& box, const std::string& credential) {
  delivery out;
  while (true) {
    const auto batch = box.due(100);
    if (batch.empty()) return out;
    std::string body = "{\"readings\":[";
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i) body += ',';
      body += batch[i].body;
      ids.push_back(batch[i].id);
    }
    body += "]}";
    std::error_code ec;
    std::string transport;
    const auto r = http_->request("POST", "/api/v1/readings", body, bearer(credential), ec, &transport);
    if (ec || r.status >= 500 || r.status == 429) {
      out.error = ec ? "cannot reach the center: " + transport : center_message(r);
      box.retry_later(ids);
      return out;
    }
    if (r.status == 401) {
      out.revoked = true;
      out.error = center_message(r);
      return out;
    }
    if (r.status != 200) {
      // Refused as malformed or for an unknown terminal: keep it, back off, say why.
      out.error = center_message(r);
      box.retry_later(ids);
      return out;
    }
    box.acknowledged(ids);  // accepted or already there: both mean stored
    out.acknowledged += static_cast<std::int64_t>(ids.size());
  }
}

}  // namespace fleetreg::rest_client
