#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Drives a Zabbix 6.0 frontend's JSON-RPC API (api_jsonrpc.php): imports the
fleetreg templates and checks that what Zabbix stored is what the files say.

  api_check.py --url URL --mib MIB --openapi JSON --center-source CPP --collector-source CPP TEMPLATE...

Started by import_test.sh once the frontend answers. Each step prints one
line and its time; the first failed assertion ends the run with exit 1.
"""
import argparse
import copy
import json
import re
import sys
import time
import urllib.error
import urllib.request

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import template_lint  # noqa: E402 (after the line above on purpose)

TERMINAL = 'Fleetreg terminal by SNMP'
CENTER = 'Fleetreg center by HTTP'
COLLECTOR = template_lint.COLLECTOR
MIB_ROOT = '1.3.6.1.4.1.8072.9999.9999.3737'

# Everything an import may create or update (Zabbix 6.0 rule names).
RULES = {
    'groups': {'createMissing': True, 'updateExisting': True},
    'templates': {'createMissing': True, 'updateExisting': True},
    'templateLinkage': {'createMissing': True},
    'templateDashboards': {'createMissing': True, 'updateExisting': True},
    'items': {'createMissing': True, 'updateExisting': True},
    'discoveryRules': {'createMissing': True, 'updateExisting': True},
    'triggers': {'createMissing': True, 'updateExisting': True},
    'graphs': {'createMissing': True, 'updateExisting': True},
    'httptests': {'createMissing': True, 'updateExisting': True},
    'valueMaps': {'createMissing': True, 'updateExisting': True},
}


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


class Api:
    def __init__(self, url):
        self.url = url
        self.auth = None
        self.next_id = 1

    def call(self, method, params):
        """The result, or raises Failure with the API's error."""
        body = {'jsonrpc': '2.0', 'method': method, 'params': params, 'id': self.next_id}
        self.next_id += 1
        if self.auth and method not in ('apiinfo.version', 'user.login'):
            body['auth'] = self.auth
        req = urllib.request.Request(self.url, json.dumps(body).encode(),
                                     {'Content-Type': 'application/json-rpc'})
        with urllib.request.urlopen(req, timeout=120) as r:
            answer = json.load(r)
        if 'error' in answer:
            e = answer['error']
            raise Failure(f"{method}: {e.get('message')} {e.get('data')}")
        return answer['result']

    def refused(self, method, params):
        """The API's error message; Failure if the call succeeded."""
        try:
            self.call(method, params)
        except Failure as e:
            return str(e)
        raise Failure(f'{method} accepted what it should refuse')


def step(name, fn, *args):
    start = time.monotonic()
    result = fn(*args)
    print(f'  ok  {name} ({time.monotonic() - start:.1f} s)', flush=True)
    return result


# --- what the files say ------------------------------------------------------

def expected(doc):
    """Per template: items, rules, prototypes, triggers, macros, value maps."""
    out = {}
    ex = doc['zabbix_export']
    for t in ex['templates']:
        name = t['template']
        e = out[name] = {
            'items': {i['key']: i for i in t.get('items', [])},
            'rules': {r['key']: r for r in t.get('discovery_rules', [])},
            'prototypes': {p['key']: (r['key'], p) for r in t.get('discovery_rules', [])
                           for p in r.get('item_prototypes', [])},
            'triggers': {},
            'trigger_prototypes': {},
            'macros': {m['macro']: m for m in t.get('macros', [])},
            'valuemaps': {v['name']: v for v in t.get('valuemaps', [])},
        }
        for i in t.get('items', []):
            for tr in i.get('triggers', []):
                e['triggers'][tr['name']] = tr
        for r in t.get('discovery_rules', []):
            for p in r.get('item_prototypes', []):
                for tr in p.get('trigger_prototypes', []):
                    e['trigger_prototypes'][tr['name']] = tr
            for tr in r.get('trigger_prototypes', []):
                e['trigger_prototypes'][tr['name']] = tr
    for tr in ex.get('triggers', []):
        for name in out:
            if f'/{name}/' in tr['expression']:
                out[name]['triggers'][tr['name']] = tr
    return out


