// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/ipp/printer.hpp"

#include <cups/cups.h>
#include <cups/ipp.h>

#include <cstring>

#include "cups_ptr.hpp"
#include "fleetreg/ipp/response.hpp"

namespace fleetreg::ipp {
namespace {

using detail::http_ptr;
using detail::ipp_ptr;

class ipp_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ipp"; }
  std::string message(int code) const override { return ippErrorString(static_cast<ipp_status_t>(code)); }
};

}  // namespace

const std::error_category& ipp_category() noexcept {
  static const ipp_error_category category;
  return category;
}

std::optional<printer_attributes> get_printer_attributes(const std::string& uri, std::chrono::milliseconds timeout,
                                                         std::error_code& ec, std::string* why) {
  ec.clear();
  auto fail = [&](ipp_status_t status, const std::string& text) -> std::optional<printer_attributes> {
    ec = std::error_code(static_cast<int>(status), ipp_category());
    if (why) *why = text;
    return std::nullopt;
  };
  char scheme[32], user[256], host[256], resource[1024];
  int port = 0;
  if (uri.size() > 1024 ||
      httpSeparateURI(HTTP_URI_CODING_ALL, uri.c_str(), scheme, sizeof scheme, user, sizeof user, host, sizeof host,
                      &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      (std::strcmp(scheme, "ipp") != 0 && std::strcmp(scheme, "ipps") != 0))
    return fail(IPP_STATUS_ERROR_BAD_REQUEST, "not an ipp:// or ipps:// URI: " + uri);
  const bool tls = std::strcmp(scheme, "ipps") == 0;
  const int ms = static_cast<int>(timeout.count());
  http_ptr http(httpConnect2(host, port, nullptr, AF_UNSPEC,
                             tls ? HTTP_ENCRYPTION_ALWAYS : HTTP_ENCRYPTION_IF_REQUESTED, 1, ms, nullptr));
  if (!http) return fail(IPP_STATUS_ERROR_SERVICE_UNAVAILABLE, std::string("cannot connect: ") + cupsLastErrorString());
  httpSetTimeout(http.get(), ms / 1000.0, nullptr, nullptr);

  ipp_ptr request(ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES));
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nullptr, uri.c_str());
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nullptr, "fleetreg");
  std::vector<const char*> names;
  for (const auto& n : requested_attributes) names.push_back(n.c_str());
  ippAddStrings(request.get(), IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                static_cast<int>(names.size()), nullptr, names.data());
  // cupsDoRequest frees the request whatever happens.
  ipp_ptr response(cupsDoRequest(http.get(), request.release(), resource[0] ? resource : "/"));
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) return fail(cupsLastError(), cupsLastErrorString());

  return attributes_from(response.get());
}

}  // namespace fleetreg::ipp
