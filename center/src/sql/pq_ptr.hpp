// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <libpq-fe.h>

#include <memory>

/// One owner per libpq object.
namespace fleetreg::center::sql {

struct pq_conn_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct pq_result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
struct pq_notify_deleter {
  void operator()(PGnotify* n) const noexcept { PQfreemem(n); }
};
using pq_conn_ptr = std::unique_ptr<PGconn, pq_conn_deleter>;
using pq_result_ptr = std::unique_ptr<PGresult, pq_result_deleter>;
using pq_notify_ptr = std::unique_ptr<PGnotify, pq_notify_deleter>;

}  // namespace fleetreg::center::sql
