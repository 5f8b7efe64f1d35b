// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/core/provisional_code.hpp"

#include <gtest/gtest.h>

#include <set>

namespace fleetreg::provisional_code {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

TEST(ProvisionalCode, GeneratedCodesAreCanonicalAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto code = generate();
    ASSERT_EQ(code.size(), 14u) << code;
    EXPECT_EQ(code[4], '-');
    EXPECT_EQ(code[9], '-');
    EXPECT_EQ(normalize(code), code);
    EXPECT_TRUE(seen.insert(code).second) << "55 random bits should not repeat in 1000 draws";
  }
}

TEST(ProvisionalCode, ForgivingReading) {
  const auto code = generate();
  std::string sloppy;
  for (char c : code)
    if (c != '-') sloppy += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(normalize(sloppy), code);
  EXPECT_EQ(normalize(" " + code.substr(0, 4) + " " + code.substr(5) + " "), code);
  // O is read as 0, I and L as 1.
  const std::string data = "0000111100A";
  const auto with_check = data + check_symbol(data);
  std::string typed = with_check;
  typed[0] = 'O';
  typed[4] = 'I';
  typed[5] = 'l';
  EXPECT_EQ(normalize(typed), normalize(with_check));
}

TEST(ProvisionalCode, EverySingleTypoAndNeighbourSwapIsCaught) {
  for (int round = 0; round < 50; ++round) {
    std::string symbols;
    for (char c : generate())
      if (c != '-') symbols += c;
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      for (char other : alphabet) {
        if (other == symbols[i]) continue;
        auto typo = symbols;
        typo[i] = other;
        std::string why;
        EXPECT_EQ(normalize(typo, &why), "") << symbols << " -> " << typo;
        EXPECT_NE(why.find("typing error"), std::string::npos);
      }
      if (i + 1 < symbols.size() && symbols[i] != symbols[i + 1]) {
        auto swapped = symbols;
        std::swap(swapped[i], swapped[i + 1]);
        EXPECT_EQ(normalize(swapped), "") << symbols << " -> " << swapped;
      }
    }
  }
}

TEST(ProvisionalCode, MalformedInputSaysWhy) {
  std::string why;
  EXPECT_EQ(normalize("ABCD-EFGH", &why), "");
  EXPECT_NE(why.find("12 characters"), std::string::npos);
  EXPECT_EQ(normalize("ABCD-EFGH-JKMU", &why), "");
  EXPECT_NE(why.find("no U"), std::string::npos);
  EXPECT_EQ(normalize("ABCD_EFGH_JKMN", &why), "");
  EXPECT_EQ(normalize(std::string(100, 'A'), &why), "");
}

}  // namespace
}  // namespace fleetreg::provisional_code
