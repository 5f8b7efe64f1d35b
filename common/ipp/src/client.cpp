// SPDX-License-Identifier: Apache-2.0
#include <cups/cups.h>
#include <cups/ipp.h>

#include <cstring>
#include <memory>

#include "fleetreg/core/identity.hpp"
#include "fleetreg/ipp/printer.hpp"

namespace fleetreg::ipp {
namespace {

struct http_closer {
  void operator()(http_t* h) const noexcept { httpClose(h); }
};
struct ipp_deleter {
  void operator()(ipp_t* i) const noexcept { ippDelete(i); }
};
using http_ptr = std::unique_ptr<http_t, http_closer>;
using ipp_ptr = std::unique_ptr<ipp_t, ipp_deleter>;

constexpr std::size_t max_value = 1024;
constexpr int max_entries = 64;

class ipp_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ipp"; }
  std::string message(int code) const override { return ippErrorString(static_cast<ipp_status_t>(code)); }
};

std::string text(ipp_t* response, const char* name) {
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  if (!a) return {};
  const char* v = ippGetString(a, 0, nullptr);
  if (!v || std::strlen(v) > max_value || !is_printable_utf8(v, max_value)) return {};
  return v;
}

std::vector<std::string> texts(ipp_t* response, const char* name) {
  std::vector<std::string> out;
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  if (!a) return out;
  const int n = std::min(ippGetCount(a), max_entries);
  for (int i = 0; i < n; ++i) {
    if (ippGetValueTag(a) == IPP_TAG_STRING) {  // octetString (printer-supply)
      int len = 0;
      const auto* data = static_cast<const char*>(ippGetOctetString(a, i, &len));
      std::string v = data && len > 0 && static_cast<std::size_t>(len) <= max_value ? std::string(data, len) : "";
      out.push_back(is_printable_utf8(v, max_value) ? v : "");
    } else {
      const char* v = ippGetString(a, i, nullptr);
      out.push_back(v && std::strlen(v) <= max_value && is_printable_utf8(v, max_value) ? v : "");
    }
  }
  return out;
}

std::optional<std::uint64_t> integer(ipp_t* response, const char* name) {
  ipp_attribute_t* a = ippFindAttribute(response, name, IPP_TAG_INTEGER);
  if (!a) return std::nullopt;
  const int v = ippGetInteger(a, 0);
  if (v < 0) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

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
  if (uri.size() > 1024 || httpSeparateURI(HTTP_URI_CODING_ALL, uri.c_str(), scheme, sizeof scheme, user, sizeof user,
                                           host, sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      (std::strcmp(scheme, "ipp") != 0 && std::strcmp(scheme, "ipps") != 0))
    return fail(IPP_STATUS_ERROR_BAD_REQUEST, "not an ipp:// or ipps:// URI: " + uri);
  const bool tls = std::strcmp(scheme, "ipps") == 0;
  const int ms = static_cast<int>(timeout.count());
  http_ptr http(httpConnect2(host, port, nullptr, AF_UNSPEC, tls ? HTTP_ENCRYPTION_ALWAYS : HTTP_ENCRYPTION_IF_REQUESTED,
                             1, ms, nullptr));
  if (!http) return fail(IPP_STATUS_ERROR_SERVICE_UNAVAILABLE, std::string("cannot connect: ") + cupsLastErrorString());
  httpSetTimeout(http.get(), ms / 1000.0, nullptr, nullptr);

  ipp_t* request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nullptr, uri.c_str());
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nullptr, "fleetreg");
  std::vector<const char*> names;
  for (const auto& n : requested_attributes) names.push_back(n.c_str());
  ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", static_cast<int>(names.size()),
                nullptr, names.data());
  ipp_ptr response(cupsDoRequest(http.get(), request, resource[0] ? resource : "/"));  // frees `request`
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING)
    return fail(cupsLastError(), cupsLastErrorString());

  auto* r = response.get();
  printer_attributes p;
  p.make_and_model = text(r, "printer-make-and-model");
  p.device_id = text(r, "printer-device-id");
  p.uuid = text(r, "printer-uuid");
  p.serial_number = text(r, "printer-serial-number");
  p.name = text(r, "printer-name");
  p.firmware = text(r, "printer-firmware-string-version");
  p.impressions = integer(r, "printer-impressions-completed");
  p.impressions_color = integer(r, "printer-impressions-completed-col");
  p.sheets = integer(r, "printer-media-sheets-completed");
  p.supplies = texts(r, "printer-supply");
  p.supply_descriptions = texts(r, "printer-supply-description");
  p.marker_names = texts(r, "marker-names");
  p.marker_types = texts(r, "marker-types");
  if (ipp_attribute_t* a = ippFindAttribute(r, "marker-levels", IPP_TAG_INTEGER))
    for (int i = 0; i < std::min(ippGetCount(a), max_entries); ++i) p.marker_levels.push_back(ippGetInteger(a, i));
  return p;
}

}  // namespace fleetreg::ipp
