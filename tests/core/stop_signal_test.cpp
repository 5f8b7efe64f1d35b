// SPDX-License-Identifier: Apache-2.0
// The one stop mechanism: a flag and a self-pipe, set by SIGTERM/SIGINT for
// the process's instance, that ends waits at once.

#include "fleetreg/core/stop_signal.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <csignal>
#include <cstdlib>
#include <thread>

namespace fleetreg {
namespace {

using namespace std::chrono_literals;

TEST(StopSignal, WaitsEndWhenAStopIsAsked) {
  stop_signal stop;
  EXPECT_FALSE(stop.requested());
  EXPECT_FALSE(stop.wait_for(20ms)) << "nothing asked: the whole wait";
  pollfd p{stop.wake_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "not readable before";

  const auto started = std::chrono::steady_clock::now();
  std::thread asker([&] {
    std::this_thread::sleep_for(50ms);
    stop.request();
  });
  EXPECT_TRUE(stop.wait_for(60s));
  asker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "woken, not timed out";
  EXPECT_TRUE(stop.requested());
  EXPECT_NE(stop.flag(), 0);
  EXPECT_EQ(::poll(&p, 1, 0), 1) << "readable from then on";
  stop.request();  // twice changes nothing
  EXPECT_TRUE(stop.wait_for(60s));
  stop.wait();
  EXPECT_EQ(stop.signal_number(), 0);
}

TEST(StopSignal, TerminationSignalsSetTheProcesssInstance) {
  for (const int sig : {SIGTERM, SIGINT}) {
    EXPECT_EXIT(
        {
          auto& stop = stop_signal::on_termination();
          std::raise(sig);
          std::raise(SIGPIPE);  // ignored
          std::exit(stop.requested() && stop.signal_number() == sig && stop.wait_for(1s) ? 0 : 1);
        },
        testing::ExitedWithCode(0), "")
        << sig;
  }
}

}  // namespace
}  // namespace fleetreg
