// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/test_database.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "fleetreg/test/postgres_cluster.hpp"

namespace fleetreg::test {
namespace {

std::atomic<int> database_counter{0};

// The cluster of a test binary run without the ctest fixture: started on
// first use, stopped by the static destructor at exit.
const std::string& own_cluster_uri() {
  static std::mutex mutex;
  static std::unique_ptr<postgres_cluster> cluster;
  static std::string uri;
  const std::lock_guard lock(mutex);
  if (!cluster) {
    cluster = std::make_unique<postgres_cluster>();
    uri = cluster->uri();
  }
  return uri;
}

}  // namespace

std::string with_database(const std::string& uri, const std::string& database) {
  std::size_t scheme = std::string::npos;
  for (const char* prefix : {"postgresql://", "postgres://"})
    if (uri.rfind(prefix, 0) == 0) scheme = std::char_traits<char>::length(prefix);
  if (scheme == std::string::npos) throw std::invalid_argument("not a postgresql:// URI: " + uri);
  const auto query = uri.find('?', scheme);
  const auto slash = uri.find('/', scheme);
  const auto authority_end = std::min(slash, query);
  std::string out = uri.substr(0, authority_end) + "/" + database;
  if (query != std::string::npos) out += uri.substr(query);
  return out;
}

std::string shared_cluster_uri() {
  const char* path = std::getenv("FLEETREG_TEST_POSTGRESQL");
  if (!path || !*path) return {};
  std::ifstream in(path);
  std::string uri;
  if (!in || !std::getline(in, uri))
    throw std::runtime_error(std::string("FLEETREG_TEST_POSTGRESQL names ") + path +
                             ", which cannot be read: did the postgresql fixture (pg_cluster.sh start) run?");
  with_database(uri, "postgres");  // throws unless it is a URI
  return uri;
}

test_database::test_database() {
  const auto shared = shared_cluster_uri();
  maintenance_ = shared.empty() ? own_cluster_uri() : shared;
  name_ = "fleetreg_t_" + std::to_string(::getpid()) + "_" + std::to_string(database_counter++);
  // A database of a crashed process whose PID is ours again is stale: drop it.
  pg_connection maintenance(maintenance_);
  maintenance.query("DROP DATABASE IF EXISTS " + pg_identifier(name_) + " WITH (FORCE)");
  maintenance.query("CREATE DATABASE " + pg_identifier(name_));
  uri_ = with_database(maintenance_, name_);
}

test_database::~test_database() {
  try {
    pg_connection(maintenance_).query("DROP DATABASE IF EXISTS " + pg_identifier(name_) + " WITH (FORCE)");
  } catch (...) {
    // The cluster is gone already (its removal takes the database along).
  }
}

}  // namespace fleetreg::test
