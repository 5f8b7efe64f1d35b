// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace fleetreg::test {
namespace {

constexpr const char* dir_prefix = "fleetreg-test-";
constexpr const char* netns_prefix = "fleetreg-t-";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Alive and not a zombie (an orphan's zombie may linger when PID 1 does not reap).
bool alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

std::string comm_of(pid_t pid) {
  auto s = read_file("/proc/" + std::to_string(pid) + "/comm");
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void kill_and_reap(pid_t pid, std::chrono::milliseconds grace) {
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid || !alive(pid)) return;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// The PID in "<prefix><pid>-..." names.
pid_t owner_of(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return -1;
  try {
    return static_cast<pid_t>(std::stol(name.substr(prefix.size())));
  } catch (...) {
    return -1;
  }
}

std::atomic<int> netns_counter{0};

void exec_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  std::fprintf(stderr, "cannot execute %s: %s\n", args[0], std::strerror(errno));
  ::_exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

void clean_stale_leftovers(const std::string& parent) {
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(parent, ec)) {
    const auto name = d.path().filename().string();
    const auto owner = owner_of(name, dir_prefix);
    if (owner <= 0 || alive(owner)) continue;
    // Stop the daemons that run left behind, checking the name so that a
    // reused PID is never hit.
    for (const auto& f : fs::directory_iterator(d.path(), ec)) {
      if (f.path().extension() != ".pid") continue;
      std::istringstream in(read_file(f.path().string()));
      pid_t pid = -1;
      std::string comm;
      in >> pid >> comm;
      if (pid > 0 && alive(pid) && comm_of(pid) == comm) kill_and_reap(pid, 2s);
    }
    // A killed daemon's own children (a postmaster's backends) may still
    // write there for a moment.
    wait_until(
        [&] {
          fs::remove_all(d.path(), ec);
          return !ec;
        },
        5s);
  }
  for (const auto& d : fs::directory_iterator("/run/netns", ec)) {
    const auto name = d.path().filename().string();
    const auto owner = owner_of(name, netns_prefix);
    if (owner > 0 && !alive(owner)) run({"ip", "netns", "delete", name});
  }
}

temp_dir::temp_dir(const std::string& parent) {
  std::string tmpl = parent + "/" + dir_prefix + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  if (std::getenv("FLEETREG_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int listen_on_loopback(std::uint16_t& port, const char* who) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(std::string(who) + ": cannot listen");
  }
  port = ntohs(a.sin_port);
  return fd;
}

std::uint16_t free_port(bool udp) {
  const int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = 10ms;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 200ms);
  }
}

command_result run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                   std::chrono::milliseconds timeout, const std::string& stdin_text) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::dup2(in_pipe[0], STDIN_FILENO);
    exec_child(argv, env);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(in_pipe[0]);
  // Small inputs (a password line) fit the pipe buffer: write, then close.
  if (!stdin_text.empty()) (void)!::write(in_pipe[1], stdin_text.data(), stdin_text.size());
  ::close(in_pipe[1]);
  command_result r;
  // Drain both pipes until the child closes them.
  auto drain = [](int fd, std::string& into) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) into.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
  };
  std::thread err_reader(drain, err_pipe[0], std::ref(r.err));
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (!done) ::kill(pid, SIGKILL);
  });
  drain(out_pipe[0], r.out);
  err_reader.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  done = true;
  watchdog.join();
  r.exit_code = decode_status(status);
  return r;
}

process::process(std::vector<std::string> argv, const temp_dir& dir, std::string name,
                 std::map<std::string, std::string> env)
    : argv_(std::move(argv)), log_path_(dir.file(name + ".log")), pid_path_(dir.file(name + ".pid")) {
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path_);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);  // its own group: a terminal's ^C in a debug session hits the test only
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    exec_child(argv_, env);
  }
  ::close(log_fd);
  std::ofstream(pid_path_) << pid_ << ' ' << fs::path(argv_.front()).filename().string().substr(0, 15) << '\n';
}

process::~process() { stop(); }

bool process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(status);
    pid_ = -1;
    std::error_code ec;
    fs::remove(pid_path_, ec);
    return false;
  }
  return true;
}

int process::wait(std::chrono::milliseconds timeout) {
  if (!wait_until([&] { return !running(); }, timeout)) return -1;
  return status_;
}

int process::stop(std::chrono::milliseconds grace) {
  if (!running()) return status_;
  ::kill(pid_, SIGTERM);
  if (!wait_until([&] { return !running(); }, grace)) {
    ::kill(pid_, SIGKILL);
    wait_until([&] { return !running(); }, 10s);
  }
  return status_;
}

std::string process::log() const { return read_file(log_path_); }

netns::netns() {
  name_ = std::string(netns_prefix) + std::to_string(::getpid()) + "-" + std::to_string(netns_counter++);
  const auto add = run({"ip", "netns", "add", name_});
  if (add.exit_code != 0) throw std::runtime_error("ip netns add failed: " + add.err);
  const auto up = run({"ip", "-n", name_, "link", "set", "lo", "up"});
  if (up.exit_code != 0) throw std::runtime_error("cannot bring lo up in " + name_ + ": " + up.err);
}

netns::~netns() { run({"ip", "netns", "delete", name_}); }

std::vector<std::string> netns::wrap(std::vector<std::string> argv) const {
  std::vector<std::string> out = {"ip", "netns", "exec", name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void enter_private_namespace() {
  auto fail = [](const std::string& what) {
    throw std::runtime_error("cannot make a private namespace: " + what + ": " + std::strerror(errno) +
                             " (run as root)");
  };
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) fail("unshare");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("mount --make-rprivate /");
  for (const char* dir : {"/run/avahi-daemon", "/run/dbus"}) {
    ::mkdir(dir, 0755);
    if (::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) fail(std::string("tmpfs on ") + dir);
  }
  const auto r = run({"ip", "link", "set", "lo", "up"});
  if (r.exit_code != 0) throw std::runtime_error("cannot bring loopback up: " + r.err);
}

bool process_alive(pid_t pid) { return alive(pid); }

std::string built_program(const std::string& name) {
  if (name == "fleetreg-subagent") return FLEETREG_SUBAGENT_BIN;
  if (name == "fleetreg-terminal") return FLEETREG_TERMINAL_BIN;
  if (name == "fleetreg-center") return FLEETREG_CENTER_BIN;
  if (name == "fleetreg-collector") return FLEETREG_COLLECTOR_BIN;
  if (name == "check_fleetreg") return FLEETREG_CHECK_BIN;
  if (name == "fleetreg-centerctl") return FLEETREG_CENTERCTL_BIN;
  throw std::runtime_error("unknown program " + name);
}

namespace {
void openssl_must(const command_result& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
}
}  // namespace

void make_test_ca(const temp_dir& dir) {
  openssl_must(
      run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           dir.file("ca.key"), "-out", dir.file("ca.pem"), "-days", "2", "-subj", "/CN=fleetreg test CA"}),
      "making the test CA");
  openssl_must(run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    dir.file("server.key"), "-out", dir.file("server.csr"), "-subj", "/CN=127.0.0.1"}),
               "making the server key");
  std::ofstream(dir.file("san.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  openssl_must(run({"openssl", "x509", "-req", "-in", dir.file("server.csr"), "-CA", dir.file("ca.pem"), "-CAkey",
                    dir.file("ca.key"), "-CAcreateserial", "-out", dir.file("server.pem"), "-days", "2", "-extfile",
                    dir.file("san.ext")}),
               "signing the server certificate");
}

}  // namespace fleetreg::test
