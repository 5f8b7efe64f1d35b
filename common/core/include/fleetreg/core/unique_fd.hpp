// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace fleetreg {

/// Owns one file descriptor (a file, a socket) and closes it on destruction,
/// on reset() and when another is moved in; the one place in the tree that
/// calls close(2). -1 means "none". Never throws.
class unique_fd {
 public:
  /// Holds nothing.
  unique_fd() noexcept = default;
  /// Takes ownership of `fd` (-1: nothing), e.g. unique_fd(::open(...)).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  /// Closes the descriptor held, if any.
  ~unique_fd() { reset(); }
  /// Takes `other`'s descriptor; `other` holds nothing afterwards.
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  /// Closes the descriptor held, then takes `other`'s.
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  /// The descriptor (-1 when none); ownership stays here.
  int get() const noexcept { return fd_; }
  /// True when a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up without closing it; the caller owns it now.
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the descriptor held (its close(2) result is not reported: Linux
  /// frees the descriptor even when close fails), then holds `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace fleetreg
