// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/test/center_fixture.hpp"

#include <fstream>
#include <stdexcept>

namespace fleetreg::test {
namespace {

void must(const command_result& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
}

}  // namespace

center_daemon::center_daemon(const temp_dir& dir, options o) : dir_(dir), options_(std::move(o)) {
  const auto port = std::to_string(free_port(false));
  database_ = options_.database.empty() ? dir.file("center.db") : options_.database;
  config_ = dir.file(options_.name + ".conf");
  std::ofstream conf(config_);
  if (options_.tls) {
    make_test_ca(dir);
    ca_ = dir.file("ca.pem");
    url_ = "https://127.0.0.1:" + port;
    conf << "[center]\nlisten = " << url_ << "\ntls_certificate = " << dir.file("server.pem")
         << "\ntls_key = " << dir.file("server.key") << "\n";
  } else {
    url_ = "http://127.0.0.1:" + port;
    conf << "[center]\nlisten = " << url_ << "\nallow_plain_http = yes\n";
  }
  key_ = options_.key_file.empty() ? dir.file("secret/center.secret") : options_.key_file;
  conf << "database = " << database_ << "\nsecret_file = " << key_ << "\n" << options_.extra_config;
  conf.close();
  // The center never makes its key itself.
  if (options_.create_key && options_.key_file.empty()) must(ctl({"key", "init"}), "fleetreg-centerctl key init");
}

center_daemon::~center_daemon() { stop(); }

void center_daemon::start(std::map<std::string, std::string> env) {
  proc_ = std::make_unique<process>(std::vector<std::string>{built_program("fleetreg-center"), "-c", config_}, dir_,
                                    options_.name, std::move(env));
  const bool up = wait_until([&] {
    if (!proc_->running()) return true;
    try {
      auto c = client();
      std::error_code ec;
      const auto r = c.request("GET", "/healthz", "", {}, ec);
      return !ec && r.status == 200;
    } catch (...) {
      return false;
    }
  });
  if (!up || !proc_->running()) throw std::runtime_error("fleetreg-center did not start: " + proc_->log());
}

void center_daemon::stop() {
  if (proc_) proc_->stop();
  proc_.reset();
}

command_result center_daemon::ctl(std::vector<std::string> args, const std::string& stdin_text) const {
  std::vector<std::string> argv = {built_program("fleetreg-centerctl"), "-c", config_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {}, 120s, stdin_text);
}

std::string center_daemon::dealer_and_code(const std::string& dealer, const std::string& customer) const {
  auto r = ctl({"account", "add", dealer}, "a-long-password-1\n");
  if (r.exit_code != 0 && r.err.find("exists already") == std::string::npos)
    throw std::runtime_error("account add failed: " + r.err);
  r = ctl({"code", "issue", "--dealer", dealer, "--customer", customer});
  must(r, "code issue");
  return r.out.substr(0, r.out.find('\n'));
}

rest_client::client center_daemon::client() const {
  rest_client::options o;
  o.base_url = url_;
  o.ca_file = ca_;
  o.timeout = 60s;
  return rest_client::client(o);
}

std::pair<int, json::value> center_daemon::call(const std::string& method, const std::string& path,
                                                const json::value& body, const std::string& bearer,
                                                const std::map<std::string, std::string>& headers) const {
  auto c = client();
  auto h = headers;
  if (!bearer.empty()) h["Authorization"] = "Bearer " + bearer;
  std::error_code ec;
  std::string why;
  const auto r = c.request(method, path, body.is_null() ? "" : body.dump(), h, ec, &why);
  if (ec) throw std::runtime_error("HTTP " + method + " " + path + " failed: " + why);
  std::string err;
  auto parsed = r.body.empty() ? std::optional<json::value>() : json::parse(r.body, err);
  return {r.status, parsed ? *parsed : json::value()};
}

}  // namespace fleetreg::test
