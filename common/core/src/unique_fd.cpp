// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/unique_fd.hpp"

#include <unistd.h>

namespace fleetreg {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

}  // namespace fleetreg
