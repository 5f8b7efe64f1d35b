// SPDX-License-Identifier: Apache-2.0
// The main of every fleetreg test binary: clean up what a crashed earlier
// run left behind, then run the tests.

#include <gtest/gtest.h>

#include "fleetreg/test/harness.hpp"

int main(int argc, char** argv) {
  fleetreg::test::clean_stale_leftovers();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