# Zabbix API numbers for the export's words.
ITEM_TYPES = {'ZABBIX_PASSIVE': '0', 'SNMP_AGENT': '20', 'HTTP_AGENT': '19', 'DEPENDENT': '18', 'INTERNAL': '5'}
VALUE_TYPES = {'FLOAT': '0', 'CHAR': '1', 'LOG': '2', 'UNSIGNED': '3', 'TEXT': '4'}
RECOVERY_MODES = {'EXPRESSION': '0', 'RECOVERY_EXPRESSION': '1', 'NONE': '2'}
PRIORITIES = {'NOT_CLASSIFIED': '0', 'INFO': '1', 'WARNING': '2', 'AVERAGE': '3', 'HIGH': '4', 'DISASTER': '5'}
OVERRIDE_OBJECTS = {'ITEM_PROTOTYPE': '0', 'TRIGGER_PROTOTYPE': '1'}
OVERRIDE_OPERATORS = {'EQUAL': '0', 'NOT_EQUAL': '1', 'LIKE': '2', 'NOT_LIKE': '3', 'REGEXP': '8', 'NOT_REGEXP': '9'}
PREPROC = {'JSONPATH': '12', 'JAVASCRIPT': '21', 'PROMETHEUS_PATTERN': '22', 'PROMETHEUS_TO_JSON': '23',
           'CHANGE_PER_SECOND': '10', 'DISCARD_UNCHANGED_HEARTBEAT': '20', 'BOOL_TO_DECIMAL': '6'}


def same_item(what, stored, wanted, valuemaps):
    expect(stored['type'] == ITEM_TYPES[wanted['type']],
           f"{what}: type {stored['type']}, the file says {wanted['type']}")
    expect(stored['value_type'] == VALUE_TYPES[wanted.get('value_type', 'UNSIGNED')],
           f"{what}: value type {stored['value_type']}")
    expect(stored.get('snmp_oid', '') == str(wanted.get('snmp_oid', '')),
           f"{what}: OID {stored.get('snmp_oid')!r}, the file says {wanted.get('snmp_oid')!r}")
    expect(stored['delay'] == str(wanted.get('delay', '1m')), f"{what}: delay {stored['delay']}")
    expect(stored['units'] == wanted.get('units', ''), f"{what}: units {stored['units']!r}")
    if 'url' in wanted:
        expect(stored['url'] == wanted['url'], f"{what}: url {stored['url']}")
        expect(stored['headers'] == {h['name']: h['value'] for h in wanted['headers']},
               f"{what}: headers {stored['headers']}")
    steps = [(s['type'], s['params']) for s in stored['preprocessing']]
    # Zabbix drops the line break a YAML block scalar ends with.
    want = [(PREPROC[s['type']], '\n'.join(p[:-1] if p.endswith('\n') else p for p in s['parameters']))
            for s in wanted.get('preprocessing', [])]
    expect(steps == want, f'{what}: preprocessing {steps}, the file says {want}')
    vm = wanted.get('valuemap', {}).get('name')
    expect((valuemaps.get(stored['valuemapid']) if stored['valuemapid'] != '0' else None) == vm,
           f"{what}: value map {stored['valuemapid']}, the file says {vm}")


def get_triggers(api, method, templateid, output=(), **extra):
    """trigger.get or triggerprototype.get with each expression rebuilt from
    its functions as the export writes it (expandExpression would also put
    the user macros' values in)."""
    keys = {i['itemid']: i['key_'] for m in ('item.get', 'itemprototype.get')
            for i in api.call(m, {'output': ['itemid', 'key_'], 'templateids': [templateid]})}
    host = api.call('template.get', {'output': ['host'], 'templateids': [templateid]})[0]['host']
    result = api.call(method, {'output': ['triggerid', 'description', 'expression', *output],
                               'templateids': [templateid], 'selectFunctions': 'extend', **extra})
    for t in result:
        functions = {f['functionid']: f for f in t['functions']}

        def rebuild(m):
            f = functions[m.group(1)]
            # The parameter holds '$' for the item: '$,#2' is (/host/key,#2).
            expect(f['parameter'].startswith('$'), f"function {f['function']}: parameter {f['parameter']!r}")
            return f"{f['function']}(/{host}/{keys[f['itemid']]}{f['parameter'][1:]})"
        t['expression'] = re.sub(r'\{(\d+)\}', rebuild, t['expression'])
    return result


def item_fields():
    return ['itemid', 'key_', 'name', 'type', 'value_type', 'snmp_oid', 'delay', 'units', 'url', 'headers',
            'valuemapid', 'master_itemid', 'inventory_link']


