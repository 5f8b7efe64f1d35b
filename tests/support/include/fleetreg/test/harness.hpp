// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

/// The test harness every fleetreg test uses: private temp dirs, free ports,
/// daemons started and stopped by PID, waiting on conditions instead of
/// sleeping, network namespaces, and clean-up after a crashed earlier run.
namespace fleetreg::test {

using namespace std::chrono_literals;

/// Removes what crashed earlier runs left: temp dirs whose owning test
/// process is gone (first killing the daemons recorded in their *.pid files)
/// and network namespaces named fleetreg-t-<pid>-<n> whose owner is gone.
/// Called by the test main before any test; safe with parallel test processes.
/// `parent` is where temp dirs live (tests of the clean-up use a private one).
void clean_stale_leftovers(const std::string& parent = "/tmp");

/// A private directory under /tmp, removed with everything in it on
/// destruction (kept when FLEETREG_KEEP_TEST_DIRS is set, for debugging).
class temp_dir {
 public:
  /// Creates the directory under `parent`.
  explicit temp_dir(const std::string& parent = "/tmp");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  /// path()/name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
/// `udp` selects the protocol.
std::uint16_t free_port(bool udp);
/// A TCP socket listening on 127.0.0.1 at a port the kernel chose (stored
/// in `port`); throws std::runtime_error naming `who` when it cannot.
int listen_on_loopback(std::uint16_t& port, const char* who);

/// Polls `condition` (starting at 10 ms, backing off to 200 ms) until it
/// holds or `timeout` passes. Returns whether it held. Deadlines are generous:
/// they bound a hang, they do not measure speed.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 30s);

/// Output of a finished command.
struct command_result {
  int exit_code = -1;  ///< exit status, or 128+signal
  std::string out;
  std::string err;
};

/// Runs a command to completion (killed after `timeout`), capturing stdout and stderr.
command_result run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                   std::chrono::milliseconds timeout = 120s, const std::string& stdin_text = "");

/// A daemon started by the test. Its stdout and stderr go to <dir>/<name>.log
/// and its PID to <dir>/<name>.pid (so a crashed run can be cleaned up).
/// Stopped by PID on destruction.
class process {
 public:
  process(std::vector<std::string> argv, const temp_dir& dir, std::string name,
          std::map<std::string, std::string> env = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  /// True while the process has not exited.
  bool running();
  /// SIGTERM, then SIGKILL after `grace`. Returns the exit code (128+signal
  /// when killed by a signal), or -1 when it was already reaped.
  int stop(std::chrono::milliseconds grace = 10s);
  /// Everything the process wrote so far.
  std::string log() const;
  /// Exit code after it ended by itself (waits up to `timeout`); -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  std::string pid_path_;
  pid_t pid_ = -1;
  int status_ = -1;
};

/// A network namespace with only loopback, up. Deleted on destruction.
class netns {
 public:
  netns();
  ~netns();
  netns(const netns&) = delete;
  netns& operator=(const netns&) = delete;
  const std::string& name() const { return name_; }
  /// argv prefixed with "ip netns exec <name>".
  std::vector<std::string> wrap(std::vector<std::string> argv) const;

 private:
  std::string name_;
};

/// Moves this process (call it before any thread starts) into a new network
/// namespace with only loopback, up, and a private mount namespace with its
/// own tmpfs on /run/avahi-daemon and /run/dbus. Children inherit both; they
/// vanish with the last process. Throws std::runtime_error (needs root).
void enter_private_namespace();

/// True when `pid` runs and is not a zombie.
bool process_alive(pid_t pid);

/// Path of a program built by this tree (from the FLEETREG_*_BIN definitions).
std::string built_program(const std::string& name);

/// A CA and a server certificate for 127.0.0.1 and localhost, made now with
/// openssl in `dir`: ca.pem (trust this), server.pem and server.key.
/// Throws std::runtime_error when openssl fails.
void make_test_ca(const temp_dir& dir);

}  // namespace fleetreg::test
