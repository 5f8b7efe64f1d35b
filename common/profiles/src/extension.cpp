// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/profiles/extension.hpp"

#include <set>

#include "fleetreg/core/log.hpp"

namespace fleetreg::profiles {

extension::extension(std::shared_ptr<const profile_set> set, wrap_state* wraps)
    : set_(set ? std::move(set) : std::make_shared<const profile_set>()), wraps_(wraps) {}

std::vector<snmp::oid_vector> extension::probe() const {
  std::vector<snmp::oid_vector> out;
  std::set<snmp::oid_vector> seen;
  for (const auto& p : set_->profiles())
    for (const auto& o : p.exists)
      if (seen.insert(o).second) out.push_back(o);
  return out;
}

void extension::plan(const std::vector<snmp::varbind>& first, std::vector<snmp::oid_vector>& scalars,
                     std::vector<snmp::oid_vector>& subtrees) {
  matches_.clear();
  matched_.clear();
  for (const auto& p : set_->profiles()) {
    matches_.push_back(match(p, first));
    if (matches_.back().matched) matched_.push_back(&p);
  }
  auto wanted = profiles::plan(matched_, first);
  // What the caller already walks is not walked twice.
  for (auto& s : wanted.subtrees) {
    bool inside = false;
    for (const auto& have : subtrees) inside = inside || snmp::starts_with(s, have);
    if (!inside) subtrees.push_back(std::move(s));
  }
  for (auto& s : wanted.scalars) scalars.push_back(std::move(s));
}

void extension::apply(const std::vector<snmp::varbind>& first, const std::vector<snmp::varbind>& scalars,
                      const std::vector<snmp::varbind>& walked, snmp::terminal_reading& reading) {
  trace_.clear();
  error_.clear();
  if (matched_.empty()) return;
  std::vector<snmp::varbind> answers;
  answers.reserve(first.size() + scalars.size() + walked.size());
  answers.insert(answers.end(), first.begin(), first.end());
  answers.insert(answers.end(), scalars.begin(), scalars.end());
  answers.insert(answers.end(), walked.begin(), walked.end());
  try {
    evaluate(matched_, answers, reading, wraps_, &trace_);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // The wrap state failed (its database): read again without it.
    error_ = std::string("counter wrap state: ") + e.what();
    log::warning(error_);
    trace_.clear();
    evaluate(matched_, answers, reading, nullptr, &trace_);
  }
}

}  // namespace fleetreg::profiles