def check_template(api, name, want):
    """Asserts that the stored template matches its file; returns the ids seen."""
    t = api.call('template.get', {'output': ['templateid', 'host', 'name'], 'filter': {'host': name},
                                  'selectGroups': ['name'], 'selectTags': 'extend'})
    expect(len(t) == 1, f'template.get: {len(t)} templates named {name!r}')
    tid = t[0]['templateid']

    vms = api.call('valuemap.get', {'output': 'extend', 'hostids': [tid], 'selectMappings': 'extend'})
    valuemaps = {v['valuemapid']: v['name'] for v in vms}
    expect(set(valuemaps.values()) == set(want['valuemaps']), f'{name}: value maps {sorted(valuemaps.values())}')
    for v in vms:
        stored = {(m['value'], m['newvalue']) for m in v['mappings']}
        wanted = {(m['value'], m['newvalue']) for m in want['valuemaps'][v['name']]['mappings']}
        expect(stored == wanted, f"{name}: value map {v['name']}: {sorted(stored)}")

    items = api.call('item.get', {'output': item_fields(), 'templateids': [tid],
                                  'selectPreprocessing': 'extend', 'selectTags': 'extend'})
    got = {i['key_']: i for i in items}
    expect(set(got) == set(want['items']), f'{name}: items {sorted(got)}, the file has {sorted(want["items"])}')
    for key, i in got.items():
        same_item(f'{name}: item {key}', i, want['items'][key], valuemaps)
        if 'master_item' in want['items'][key]:
            master = got[want['items'][key]['master_item']['key']]
            expect(i['master_itemid'] == master['itemid'], f'{name}: item {key}: master item')

    rules = api.call('discoveryrule.get', {'output': ['itemid', 'key_', 'type', 'snmp_oid', 'delay', 'lifetime',
                                                      'master_itemid'],
                                           'templateids': [tid], 'selectOverrides': 'extend',
                                           'selectLLDMacroPaths': 'extend', 'selectPreprocessing': 'extend'})
    by_key = {r['key_']: r for r in rules}
    expect(set(by_key) == set(want['rules']), f'{name}: discovery rules {sorted(by_key)}')
    for key, r in by_key.items():
        w = want['rules'][key]
        expect(r['snmp_oid'] == w.get('snmp_oid', ''), f"{name}: rule {key}: OID {r['snmp_oid']}")
        expect(r['delay'] == str(w.get('delay', '1h')), f"{name}: rule {key}: delay {r['delay']}")
        expect(len(r['overrides']) == len(w.get('overrides', [])), f'{name}: rule {key}: overrides')
        for o, wo in zip(sorted(r['overrides'], key=lambda o: int(o['step'])), w.get('overrides', [])):
            expect(o['name'] == wo['name'], f"{name}: rule {key}: override {o['name']}")
            expect([c['macro'] for c in o['filter']['conditions']] ==
                   [c['macro'] for c in wo['filter']['conditions']], f"{name}: override {o['name']}: filter")
            ops = [(op['operationobject'], op['operator'], op['value'], op.get('opdiscover', {}).get('discover'))
                   for op in o['operations']]
            expect(ops == [(OVERRIDE_OBJECTS[w['operationobject']], OVERRIDE_OPERATORS[w['operator']], w['value'],
                            '1' if w['discover'] == 'NO_DISCOVER' else '0') for w in wo['operations']],
                   f"{name}: override {o['name']}: operations {ops}")
        expect({m['lld_macro']: m['path'] for m in r['lld_macro_paths']} ==
               {m['lld_macro']: m['path'] for m in w.get('lld_macro_paths', [])}, f'{name}: rule {key}: macro paths')

    protos = api.call('itemprototype.get', {'output': item_fields(), 'templateids': [tid],
                                            'selectDiscoveryRule': ['key_'], 'selectPreprocessing': 'extend'})
    got_p = {p['key_']: p for p in protos}
    expect(set(got_p) == set(want['prototypes']), f'{name}: item prototypes {sorted(got_p)}')
    for key, p in got_p.items():
        rule_key, w = want['prototypes'][key]
        expect(p['discoveryRule']['key_'] == rule_key, f'{name}: prototype {key} under {p["discoveryRule"]}')
        same_item(f'{name}: item prototype {key}', p, w, valuemaps)

    for kind, method in (('triggers', 'trigger.get'), ('trigger_prototypes', 'triggerprototype.get')):
        stored = get_triggers(api, method, tid, ('priority', 'event_name', 'manual_close', 'recovery_mode'),
                              selectDependencies=['description'])
        got_t = {s['description']: s for s in stored}
        expect(set(got_t) == set(want[kind]), f'{name}: {kind} {sorted(got_t)}, the file has {sorted(want[kind])}')
        for desc, s in got_t.items():
            w = want[kind][desc]
            expect(s['expression'] == w['expression'], f'{name}: {desc}: expression {s["expression"]}')
            expect(s['priority'] == PRIORITIES[w.get('priority', 'NOT_CLASSIFIED')], f'{name}: {desc}: priority')
            expect(s['recovery_mode'] == RECOVERY_MODES[w.get('recovery_mode', 'EXPRESSION')] and
                   s['manual_close'] == ('1' if w.get('manual_close') == 'YES' else '0'),
                   f"{name}: {desc}: recovery mode {s['recovery_mode']}, manual close {s['manual_close']}")
            deps = sorted(d['description'] for d in s['dependencies'])
            expect(deps == sorted(d['name'] for d in w.get('dependencies', [])), f'{name}: {desc}: dependencies')

    macros = api.call('usermacro.get', {'output': ['macro', 'value', 'type'], 'hostids': [tid]})
    got_m = {m['macro']: m for m in macros}
    expect(set(got_m) == set(want['macros']), f'{name}: macros {sorted(got_m)}')
    for m, w in want['macros'].items():
        if w.get('type') == 'SECRET_TEXT':
            expect(got_m[m]['type'] == '1' and 'value' not in got_m[m], f'{name}: {m} should be secret')
        else:
            expect(got_m[m]['value'] == str(w.get('value', '')), f'{name}: {m} = {got_m[m]["value"]!r}')

    return {
        'template': tid,
        'items': sorted(i['itemid'] for i in items),
        'rules': sorted(r['itemid'] for r in rules),
        'prototypes': sorted(p['itemid'] for p in protos),
    }


