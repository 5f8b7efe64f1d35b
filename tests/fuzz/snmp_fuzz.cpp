// SPDX-License-Identifier: Apache-2.0
// What an SNMP agent answers the collector, from the wire to the device it
// describes. The first byte picks the shape of the rest:
//   even: a BER-encoded response PDU, parsed by Net-SNMP (snmp_pdu_parse, as
//         for every datagram the collector receives), each variable through
//         fleetreg::snmp::decode;
//   odd:  varbinds built directly from the bytes (OID under one of the
//         tables the collector reads, type, value), which reaches the
//         decoders' corners faster than mutated BER does.
// Then snmp::decode_fleetreg and decode_printer_mib on them (and
// decode_error_state on every string), and the collector's device_from on
// what they decoded.
// Invariants: a decoded device's supplies validate (indexes unique), its
// alerts, extras keys, provenance and device status are what a reading
// accepts, its text is printable UTF-8 that serialises into the
// registration body, and a device the collector would register has an
// identity the center accepts (else the center refuses the whole
// registration).
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fleetreg/collector/snmp_reader.hpp"
#include "fleetreg/core/json.hpp"
#include "fleetreg/snmp/codec.hpp"
#include "fleetreg/snmp/handles.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/terminal_mib.hpp"
#include "fleetreg/snmp/printer_alerts.hpp"
#include "fleetreg/snmp/terminal_reading.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace fleetreg;
using fuzz::broken;
namespace tm = snmp::terminal_mib;
namespace pm = snmp::printer_mib;

std::vector<snmp::varbind> from_ber(const std::uint8_t* data, std::size_t size) {
  std::vector<snmp::varbind> out;
  // Net-SNMP's parser takes a non-const buffer.
  std::vector<u_char> copy(data, data + size);
  snmp::pdu_ptr pdu(static_cast<netsnmp_pdu*>(calloc(1, sizeof(netsnmp_pdu))));
  pdu->version = SNMP_VERSION_2c;
  size_t length = copy.size();
  if (snmp_pdu_parse(pdu.get(), copy.data(), &length) != 0) return out;
  for (auto* v = pdu->variables; v; v = v->next_variable) out.push_back(snmp::decode_varbind(*v));
  return out;
}

// Where the collector looks, so that names land in its tables.
const snmp::oid_vector* const bases[] = {&tm::manufacturer,
                                         &tm::model,
                                         &tm::serial_number,
                                         &tm::firmware,
                                         &tm::uuid,
                                         &tm::reg_state,
                                         &tm::counter_entry,
                                         &tm::supply_entry,
                                         &pm::prt_general_entry,
                                         &pm::hr_device_entry,
                                         &pm::prt_marker_entry,
                                         &pm::prt_marker_supplies_entry,
                                         &pm::ent_physical_entry,
                                         &pm::hr_printer_entry,
                                         &pm::prt_alert_entry,
                                         &pm::sys_object_id,
                                         &pm::sys_descr,
                                         &tm::root};

constexpr snmp::value_type types[] = {
    snmp::value_type::integer,         snmp::value_type::octet_string,     snmp::value_type::null,
    snmp::value_type::object_id,       snmp::value_type::ip_address,       snmp::value_type::counter32,
    snmp::value_type::gauge32,         snmp::value_type::timeticks,        snmp::value_type::opaque,
    snmp::value_type::counter64,       snmp::value_type::no_such_object,   snmp::value_type::no_such_instance,
    snmp::value_type::end_of_mib_view, static_cast<snmp::value_type>(0x47)};

