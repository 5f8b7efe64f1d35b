// SPDX-License-Identifier: Apache-2.0
// What an IPP printer answers the collector's Get-Printer-Attributes: the
// bytes as an IPP message read by libcups (ippReadIO from memory, the same
// reader cupsDoRequest uses on the socket), then ipp::attributes_from and
// collector::decode_ipp, the device's identity, counters and supplies.
// Invariants: as for SNMP (snmp_fuzz.cpp): decoded supplies validate, text
// serialises, a registrable device has an identity the center accepts; and
// the IEEE 1284 device-ID and printer-supply parsers never throw.
#include <cups/ipp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "fleetreg/collector/ipp_reader.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/ipp/response.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;

struct ipp_deleter {
  void operator()(ipp_t* i) const noexcept { ippDelete(i); }
};

struct memory_source {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos = 0;
};

// libcups' read callback (C): copies what is left, 0 at the end.
ssize_t read_memory(void* context, ipp_uchar_t* buffer, size_t bytes) noexcept {
  auto* src = static_cast<memory_source*>(context);
  const auto n = std::min(bytes, src->size - src->pos);
  if (n > 0) std::memcpy(buffer, src->data + src->pos, n);
  src->pos += n;
  return static_cast<ssize_t>(n);
}

void check(const std::optional<collector::device_info>& d) {
  if (!d) return;
  for (const auto* field : {&d->id.manufacturer, &d->id.model, &d->id.serial, &d->id.uuid, &d->id.firmware})
    if (!is_printable_utf8(*field, 1024)) broken("decoded identity text is not printable UTF-8");
  fuzz::check_serialises(json::to_json(d->id), "a decoded identity");
  for (const auto& s : d->supplies) {
    if (const auto problem = validate(s)) broken("a decoded supply does not validate: " + *problem);
    fuzz::check_serialises(json::to_json(s), "a decoded supply");
  }
  if (d->why_not_registrable().empty()) {
    if (const auto problem = validate(d->id))
      broken("a registrable device has an identity the center refuses: " + *problem);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  memory_source src{data, size};
  std::unique_ptr<ipp_t, ipp_deleter> response(ippNew());
  // A blocking read returns at the message's end (IPP_STATE_DATA) or on an error.
  if (ippReadIO(&src, read_memory, 1, nullptr, response.get()) != IPP_STATE_DATA) return 0;
  const auto attributes = ipp::attributes_from(response.get());
  (void)ipp::parse_device_id(attributes.device_id);
  for (const auto& s : attributes.supplies) (void)ipp::parse_supply(s);
  check(collector::decode_ipp(attributes));
  return 0;
}