# --- fixed points: what the templates must provide, whatever the files say ----

def check_promises(api, ids):
    """The contents issue 7 asks for, asserted on what Zabbix stored."""
    tid = ids[TERMINAL]['template']
    items = {i['key_']: i for i in api.call('item.get', {'output': item_fields(), 'templateids': [tid]})}
    for key, oid, inventory in (('fleetreg.identity.manufacturer', '1.1.1.0', '31'),
                                ('fleetreg.identity.model', '1.1.2.0', '29'),
                                ('fleetreg.identity.serial', '1.1.3.0', '8'),
                                ('fleetreg.identity.firmware', '1.1.4.0', '16'),
                                ('fleetreg.identity.uuid', '1.1.5.0', None),
                                ('fleetreg.status.state', '1.4.1.0', None),
                                ('fleetreg.status.message', '1.4.2.0', None),
                                ('fleetreg.registration.state', '1.5.1.0', None)):
        expect(key in items, f'terminal: no item {key}')
        expect(items[key]['snmp_oid'] == f'{MIB_ROOT}.{oid}', f"terminal: {key} reads {items[key]['snmp_oid']}")
        if inventory:
            expect(items[key]['inventory_link'] == inventory, f'terminal: {key} fills no inventory field')

    vms = {v['name']: {m['value']: m['newvalue'] for m in v['mappings']}
           for v in api.call('valuemap.get', {'output': ['name'], 'hostids': [tid], 'selectMappings': 'extend'})}
    expect(vms.get('FLEETREG-TERMINAL-MIB::frtStatusState') ==
           {'1': 'idle', '2': 'busy', '3': 'error', '4': 'unknown'}, 'terminal: status value map')
    expect(list(vms.get('FLEETREG-TERMINAL-MIB::frtRegState', {}).values()) ==
           ['unregistered', 'pending', 'registering', 'registered', 'failed', 'revoked'], 'terminal: reg value map')

    rules = {r['key_']: r for r in api.call('discoveryrule.get', {'output': ['key_', 'snmp_oid'],
                                                                  'templateids': [tid]})}
    counters = rules.get('fleetreg.counter.discovery', {}).get('snmp_oid', '')
    expect(counters.startswith(f'discovery[{{#SVC}},{MIB_ROOT}.1.2.1.1.2,'),
           f'terminal: counter discovery walks {counters!r}')
    supplies = rules.get('fleetreg.supply.discovery', {}).get('snmp_oid', '')
    expect(supplies.startswith(f'discovery[{{#SUPPLYDESCR}},{MIB_ROOT}.1.3.1.1.3,'),
           f'terminal: supply discovery walks {supplies!r}')

    protos = {p['key_']: p for p in api.call('itemprototype.get', {'output': item_fields(), 'templateids': [tid]})}
    for key, column in (('fleetreg.counter.impressions[{#SVC}]', 3), ('fleetreg.counter.impressions.mono[{#SVC}]', 4),
                        ('fleetreg.counter.impressions.color[{#SVC}]', 5), ('fleetreg.counter.sheets[{#SVC}]', 6)):
        expect(key in protos, f'terminal: no item prototype {key}')
        p = protos[key]
        expect(p['snmp_oid'] == f'{MIB_ROOT}.1.2.1.1.{column}.{{#SNMPINDEX}}', f'terminal: {key} reads {p["snmp_oid"]}')
        expect(p['value_type'] == '3', f'terminal: {key} is not numeric unsigned (Counter64)')
    level = protos.get('fleetreg.supply.level[{#SNMPINDEX}]')
    expect(level is not None and level['snmp_oid'] == f'{MIB_ROOT}.1.3.1.1.7.{{#SNMPINDEX}}' and
           level['units'] == '%' and level['value_type'] == '0', 'terminal: supply level prototype')

    tps = {t['description']: t for t in get_triggers(api, 'triggerprototype.get', tid, ('priority',),
                                                     selectDependencies=['description'])}
    reset = tps.get('Counter {#SVC}: impressions went down', {}).get('expression', '')
    expect('last(/Fleetreg terminal by SNMP/fleetreg.counter.impressions[{#SVC}])<'
           'last(/Fleetreg terminal by SNMP/fleetreg.counter.impressions[{#SVC}],#2)' == reset,
           f'terminal: counter reset trigger {reset!r}')
    nodata = tps.get('Counter {#SVC}: no data for {$FLEETREG.NODATA}', {}).get('expression', '')
    expect(nodata.startswith('nodata(') and '{$FLEETREG.NODATA}' in nodata, f'terminal: no-data trigger {nodata!r}')
    low = tps.get('Supply {#SUPPLYDESCR}: level is low')
    crit = tps.get('Supply {#SUPPLYDESCR}: level is critically low')
    expect(low and crit and low['priority'] == '2' and crit['priority'] == '4', 'terminal: supply triggers')
    expect([d['description'] for d in low['dependencies']] == [crit['description']],
           'terminal: the low-supply warning does not depend on the critical one')
    expect('>=0 and' in low['expression'] and '{$FLEETREG.SUPPLY.WARN:"{#SUPPLYDESCR}"}' in low['expression'],
           'terminal: the low-supply trigger must skip unknown (-2/-3) levels and use the context macro')

    triggers = {t['description']: t for t in get_triggers(api, 'trigger.get', tid)}
    expect('last(/Fleetreg terminal by SNMP/fleetreg.status.state)=3' in
           triggers.get('Terminal reports an error', {}).get('expression', ''), 'terminal: no error trigger')
    for name, value in (('Registration failed', 5), ('Registration revoked', 6)):
        expect(f'last(/Fleetreg terminal by SNMP/fleetreg.registration.state)={value}' in
               triggers.get(name, {}).get('expression', ''), f'terminal: no trigger {name!r}')

    cid = ids[CENTER]['template']
    citems = {i['key_']: i for i in api.call('item.get', {'output': item_fields(), 'templateids': [cid],
                                                          'selectPreprocessing': 'extend'})}
    status = citems.get('fleetreg.center.get_status', {})
    expect(status.get('url') == '{$FLEETREG.CENTER.URL}/api/v1/status' and
           status.get('headers') == {'Authorization': 'Bearer {$FLEETREG.CENTER.TOKEN}', 'Accept': 'application/json'},
           f'center: status item {status}')
    for field in ('stale_terminals', 'unanswered_requests', 'codes_expiring_soon', 'terminals', 'sites',
                  'codes_active', 'readings', 'long_polls_open'):
        i = citems.get(f'fleetreg.center.{field}', {})
        expect(i.get('master_itemid') == status.get('itemid') and
               [(s['type'], s['params']) for s in i.get('preprocessing', [])] == [('12', f'$.{field}')],
               f'center: no dependent JSONPath item for {field}')
    ctrig = {t['description']: t['expression'] for t in get_triggers(api, 'trigger.get', cid)}
    expect(any(e.startswith('nodata(/Fleetreg center by HTTP/') for e in ctrig.values()), 'center: no nodata trigger')
    for macro in ('{$FLEETREG.CENTER.STALE.WARN}', '{$FLEETREG.CENTER.STALE.CRIT}',
                  '{$FLEETREG.CENTER.UNANSWERED.WARN}', '{$FLEETREG.CENTER.EXPIRING.WARN}'):
        expect(any(macro in e for e in ctrig.values()), f'center: no trigger on {macro}')

    # The collector (issue 19): its status file through the agent, taken apart.
    lid = ids[COLLECTOR]['template']
    litems = {i['key_']: i for i in api.call('item.get', {'output': item_fields(), 'templateids': [lid],
                                                          'selectPreprocessing': 'extend'})}
    raw = litems.get('vfs.file.contents[{$FLEETREG.COLLECTOR.STATUS}]', {})
    expect(raw.get('type') == '0' and raw.get('value_type') == '4', f'collector: status file item {raw}')
    for key, steps in (('fleetreg.collector.outbox', [('12', '$.outbox')]),
                       ('fleetreg.collector.terminals', [('12', '$.terminals')]),
                       ('fleetreg.collector.registered', [('12', '$.registered'), ('6', '')]),
                       ('fleetreg.collector.last_error', [('12', '$.last_error')])):
        i = litems.get(key, {})
        expect(i.get('master_itemid') == raw.get('itemid') and
               [(s['type'], s['params']) for s in i.get('preprocessing', [])] == steps,
               f'collector: no dependent item {key} with {steps}')
    for key in ('fleetreg.collector.last_upload_age', 'fleetreg.collector.status_age'):
        i = litems.get(key, {})
        expect(i.get('master_itemid') == raw.get('itemid') and i.get('units') == 's' and
               [s['type'] for s in i.get('preprocessing', [])] == ['21'], f'collector: no age item {key}')
    disk = litems.get('vfs.fs.size[{$FLEETREG.COLLECTOR.FS},pused]', {})
    expect(disk.get('type') == '0' and disk.get('units') == '%', f'collector: disk item {disk}')
    ltrig = {t['description']: t for t in get_triggers(api, 'trigger.get', lid, ('priority',))}
    for macro, priority in (('{$FLEETREG.COLLECTOR.STATUS.MAXAGE}', '4'), ('{$FLEETREG.COLLECTOR.UPLOAD.MAXAGE}', '3'),
                            ('{$FLEETREG.COLLECTOR.BACKLOG.WARN}', '2'), ('{$FLEETREG.COLLECTOR.DISK.MAX}', '4')):
        expect(any(macro in t['expression'] and t['priority'] == priority for t in ltrig.values()),
               f'collector: no trigger on {macro} of priority {priority}')


