// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/database_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fleetreg/core/error.hpp"

namespace fleetreg::center {

std::string database_lock::path_for(const std::string& database) { return database + ".lock"; }

std::optional<database_lock> database_lock::try_acquire(const std::string& database) {
  const auto path = path_for(database);
  unique_fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw error(exit_code::io, "cannot open the lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    fd.reset();
    if (saved == EWOULDBLOCK) return std::nullopt;
    throw error(exit_code::io, "cannot lock " + path + ": " + std::strerror(saved));
  }
  return database_lock(std::move(fd));
}

}  // namespace fleetreg::center
