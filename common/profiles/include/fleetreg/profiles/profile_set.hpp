// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "fleetreg/profiles/profile.hpp"

namespace fleetreg::profiles {

/// Where profiles live by default: shipped, then local (a local file whose id
/// equals a shipped one replaces it).
inline constexpr const char* shipped_directory = "/usr/share/fleetreg/profiles";
inline constexpr const char* local_directory = "/etc/fleetreg/profiles.d";
/// At most this many files are read per directory.
inline constexpr std::size_t max_files_per_directory = 1000;

/// A profile replaced by a later one with the same id.
struct replaced_profile {
  std::string id;
  std::string file;     ///< the replaced one
  std::string by_file;  ///< the one that replaced it
};

/// The loaded profiles: each `*.yaml` file of each directory, in order (files
/// by name within a directory); a later file with the same id replaces an
/// earlier one; an invalid file is skipped and its error kept in problems().
class profile_set {
 public:
  profile_set() = default;
  /// Loads the directories (a missing directory is skipped quietly; one that
  /// cannot be read is a problem). Never throws but bad_alloc.
  static profile_set load(const std::vector<std::string>& directories);

  /// Adds `p`, replacing a profile with the same id.
  void add(profile p);
  /// The profiles by priority, highest first (ties by id).
  const std::vector<profile>& profiles() const noexcept { return profiles_; }
  /// "FILE:LINE: message" for each file that was skipped.
  const std::vector<std::string>& problems() const noexcept { return problems_; }
  const std::vector<replaced_profile>& replaced() const noexcept { return replaced_; }
  /// How many files were read (valid or not).
  std::size_t files_read() const noexcept { return files_read_; }

 private:
  std::vector<profile> profiles_;
  std::vector<std::string> problems_;
  std::vector<replaced_profile> replaced_;
  std::size_t files_read_ = 0;
};

}  // namespace fleetreg::profiles