# --- linking: what a host gets ------------------------------------------------

def link_hosts(api, ids):
    """A terminal host on an SNMPv3 interface that uses the template's
    macros, and a center host with its URL; both get the templates' items."""
    group = api.call('hostgroup.create', {'name': 'fleetreg import test'})['groupids'][0]
    terminal = api.call('host.create', {
        'host': 'mfp-3f-east', 'groups': [{'groupid': group}],
        'templates': [{'templateid': ids[TERMINAL]['template']}],
        'inventory_mode': 1,
        'interfaces': [{
            'type': 2, 'main': 1, 'useip': 1, 'ip': '192.0.2.21', 'dns': '', 'port': '161',
            'details': {'version': 3, 'bulk': 1, 'securityname': '{$FLEETREG.SNMPV3.USER}', 'securitylevel': 1,
                        'authprotocol': 3, 'authpassphrase': '{$FLEETREG.SNMPV3.AUTHPASS}', 'contextname': ''}}],
        'macros': [{'macro': '{$FLEETREG.SNMPV3.AUTHPASS}', 'value': 'auth-pass', 'type': 1}],
    })['hostids'][0]
    center = api.call('host.create', {
        'host': 'fleetreg-center', 'groups': [{'groupid': group}],
        'templates': [{'templateid': ids[CENTER]['template']}],
        'macros': [{'macro': '{$FLEETREG.CENTER.URL}', 'value': 'https://center.example:8443'},
                   {'macro': '{$FLEETREG.CENTER.TOKEN}', 'value': 'not-a-real-token', 'type': 1}],
    })['hostids'][0]

    for host, name in ((terminal, TERMINAL), (center, CENTER)):
        items = api.call('item.get', {'output': ['key_', 'templateid'], 'hostids': [host]})
        template_items = api.call('item.get', {'output': ['key_'], 'templateids': [ids[name]['template']]})
        expect(sorted(i['key_'] for i in items) == sorted(i['key_'] for i in template_items),
               f'{name}: the linked host has other items than the template')
        expect(all(i['templateid'] != '0' for i in items), f'{name}: host items are not inherited')
        rules = api.call('discoveryrule.get', {'output': ['key_'], 'hostids': [host]})
        expect(len(rules) == len(ids[name]['rules']), f'{name}: the host has {len(rules)} discovery rules')
    iface = api.call('hostinterface.get', {'output': 'extend', 'hostids': [terminal]})[0]
    expect(iface['details']['version'] == '3' and iface['details']['securityname'] == '{$FLEETREG.SNMPV3.USER}'
           and iface['details']['authprotocol'] == '3', f'terminal: SNMPv3 interface {iface["details"]}')
    inv = api.call('host.get', {'output': ['inventory_mode'], 'hostids': [terminal]})[0]
    expect(inv['inventory_mode'] == '1', 'terminal: inventory not automatic')
    collector = api.call('host.create', {
        'host': 'fleetreg-collector', 'groups': [{'groupid': group}],
        'templates': [{'templateid': ids[COLLECTOR]['template']}],
        'interfaces': [{'type': 1, 'main': 1, 'useip': 1, 'ip': '192.0.2.31', 'dns': '', 'port': '10050'}],
        'macros': [{'macro': '{$FLEETREG.COLLECTOR.FS}', 'value': '/var'}],
    })['hostids'][0]
    items = {i['key_'] for i in api.call('item.get', {'output': ['key_'], 'hostids': [collector]})}
    expect('vfs.file.contents[{$FLEETREG.COLLECTOR.STATUS}]' in items and
           len(items) == len(ids[COLLECTOR]['items']), f'{COLLECTOR}: the linked host has items {sorted(items)}')
    return terminal, center, collector


