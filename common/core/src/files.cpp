// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg {

void write_private_file(const std::string& path, const std::string& content) {
  const auto tmp = path + ".tmp";
  unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw error(exit_code::io, "cannot write " + tmp);
  ::fchmod(fd.get(), 0600);  // an older file of that name may have had another mode
  const bool written = ::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                       ::fsync(fd.get()) == 0;
  fd.reset();  // closed before the rename
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw error(exit_code::io, "cannot write " + path);
  }
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace fleetreg
