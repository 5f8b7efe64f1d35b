// SPDX-License-Identifier: Apache-2.0
#include "context.hpp"

#include <sodium.h>

#include <charconv>

#include "fleetreg/center/refusal.hpp"

namespace fleetreg::center::web {

std::string context::field(const std::string& name) const {
  const auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

std::string context::param(const std::string& name) const {
  const auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

std::optional<object_route> route_of(const http::request& req, std::string_view prefix) {
  const std::string_view raw = req.raw_path.empty() ? std::string_view(req.path) : std::string_view(req.raw_path);
  if (!raw.starts_with(prefix)) return std::nullopt;
  const auto rest = raw.substr(prefix.size());
  const auto slash = rest.find('/');
  object_route r;
  if (!http::percent_decode(rest.substr(0, slash), r.object) ||
      (slash != std::string_view::npos && !http::percent_decode(rest.substr(slash + 1), r.action)))
    return std::nullopt;
  return r;
}

std::optional<std::pair<std::int64_t, std::string>> id_and_action(const std::string& path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  const std::string_view rest = std::string_view(path).substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + slash, id);
  if (ec != std::errc{} || ptr != rest.data() + slash) return std::nullopt;
  return std::pair{id, std::string(rest.substr(slash + 1))};
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void no_such_page() { throw refusal(refusal_kind::not_found, "There is no such page."); }

}  // namespace fleetreg::center::web