# --- refusals -----------------------------------------------------------------

def broken_imports(api, docs, sources, lint_factory):
    """Broken copies are refused by Zabbix, or (walk[], which 6.0 stores as an
    opaque string) by the structural checker; nothing stored changes."""
    terminal_file, terminal_doc = next((f, d) for f, d in docs if d['zabbix_export']['templates'][0]['template']
                                       == TERMINAL)
    before = check_template(api, TERMINAL, expected(terminal_doc)[TERMINAL])

    def import_yaml(doc):
        # No line folding: the frontend's YAML reader would keep the spaces.
        return {'format': 'yaml', 'rules': RULES,
                'source': yaml.safe_dump(doc, sort_keys=False, width=float('inf'), allow_unicode=True)}

    g = copy.deepcopy(terminal_doc)
    g['zabbix_export']['template_groups'] = g['zabbix_export'].pop('groups')
    msg = api.refused('configuration.import', import_yaml(g))
    expect('template_groups' in msg, f'template_groups refused for another reason: {msg}')
    print(f'      refused: template_groups -> {msg}')

    v = copy.deepcopy(terminal_doc)
    v['zabbix_export']['version'] = '6.4'
    msg = api.refused('configuration.import', import_yaml(v))
    print(f"      refused: version '6.4' -> {msg}")

    t = copy.deepcopy(terminal_doc)
    tr = t['zabbix_export']['templates'][0]['items'][0]
    tr.setdefault('triggers', []).append({
        'uuid': 'a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d', 'name': 'on a missing item', 'priority': 'WARNING',
        'expression': f'last(/{TERMINAL}/fleetreg.identity.nope)=1'})
    msg = api.refused('configuration.import', import_yaml(t))
    print(f'      refused: a trigger on a missing item -> {msg}')

    w = copy.deepcopy(terminal_doc)
    w['zabbix_export']['templates'][0]['items'][1]['snmp_oid'] = f'walk[{MIB_ROOT}.1.1]'
    try:
        api.call('configuration.import', import_yaml(w))
        accepted = True
    except Failure as e:
        accepted = False
        print(f'      refused: walk[] -> {e}')
    findings = lint_factory().check([(terminal_file, w)])
    expect(any('walk[]' in f for f in findings), 'walk[] passed both Zabbix and the structural checker')
    if accepted:
        print('      Zabbix 6.0 stores walk[] as an opaque OID; the structural checker refuses it: '
              + next(f for f in findings if 'walk[]' in f))
        # Put the template back as the file says.
        api.call('configuration.import', {'format': 'yaml', 'rules': RULES, 'source': sources[terminal_file]})

    after = check_template(api, TERMINAL, expected(terminal_doc)[TERMINAL])
    expect(after == before, 'a refused import changed the stored template')


