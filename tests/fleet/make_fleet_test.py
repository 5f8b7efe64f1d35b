#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Unit test of make_fleet.py (issue 18): reproducible, the requested mix,
snmpsim's format, one serial per device, counters that grow.

Usage: make_fleet_test.py   (exit status 0 when every check holds)
"""

import filecmp
import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fleet  # noqa: E402

LINE = re.compile(r"^(\d+(?:\.\d+)+)\|(2|4|4x|6|64|65|66|67|70)(?::(numeric|delay))?\|(.*)$")


def files_of(directory):
    return sorted(f for f in os.listdir(directory) if f.endswith(".snmprec"))


def rows_of(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


class make_fleet_test(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def fleet(self, name, **kw):
        out = os.path.join(self.tmp.name, name)
        args = dict(count=200, seed=18, fleetreg=0.5, slow=0.02, error=0.03)
        args.update(kw)
        manifest = make_fleet.make_fleet(out=out, **args)
        return out, manifest

    def test_same_seed_gives_byte_identical_files(self):
        a, _ = self.fleet("a")
        b, _ = self.fleet("b")
        names = files_of(a) + ["manifest.json"]
        self.assertEqual(len(names), 201)
        self.assertEqual(files_of(a) + ["manifest.json"], files_of(b) + ["manifest.json"])
        match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
        self.assertEqual((mismatch, errors), ([], []))
        self.assertEqual(len(match), 201)

    def test_another_seed_gives_another_fleet(self):
        a, ma = self.fleet("a")
        c, mc = self.fleet("c", seed=19)
        self.assertNotEqual([d["serial"] for d in ma], [d["serial"] for d in mc])
        self.assertFalse(filecmp.cmp(os.path.join(a, "00000.snmprec"), os.path.join(c, "00000.snmprec"), False))

    def test_the_mix_matches_the_proportions(self):
        for count, fleetreg, slow, error in ((200, 0.5, 0.02, 0.03), (1000, 0.3, 0.01, 0.01), (7, 1.0, 0, 0)):
            out, manifest = self.fleet("mix%d" % count, count=count, fleetreg=fleetreg, slow=slow, error=error)
            self.assertEqual(len(manifest), count)
            kinds = [d["kind"] for d in manifest]
            behaviours = [d["behaviour"] for d in manifest]
            self.assertEqual(kinds.count("fleetreg"), round(count * fleetreg))
            self.assertEqual(kinds.count("vendor"), count - round(count * fleetreg))
            self.assertEqual(behaviours.count("slow"), round(count * slow))
            self.assertEqual(behaviours.count("error"), round(count * error))
            # What the manifest says is what the files hold.
            for d in manifest:
                text = "\n".join(rows_of(os.path.join(out, d["file"])))
                self.assertEqual(make_fleet.ROOT + ".1.1.3.0|" in text, d["kind"] == "fleetreg", d["file"])
                self.assertEqual("wait=%d" % make_fleet.DROP_WAIT in text, d["behaviour"] == "error", d["file"])
                self.assertEqual(":delay|" in text, d["behaviour"] != "normal", d["file"])
        # Every vendor recording with a serial is used.
        _, manifest = self.fleet("templates", count=100, fleetreg=0.0)
        used = {d["template"] for d in manifest}
        self.assertEqual(used, {t[0] for t in make_fleet.templates_in(make_fleet.DEFAULT_TEMPLATES)})
        self.assertGreaterEqual(len(used), 10)

    def test_recordings_are_snmpsim_format_with_one_serial_each(self):
        out, manifest = self.fleet("format")
        serials = set()
        for d in manifest:
            rows = rows_of(os.path.join(out, d["file"]))
            oids = []
            growing = 0
            for row in rows:
                m = LINE.match(row)
                self.assertIsNotNone(m, "%s: %r" % (d["file"], row))
                oids.append(tuple(int(x) for x in m.group(1).split(".")))
                if m.group(3) == "numeric" and m.group(2) in ("65", "70"):
                    self.assertRegex(m.group(4), r"^initial=\d+,rate=[0-9.e-]+$")
                    self.assertGreater(float(m.group(4).split("rate=")[1]), 0)
                    growing += 1
                if m.group(1) == make_fleet.SERIAL:
                    self.assertIn(d["serial"], m.group(4))
            self.assertEqual(oids, sorted(oids), d["file"])
            self.assertEqual(len(oids), len(set(oids)), d["file"])
            # Counters grow unless they are the ones that never answer.
            if d["behaviour"] != "error":
                self.assertGreater(growing, 0, d["file"])
            self.assertNotIn(d["serial"], serials)
            serials.add(d["serial"])
            text = "\n".join(rows)
            if d["kind"] == "vendor":
                # The template's own serial is gone everywhere.
                _, old = make_fleet.read_template(os.path.join(make_fleet.DEFAULT_TEMPLATES, d["template"]))
                self.assertNotIn("|" + old + "\n", text + "\n")

    def test_refuses_impossible_mixes(self):
        with self.assertRaises(ValueError):
            self.fleet("bad", slow=0.6, error=0.6)
        with self.assertRaises(ValueError):
            self.fleet("none", count=0)

    def test_command_line(self):
        out = os.path.join(self.tmp.name, "cli")
        self.assertEqual(make_fleet.main(["--count", "12", "--seed", "3", "--out", out]), 0)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            m = json.load(f)
        self.assertEqual((m["count"], m["seed"], len(m["devices"])), (12, 3, 12))
        self.assertEqual(len(files_of(out)), 12)


if __name__ == "__main__":
    unittest.main()
