// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/provisional_code.hpp"

#include <cstdint>

#include "fleetreg/core/random.hpp"

namespace fleetreg::provisional_code {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int base = 32;

// Value of a typed symbol, with Crockford's aliases; -1 when not a symbol.
int value_of(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') c = '0';
  if (c == 'I' || c == 'L') c = '1';
  const auto pos = alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Damm's check over GF(32) (polynomial x^5 + x^2 + 1): step(r, v) = 2·r + v
// is a totally anti-symmetric quasigroup, so every single substitution and
// every swap of two neighbours (the check symbol included) changes the result.
// Luhn mod 32 would miss swaps of the symbols worth 0 and 31.
int step(int r, int v) {
  r <<= 1;
  if (r & 0x20) r ^= 0x25;
  return r ^ v;
}

int damm(std::string_view symbols) {
  int r = 0;
  for (char c : symbols) r = step(r, value_of(c));
  return r;
}

std::string group(std::string_view symbols) {
  std::string out;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (i && i % 4 == 0) out += '-';
    out += symbols[i];
  }
  return out;
}

}  // namespace

// The check symbol c makes step(damm(data), c) zero: c = 2·damm(data).
char check_symbol(std::string_view data) { return alphabet[static_cast<std::size_t>(step(damm(data), 0))]; }

std::string generate() {
  unsigned char bytes[data_symbols];
  random_bytes(bytes, sizeof bytes);
  std::string data;
  for (unsigned char b : bytes) data += alphabet[b % base];  // 256 is a multiple of 32: unbiased
  return group(data + check_symbol(data));
}

std::string normalize(std::string_view typed, std::string* why) {
  auto refuse = [&](const char* text) {
    if (why) *why = text;
    return std::string();
  };
  if (typed.size() > 64) return refuse("a provisional code has 12 characters");
  std::string symbols;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    const int v = value_of(c);
    if (v < 0) return refuse("a provisional code holds only digits and the letters A-Z (no U)");
    symbols += alphabet[static_cast<std::size_t>(v)];
  }
  if (symbols.size() != data_symbols + 1) return refuse("a provisional code has 12 characters");
  if (damm(symbols) != 0) return refuse("the provisional code has a typing error (its check character does not match)");
  return group(symbols);
}

}  // namespace fleetreg::provisional_code
