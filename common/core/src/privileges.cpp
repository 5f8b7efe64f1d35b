// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fleetreg/core/error.hpp"
#include "fleetreg/core/log.hpp"

namespace fleetreg {

std::string become_owner_of(const std::string& dir) {
  struct stat st {};
  if (::geteuid() != 0 || dir.empty() || ::stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return {};
  const struct passwd* pw = ::getpwuid(st.st_uid);
  if (!pw)
    throw error(exit_code::failure, dir + " belongs to uid " + std::to_string(st.st_uid) + ", which has no user entry");
  const std::string name = pw->pw_name;
  const gid_t gid = pw->pw_gid;
  const uid_t uid = pw->pw_uid;
  if (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
    throw error(exit_code::failure, "cannot become " + name + " (owner of " + dir + "): " + std::strerror(errno));
  if (::setuid(0) == 0) throw error(exit_code::software, "still able to regain root after becoming " + name);
  log::debug("privileges", "running as " + name + ", the owner of " + dir);
  return name;
}

}  // namespace fleetreg
