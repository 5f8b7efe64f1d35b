#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks through a Zabbix 6.0 frontend's API that a running Zabbix server
monitors a real fleetreg terminal with the terminal template.

  runtime_check.py --url URL --terminal BIN --snmp-port PORT --template YAML --state DIR steady
  runtime_check.py --url URL --terminal BIN --snmp-port PORT --state DIR --old-state DIR swap

steady: imports the template, makes a host on the terminal's SNMPv2c
interface with 5 s intervals, and waits for discovery, values, inventory and
problems to be what the terminal says (fleetreg-terminal show --json, and
snmpget for the supply levels); then runs a copy job and waits for the
counters to rise by it. swap: another terminal answers on the same address;
waits for the new values and for the problems that must stay open until
closed by hand, then closes one. Started by runtime_test.sh; each step prints
one line and its time; the first failed assertion ends the run with exit 1.
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.error

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from api_check import RULES, TERMINAL, Api, Failure, expect, login, step  # noqa: E402

HOST = 'fleetreg-zbx-runtime'
MIB_ROOT = '1.3.6.1.4.1.8072.9999.9999.3737'
POLL = '5s'
# Short intervals on the host, and one supply with its own critical level.
HOST_MACROS = {
    '{$FLEETREG.LLD.INTERVAL}': POLL,
    '{$FLEETREG.INTERVAL.COUNTERS}': POLL,
    '{$FLEETREG.INTERVAL.STATUS}': POLL,
    '{$FLEETREG.INTERVAL.IDENTITY}': POLL,
    '{$FLEETREG.SUPPLY.CRIT:"Cyan Toner"}': '10',
}
# The template's defaults.
SUPPLY_WARN, SUPPLY_CRIT = 15, 5
# show --json's counter kinds, the item keys and trigger names they get.
KINDS = {'impressions': ('fleetreg.counter.impressions', 'impressions'),
         'impressions-mono': ('fleetreg.counter.impressions.mono', 'monochrome impressions'),
         'impressions-color': ('fleetreg.counter.impressions.color', 'colour impressions'),
         'sheets': ('fleetreg.counter.sheets', 'sheets')}
DEADLINE = 120  # seconds for each wait


