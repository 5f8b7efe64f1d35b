#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the binary seed files of the snmp and ipp fuzz targets.

The text seeds (json, ini, provisional_code) are written by hand; these two
formats are easier to get right from code. Run from anywhere:
    tests/fuzz/make_seeds.py
Seeds are only a start: the fuzzers' corpus grows from them, and a crash the
fuzzers find is committed beside them under a name that says what it was.
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

# --- SNMP: BER-encoded response PDUs (what follows version and community) ---


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def ber_int(v, tag=0x02):
    n = max(1, (v.bit_length() + 8) // 8)
    return tlv(tag, v.to_bytes(n, "big", signed=True))


def ber_uint(v, tag):
    n = max(1, (v.bit_length() + 8) // 8)  # a leading zero keeps it positive
    return tlv(tag, v.to_bytes(n, "big"))


def ber_oid(oid):
    body = bytes([40 * oid[0] + oid[1]])
    for sub in oid[2:]:
        chunk = [sub & 0x7F]
        sub >>= 7
        while sub:
            chunk.insert(0, 0x80 | (sub & 0x7F))
            sub >>= 7
        body += bytes(chunk)
    return tlv(0x06, body)


def octets(s):
    return tlv(0x04, s.encode() if isinstance(s, str) else s)


def counter64(v):
    return ber_uint(v, 0x46)


def response(varbinds, tag=0xA2):
    vbl = b"".join(tlv(0x30, ber_oid(o) + v) for o, v in varbinds)
    return tlv(tag, ber_int(4242) + ber_int(0) + ber_int(0) + tlv(0x30, vbl))


ROOT = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3737]
IDENT = ROOT + [1, 1]
COUNTER = ROOT + [1, 2, 1, 1]
SUPPLY = ROOT + [1, 3, 1, 1]
PRT_GENERAL = [1, 3, 6, 1, 2, 1, 43, 5, 1, 1]
HR_DEVICE = [1, 3, 6, 1, 2, 1, 25, 3, 2, 1]
PRT_MARKER = [1, 3, 6, 1, 2, 1, 43, 10, 2, 1]
PRT_SUPPLIES = [1, 3, 6, 1, 2, 1, 43, 11, 1, 1]
ENTITY = [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1]


def snmp_seeds():
    fleetreg = response([
        (IDENT + [1, 0], octets("Kyocera")),
        (IDENT + [2, 0], octets("TASKalfa 2553ci")),
        (IDENT + [3, 0], octets("W1X2345678")),
        (IDENT + [4, 0], octets("2.1.0")),
        (IDENT + [5, 0], octets("5c6b2f0e-9a3d-4e61-8f21-0d3c7a9b1e44")),
        (ROOT + [1, 5, 1, 0], ber_int(1)),
        (COUNTER + [3, 3], counter64(123456)),
        (COUNTER + [4, 3], counter64(100000)),
        (COUNTER + [5, 3], counter64(23456)),
        (COUNTER + [6, 11], counter64(99999)),
        (COUNTER + [3, 4], counter64(2**64 - 1)),
        (SUPPLY + [2, 1], ber_int(3)),
        (SUPPLY + [3, 1], octets("Black Toner")),
        (SUPPLY + [4, 1], octets("black")),
        (SUPPLY + [5, 1], ber_int(7200)),
        (SUPPLY + [6, 1], ber_int(3100)),
        (SUPPLY + [2, 2], ber_int(4)),
        (SUPPLY + [5, 2], ber_int(-2)),
        (SUPPLY + [6, 2], ber_int(-3)),
    ])
    printer = response([
        (PRT_GENERAL + [17, 1], octets("CNB1234567")),
        (HR_DEVICE + [3, 1], octets("HP LaserJet Pro M404dn")),
        (PRT_MARKER + [4, 1, 1], ber_uint(987654, 0x41)),
        (ENTITY + [11, 1], octets("")),
        (ENTITY + [12, 1], octets("HP")),
        (ENTITY + [13, 1], octets("M404dn")),
        (PRT_SUPPLIES + [4, 1, 1], ber_int(3)),
        (PRT_SUPPLIES + [5, 1, 1], ber_int(3)),
        (PRT_SUPPLIES + [6, 1, 1], octets("Black Cartridge HP CF259A")),
        (PRT_SUPPLIES + [7, 1, 1], ber_int(19)),
        (PRT_SUPPLIES + [8, 1, 1], ber_int(100)),
        (PRT_SUPPLIES + [9, 1, 1], ber_int(42)),
    ])
    exceptions = response([
        (IDENT + [3, 0], tlv(0x80, b"")),
        (IDENT + [1, 0], tlv(0x81, b"")),
        (PRT_GENERAL + [17, 1], tlv(0x05, b"")),
        (COUNTER + [3, 3], tlv(0x82, b"")),
        (ROOT + [9], ber_oid([1, 3, 6, 1])),
        (ROOT + [10], tlv(0x40, bytes([192, 0, 2, 1]))),
        (ROOT + [11], ber_uint(12345, 0x43)),
        (ROOT + [12], tlv(0x44, b"\x9f\x78\x04\x3f\x80\x00\x00")),  # opaque float
    ])
    out = CORPUS / "snmp"
    out.mkdir(parents=True, exist_ok=True)
    # The target's first byte: even = BER, odd = varbinds from bytes.
    (out / "ber_fleetreg_mib").write_bytes(b"\x00" + fleetreg)
    (out / "ber_printer_mib").write_bytes(b"\x00" + printer)
    (out / "ber_exceptions").write_bytes(b"\x00" + exceptions)
    # Varbinds from bytes: base, suffix count, suffixes, type index, value.
    serial = bytes([2, 1, 0, 1, 4]) + b"SN-1"
    maker = bytes([0, 1, 0, 1, 6]) + b"Ricoh!"
    counter = bytes([6, 2, 3, 3, 9]) + (1000).to_bytes(8, "big")
    supply = bytes([7, 2, 6, 1, 0]) + (50).to_bytes(8, "big") + bytes([7, 2, 5, 1, 0]) + (100).to_bytes(8, "big")
    (out / "bytes_fleetreg_mib").write_bytes(b"\x01" + serial + maker + counter + supply)


# --- IPP: Get-Printer-Attributes responses (RFC 8010 encoding) ---


def attr(tag, name, *values):
    out = b""
    for i, v in enumerate(values):
        n = name.encode() if i == 0 else b""
        v = v if isinstance(v, bytes) else v.encode()
        out += bytes([tag]) + struct.pack(">H", len(n)) + n + struct.pack(">H", len(v)) + v
    return out


def integer(name, *values):
    return attr(0x21, name, *[struct.pack(">i", v) for v in values])


def ipp_message(printer_attrs, status=0):
    return (b"\x02\x00" + struct.pack(">HI", status, 7) +
            b"\x01" + attr(0x47, "attributes-charset", "utf-8") + attr(0x48, "attributes-natural-language", "en") +
            b"\x04" + printer_attrs + b"\x03")


def ipp_seeds():
    pwg = ipp_message(
        attr(0x41, "printer-make-and-model", "Brother HL-L8360CDW series") +
        attr(0x41, "printer-device-id",
             "MFG:Brother;CMD:PJL,PCL,PCLXL,URF;MDL:HL-L8360CDW series;CLS:PRINTER;SN:E78123A9N456;") +
        attr(0x45, "printer-uuid", "urn:uuid:e3248000-80ce-11db-8000-30055c773bcf") +
        attr(0x41, "printer-serial-number", "E78123A9N456") +
        attr(0x42, "printer-name", "front-desk") +
        attr(0x41, "printer-firmware-string-version", "ZC", "1.04") +
        integer("printer-impressions-completed", 5000) +
        integer("printer-impressions-completed-col", 1200) +
        integer("printer-media-sheets-completed", 4100) +
        attr(0x30, "printer-supply",
             "index=1;class=supplyThatIsConsumed;type=tonerCartridge;unit=percent;maxcapacity=100;level=40;"
             "colorantname=black;",
             "index=2;class=supplyThatIsConsumed;type=tonerCartridge;unit=percent;maxcapacity=100;level=-3;"
             "colorantname=cyan;",
             "index=5;class=supplyThatIsFilled;type=wasteToner;unit=percent;maxcapacity=100;level=10;") +
        attr(0x41, "printer-supply-description", "Black Toner", "Cyan Toner", "Waste Toner Box"))
    cups = ipp_message(
        attr(0x41, "printer-make-and-model", "HP LaserJet 4250") +
        attr(0x41, "printer-device-id",
             "MANUFACTURER:Hewlett-Packard;MODEL:HP LaserJet 4250;SERIALNUMBER:CNRXB12345;") +
        attr(0x42, "marker-names", "Black Toner", "Maintenance Kit") +
        attr(0x44, "marker-types", "toner", "fuser") +
        integer("marker-levels", 73, -1))
    odd = ipp_message(
        attr(0x41, "printer-make-and-model", "") +
        integer("printer-impressions-completed", -5) +
        attr(0x30, "printer-supply", "index=x;level=;=;;maxcapacity=99999999999") +
        attr(0x34, "printer-supply-description", b"") +  # a collection where text is expected
        attr(0x37, "", b"") +
        attr(0x21, "marker-levels", b"\x00\x00"))
    # Found by the fuzzer: a printer-uuid that is not a UUID, over-long text.
    unfit = ipp_message(
        attr(0x41, "printer-device-id", "MFG:Acme;MDL:" + "L" * 200 + ";SN:" + "S" * 70 + ";") +
        attr(0x45, "printer-uuid", "urn:uuid:printer-1") +
        attr(0x42, "marker-names", "a" * 254 + "\u20ac") +
        integer("marker-levels", 50))
    out = CORPUS / "ipp"
    out.mkdir(parents=True, exist_ok=True)
    (out / "uuid_not_canonical_text_too_long").write_bytes(unfit)
    (out / "pwg_printer_supply").write_bytes(pwg)
    (out / "cups_marker_levels").write_bytes(cups)
    (out / "odd_values").write_bytes(odd)


if __name__ == "__main__":
    snmp_seeds()
    ipp_seeds()
