#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks through a Zabbix 6.0 frontend's API that a running Zabbix server and
Zabbix agent monitor a fleetreg collector's status file with the collector
template.

  collector_runtime_check.py --url URL --template YAML --status-file FILE --agent-port PORT

Imports the template, writes status.json with the fields and formats of the
collector's store::write_status (the structural checks hold the template to
those fields), makes a host on the agent's interface with 5 s intervals and
waits for every item's value. Then the status of a revoked collector that has
been silent for an hour: the problems it must raise; then a healthy status
again: they resolve. Started by runtime_test.sh; each step prints one line
and its time; the first failed assertion ends the run with exit 1.
"""
import argparse
import json
import os
import sys
import time
import urllib.error

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from api_check import COLLECTOR, RULES, Api, Failure, expect, login, step  # noqa: E402
from runtime_check import Host  # noqa: E402

HOST = 'fleetreg-zbx-collector'
POLL = '5s'
SILENT = 'Collector: silent (no status for {$FLEETREG.COLLECTOR.STATUS.MAXAGE})'
REVOKED = 'Collector: credential revoked'


def utc(seconds_ago):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - seconds_ago))


def write_status(path, **fields):
    """status.json as store::write_status writes it (replaced atomically, 0644)."""
    s = {'registered': True, 'revoked': False, 'center': 'https://center.example:8443', 'terminals': 3,
         'center_reachable': True, 'last_error': '', 'last_upload': utc(300), 'outbox': 42,
         'outbox_oldest': utc(600), 'readings_refused': 2, 'readings_dropped': 0, 'updated': utc(0)}
    s.update(fields)
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        f.write(json.dumps(s, indent=2) + '\n')
    os.chmod(path + '.tmp', 0o644)
    os.rename(path + '.tmp', path)


def make_host(api, args):
    own = api.call('host.get', {'output': ['hostid'], 'filter': {'host': 'Zabbix server'}})
    if own:
        api.call('host.update', {'hostid': own[0]['hostid'], 'status': 1})
    group = api.call('hostgroup.create', {'name': 'fleetreg collector runtime test'})['groupids'][0]
    tid = api.call('template.get', {'output': ['templateid'], 'filter': {'host': COLLECTOR}})[0]['templateid']
    hostid = api.call('host.create', {
        'host': HOST, 'groups': [{'groupid': group}], 'templates': [{'templateid': tid}],
        'interfaces': [{'type': 1, 'main': 1, 'useip': 1, 'ip': '127.0.0.1', 'dns': '',
                        'port': str(args.agent_port)}],
        'macros': [{'macro': '{$FLEETREG.COLLECTOR.STATUS}', 'value': args.status_file},
                   {'macro': '{$FLEETREG.COLLECTOR.INTERVAL}', 'value': POLL},
                   {'macro': '{$FLEETREG.COLLECTOR.DISK.INTERVAL}', 'value': POLL},
                   {'macro': '{$FLEETREG.COLLECTOR.FS}', 'value': '/'}],
    })['hostids'][0]
    return Host(api, hostid, time.time())


def check(api, args):
    with open(args.template, encoding='utf-8') as f:
        step(f'configuration.import {args.template.rsplit("/", 1)[-1]}', api.call, 'configuration.import',
             {'format': 'yaml', 'rules': RULES, 'source': f.read()})
    write_status(args.status_file)
    host = step(f'host {HOST} on the agent at 127.0.0.1:{args.agent_port}, {POLL} interval', make_host, api, args)

    exact = {'fleetreg.collector.outbox': 42, 'fleetreg.collector.terminals': 3, 'fleetreg.collector.registered': 1,
             'fleetreg.collector.revoked': 0, 'fleetreg.collector.center_reachable': 1,
             'fleetreg.collector.readings_refused': 2, 'fleetreg.collector.readings_dropped': 0}
    # Ages: the script's now minus the file's times (written a moment ago). Keys as
    # the template writes them (item.get does not resolve the macros in them).
    ranges = {'fleetreg.collector.last_upload_age': (300, 420), 'fleetreg.collector.outbox_oldest_age': (600, 720),
              'fleetreg.collector.status_age': (0, 120), 'vfs.fs.size[{$FLEETREG.COLLECTOR.FS},pused]': (0.001, 100)}

    def values():
        items = host.items()
        for key, want in exact.items():
            i = items.get(key)
            if i is None or i['lastclock'] == '0':
                return f'{key} has no value yet'
            if float(i['lastvalue']) != want:
                return f"{key} is {i['lastvalue']}, status.json says {want}"
        for key, (low, high) in ranges.items():
            i = items.get(key)
            if i is None or i['lastclock'] == '0':
                return f'{key} has no value yet'
            if not low <= float(i['lastvalue']) <= high:
                return f"{key} is {i['lastvalue']}, want {low}..{high}"
        last_error = items.get('fleetreg.collector.last_error')
        if last_error is None or last_error['lastclock'] == '0':
            return 'fleetreg.collector.last_error has no value yet'
        return None
    step('every item has the value status.json gives', host.wait, 'values', values)
    expect(not host.triggers_in_problem(), f'a healthy collector has problems: {host.triggers_in_problem()}')

    def problems(wanted):
        def check_problems():
            got = host.triggers_in_problem()
            return None if got == wanted else f'triggers in PROBLEM: {sorted(got)}, want {sorted(wanted)}'
        return check_problems

    write_status(args.status_file, registered=False, revoked=True, center_reachable=False,
                 last_error='the center revoked the credential', updated=utc(3600))
    step('a revoked collector, silent for an hour: its problems', host.wait, 'problems',
         problems({SILENT, REVOKED}))
    write_status(args.status_file)
    step('healthy again: the problems resolve', host.wait, 'recovery', problems(set()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--template', required=True, help='the collector template to import')
    ap.add_argument('--status-file', required=True, help='where the agent reads status.json')
    ap.add_argument('--agent-port', required=True, type=int)
    args = ap.parse_args()
    api = Api(args.url)
    try:
        login(api)
        check(api, args)
        api.call('user.logout', [])
    except Failure as e:
        print(f'collector_runtime_check.py: FAILED: {e}', file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f'collector_runtime_check.py: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
