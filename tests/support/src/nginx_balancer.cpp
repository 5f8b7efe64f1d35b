// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/nginx_balancer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "fleetreg/core/unique_fd.hpp"

namespace fleetreg::test {
namespace {

constexpr const char* nginx_program = "/usr/sbin/nginx";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Paths and addresses go into nginx.conf unquoted: refuse what would end a token.
void check_token(const std::string& what, const std::string& value) {
  const bool bad = value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
                     return c <= ' ' || c == ';' || c == '{' || c == '}' || c == '"' || c == '\'' || c == '$' ||
                            c == '#' || c == '\\' || c == 0x7f;
                   });
  if (bad) throw std::invalid_argument("nginx_balancer: unusable " + what + " \"" + value + "\"");
}

bool accepts_tcp(std::uint16_t port) {
  const unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

std::string nginx_balancer_config(const std::string& work, std::uint16_t port,
                                  const std::vector<std::uint16_t>& backend_ports, const balancer_options& options) {
  check_token("directory", work);
  check_token("backend address", options.backend_address);
  if (backend_ports.empty()) throw std::invalid_argument("nginx_balancer: no backends");
  const bool tls = !options.tls_certificate.empty() && !options.tls_key.empty();
  if (tls) {
    check_token("certificate", options.tls_certificate);
    check_token("key", options.tls_key);
  }
  const bool v6 = options.backend_address.find(':') != std::string::npos;
  const auto host = v6 ? "[" + options.backend_address + "]" : options.backend_address;

  std::ostringstream c;
  c << "# fleetreg test balancer: nginx in front of " << backend_ports.size() << " center replicas.\n"
    << "daemon off;\n"
    << "master_process off;\n"  // one process: stopped by the PID the test holds
    << "worker_processes 1;\n"
    << "pid " << work << "/nginx.pid;\n"
    << "error_log " << work << "/error.log info;\n"
    << "events { worker_connections 4096; }\n"
    << "http {\n"
    << "  log_format fleetreg '\"$request\" $status upstream=$upstream_addr upstream_status=$upstream_status';\n"
    << "  access_log " << work << "/access.log fleetreg;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
    c << "  " << temp << "_temp_path " << work << "/" << temp << "_temp;\n";
  c << "  client_max_body_size 64m;\n"  // the center enforces its own limit (413)
    << "  upstream fleetreg_centers {\n";
  // One failure takes a replica out for 2 s; then it is tried again.
  for (const auto p : backend_ports) c << "    server " << host << ":" << p << " max_fails=1 fail_timeout=2s;\n";
  c << "    keepalive 32;\n"
    << "  }\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << port << (tls ? " ssl" : "") << ";\n";
  if (tls)
    c << "    ssl_certificate " << options.tls_certificate << ";\n"
      << "    ssl_certificate_key " << options.tls_key << ";\n";
  c << "    location / {\n"
    << "      proxy_pass " << (options.https_upstream ? "https" : "http")
    << "://fleetreg_centers;\n"
    // HTTP/1.1 without "Connection: close" keeps upstream connections alive.
    << "      proxy_http_version 1.1;\n"
    << "      proxy_set_header Connection \"\";\n"
    << "      proxy_set_header Host $http_host;\n"
    << "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    << "      proxy_set_header X-Forwarded-Proto $scheme;\n"
    // Long polls: answers pass through as they come, and a parked request
    // may wait longer than the center's longest long-poll.
    << "      proxy_buffering off;\n"
    << "      proxy_read_timeout " << options.read_timeout.count() << "s;\n"
    << "      proxy_send_timeout 60s;\n"
    << "      proxy_connect_timeout 2s;\n"
    // The request body stays buffered (the default) so that it can be sent
    // again to the next replica. Failover: a replica that refuses the
    // connection, breaks it or times out, or answers 502, is skipped.
    // `non_idempotent` also retries a POST that may have reached the first
    // replica: fleetreg's POSTs are safe to repeat — readings are
    // deduplicated by id, a registration carries an Idempotency-Key. A 503
    // (the center's own back-off, with Retry-After) goes to the client.
    << "      proxy_next_upstream error timeout http_502" << (options.retry_non_idempotent ? " non_idempotent" : "")
    << ";\n"
    << "      proxy_next_upstream_tries " << backend_ports.size() << ";\n";
  if (options.https_upstream)
    c << "      proxy_ssl_verify off;\n"
      << "      proxy_ssl_server_name on;\n"
      << "      proxy_ssl_session_reuse on;\n";
  c << "    }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

nginx_balancer::nginx_balancer(const temp_dir& dir, std::vector<std::uint16_t> backend_ports, balancer_options options,
                               std::string name)
    : work_(dir.file(name)), tls_(!options.tls_certificate.empty() && !options.tls_key.empty()) {
  if (::mkdir(work_.c_str(), 0700) != 0) throw std::runtime_error("cannot create " + work_);
  // A free port may be taken between the probe and nginx's bind: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port(false);
    std::ofstream(work_ + "/nginx.conf") << nginx_balancer_config(work_, port_, backend_ports, options);
    proc_ = std::make_unique<process>(std::vector<std::string>{nginx_program, "-p", work_ + "/", "-c",
                                                               work_ + "/nginx.conf", "-e", work_ + "/error.log"},
                                      dir, name);
    wait_until([&] { return !proc_->running() || accepts_tcp(port_); });
    if (proc_->running() && accepts_tcp(port_)) return;
    const auto why = log();
    proc_->stop();
    proc_.reset();
    if (why.find("Address already in use") == std::string::npos)
      throw std::runtime_error("nginx did not start: " + why);
  }
  throw std::runtime_error("nginx found no free port in 3 attempts: " + log());
}

nginx_balancer::~nginx_balancer() { stop(); }

void nginx_balancer::stop() {
  if (proc_) proc_->stop();
  proc_.reset();
}

bool nginx_balancer::running() { return proc_ && proc_->running(); }

pid_t nginx_balancer::pid() const { return proc_ ? proc_->pid() : -1; }

std::string nginx_balancer::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string nginx_balancer::config() const { return read_text(work_ + "/nginx.conf"); }

std::string nginx_balancer::log() const {
  return read_text(work_ + "/error.log") + (proc_ ? proc_->log() : std::string());
}

std::string nginx_balancer::access_log() const { return read_text(work_ + "/access.log"); }

}  // namespace fleetreg::test