class Terminal:
    def __init__(self, binary, state, snmp_port):
        self.binary, self.state, self.port = binary, state, snmp_port

    def run(self, *args):
        r = subprocess.run([self.binary, '-s', self.state, *args], capture_output=True, text=True, timeout=60)
        expect(r.returncode == 0, f"fleetreg-terminal {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def show(self):
        return json.loads(self.run('show', '--json'))

    def snmpget(self, oid):
        r = subprocess.run(['snmpget', '-v2c', '-c', 'public', '-Oqv', '-t', '2', '-r', '1',
                            f'127.0.0.1:{self.port}', oid], capture_output=True, text=True, timeout=30,
                           env={'MIBS': '', 'PATH': '/usr/bin:/bin'})
        expect(r.returncode == 0, f'snmpget {oid}: {r.stderr.strip()}')
        return r.stdout.strip()


def counters(show):
    """{item key: value} for every counter the terminal keeps."""
    return {f'{KINDS[kind][0]}[{svc}]': v for svc, kinds in show['counters'].items()
            for kind, v in kinds.items() if v is not None}


def percent(supply):
    """frtSupplyLevelPercent as the MIB defines it (-3 some remaining, -2 unknown)."""
    if supply['max_capacity'] > 0 and supply['level'] >= 0:
        return min(100, supply['level'] * 100 // supply['max_capacity'])
    return -3 if supply['level'] == -3 else -2


def supply_levels(show):
    return {f"fleetreg.supply.level[{s['index']}]": percent(s) for s in show['supplies']}


def supply_problems(show):
    """The trigger names and event names the supply levels must raise."""
    out = {}
    for s in show['supplies']:
        p, d = percent(s), s['description']
        crit = int(HOST_MACROS.get(f'{{$FLEETREG.SUPPLY.CRIT:"{d}"}}', SUPPLY_CRIT))
        if 0 <= p < crit:
            out[f'Supply {d}: level is critically low'] = f'Supply {d}: level is critically low (below {crit}%)'
        elif 0 <= p < SUPPLY_WARN:
            # The warning depends on the critical trigger: only one of both.
            out[f'Supply {d}: level is low'] = f'Supply {d}: level is low (below {SUPPLY_WARN}%)'
    return out


class Host:
    def __init__(self, api, hostid, started):
        self.api, self.id, self.started = api, hostid, started
        # While the terminal is swapped, a reading may find no subagent.
        self.tolerate_unsupported = False

    def items(self):
        return {i['key_']: i for i in self.api.call('item.get', {
            'output': ['itemid', 'key_', 'type', 'lastvalue', 'prevvalue', 'lastclock', 'state', 'error', 'flags'],
            'hostids': [self.id]})}

    def unsupported(self):
        bad = [f"item {i['key_']}: {i['error']}" for i in self.api.call('item.get', {
            'output': ['key_', 'error'], 'hostids': [self.id], 'filter': {'state': 1}})]
        bad += [f"discovery rule {r['key_']}: {r['error']}" for r in self.api.call('discoveryrule.get', {
            'output': ['key_', 'error'], 'hostids': [self.id], 'filter': {'state': 1}})]
        return bad

    def triggers_in_problem(self):
        return {t['description'] for t in self.api.call('trigger.get', {
            'output': ['description'], 'hostids': [self.id], 'filter': {'value': 1}})}

    def problems(self):
        """{event name: problem} of the open problems."""
        return {p['name']: p for p in self.api.call('problem.get', {
            'output': ['eventid', 'name', 'severity', 'clock', 'r_eventid'], 'hostids': [self.id]})}

    def wait(self, what, fn, deadline=DEADLINE):
        """Calls fn() until it returns None (done) or a text saying what is
        still wrong; fails with the last text after deadline seconds. Fails
        at once on an unsupported item."""
        start = time.monotonic()
        while True:
            bad = self.unsupported()
            expect(not bad or self.tolerate_unsupported, f'{what}: not supported: ' + '; '.join(bad))
            wrong = fn() or ('not supported: ' + '; '.join(bad) if bad else None)
            if wrong is None:
                return time.monotonic() - start
            expect(time.monotonic() - start < deadline, f'{what}: after {deadline} s: {wrong}')
            time.sleep(0.5)

    def values_are(self, wanted, what):
        """wait() until each key's last value equals wanted[key] (numbers or text)."""
        def check():
            items = self.items()
            for key, want in wanted.items():
                i = items.get(key)
                if i is None:
                    return f'no item {key}'
                if i['lastclock'] == '0':
                    return f'{key} has no value yet'
                got = i['lastvalue']
                if isinstance(want, (int, float)):
                    got = float(got)
                if got != want:
                    return f'{key} is {got!r}, the terminal says {want!r}'
            return None
        return self.wait(what, check)

    def problems_are(self, wanted, what):
        """wait() until exactly the triggers of wanted are in PROBLEM and the
        open problems carry the event names wanted maps them to."""
        def check():
            triggers = self.triggers_in_problem()
            if triggers != set(wanted):
                return f'triggers in PROBLEM: {sorted(triggers)}, want {sorted(wanted)}'
            names = set(self.problems())
            if names != set(wanted.values()):
                return f'open problems: {sorted(names)}, want {sorted(wanted.values())}'
            return None
        return self.wait(what, check)


def make_host(api, snmp_port):
    # The database's own "Zabbix server" host has no agent here: off, so
    # that the server log shows only this test's host.
    own = api.call('host.get', {'output': ['hostid'], 'filter': {'host': 'Zabbix server'}})
    if own:
        api.call('host.update', {'hostid': own[0]['hostid'], 'status': 1})
    group = api.call('hostgroup.create', {'name': 'fleetreg runtime test'})['groupids'][0]
    tid = api.call('template.get', {'output': ['templateid'], 'filter': {'host': TERMINAL}})[0]['templateid']
    hostid = api.call('host.create', {
        'host': HOST, 'groups': [{'groupid': group}], 'templates': [{'templateid': tid}],
        'inventory_mode': 1,
        'interfaces': [{'type': 2, 'main': 1, 'useip': 1, 'ip': '127.0.0.1', 'dns': '', 'port': str(snmp_port),
                        'details': {'version': 2, 'bulk': 1, 'community': '{$SNMP_COMMUNITY}'}}],
        'macros': [{'macro': m, 'value': v} for m, v in HOST_MACROS.items()],
    })['hostids'][0]
    return Host(api, hostid, time.time())


def steady(api, args):
    term = Terminal(args.terminal, args.state, args.snmp_port)
    with open(args.template, encoding='utf-8') as f:
        step(f'configuration.import {args.template.rsplit("/", 1)[-1]}', api.call, 'configuration.import',
             {'format': 'yaml', 'rules': RULES, 'source': f.read()})
    host = step(f'host {HOST} on SNMPv2c 127.0.0.1:{args.snmp_port}, {POLL} intervals', make_host, api,
                args.snmp_port)
    show = term.show()
    want_counters, want_supplies = counters(show), supply_levels(show)
    for s in show['supplies']:
        got = int(term.snmpget(f"{MIB_ROOT}.1.3.1.1.7.{s['index']}"))
        expect(got == percent(s), f"snmpget: supply {s['index']} at {got} %, show --json says {percent(s)} %")

    def discovered():
        keys = {k for k, i in host.items().items() if i['flags'] == '4'}
        want = set(want_counters) | set(want_supplies)
        return None if keys == want else f'discovered {sorted(keys)}, want {sorted(want)}'
    took = host.wait('discovery', discovered)
    print(f'  ok  discovery: {len(want_counters)} counter items, {len(want_supplies)} supply items '
          f'({took:.1f} s after the host was made)', flush=True)

    identity = {
        'fleetreg.identity.manufacturer': show['identity']['manufacturer'],
        'fleetreg.identity.model': show['identity']['model'],
        'fleetreg.identity.serial': show['identity']['serial'],
        'fleetreg.identity.firmware': show['identity']['firmware'],
        'fleetreg.identity.uuid': show['identity']['uuid'],
        'fleetreg.status.state': 1,  # idle
        'fleetreg.status.message': '',
        'fleetreg.registration.state': 1,  # unregistered
        'fleetreg.registration.center_url': '',
        'fleetreg.registration.site_id': '',
        'fleetreg.registration.last_report': 0,
        'fleetreg.registration.last_error': '',
        'fleetreg.registration.last_error_time': 0,
    }
    expect(identity['fleetreg.identity.serial'] == 'ZBX-0001', f"the terminal's serial is {show['identity']}")
    step('counter values as the terminal counts', host.values_are, want_counters, 'counters')
    step('supply levels in percent as snmpget reads them', host.values_are, want_supplies, 'supplies')
    step('identity, status and registration', host.values_are, identity, 'identity')
    # Every SNMP item polled once; none unsupported (wait() checks that).
    items = host.items()
    snmp = [k for k, i in items.items() if i['type'] == '20']
    expect(all(items[k]['lastclock'] != '0' for k in snmp), 'an SNMP item has no value')
    print(f'  ok  all {len(snmp)} SNMP items have values, none is not supported '
          f'({time.time() - host.started:.0f} s after the host was made)', flush=True)

    def inventory():
        inv = api.call('host.get', {'output': ['hostid'], 'hostids': [host.id],
                                    'selectInventory': ['vendor', 'model', 'serialno_a']})[0]['inventory']
        want = {'vendor': 'RICOH', 'model': 'IM C3000', 'serialno_a': 'ZBX-0001'}
        return None if inv == want else f'inventory {inv}, want {want}'
    step('host inventory filled (vendor, model, serial number A)', host.wait, 'inventory', inventory)

    wanted = supply_problems(show)
    expect(len(wanted) == 4, f'the terminal should have four low toners: {wanted}')
    step(f'problems: {", ".join(sorted(wanted.values()))}', host.problems_are, wanted, 'supply triggers')

    before = counters(show)
    term.run('copy', '--sheets', '4', '--duplex')
    after = counters(term.show())
    rise = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    expect(rise == {f'{k}[{s}]': n for s in ('copy', 'total') for k, n in (
        ('fleetreg.counter.impressions', 8), ('fleetreg.counter.impressions.mono', 8),
        ('fleetreg.counter.sheets', 4))}, f'a 4-sheet duplex copy changed the terminal counters by {rise}')
    took = host.values_are(after, 'counters after a copy job')
    item = host.items()['fleetreg.counter.impressions[copy]']
    history = [int(h['value']) for h in api.call('history.get', {
        'output': ['value', 'clock'], 'itemids': [item['itemid']], 'history': 3,
        'sortfield': 'clock', 'sortorder': 'ASC'})]
    expect(history and history == sorted(history) and set(history) == {before[item['key_']], after[item['key_']]},
           f'impressions[copy] history {history}, want {before[item["key_"]]} then {after[item["key_"]]}')
    print(f"  ok  a 4-sheet duplex copy: impressions[copy] {before[item['key_']]} -> {after[item['key_']]} "
          f'in Zabbix after {took:.1f} s ({len(history)} values in its history)', flush=True)
    step('still the same problems, no counter went down', host.problems_are, wanted, 'after the copy')


def swap(api, args):
    old = Terminal(args.terminal, args.old_state, args.snmp_port).show()
    new = Terminal(args.terminal, args.state, args.snmp_port).show()
    hosts = api.call('host.get', {'output': ['hostid'], 'filter': {'host': HOST}})
    expect(len(hosts) == 1, f'no host {HOST}: run the steady phase first')
    host = Host(api, hosts[0]['hostid'], time.time())
    host.tolerate_unsupported = True

    want = counters(new)
    want.update(supply_levels(new))
    want['fleetreg.identity.serial'] = new['identity']['serial']
    want['fleetreg.identity.uuid'] = new['identity']['uuid']
    step(f"new values read: serial {new['identity']['serial']}, lower counters, full toner",
         host.values_are, want, 'after the swap')
    host.tolerate_unsupported = False

    down = {}
    old_counters = counters(old)
    for key, value in counters(new).items():
        if value < old_counters[key]:
            kind, svc = key[:-1].split('[')
            name = next(n for k, n in KINDS.values() if k == kind)
            down[f'Counter {svc}: {name} went down'] = f'Counter {svc}: {name} went down (reset or device swap)'
    expect(len(down) >= 6, f'the swap should lower most counters: {down}')
    serial = new['identity']['serial']
    wanted = {'Terminal has been replaced': f'Terminal has been replaced (new serial number {serial})',
              **down, **supply_problems(new)}
    step(f'problems: replaced, {len(down)} counters went down, low toner resolved', host.problems_are, wanted,
         'after the swap')

    # The counters are read again: last equals the value before it, the
    # expression is false, and the problems must stay open ("acknowledge to close").
    problems = host.problems()
    opened = max(int(p['clock']) for p in problems.values())

    def polled_again():
        items = host.items()
        late = [k for k in counters(new) if int(items[k]['lastclock']) <= opened + 1
                or items[k]['prevvalue'] != items[k]['lastvalue']]
        return f'not read again yet: {late}' if late else None
    host.wait('counters read again', polled_again)
    still = host.problems()
    expect(set(still) == set(problems),
           f'problems closed by themselves after the next reading: {sorted(set(problems) - set(still))}')
    print(f'  ok  the {len(problems)} problems stay open once the counters read the same again', flush=True)

    name = "Counter copy: impressions went down (reset or device swap)"
    expect(name in still, f'no problem {name!r}')
    api.call('event.acknowledge', {'eventids': [still[name]['eventid']], 'action': 1 | 2 | 4,
                                   'message': 'counter checked: device swap'})

    def closed():
        left = set(host.problems())
        return None if left == set(still) - {name} else f'open problems {sorted(left)}'
    step(f'closed by hand: {name}', host.wait, 'manual close', closed, 60)
    bad = host.unsupported()
    expect(not bad, 'not supported: ' + '; '.join(bad))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--terminal', required=True, help='fleetreg-terminal')
    ap.add_argument('--snmp-port', required=True, type=int)
    ap.add_argument('--state', required=True, help="the terminal's state directory")
    ap.add_argument('--old-state', help='swap: the state of the terminal before')
    ap.add_argument('--template', help='steady: the terminal template to import')
    ap.add_argument('phase', choices=('steady', 'swap'))
    args = ap.parse_args()
    if args.phase == 'steady' and not args.template:
        ap.error('steady needs --template')
    if args.phase == 'swap' and not args.old_state:
        ap.error('swap needs --old-state')
    api = Api(args.url)
    try:
        login(api)
        (steady if args.phase == 'steady' else swap)(api, args)
        api.call('user.logout', [])
    except Failure as e:
        print(f'runtime_check.py: FAILED: {e}', file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError, subprocess.SubprocessError) as e:
        print(f'runtime_check.py: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