def login(api):
    """Waits for the frontend (the built-in server needs a moment; the API
    answers once the DB does), checks it is 6.0 and logs in as Admin."""
    deadline = time.monotonic() + 30
    while True:
        try:
            version = api.call('apiinfo.version', {})
            break
        except (urllib.error.URLError, ConnectionError):
            expect(time.monotonic() < deadline, 'the frontend did not answer within 30 s')
            time.sleep(0.2)
    expect(version.startswith('6.0.'), f'the frontend is Zabbix {version}, not 6.0')
    print(f'  ok  Zabbix frontend {version} answers')
    api.auth = step('user.login as Admin', api.call, 'user.login', {'username': 'Admin', 'password': 'zabbix'})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', required=True)
    ap.add_argument('--mib', required=True)
    ap.add_argument('--openapi', required=True)
    ap.add_argument('--center-source', required=True)
    ap.add_argument('--collector-source', required=True)
    ap.add_argument('templates', nargs='+')
    args = ap.parse_args()
    api = Api(args.url)

    docs = []
    for path in args.templates:
        with open(path, encoding='utf-8') as f:
            docs.append((path.rsplit('/', 1)[-1], f.read()))
    parsed = [(f, yaml.safe_load(s)) for f, s in docs]
    with open(args.mib, encoding='utf-8') as f:
        mib = template_lint.Mib(f.read())
    with open(args.openapi, encoding='utf-8') as f:
        status_fields = set(json.load(f)['components']['schemas']['Status']['properties'])
    with open(args.center_source, encoding='utf-8') as f:
        metrics = set(re.findall(r'"(fleetreg_[a-z_]+)', f.read()))
    with open(args.collector_source, encoding='utf-8') as f:
        collector_fields = template_lint.collector_status_fields(f.read())

    def lint_factory():
        return template_lint.Linter(mib, status_fields, metrics, collector_fields)

    try:
        login(api)
        glob = api.call('usermacro.get', {'output': ['macro', 'value'], 'globalmacro': True,
                                          'filter': {'macro': '{$SNMP_COMMUNITY}'}})
        expect(glob and glob[0]['value'] == 'public', 'no global {$SNMP_COMMUNITY} macro (the docs rely on it)')

        for file, source in docs:
            step(f'configuration.import {file}', api.call, 'configuration.import',
                 {'format': 'yaml', 'rules': RULES, 'source': source})
        want = {}
        for _, doc in parsed:
            want.update(expected(doc))
        expect(set(want) == {TERMINAL, CENTER, COLLECTOR}, f'templates in the files: {sorted(want)}')
        ids = {name: step(f'{name}: stored as the file says', check_template, api, name, w)
               for name, w in want.items()}
        for name, i in ids.items():
            print(f"      {name}: {len(i['items'])} items, {len(i['rules'])} discovery rules, "
                  f"{len(i['prototypes'])} item prototypes")
        step('the contents issue 7 asks for', check_promises, api, ids)

        for file, source in docs:
            step(f'configuration.import {file} again', api.call, 'configuration.import',
                 {'format': 'yaml', 'rules': RULES, 'source': source})
        again = {name: check_template(api, name, w) for name, w in want.items()}
        expect(again == ids, 'importing again created or replaced objects')
        print('  ok  a second import is a no-op (same ids, nothing added)')

        step('broken templates refused', broken_imports, api, parsed, dict(docs), lint_factory)
        step('linked to hosts (SNMPv3 interface with the macros, center URL, collector agent)', link_hosts, api,
             ids)
        api.call('user.logout', [])
    except Failure as e:
        print(f'api_check.py: FAILED: {e}', file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f'api_check.py: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
