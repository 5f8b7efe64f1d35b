// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/center/webhook_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>

#include "fleetreg/core/error.hpp"

namespace fleetreg::center {
namespace {

// libcurl's handles, released only here.
struct easy_deleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct list_deleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using easy_ptr = std::unique_ptr<CURL, easy_deleter>;
using list_ptr = std::unique_ptr<curl_slist, list_deleter>;

// What the callbacks collect; they never throw into libcurl.
struct exchange {
  std::size_t body_bytes = 0;
  std::size_t cap = 0;
  bool cut = false;
  std::string retry_after;
  const std::atomic<bool>* cancelled = nullptr;
  bool allow_private = false;
  std::string refused_address;  ///< why the address was not connected to
};

// libcurl asks for each socket it connects: none to a private address
// unless allowed (the address is the resolved one: no DNS trick gets past).
extern "C" curl_socket_t on_open_socket(void* user, curlsocktype, struct curl_sockaddr* a) noexcept {
  auto& x = *static_cast<exchange*>(user);
  if (!x.allow_private) {
    auto why = private_address_problem(&a->addr);
    if (!why.empty()) {
      x.refused_address = std::move(why);
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

extern "C" int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  return static_cast<exchange*>(user)->cancelled->load() ? 1 : 0;
}

extern "C" std::size_t on_body(char*, std::size_t size, std::size_t n, void* user) noexcept {
  auto& x = *static_cast<exchange*>(user);
  x.body_bytes += size * n;
  if (x.body_bytes > x.cap) {
    x.cut = true;
    return 0;  // ends the transfer: the status is known already
  }
  return size * n;
}

extern "C" std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) noexcept {
  auto& x = *static_cast<exchange*>(user);
  const std::string_view line(data, size * n);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size() && line.size() < 100) {
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))) == name[i];
    if (same) {
      try {
        x.retry_after.assign(line.substr(name.size()));
      } catch (...) {
      }
    }
  }
  return size * n;
}

// The message libcurl uploads, in pieces.
struct upload {
  std::string_view data;
};

extern "C" std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) noexcept {
  auto& u = *static_cast<upload*>(user);
  const auto len = std::min(size * n, u.data.size());
  std::memcpy(buffer, u.data.data(), len);
  u.data.remove_prefix(len);
  return len;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool ipv4_private(std::uint32_t v) {
  const auto in = [v](std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (v & mask) == net;
  };
  return in(0x00000000, 8) || in(0x0a000000, 8) || in(0x64400000, 10) || in(0x7f000000, 8) || in(0xa9fe0000, 16) ||
         in(0xac100000, 12) || in(0xc0000000, 24) || in(0xc0a80000, 16) || in(0xc6120000, 15) ||
         in(0xe0000000, 3);  // 224/4 multicast, 240/4 reserved, broadcast
}

}  // namespace

std::string private_address_problem(const struct sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    const auto* a4 = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &a4->sin_addr, text, sizeof text);
    if (ipv4_private(ntohl(a4->sin_addr.s_addr))) return std::string("address ") + text + " is not public";
    return "";
  }
  if (addr->sa_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(addr);
    const auto* b = a6->sin6_addr.s6_addr;
    ::inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof text);
    const std::string refused = std::string("address ") + text + " is not public";
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0) {
      const auto v = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) | b[15];
      return ipv4_private(v) ? refused : "";
    }
    bool zero_to_14 = true;
    for (int i = 0; i < 15; ++i) zero_to_14 = zero_to_14 && b[i] == 0;
    if (zero_to_14 && (b[15] == 0 || b[15] == 1)) return refused;  // :: and ::1
    if ((b[0] & 0xfe) == 0xfc) return refused;                     // fc00::/7 unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return refused;     // fe80::/10 link-local
    if (b[0] == 0xff) return refused;                              // multicast
    return "";
  }
  return "address family " + std::to_string(addr->sa_family) + " is not IP";
}

webhook_client::webhook_client(webhook_client_options options) : options_(std::move(options)) { global_init(); }

