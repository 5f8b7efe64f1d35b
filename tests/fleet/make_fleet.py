#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a simulated fleet: N snmpsim recordings (.snmprec) from a seed (issue 18).

Each device is one of two kinds:
  - fleetreg: a terminal serving FLEETREG-TERMINAL-MIB (identity, counter
    table per service, supplies, status, registration state) beside the
    standard objects discovery reads (sysDescr, hrDevice row 1,
    prtGeneralSerialNumber, prtMarkerLifeCount);
  - vendor: a copy of one of the recorded vendor printers under
    tests/profiles/<profile-id>/*.snmprec (those with a serial number), in
    turn, read through the counter profiles.
Every device has its own serial number (the template's serial is replaced
wherever it appears as a value). Counters grow between reads: every
Counter32/Counter64 value (but hrDeviceErrors) is served through snmpsim's
`numeric` variation module (initial value + rate × seconds since snmpsimd
started), sysUpTime with rate 100.

Besides its kind, a device behaves in one of three ways:
  - normal;
  - slow: every answer that holds its serial number waits (`delay`
    variation, `wait` ms; its counters grow as the others'); snmpsimd is one
    thread, so this delays the whole simulator while it waits: keep it small;
  - error: its identity answers, its counters do not: the `delay` variation
    with wait > 99999 drops the response (NoDataNotification), so a read
    times out. (The `error` variation cannot be used: on a GET, Debian's
    snmpsim 0.4.5 in --v2c-arch mode dies of an UnboundLocalError in
    snmpsimd's commandResponderCbFun when a variation raises a MIB error.)

The kinds and behaviours are dealt exactly: round(N × fraction) devices each,
placed by a seeded shuffle. The same arguments write byte-identical files:
<out>/NNNNN.snmprec (N from 0) and <out>/manifest.json (per device: file,
kind, behaviour, template, manufacturer, model, serial).

Usage: make_fleet.py --count N --seed S --out DIR [--fleetreg F] [--slow F]
                     [--error F] [--slow-wait MS] [--templates DIR]
"""

import argparse
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TEMPLATES = os.path.normpath(os.path.join(HERE, "..", "profiles"))

ROOT = "1.3.6.1.4.1.8072.9999.9999.3737"
SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"
HR_DEVICE_ERRORS = "1.3.6.1.2.1.25.3.2.1.6."
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
COUNTER_TAGS = ("65", "70")
DROP_WAIT = 100000  # > 99999: snmpsim's delay module drops the response

# (service index IcServiceTypeTC, name, colour share)
SERVICES = ((3, "total"), (4, "copy"), (11, "print"), (12, "scan"), (8, "fax-out"))
MODELS = (
    ("Konica Minolta", "bizhub C300i", True),
    ("Konica Minolta", "bizhub 4752", False),
    ("Ricoh", "IM C3000", True),
    ("Kyocera", "TASKalfa 3554ci", True),
    ("Canon", "imageRUNNER ADVANCE DX 4751i", False),
    ("Sharp", "MX-3071", True),
)


def oid_key(oid):
    return tuple(int(x) for x in oid.split("."))


def read_template(path):
    """(lines as (oid, tag, value), serial) of a recording."""
    rows = []
    serial = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            oid, tag, value = line.split("|", 2)
            rows.append((oid, tag, value))
            if oid == SERIAL and tag == "4":
                serial = value
    return rows, serial


def templates_in(directory):
    """The vendor recordings with a serial number, sorted by path."""
    out = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".snmprec"):
                continue
            path = os.path.join(dirpath, name)
            rows, serial = read_template(path)
            if serial:
                out.append((os.path.relpath(path, directory), rows, serial))
    out.sort(key=lambda t: t[0])
    return out


def grow(tag, value, rng):
    """A counter served by `numeric`: its recorded value plus rate × seconds."""
    rate = rng.choice((0.05, 0.1, 0.2, 0.5, 1, 2))
    return tag + ":numeric", "initial=%s,rate=%s" % (value, rate)


def delayed(tag, value, wait):
    """A row served after `wait` ms (dropped above 99999)."""
    return tag + ":delay", "value=%s,wait=%d" % (value, wait)


def vendor_device(template, serial, behaviour, slow_wait, rng):
    _, rows, old_serial = template
    out = []
    for oid, tag, value in rows:
        if tag == "4" and value == old_serial:
            value = serial
        counter = tag in COUNTER_TAGS and not oid.startswith(HR_DEVICE_ERRORS)
        if behaviour == "slow" and oid == SERIAL:
            tag, value = delayed(tag, value, slow_wait)
        elif behaviour == "error" and counter:
            tag, value = delayed(tag, value, DROP_WAIT)
        elif counter:
            tag, value = grow(tag, value, rng)
        elif oid == SYS_UPTIME and tag == "67":
            tag, value = "67:numeric", "initial=%s,rate=100" % value
        out.append((oid, tag, value))
    return out


def fleetreg_device(index, serial, behaviour, slow_wait, rng):
    manufacturer, model, color = MODELS[rng.randrange(len(MODELS))]
    uuid = "%08x-%04x-4%03x-8%03x-%012x" % (
        rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12), rng.getrandbits(12), rng.getrandbits(48))
    rows = [
        ("1.3.6.1.2.1.1.1.0", "4", "%s %s (fleetreg terminal)" % (manufacturer, model)),
        ("1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.8072.3.2.10"),
        (SYS_UPTIME, "67:numeric", "initial=%d,rate=100" % rng.randrange(10**6, 10**9)),
        ("1.3.6.1.2.1.1.5.0", "4", "terminal-%05d" % index),
        ("1.3.6.1.2.1.25.3.2.1.2.1", "6", "1.3.6.1.2.1.25.3.1.5"),
        ("1.3.6.1.2.1.25.3.2.1.3.1", "4", "%s %s" % (manufacturer, model)),
        ("1.3.6.1.2.1.25.3.2.1.5.1", "2", "2"),
        ("1.3.6.1.2.1.25.3.5.1.1.1", "2", "3"),
        ("1.3.6.1.2.1.25.3.5.1.2.1", "4x", "00"),
        (SERIAL, "4", serial),
        ("1.3.6.1.2.1.43.10.2.1.3.1.1", "2", "7"),
    ]
    counters = []  # (oid, initial, rate): grown, slowed or dropped below
    life = 0
    life_rate = 0.0
    for service, name in SERVICES:
        entry = ROOT + ".1.2.1.1"
        rows.append(("%s.2.%d" % (entry, service), "4", name))
        mono = rng.randrange(1000, 2000000)
        colour = rng.randrange(0, 800000) if color else 0
        rate_mono = rng.choice((0.1, 0.2, 0.5, 1))
        rate_colour = rng.choice((0.05, 0.1, 0.2)) if color else 0
        counters.append(("%s.3.%d" % (entry, service), mono + colour, rate_mono + rate_colour))
        counters.append(("%s.4.%d" % (entry, service), mono, rate_mono))
        if color:
            counters.append(("%s.5.%d" % (entry, service), colour, rate_colour))
        counters.append(("%s.6.%d" % (entry, service), (mono + colour) // 2, (rate_mono + rate_colour) / 2))
        if name == "total":
            life, life_rate = mono + colour, rate_mono + rate_colour
    counters.append(("1.3.6.1.2.1.43.10.2.1.4.1.1", life, life_rate))
    for oid, initial, rate in counters:
        tag = "65" if oid.startswith("1.3.6.1.2.1.43.") else "70"
        if behaviour == "error":
            rows.append((oid,) + delayed(tag, str(initial), DROP_WAIT))
        else:
            rows.append((oid, tag + ":numeric", "initial=%d,rate=%s" % (initial, rate)))
    supplies = [(3, "Black Toner", "black")]
    if color:
        supplies += [(3, "Cyan Toner", "cyan"), (3, "Magenta Toner", "magenta"), (3, "Yellow Toner", "yellow")]
    supplies.append((4, "Waste Toner Box", ""))
    for i, (kind, description, colorant) in enumerate(supplies, start=1):
        entry = ROOT + ".1.3.1.1"
        level = rng.randrange(0, 101)
        rows += [("%s.2.%d" % (entry, i), "2", str(kind)), ("%s.3.%d" % (entry, i), "4", description),
                 ("%s.4.%d" % (entry, i), "4", colorant), ("%s.5.%d" % (entry, i), "2", "100"),
                 ("%s.6.%d" % (entry, i), "2", str(level)), ("%s.7.%d" % (entry, i), "2", str(level))]
    firmware = "%d.%d.%d" % (rng.randrange(1, 9), rng.randrange(0, 20), rng.randrange(0, 100))
    identity = [(ROOT + ".1.1.1.0", manufacturer), (ROOT + ".1.1.2.0", model), (ROOT + ".1.1.3.0", serial),
                (ROOT + ".1.1.4.0", firmware), (ROOT + ".1.1.5.0", uuid)]
    for oid, value in identity:
        if behaviour == "slow" and oid == ROOT + ".1.1.3.0":
            rows.append((oid,) + delayed("4", value, slow_wait))
        else:
            rows.append((oid, "4", value))
    rows += [(ROOT + ".1.4.1.0", "2", "1"), (ROOT + ".1.4.2.0", "4", ""), (ROOT + ".1.5.1.0", "2", "1")]
    return rows, manufacturer, model


def deal(count, fractions, rng):
    """A list of `count` labels, round(count × fraction) of each (the first label takes the rest), shuffled."""
    labels = []
    for label, fraction in fractions[1:]:
        labels += [label] * int(round(count * fraction))
    if len(labels) > count:
        raise ValueError("the fractions add up to more than 1")
    labels += [fractions[0][0]] * (count - len(labels))
    rng.shuffle(labels)
    return labels


def make_fleet(count, seed, out, fleetreg=0.5, slow=0.01, error=0.01, slow_wait=20, templates_dir=DEFAULT_TEMPLATES):
    """Writes the fleet; returns the manifest (a list of dicts)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = random.Random(seed)
    templates = templates_in(templates_dir)
    if not templates:
        raise ValueError("no vendor recordings with a serial number under " + templates_dir)
    kinds = deal(count, [("vendor", 0), ("fleetreg", fleetreg)], rng)
    behaviours = deal(count, [("normal", 0), ("slow", slow), ("error", error)], rng)
    os.makedirs(out, exist_ok=True)
    manifest = []
    next_template = 0
    for i in range(count):
        serial = "FL%04d%s%05d" % (seed % 10000, "".join(rng.choice("ACDEFHJKLMNPRTWXY") for _ in range(3)), i)
        if kinds[i] == "fleetreg":
            rows, manufacturer, model = fleetreg_device(i, serial, behaviours[i], slow_wait, rng)
            template = ""
        else:
            template = templates[next_template % len(templates)]
            next_template += 1
            rows = vendor_device(template, serial, behaviours[i], slow_wait, rng)
            template = template[0]
            manufacturer = model = ""
        rows.sort(key=lambda r: oid_key(r[0]))
        name = "%05d.snmprec" % i
        with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as f:
            for oid, tag, value in rows:
                f.write("%s|%s|%s\n" % (oid, tag, value))
        manifest.append({"file": name, "kind": kinds[i], "behaviour": behaviours[i], "template": template,
                         "manufacturer": manufacturer, "model": model, "serial": serial})
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"seed": seed, "count": count, "devices": manifest}, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--fleetreg", type=float, default=0.5, help="share of fleetreg-MIB terminals (default 0.5)")
    p.add_argument("--slow", type=float, default=0.01, help="share of slow devices (default 0.01)")
    p.add_argument("--error", type=float, default=0.01, help="share of devices whose counters never answer")
    p.add_argument("--slow-wait", type=int, default=20, help="ms a slow device waits per answer (default 20)")
    p.add_argument("--templates", default=DEFAULT_TEMPLATES, help="vendor recordings (default tests/profiles)")
    a = p.parse_args(argv)
    try:
        m = make_fleet(a.count, a.seed, a.out, a.fleetreg, a.slow, a.error, a.slow_wait, a.templates)
    except (ValueError, OSError) as e:
        print("make_fleet.py: %s" % e, file=sys.stderr)
        return 1
    print("%d devices in %s (%d fleetreg, %d slow, %d error)" % (
        len(m), a.out, sum(d["kind"] == "fleetreg" for d in m), sum(d["behaviour"] == "slow" for d in m),
        sum(d["behaviour"] == "error" for d in m)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