std::vector<snmp::varbind> from_bytes(fuzz::reader& in) {
  std::vector<snmp::varbind> out;
  while (!in.empty() && out.size() < 512) {
    snmp::varbind vb;
    vb.name = *bases[in.byte() % std::size(bases)];
    const int suffix = in.byte() % 4;
    for (int i = 0; i < suffix; ++i) {
      const auto b = in.byte();
      // Small sub-identifiers mostly (columns, indexes), sometimes huge ones.
      vb.name.push_back(b & 0x80 ? static_cast<snmp::subid>(in.integer(4)) : b);
    }
    vb.val.type = types[in.byte() % std::size(types)];
    switch (vb.val.type) {
      case snmp::value_type::integer:
        vb.val.integer = static_cast<std::int64_t>(in.integer(8));
        break;
      case snmp::value_type::octet_string:
      case snmp::value_type::ip_address:
      case snmp::value_type::opaque:
        vb.val.octets = in.string(255);
        break;
      case snmp::value_type::object_id:
        for (int n = in.byte() % 8; n > 0; --n) vb.val.oid.push_back(in.byte());
        break;
      default:
        vb.val.unsigned_value = in.integer(8);
        break;
    }
    out.push_back(std::move(vb));
  }
  return out;
}

void check(const std::optional<snmp::terminal_reading>& reading) {
  if (!reading) return;
  const auto d = collector::device_from(*reading);
  for (const auto* field : {&d.id.manufacturer, &d.id.model, &d.id.serial, &d.id.uuid, &d.id.firmware})
    if (!is_printable_utf8(*field, 255)) broken("decoded identity text is not printable UTF-8");
  fuzz::check_serialises(json::to_json(d.id), "a decoded identity");
  std::set<std::int32_t> indexes;
  for (const auto& s : d.supplies) {
    if (const auto problem = validate(s)) broken("a decoded supply does not validate: " + *problem);
    if (!indexes.insert(s.index).second) broken("two decoded supplies share an index");
    fuzz::check_serialises(json::to_json(s), "a decoded supply");
  }
  if (d.alerts.size() > max_alerts) broken("more alerts than a reading carries");
  for (const auto& a : d.alerts)
    if (const auto problem = validate(a)) broken("a decoded alert does not validate: " + *problem);
  for (const auto& [k, v] : d.extras)
    if (!is_extra_key(k)) broken("a decoded extra has a bad key");
  for (const auto& [k, v] : d.provenance)
    if (!is_provenance_key(k) || !is_printable_utf8(v, max_provenance_length)) broken("bad decoded provenance");
  if (!d.device_status.empty() && !is_device_status(d.device_status)) broken("a decoded device status is unknown");
  fuzz::check_serialises(json::to_json(d.counters), "decoded counters");
  if (d.why_not_registrable().empty()) {
    if (const auto problem = validate(d.id))
      broken("a registrable device has an identity the center refuses: " + *problem);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool prepared = (snmp::prepare_library(), true);
  (void)prepared;
  if (size == 0) return 0;
  std::vector<snmp::varbind> vbs;
  if (data[0] % 2 == 0) {
    vbs = from_ber(data + 1, size - 1);
  } else {
    fuzz::reader in(data + 1, size - 1);
    vbs = from_bytes(in);
  }
  for (const auto& vb : vbs) (void)snmp::to_string(vb.name);
  // The GET of the identity and the walks, as read_terminal passes them:
  // the fleetreg MIB's, and the standard MIBs' first GET and walked columns
  // (the same varbinds on either side, then split in two).
  check(snmp::decode_fleetreg(vbs, vbs, vbs));
  check(snmp::decode_printer_mib(vbs, vbs));
  const auto half = vbs.begin() + static_cast<std::ptrdiff_t>(vbs.size() / 2);
  check(snmp::decode_printer_mib({vbs.begin(), half}, {half, vbs.end()}));
  // The alert decoders on their own: any bytes as an error state.
  for (const auto& vb : vbs)
    if (vb.val.type == snmp::value_type::octet_string)
      for (const auto& a : snmp::decode_error_state(vb.val.octets))
        if (const auto problem = validate(a)) broken("a decoded error-state alert does not validate: " + *problem);
  return 0;
}
