// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>

namespace fleetreg {

/// Exit codes of every fleetreg program (sysexits.h values where one fits).
enum class exit_code : int {
  ok = 0,
  failure = 1,       ///< the operation was refused or failed (one line on stderr)
  usage = 64,        ///< EX_USAGE: bad command line
  data = 65,         ///< EX_DATAERR: bad input data
  unavailable = 69,  ///< EX_UNAVAILABLE: a service or peer is not there
  software = 70,     ///< EX_SOFTWARE: internal error
  io = 74,           ///< EX_IOERR: file or database error
  config = 78,       ///< EX_CONFIG: bad configuration
};

/// Project error for start-up, configuration and command-line failures.
/// Carries the exit code `main` returns after logging what() as one line.
class error : public std::runtime_error {
 public:
  error(exit_code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  /// The exit code the program ends with.
  exit_code code() const noexcept { return code_; }

 private:
  exit_code code_;
};

/// Thrown on a malformed configuration file or value; exit code `config`.
class configuration_error : public error {
 public:
  explicit configuration_error(const std::string& what) : error(exit_code::config, what) {}
};

/// Thrown on a bad command line; exit code `usage`.
class usage_error : public error {
 public:
  explicit usage_error(const std::string& what) : error(exit_code::usage, what) {}
};

/// Maps an exception caught in `main` to an exit code (error::code(), else software).
int exit_code_of(const std::exception& e) noexcept;

}  // namespace fleetreg
