#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the templates' JavaScript preprocessing in Zabbix's own engine
(zabbix_js, Duktape, from zabbix-server-pgsql) on the values an SNMP poller
hands over, and checks the results.

  js_check.py TEMPLATE...

frtRegLastReport and frtRegLastErrorTime are DateAndTime octets: Zabbix
gives them as hex ('07 EA 0B 19 0C 1E 00 00') when the MIB is not loaded
on the server, as the display-hint text ('2026-11-25,12:30:0.0') when it is.
"""
import subprocess
import sys
import tempfile

import yaml

# 2026-11-25 12:30:00 UTC, as fleetreg-subagent encodes it (8 octets, UTC).
T = 1795609800
CASES = [
    ('07 EA 0B 19 0C 1E 00 00', T),
    ('07 EA 0B 19 0C 1E 00 00 ', T),            # net-snmp's trailing space
    ('07 EA 0B 19 0C 1E 00 00 2B 01 00', T - 3600),  # 12:30 at UTC+1
    ('07 EA 0B 19 0D 1E 00 00 2D 01 00', T + 3600 * 2),  # 13:30 at UTC-1
    ('00 00 00 00 00 00 00 00', 0),            # never
    ('2026-11-25,12:30:0.0', T),
    ('2026-11-25,13:30:0.0,+1:0', T),
    ('0-0-0,0:0:0.0', 0),
]
REFUSED = ['', 'Hex-STRING', '07 EA 0B', 'yesterday']
# frtRegLastReport.0 and frtRegLastErrorTime.0.
DATE_AND_TIME_OIDS = {'1.3.6.1.4.1.8072.9999.9999.3737.1.5.5.0', '1.3.6.1.4.1.8072.9999.9999.3737.1.5.7.0'}


def run(script, value):
    r = subprocess.run(['zabbix_js', '-s', script, '-p', value], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def main():
    failures, checked = [], 0
    for path in sys.argv[1:]:
        with open(path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
        for t in doc['zabbix_export']['templates']:
            for item in t.get('items', []):
                for step in item.get('preprocessing', []):
                    if step['type'] != 'JAVASCRIPT':
                        continue
                    if item.get('snmp_oid') not in DATE_AND_TIME_OIDS:
                        failures.append(f"{item['key']}: JavaScript with no test cases here")
                        continue
                    with tempfile.NamedTemporaryFile('w', suffix='.js') as js:
                        js.write(step['parameters'][0])
                        js.flush()
                        for value, want in CASES:
                            rc, out, err = run(js.name, value)
                            if rc != 0 or out != str(want):
                                failures.append(f"{item['key']}: {value!r} gave {out or err!r}, want {want}")
                        for value in REFUSED:
                            rc, out, _ = run(js.name, value)
                            if rc == 0:
                                failures.append(f"{item['key']}: {value!r} was accepted as {out!r}")
                    checked += 1
    for f in failures:
        print(f'js_check.py: {f}', file=sys.stderr)
    if not failures:
        print(f'  ok  {checked} JavaScript steps in zabbix_js, {len(CASES) + len(REFUSED)} values each')
    return 1 if failures or not checked else 0


if __name__ == '__main__':
    sys.exit(main())
