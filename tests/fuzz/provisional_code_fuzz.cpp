// SPDX-License-Identifier: Apache-2.0
// Provisional codes as people type them: provisional_code::normalize on the
// input as typed, and the check character's promise on a code made from the
// input's first bytes.
// Invariants: an accepted code is canonical ("XXXX-XXXX-XXXX" of the
// alphabet) and normalises to itself; a code made with check_symbol is
// accepted; every single substituted symbol and every swap of two different
// neighbours in an accepted code is refused (provisional_code.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "fleetreg/core/provisional_code.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

bool canonical(std::string_view c) {
  if (c.size() != 14 || c[4] != '-' || c[9] != '-') return false;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (i != 4 && i != 9 && alphabet.find(c[i]) == std::string_view::npos) return false;
  return true;
}

// Positions of the 12 symbols in the canonical form.
constexpr std::size_t symbol_at[12] = {0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13};

void check_accepted(const std::string& code) {
  if (!canonical(code)) broken("normalize gave a non-canonical code: " + code);
  std::string why;
  if (provisional_code::normalize(code, &why) != code) broken("a canonical code does not normalise to itself: " + code);
  for (auto pos : symbol_at) {
    for (char c : alphabet) {
      if (c == code[pos]) continue;
      auto typo = code;
      typo[pos] = c;
      if (!provisional_code::normalize(typo).empty()) broken("a substitution passes the check: " + code + " " + typo);
    }
  }
  for (std::size_t k = 0; k + 1 < 12; ++k) {
    auto swapped = code;
    std::swap(swapped[symbol_at[k]], swapped[symbol_at[k + 1]]);
    if (swapped != code && !provisional_code::normalize(swapped).empty())
      broken("a swap of neighbours passes the check: " + code + " " + swapped);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // As typed.
  std::string why;
  const auto typed = fuzz::text_of(data, size);
  const auto code = provisional_code::normalize(typed, &why);
  if (code.empty()) {
    if (why.empty()) broken("a refusal without a reason");
  } else {
    check_accepted(code);
  }
  // Made from the first 11 bytes with its check symbol.
  if (size >= provisional_code::data_symbols) {
    std::string symbols;
    for (std::size_t i = 0; i < provisional_code::data_symbols; ++i) symbols += alphabet[data[i] % alphabet.size()];
    symbols += provisional_code::check_symbol(symbols);
    const auto made = symbols.substr(0, 4) + "-" + symbols.substr(4, 4) + "-" + symbols.substr(8, 4);
    if (provisional_code::normalize(made) != made) broken("a code with its own check symbol is refused: " + made);
    check_accepted(made);
  }
  return 0;
}
