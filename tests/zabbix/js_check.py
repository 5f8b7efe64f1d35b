#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the templates' JavaScript preprocessing in Zabbix's own engine
(zabbix_js, Duktape, from zabbix-server-pgsql) on the values an SNMP poller
hands over, and checks the results.

  js_check.py TEMPLATE...

frtRegLastReport and frtRegLastErrorTime are DateAndTime octets: Zabbix
gives them as hex ('07 EA 0B 19 0C 1E 00 00') when the MIB is not loaded
on the server, as the display-hint text ('2026-11-25,12:30:0.0') when it is.

The collector template's scripts get status.json texts as the collector
writes them, with the time some seconds ago, null, and not a time.
"""
import json
import subprocess
import sys
import tempfile
import time

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


# The collector's time fields: key -> (field, its age in the case, the value when null; None: refused).
COLLECTOR_AGES = {
    'fleetreg.collector.status_age': ('updated', 120, None),
    'fleetreg.collector.last_upload_age': ('last_upload', 300, -1),
    'fleetreg.collector.outbox_oldest_age': ('outbox_oldest', 60, 0),
}


def status_json(field, value):
    """A status.json as store::write_status writes it."""
    now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    s = {'registered': True, 'revoked': False, 'center': 'https://center.example:8443', 'terminals': 3,
         'center_reachable': True, 'last_error': '', 'last_upload': now, 'outbox': 0, 'outbox_oldest': None,
         'readings_refused': 0, 'readings_dropped': 0, 'updated': now}
    s[field] = value
    return json.dumps(s, indent=2)


def check_collector_script(key, script, failures):
    field, age, when_null = COLLECTOR_AGES[key]
    ago = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - age))
    rc, out, err = run(script, status_json(field, ago))
    if rc != 0 or not out.lstrip('-').isdigit() or abs(int(out) - age) > 3:
        failures.append(f'{key}: {field} {age} s ago gave {out or err!r}')
    rc, out, err = run(script, status_json(field, None))
    if when_null is None and rc == 0:
        failures.append(f'{key}: {field} null was accepted as {out!r}')
    if when_null is not None and (rc != 0 or out != str(when_null)):
        failures.append(f'{key}: {field} null gave {out or err!r}, want {when_null}')
    for value in (status_json(field, 'yesterday'), 'not json'):
        rc, out, _ = run(script, value)
        if rc == 0:
            failures.append(f'{key}: {value[:40]!r} was accepted as {out!r}')


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
                    if item['key'] in COLLECTOR_AGES:
                        with tempfile.NamedTemporaryFile('w', suffix='.js') as js:
                            js.write(step['parameters'][0])
                            js.flush()
                            check_collector_script(item['key'], js.name, failures)
                        checked += 1
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