webhook_response webhook_client::post(const webhook_request& request) const {
  webhook_response out;
  // One handle per thread, reset for each request: its connection cache
  // keeps the receiver's connection (and TLS session) open between events.
  thread_local easy_ptr h;
  if (h)
    curl_easy_reset(h.get());
  else
    h.reset(curl_easy_init());
  if (!h) {
    out.error = "libcurl could not start a transfer";
    return out;
  }
  list_ptr headers;
  for (const auto& [name, value] : request.headers) {
    // Header values are ours (never a receiver's), but a line break would
    // still split a header: refused rather than sent.
    if (value.find_first_of("\r\n") != std::string::npos || name.find_first_of("\r\n:") != std::string::npos) {
      out.error = "a header holds a line break";
      return out;
    }
    auto* grown = curl_slist_append(headers.get(), (name + ": " + value).c_str());
    if (!grown) {
      out.error = "out of memory";
      return out;
    }
    (void)headers.release();
    headers.reset(grown);
  }
  // "Expect: 100-continue" would cost a round trip per event.
  if (auto* grown = curl_slist_append(headers.get(), "Expect:")) {
    (void)headers.release();
    headers.reset(grown);
  }
  if (cancelled_) {
    out.error = "the center is stopping";
    return out;
  }
  exchange x;
  x.cap = options_.max_response_bytes;
  x.cancelled = &cancelled_;
  x.allow_private = options_.allow_private_addresses;
  char why[CURL_ERROR_SIZE] = {};
  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &x);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
  const auto rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  // Nothing of this call's may stay referenced by the kept handle.
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, nullptr);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, nullptr);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, nullptr);
  if (!x.refused_address.empty()) {
    out.error = x.refused_address + " ([delivery] allow_private_addresses is off)";
    return out;
  }
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x.cut && status > 0)) {
    out.error = why[0] ? std::string(why) : std::string(curl_easy_strerror(rc));
    return out;
  }
  out.status = status;
  out.retry_after = parse_retry_after(x.retry_after);
  return out;
}

webhook_client_options webhook_options_from(const config& cfg) {
  return {cfg.delivery_ca_file, cfg.delivery_connect_timeout, cfg.delivery_timeout, 64 * 1024,
          cfg.delivery_allow_private_addresses};
}

smtp_options smtp_options_from(const config& cfg) {
  smtp_options o;
  o.host = cfg.smtp_host;
  o.port = cfg.smtp_port;
  o.starttls = cfg.smtp_starttls;
  o.user = cfg.smtp_user;
  o.ca_file = cfg.smtp_ca_file;
  o.timeout = cfg.smtp_timeout;
  if (!cfg.smtp_password_file.empty()) {
    struct stat st {};
    if (::stat(cfg.smtp_password_file.c_str(), &st) != 0)
      throw error(exit_code::config, "[email] password_file " + cfg.smtp_password_file + " cannot be read");
    if (st.st_mode & (S_IRWXG | S_IRWXO))
      throw error(exit_code::config,
                  "[email] password_file " + cfg.smtp_password_file + " is readable by group or others: chmod 600 it");
    std::ifstream f(cfg.smtp_password_file);
    if (!f || !std::getline(f, o.password))
      throw error(exit_code::config, "[email] password_file " + cfg.smtp_password_file + " cannot be read");
    if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();
  }
  return o;
}

smtp_client::smtp_client(smtp_options options) : options_(std::move(options)) { global_init(); }

std::string smtp_client::send(const std::string& from, const std::vector<std::string>& to,
                              const std::string& message) const {
  if (options_.host.empty()) return "no mail relay is configured ([email] smtp_host)";
  easy_ptr h(curl_easy_init());
  if (!h) return "libcurl could not start a transfer";
  list_ptr rcpt;
  for (const auto& r : to) {
    auto* grown = curl_slist_append(rcpt.get(), ("<" + r + ">").c_str());
    if (!grown) return "out of memory";
    (void)rcpt.release();
    rcpt.reset(grown);
  }
  upload u{message};
  char why[CURL_ERROR_SIZE] = {};
  CURL* c = h.get();
  const auto url = "smtp://" + options_.host + ":" + std::to_string(options_.port);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   options_.starttls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  const auto mail_from = "<" + from + ">";
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  const auto rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return why[0] ? std::string(why) : std::string(curl_easy_strerror(rc));
  return "";
}

}  // namespace fleetreg::center
