// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/profiles/profile_set.hpp"

#include <algorithm>
#include <filesystem>

#include "fleetreg/core/log.hpp"

namespace fleetreg::profiles {

profile_set profile_set::load(const std::vector<std::string>& directories) {
  profile_set set;
  for (const auto& dir : directories) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      log::debug("profiles", "no profile directory " + dir);
      continue;
    }
    std::vector<std::string> files;
    fs::directory_iterator it(dir, ec), end;
    if (ec) {
      set.problems_.push_back(dir + ":0: cannot read the directory: " + ec.message());
      log::warning(set.problems_.back());
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      const auto& path = it->path();
      if (path.extension() != ".yaml" || path.filename().string().starts_with(".")) continue;
      if (!it->is_regular_file(ec)) continue;
      files.push_back(path.string());
    }
    if (ec) {
      set.problems_.push_back(dir + ":0: cannot read the directory: " + ec.message());
      log::warning(set.problems_.back());
    }
    std::sort(files.begin(), files.end());
    if (files.size() > max_files_per_directory) {
      set.problems_.push_back(dir + ":0: more than " + std::to_string(max_files_per_directory) +
                              " profiles; the rest are not read");
      log::warning(set.problems_.back());
      files.resize(max_files_per_directory);
    }
    for (const auto& f : files) {
      ++set.files_read_;
      auto r = load_profile_file(f);
      if (!r.value) {
        set.problems_.push_back(r.error);
        log::warning("profile skipped: " + r.error);
        continue;
      }
      set.add(std::move(*r.value));
    }
  }
  return set;
}

void profile_set::add(profile p) {
  const auto same = std::find_if(profiles_.begin(), profiles_.end(), [&](const profile& q) { return q.id == p.id; });
  if (same != profiles_.end()) {
    replaced_.push_back({p.id, same->file, p.file});
    profiles_.erase(same);
  }
  const auto at = std::find_if(profiles_.begin(), profiles_.end(), [&](const profile& q) {
    return q.priority != p.priority ? q.priority < p.priority : q.id > p.id;
  });
  profiles_.insert(at, std::move(p));
}

}  // namespace fleetreg::profiles
