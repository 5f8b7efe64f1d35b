// SPDX-License-Identifier: Apache-2.0
// The router's table of routes and methods is exactly what the OpenAPI
// document describes.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "fleetreg/center/api.hpp"
#include "fleetreg/core/json.hpp"

namespace fleetreg::center {
namespace {

TEST(OpenApi, DocumentMatchesTheRouter) {
  std::ifstream in(FLEETREG_OPENAPI_FILE);
  ASSERT_TRUE(in) << FLEETREG_OPENAPI_FILE;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string why;
  const auto doc = json::parse(ss.str(), why);
  ASSERT_TRUE(doc) << why;
  std::set<std::pair<std::string, std::string>> documented, served;
  for (const auto& [path, item] : (*doc)["paths"].items())
    for (const auto& [method, op] : item.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(m, path);
      EXPECT_TRUE(op.contains("responses")) << m << " " << path;
    }
  for (const auto& r : api::routes()) served.emplace(r.method, r.pattern);
  EXPECT_EQ(documented, served);
}

}  // namespace
}  // namespace fleetreg::center
