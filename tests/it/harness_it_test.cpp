// SPDX-License-Identifier: Apache-2.0
// The harness itself, against the real system: namespaces, daemons by PID,
// clean-up after a crashed run.

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fleetreg/test/harness.hpp"

namespace fleetreg::test {
namespace {

TEST(Harness, NetnsHasOnlyLoopbackUp) {
  netns ns;
  const auto links = run(ns.wrap({"ip", "-o", "link", "show"}));
  ASSERT_EQ(links.exit_code, 0) << links.err;
  EXPECT_NE(links.out.find(": lo:"), std::string::npos);
  EXPECT_NE(links.out.find("UP"), std::string::npos);
  EXPECT_EQ(std::count(links.out.begin(), links.out.end(), '\n'), 1) << links.out;
  const auto ping = run(ns.wrap({"ip", "-o", "addr", "show", "dev", "lo"}));
  EXPECT_NE(ping.out.find("127.0.0.1/8"), std::string::npos) << ping.out;
}

TEST(Harness, ProcessStoppedByPidWithLog) {
  temp_dir dir;
  process p({"/bin/sh", "-c", "echo started; exec sleep 600"}, dir, "sleeper");
  ASSERT_TRUE(wait_until([&] { return p.log().find("started") != std::string::npos; }));
  EXPECT_TRUE(p.running());
  const pid_t pid = p.pid();
  EXPECT_TRUE(std::filesystem::exists(dir.file("sleeper.pid")));
  EXPECT_EQ(p.stop(), 128 + SIGTERM);
  EXPECT_FALSE(process_alive(pid));
}

TEST(Harness, RunCapturesOutputAndExitCode) {
  const auto r = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Harness, FreePortIsBindable) {
  for (bool udp : {true, false}) {
    const auto port = free_port(udp);
    const int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "port " << port;
    ::close(fd);
  }
}

// A crashed run: a process that made a temp dir, started a daemon and died
// without cleaning up. The next run's clean-up must stop the daemon and
// remove the directory.
TEST(Harness, CleansUpAfterACrashedRun) {
  // A private parent, so that the clean-up of test processes running in
  // parallel does not get there first.
  temp_dir parent;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t crashed = ::fork();
  ASSERT_GE(crashed, 0);
  if (crashed == 0) {
    auto* dir = new temp_dir(parent.path());  // never destroyed: the crash
    auto* daemon = new process({"/bin/sleep", "600"}, *dir, "daemon");
    const std::string msg = dir->path() + " " + std::to_string(daemon->pid());
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  char buf[512] = {};
  const auto n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  ASSERT_GT(n, 0);
  ::waitpid(crashed, nullptr, 0);
  std::string dir_path;
  pid_t daemon_pid = -1;
  std::istringstream(buf) >> dir_path >> daemon_pid;
  ASSERT_TRUE(std::filesystem::exists(dir_path));
  // The clean-up only stops a process whose name matches its PID file: wait
  // until the daemon has really become `sleep` (under load exec may lag).
  ASSERT_TRUE(wait_until([&] {
    std::ifstream comm("/proc/" + std::to_string(daemon_pid) + "/comm");
    std::string name;
    return std::getline(comm, name) && name == "sleep";
  }));

  clean_stale_leftovers(parent.path());
  EXPECT_FALSE(std::filesystem::exists(dir_path));
  EXPECT_TRUE(wait_until([&] { return !process_alive(daemon_pid); }, 10s));
}

TEST(Harness, CleanupLeavesLiveOwnersAlone) {
  temp_dir mine;
  process p({"/bin/sleep", "600"}, mine, "daemon");
  clean_stale_leftovers();
  EXPECT_TRUE(std::filesystem::exists(mine.path()));
  EXPECT_TRUE(p.running());
}

}  // namespace
}  // namespace fleetreg::test
