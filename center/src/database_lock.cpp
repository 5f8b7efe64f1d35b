// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/database_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "fleetreg/core/error.hpp"

namespace fleetreg::center {

std::string database_lock::path_for(const std::string& database) { return database + ".lock"; }

std::optional<database_lock> database_lock::try_acquire(const std::string& database) {
  const auto path = path_for(database);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw error(exit_code::io, "cannot open the lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) return std::nullopt;
    throw error(exit_code::io, "cannot lock " + path + ": " + std::strerror(saved));
  }
  return database_lock(fd);
}

database_lock::database_lock(database_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

database_lock& database_lock::operator=(database_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

database_lock::~database_lock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor drops the flock
}

}  // namespace fleetreg::center
