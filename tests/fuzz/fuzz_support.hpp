// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

/// Small helpers shared by the fuzz targets (header only: no library of its
/// own to instrument).
namespace fleetreg::fuzz {

/// Stops the run as a crash: an invariant the code promises does not hold.
/// libFuzzer saves the input that did it.
[[noreturn]] inline void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// The input as text.
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Takes typed pieces off the front of the input; past the end it gives
/// zeros and empty strings, so every input means something.
class reader {
 public:
  reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const noexcept { return pos_ >= size_; }
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint64_t integer(int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | byte();
    return v;
  }
  /// A string of up to `max` bytes; its length comes first.
  std::string string(std::size_t max) {
    const std::size_t n = std::min<std::size_t>(byte(), max);
    const std::size_t take = std::min(n, size_ - std::min(pos_, size_));
    std::string s(reinterpret_cast<const char*>(data_ + pos_), take);
    pos_ += take;
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// Text that goes into a JSON body (an error's reason, a decoded field) must
/// serialise: nlohmann::json::dump throws on invalid UTF-8.
inline void check_serialises(const nlohmann::json& v, const char* what) {
  try {
    (void)v.dump();
  } catch (const nlohmann::json::exception& e) {
    broken(std::string(what) + " does not serialise: " + e.what());
  }
}

}  // namespace fleetreg::fuzz
