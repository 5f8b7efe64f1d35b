// SPDX-License-Identifier: Apache-2.0
// Debian's nginx as the load balancer in front of two real HTTP servers
// (Python's http.server on loopback): round robin, failover when one is
// killed, long-poll friendly streaming, HTTPS to the replicas.

#include "fleetreg/test/nginx_balancer.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "fleetreg/core/unique_fd.hpp"

using namespace fleetreg::test;

namespace {

// A replica stand-in: answers every GET and POST with "<name> <method>
// <path>"; /stream sends "first", waits 2 s, then "second" (chunked).
constexpr const char* backend_py = R"PY(
import http.server, ssl, sys, time
port, name = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first\n", b"second\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                if part == b"first\n":
                    time.sleep(2)
            self.wfile.write(b"0\r\n\r\n")
            return
        body = ("%s %s %s\n" % (name, self.command, self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = reply
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
if len(sys.argv) > 4:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
)PY";

fleetreg::unique_fd connect_to(std::uint16_t port) {
  fleetreg::unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error("socket failed");
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return fleetreg::unique_fd();
  return fd;
}

struct http_reply {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 exchange on a fresh connection (Connection: close).
http_reply http_call(std::uint16_t port, const std::string& method, const std::string& path,
                     const std::string& body = "") {
  const auto fd = connect_to(port);
  if (!fd) return {};
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (method == "POST")
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return {};
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<std::size_t>(n));
  http_reply r;
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return r;
  r.status = std::stoi(raw.substr(9, 3));
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = raw.substr(head_end + 4);
  return r;
}

// A backend's name from its answer ("a GET /x" → "a").
std::string answered_by(const http_reply& r) { return r.status == 200 ? r.body.substr(0, r.body.find(' ')) : ""; }

class backend {
 public:
  backend(const temp_dir& dir, std::string name, std::uint16_t port = 0, std::vector<std::string> tls = {})
      : dir_(dir), name_(std::move(name)), port_(port ? port : free_port(false)) {
    const auto script = dir.file("backend.py");
    std::ofstream(script) << backend_py;
    std::vector<std::string> argv = {"python3", script, std::to_string(port_), name_};
    argv.insert(argv.end(), tls.begin(), tls.end());
    proc_ = std::make_unique<process>(argv, dir, "backend-" + name_);
    if (!wait_until([&] { return !proc_->running() || static_cast<bool>(connect_to(port_)); }) || !proc_->running())
      throw std::runtime_error("backend " + name_ + " did not start: " + proc_->log());
  }
  std::uint16_t port() const { return port_; }
  void kill() { proc_->stop(0ms); }

 private:
  const temp_dir& dir_;
  std::string name_;
  std::uint16_t port_;
  std::unique_ptr<process> proc_;
};

}  // namespace

TEST(NginxBalancer, SpreadsRequestsOverTheBackends) {
  temp_dir dir;
  backend a(dir, "a"), b(dir, "b");
  nginx_balancer lb(dir, {a.port(), b.port()});
  std::map<std::string, int> seen;
  for (int i = 0; i < 10; ++i) {
    const auto r = http_call(lb.port(), "GET", "/api/v1/ping?i=" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << lb.log();
    EXPECT_NE(r.body.find("GET /api/v1/ping?i=" + std::to_string(i)), std::string::npos) << r.body;
    ++seen[answered_by(r)];
  }
  // Round robin over two replicas: five each.
  EXPECT_EQ(seen["a"], 5);
  EXPECT_EQ(seen["b"], 5);
  const auto posted = http_call(lb.port(), "POST", "/api/v1/readings", R"({"readings":[]})");
  EXPECT_EQ(posted.status, 200);
  EXPECT_NE(posted.body.find(" POST /api/v1/readings"), std::string::npos) << posted.body;
  const auto access = lb.access_log();
  EXPECT_NE(access.find("upstream=127.0.0.1:" + std::to_string(a.port())), std::string::npos) << access;
  EXPECT_NE(access.find("upstream=127.0.0.1:" + std::to_string(b.port())), std::string::npos) << access;
  const pid_t pid = lb.pid();
  lb.stop();
  EXPECT_FALSE(process_alive(pid));
  EXPECT_FALSE(static_cast<bool>(connect_to(lb.port())));
}

TEST(NginxBalancer, FailsOverWhenABackendIsKilledAndTakesItBack) {
  temp_dir dir;
  auto a = std::make_unique<backend>(dir, "a");
  backend b(dir, "b");
  const auto a_port = a->port();
  nginx_balancer lb(dir, {a_port, b.port()});
  ASSERT_EQ(http_call(lb.port(), "GET", "/warm").status, 200);
  ASSERT_EQ(http_call(lb.port(), "GET", "/warm").status, 200);  // both replicas have a kept-alive connection

  a->kill();
  // Every request, GET or POST, is answered by b; none reaches the client as an error.
  for (int i = 0; i < 6; ++i) {
    const auto get = http_call(lb.port(), "GET", "/api/v1/requests?wait=0");
    EXPECT_EQ(answered_by(get), "b") << get.status << " " << get.body << lb.log();
    const auto post = http_call(lb.port(), "POST", "/api/v1/readings", R"({"id":")" + std::to_string(i) + "\"}");
    EXPECT_EQ(answered_by(post), "b") << post.status << " " << post.body;
  }
  // nginx did try a first and moved on to b within the same request.
  const auto tried_both = "upstream=127.0.0.1:" + std::to_string(a_port) + ", 127.0.0.1:" + std::to_string(b.port());
  EXPECT_NE(lb.access_log().find(tried_both), std::string::npos) << lb.access_log();

  // Back on the same port, a gets requests again once fail_timeout (2 s) passed.
  a = std::make_unique<backend>(dir, "a", a_port);
  EXPECT_TRUE(wait_until([&] { return answered_by(http_call(lb.port(), "GET", "/again")) == "a"; }, 15s))
      << lb.access_log();
}

TEST(NginxBalancer, PassesAnAnswerOnAsItComes) {
  temp_dir dir;
  backend a(dir, "a");
  nginx_balancer lb(dir, {a.port()});
  const auto fd = connect_to(lb.port());
  ASSERT_TRUE(static_cast<bool>(fd));
  const std::string request = "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  const auto sent = std::chrono::steady_clock::now();
  std::string raw;
  char buf[4096];
  ssize_t n;
  // Without proxy_buffering off the first part would wait for the second.
  while (raw.find("first") == std::string::npos && (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0)
    raw.append(buf, static_cast<std::size_t>(n));
  const auto first_after = std::chrono::steady_clock::now() - sent;
  EXPECT_NE(raw.find("first"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("second"), std::string::npos) << raw;
  EXPECT_LT(first_after, 1500ms);
  while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<std::size_t>(n));
  EXPECT_NE(raw.find("second"), std::string::npos) << raw;
}

TEST(NginxBalancer, ProxiesToHttpsReplicas) {
  temp_dir dir;
  const auto cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const auto made = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  backend a(dir, "a", 0, {cert, key}), b(dir, "b", 0, {cert, key});
  balancer_options options;
  options.https_upstream = true;
  nginx_balancer lb(dir, {a.port(), b.port()}, options);
  EXPECT_NE(lb.config().find("proxy_ssl_verify off;"), std::string::npos);
  std::map<std::string, int> seen;
  for (int i = 0; i < 4; ++i) ++seen[answered_by(http_call(lb.port(), "GET", "/tls"))];
  EXPECT_EQ(seen["a"], 2) << lb.log();
  EXPECT_EQ(seen["b"], 2) << lb.log();
}

TEST(NginxBalancer, ListensWithTlsItself) {
  temp_dir dir;
  const auto cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const auto made = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  backend a(dir, "a");
  balancer_options options;
  options.tls_certificate = cert;
  options.tls_key = key;
  nginx_balancer lb(dir, {a.port()}, options);
  ASSERT_EQ(lb.url(), "https://127.0.0.1:" + std::to_string(lb.port()));
  // A TLS client that trusts the balancer's certificate gets through to a.
  const auto fetched = run({"python3", "-c",
                            "import ssl, sys, urllib.request\n"
                            "c = ssl.create_default_context(cafile=sys.argv[2])\n"
                            "c.check_hostname = False\n"
                            "print(urllib.request.urlopen(sys.argv[1], context=c, timeout=10).read().decode())",
                            lb.url() + "/front", cert});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err << lb.log();
  EXPECT_EQ(fetched.out, "a GET /front\n\n");
  // Plain HTTP on the TLS port is refused (nginx answers 400).
  EXPECT_EQ(http_call(lb.port(), "GET", "/plain").status, 400);
}

TEST(NginxBalancer, ConfigurationRefusesUnusableValues) {
  EXPECT_THROW(nginx_balancer_config("/tmp/x y", 1, {2}, {}), std::invalid_argument);
  EXPECT_THROW(nginx_balancer_config("/tmp/x", 1, {}, {}), std::invalid_argument);
  balancer_options evil;
  evil.backend_address = "127.0.0.1; include /etc/passwd";
  EXPECT_THROW(nginx_balancer_config("/tmp/x", 1, {2}, evil), std::invalid_argument);
  balancer_options strict;
  strict.retry_non_idempotent = false;
  const auto text = nginx_balancer_config("/tmp/x", 1, {2}, strict);
  EXPECT_NE(text.find("proxy_next_upstream error timeout http_502;"), std::string::npos) << text;
  // nginx itself accepts what we generate.
  temp_dir dir;
  const auto work = dir.file("t");
  std::filesystem::create_directory(work);
  std::ofstream(work + "/nginx.conf") << nginx_balancer_config(work, free_port(false), {free_port(false)}, {});
  const auto checked =
      run({"/usr/sbin/nginx", "-t", "-p", work + "/", "-c", work + "/nginx.conf", "-e", work + "/e.log"});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
}
