// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace fleetreg {

/// Writes `content` to `path` readable by its owner only (mode 0600 from the
/// first byte), fsynced, then renamed over the old file — a secret (a formal
/// credential) is never half-written nor briefly readable by others.
/// Throws fleetreg::error (exit_code::io).
void write_private_file(const std::string& path, const std::string& content);

/// The first line of a file without its newline; "" when it cannot be read.
std::string read_first_line(const std::string& path);

}  // namespace fleetreg
