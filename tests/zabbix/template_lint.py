#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Structural checks of the fleetreg Zabbix templates (Zabbix 6.0 export format).

  template_lint.py --mib MIB --openapi JSON --center-source CPP --collector-source CPP [--self-test] TEMPLATE...

Checks, per template file and across them:
  * the 6.0 format: version '6.0', no 6.2+ keys (template_groups, host_groups),
    no walk[] or get[] OIDs (6.4+);
  * every uuid a lower-case UUIDv4 in 32 hex digits, unique over all files;
  * every OID numeric and an object of the MIB, resolved here from its
    ::= { parent n } assignments: items read scalars (.0), discovery[] walks
    readable columns (never a not-accessible index), item prototypes read a
    column of the table their rule walks, the value type fits the syntax;
  * every LLD macro a prototype, override or filter uses is produced by its
    rule; every user macro used is defined in the template and every defined
    one is used or documented; value maps, trigger items, dependencies and
    LLD overrides refer to what exists; a trigger whose description says it
    is closed by hand makes no OK event, and one without OK events can be
    closed by hand;
  * the center template reads only fields of the OpenAPI Status schema and
    metrics the center's source emits, with a Bearer token;
  * the collector template reads only fields the collector writes to its
    status.json (store::write_status in the collector's source), by JSONPath
    or in its JavaScript.
--self-test also breaks copies of the templates in known ways and requires
each break to be reported (so the checks are not vacuous).
Exit 0 when clean, 1 with one line per finding otherwise. Needs python3-yaml.
"""
import argparse
import copy
import json
import re
import sys

import yaml

NET_SNMP_PLAYPEN = '1.3.6.1.4.1.8072.9999.9999'
UUID4 = re.compile(r'^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$')
LLD_MACRO = re.compile(r'\{#[A-Z0-9_.]+\}')
USER_MACRO = re.compile(r'\{\$([A-Z0-9_.]+)(?::[^}]*)?\}')
ITEM_REF = re.compile(r'/([^/]*)/([^,)\[]+(?:\[[^\]]*\])?)')
NUMERIC_OID = re.compile(r'^\d+(\.\d+)+$')
READABLE = ('read-only', 'read-write', 'read-create')
COLLECTOR = 'Fleetreg collector by Zabbix agent'


def collector_status_fields(source):
    """The keys store::write_status puts in status.json (the collector's source)."""
    m = re.search(r'void store::write_status\(.*?status\.json\.tmp', source, re.S)
    return set(re.findall(r'\{"([a-z_]+)",', m.group(0))) if m else set()


# --- the MIB -----------------------------------------------------------------

class Mib:
    """Objects of one SMIv2 module: name -> (oid, syntax, access, parent)."""

    def __init__(self, text):
        text = re.sub(r'--[^\n]*', '', text)
        self.objects = {}
        parents = {'netSnmpPlaypen': NET_SNMP_PLAYPEN}
        # Every assignment 'name <MACRO ...> ::= { parent n }' in file order.
        pattern = re.compile(
            r'\b([a-z][A-Za-z0-9-]*)\s+(OBJECT-TYPE|OBJECT IDENTIFIER|MODULE-IDENTITY|OBJECT-GROUP|'
            r'MODULE-COMPLIANCE|NOTIFICATION-TYPE)\b(.*?)::=\s*\{\s*([A-Za-z][A-Za-z0-9-]*)\s+(\d+)\s*\}',
            re.S)
        for name, macro, body, parent, number in pattern.findall(text):
            if parent not in parents:
                raise ValueError(f'MIB: {name} hangs under unknown {parent}')
            oid = f'{parents[parent]}.{number}'
            parents[name] = oid
            syntax = re.search(r'\bSYNTAX\s+(.*?)\s+(?:UNITS|MAX-ACCESS)\b', body, re.S)
            access = re.search(r'\bMAX-ACCESS\s+(\S+)', body)
            self.objects[name] = {
                'oid': oid, 'kind': macro, 'parent': parent,
                'syntax': ' '.join(syntax.group(1).split()) if syntax else '',
                'access': access.group(1) if access else '',
            }
        self.by_oid = {o['oid']: name for name, o in self.objects.items()}
        self.root = self.objects.get('fleetregTerminalMIB', {}).get('oid')

    def is_column(self, name):
        """A columnar object: its parent is an entry whose parent is a table."""
        entry = self.objects.get(self.objects[name]['parent'])
        table = entry and self.objects.get(entry['parent'])
        return bool(table) and table['syntax'].startswith('SEQUENCE OF')

    def is_scalar(self, name):
        o = self.objects[name]
        return o['kind'] == 'OBJECT-TYPE' and o['access'] in READABLE and not self.is_column(name)


# --- walking the export ------------------------------------------------------

def walk(node, path=()):
    """Yields (path, key, value) for every scalar in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from walk(v, path + (k,))
            else:
                yield path, k, v
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                yield from walk(v, path + (i,))
            else:
                yield path, i, v


def strings(node, skip_keys=()):
    for path, key, value in walk(node):
        if isinstance(value, str) and key not in skip_keys:
            yield path, key, value


def where(path):
    return '/'.join(str(p) for p in path)


class Linter:
    def __init__(self, mib, status_fields, metric_names, collector_fields=None):
        self.mib = mib
        self.status_fields = status_fields
        self.metric_names = metric_names
        self.collector_fields = collector_fields
        self.findings = []

    def bad(self, file, message):
        self.findings.append(f'{file}: {message}')

    # The whole run: every file, then what spans files.
    def check(self, docs):
        seen_uuids = {}
        for file, doc in docs:
            self.check_file(file, doc, seen_uuids)
        return self.findings

    def check_file(self, file, doc, seen_uuids):
        if not isinstance(doc, dict) or set(doc) != {'zabbix_export'}:
            self.bad(file, 'the document must hold exactly one key, zabbix_export')
            return
        ex = doc['zabbix_export']
        if ex.get('version') != '6.0':
            self.bad(file, f"version is {ex.get('version')!r}, not '6.0'")
        allowed = {'version', 'date', 'groups', 'templates', 'triggers', 'graphs'}
        for key in ex:
            if key in ('template_groups', 'host_groups'):
                self.bad(file, f"'{key}' is Zabbix 6.2+ (6.0 has 'groups')")
            elif key not in allowed:
                self.bad(file, f"unexpected top-level key '{key}'")
        for path, key, value in strings(ex):
            if re.search(r'\bwalk\[', value):
                self.bad(file, f'{where(path)}/{key}: walk[] is Zabbix 6.4+')
            if key == 'snmp_oid' and value.startswith('get['):
                self.bad(file, f'{where(path)}/{key}: get[] OIDs are Zabbix 6.4+')
            if key == 'uuid':
                if not UUID4.match(value):
                    self.bad(file, f'{where(path)}: uuid {value!r} is not a UUIDv4 in 32 lower-case hex digits')
                # A template group is one object in Zabbix: files that
                # share it give it the same uuid (and name).
                group = f"group {ex['groups'][path[1]].get('name')!r}" if path[0] == 'groups' else None
                if value in seen_uuids and not (group and seen_uuids[value][1] == group):
                    self.bad(file, f'{where(path)}: uuid {value} repeats {seen_uuids[value][0]}')
                seen_uuids.setdefault(value, (f'{file}:{where(path)}', group))
        group_names = {g.get('name') for g in ex.get('groups', [])}
        templates = ex.get('templates', [])
        if not templates:
            self.bad(file, 'no templates')
        names = {t.get('template') for t in templates}
        for t in templates:
            for g in t.get('groups', []):
                if g.get('name') not in group_names:
                    self.bad(file, f"template {t.get('template')}: group {g.get('name')!r} is not in groups")
            # Multi-item triggers sit outside the template but use its macros.
            own = [tr for tr in ex.get('triggers', []) if f"/{t.get('template')}/" in tr.get('expression', '')]
            self.check_template(file, t, own)
        self.check_top_triggers(file, ex.get('triggers', []), templates, names)

    # --- one template ---

    def check_template(self, file, t, top_triggers):
        name = t.get('template')
        if t.get('name') != name:
            self.bad(file, f'template {name}: name and template differ')
        items = t.get('items', [])
        rules = t.get('discovery_rules', [])
        keys = [i['key'] for i in items] + [r['key'] for r in rules] + \
            [p['key'] for r in rules for p in r.get('item_prototypes', [])]
        for k in sorted({k for k in keys if keys.count(k) > 1}):
            self.bad(file, f'{name}: key {k} is defined twice')
        valuemaps = {v['name'] for v in t.get('valuemaps', [])}
        for v in t.get('valuemaps', []):
            values = [m.get('value') for m in v.get('mappings', [])]
            if len(values) != len(set(values)):
                self.bad(file, f"{name}: value map {v['name']} maps a value twice")

        item_keys = {i['key'] for i in items}
        for i in items:
            self.check_item(file, name, i, valuemaps, item_keys, prototype_of=None)
            for tr in i.get('triggers', []):
                self.check_trigger(file, name, tr, allowed_keys=item_keys, own_key=i['key'])
        for r in rules:
            self.check_rule(file, name, r, valuemaps, item_keys)
        self.check_dependencies(file, name, t)
        self.check_user_macros(file, name, t, top_triggers)
        for path, key, value in strings({k: v for k, v in t.items() if k not in ('discovery_rules',)}):
            for m in LLD_MACRO.findall(value):
                self.bad(file, f'{name}: {where(path)}/{key}: LLD macro {m} outside a discovery rule')

    def check_item(self, file, tname, i, valuemaps, item_keys, prototype_of):
        what = f"{tname}: {'item prototype' if prototype_of else 'item'} {i.get('key')}"
        vm = i.get('valuemap', {}).get('name')
        if vm is not None and vm not in valuemaps:
            self.bad(file, f'{what}: value map {vm!r} is not defined in the template')
        if i.get('type') == 'DEPENDENT':
            master = i.get('master_item', {}).get('key')
            if master not in item_keys:
                self.bad(file, f'{what}: master item {master!r} is not an item of the template')
        if i.get('type') == 'SNMP_AGENT':
            self.check_item_oid(file, what, i, prototype_of)
        if i.get('type') == 'HTTP_AGENT':
            auth = [h for h in i.get('headers', []) if h.get('name', '').lower() == 'authorization']
            if len(auth) != 1 or not re.fullmatch(r'Bearer \{\$[A-Z0-9_.]+\}', auth[0].get('value', '')):
                self.bad(file, f"{what}: needs one header 'Authorization: Bearer {{$MACRO}}'")
        self.check_center_paths(file, what, i, tname)

    def check_item_oid(self, file, what, i, prototype_of):
        oid = str(i.get('snmp_oid', ''))
        if prototype_of is None:
            if not NUMERIC_OID.match(oid) or not oid.endswith('.0'):
                self.bad(file, f'{what}: OID {oid!r} is not a numeric scalar instance (….0)')
                return
            obj = self.mib.by_oid.get(oid[:-2])
            if obj is None:
                self.bad(file, f'{what}: OID {oid} is not in the MIB')
            elif not self.mib.is_scalar(obj):
                self.bad(file, f'{what}: {obj} ({oid}) is not a readable scalar')
            else:
                self.check_value_type(file, what, i, obj)
            return
        m = re.fullmatch(r'([\d.]+)\.\{#SNMPINDEX\}', oid)
        if not m:
            self.bad(file, f'{what}: OID {oid!r} is not <numeric column>.{{#SNMPINDEX}}')
            return
        obj = self.mib.by_oid.get(m.group(1))
        if obj is None:
            self.bad(file, f'{what}: OID {m.group(1)} is not in the MIB')
        elif not self.mib.is_column(obj) or self.mib.objects[obj]['access'] not in READABLE:
            self.bad(file, f'{what}: {obj} is not a readable table column')
        elif self.mib.objects[obj]['parent'] not in prototype_of:
            self.bad(file, f'{what}: {obj} is not a column of the table its discovery rule walks')
        else:
            self.check_value_type(file, what, i, obj)

    def check_value_type(self, file, what, i, obj):
        syntax = self.mib.objects[obj]['syntax']
        vt = i.get('value_type', 'UNSIGNED')
        steps = [s.get('type') for s in i.get('preprocessing', [])]
        if 'JAVASCRIPT' in steps:
            return  # converted: whatever the script returns
        if syntax.startswith('Counter64') or syntax.startswith('Counter32'):
            want = {'UNSIGNED'}
        elif syntax.startswith('FrtUtf8String') or syntax.startswith('OCTET STRING') or syntax == 'DateAndTime':
            want = {'CHAR', 'TEXT'}
        elif re.match(r'Integer32\s*\(\s*-', syntax):
            want = {'FLOAT'}  # negative values do not fit "numeric unsigned"
        elif syntax.startswith('INTEGER') or syntax.startswith('Integer32'):
            want = {'UNSIGNED', 'FLOAT'}
        else:
            want = None
        if want is not None and vt not in want:
            self.bad(file, f'{what}: value type {vt} does not fit {obj} ({syntax})')

    def check_center_paths(self, file, what, i, tname):
        """The center template reads what the center serves, the collector
        template what the collector writes."""
        if tname == COLLECTOR:
            self.check_collector_paths(file, what, i)
            return
        for step in i.get('preprocessing', []):
            params = step.get('parameters', [])
            if step.get('type') == 'JSONPATH' and self.status_fields is not None:
                m = re.fullmatch(r'\$\.([a-z_]+)', params[0])
                if not m or m.group(1) not in self.status_fields:
                    self.bad(file, f'{what}: JSONPATH {params[0]} is not a field of the OpenAPI Status schema')
            if step.get('type') in ('PROMETHEUS_PATTERN', 'PROMETHEUS_TO_JSON') and self.metric_names is not None:
                metric = re.match(r'[a-zA-Z_:][a-zA-Z0-9_:]*', params[0]).group(0)
                if metric not in self.metric_names:
                    self.bad(file, f'{what}: metric {metric} is not emitted by the center')

    def check_collector_paths(self, file, what, i):
        if self.collector_fields is None:
            return
        for step in i.get('preprocessing', []):
            params = step.get('parameters', [])
            if step.get('type') == 'JSONPATH':
                m = re.fullmatch(r'\$\.([a-z_]+)', params[0])
                if not m or m.group(1) not in self.collector_fields:
                    self.bad(file, f'{what}: JSONPATH {params[0]} is not a field the collector writes to status.json')
            if step.get('type') == 'JAVASCRIPT':
                for field in re.findall(r'\bs\.([a-z_]+)', params[0]):
                    if field not in self.collector_fields:
                        self.bad(file, f'{what}: the script reads s.{field}, not a field the collector writes to '
                                       'status.json')

    def check_rule(self, file, tname, r, valuemaps, item_keys):
        what = f"{tname}: discovery rule {r.get('key')}"
        produced = {'{#SNMPINDEX}'} if r.get('type') == 'SNMP_AGENT' else set()
        tables = set()
        if r.get('type') == 'SNMP_AGENT':
            m = re.fullmatch(r'discovery\[(.*)\]', str(r.get('snmp_oid', '')))
            if not m:
                self.bad(file, f'{what}: snmp_oid is not discovery[{{#MACRO}},oid,...]')
            else:
                parts = m.group(1).split(',')
                if len(parts) % 2:
                    self.bad(file, f'{what}: discovery[] needs macro,oid pairs')
                for macro, oid in zip(parts[0::2], parts[1::2]):
                    if not LLD_MACRO.fullmatch(macro):
                        self.bad(file, f'{what}: {macro!r} is not an LLD macro')
                    produced.add(macro)
                    obj = self.mib.by_oid.get(oid)
                    if obj is None:
                        self.bad(file, f'{what}: OID {oid} is not in the MIB')
                    elif not self.mib.is_column(obj):
                        self.bad(file, f'{what}: {obj} ({oid}) is not a table column')
                    elif self.mib.objects[obj]['access'] not in READABLE:
                        self.bad(file, f'{what}: {obj} ({oid}) is {self.mib.objects[obj]["access"]}: '
                                       'a walk never returns it')
                    else:
                        tables.add(self.mib.objects[obj]['parent'])
                if len(tables) > 1:
                    self.bad(file, f'{what}: discovery[] walks several tables')
        elif r.get('type') == 'DEPENDENT':
            if r.get('master_item', {}).get('key') not in item_keys:
                self.bad(file, f'{what}: master item is not an item of the template')
            produced |= {p['lld_macro'] for p in r.get('lld_macro_paths', [])}
        self.check_center_paths(file, what, r, tname)

        for p in r.get('item_prototypes', []):
            self.check_item(file, tname, p, valuemaps, item_keys, prototype_of=tables)
        proto_keys = {p['key'] for p in r.get('item_prototypes', [])}
        for p in r.get('item_prototypes', []):
            for tr in p.get('trigger_prototypes', []):
                self.check_trigger(file, tname, tr, allowed_keys=item_keys | proto_keys, own_key=p['key'])
        for tr in r.get('trigger_prototypes', []):
            self.check_trigger(file, tname, tr, allowed_keys=item_keys | proto_keys, own_key=None)

        # Every LLD macro the rule's objects use is produced by the rule.
        for path, key, value in strings({k: v for k, v in r.items() if k != 'snmp_oid'}, ('description',)):
            for m in LLD_MACRO.findall(value):
                if m not in produced:
                    self.bad(file, f'{what}: {where(path)}/{key} uses {m}, which the rule does not produce')
        self.check_overrides(file, what, r, produced)

    def check_overrides(self, file, what, r, produced):
        """Each override operation selects at least one prototype. Zabbix
        matches the name after the LLD macros are replaced, so a sample row
        with every produced macro set is used."""
        sample = {m: 'sample' for m in produced}
        protos = {
            'ITEM_PROTOTYPE': [p['name'] for p in r.get('item_prototypes', [])],
            'TRIGGER_PROTOTYPE': [t['name'] for p in r.get('item_prototypes', [])
                                  for t in p.get('trigger_prototypes', [])]
            + [t['name'] for t in r.get('trigger_prototypes', [])],
        }
        for o in r.get('overrides', []):
            for c in o.get('filter', {}).get('conditions', []):
                if c.get('macro') not in produced:
                    self.bad(file, f"{what}: override {o.get('name')!r} tests {c.get('macro')}, not produced")
            for op in o.get('operations', []):
                names = [LLD_MACRO.sub(lambda m: sample.get(m.group(0), ''), n)
                         for n in protos.get(op.get('operationobject'), [])]
                value, operator = op.get('value', ''), op.get('operator', 'EQUAL')
                tests = {
                    'EQUAL': lambda n: n == value, 'NOT_EQUAL': lambda n: n != value,
                    'LIKE': lambda n: value in n, 'NOT_LIKE': lambda n: value not in n,
                    'REGEXP': lambda n: re.search(value, n) is not None,
                    'NOT_REGEXP': lambda n: re.search(value, n) is None,
                }
                hits = [n for n in names if tests.get(operator, lambda n: False)(n)]
                if not hits:
                    self.bad(file, f"{what}: override {o.get('name')!r} selects no {op.get('operationobject')}")

    def check_trigger(self, file, tname, tr, allowed_keys, own_key):
        what = f"{tname}: trigger {tr.get('name')!r}"
        exprs = [tr.get('expression', '')] + ([tr['recovery_expression']] if tr.get('recovery_expression') else [])
        refs = [r for e in exprs for r in ITEM_REF.findall(e)]
        if tr.get('recovery_mode') == 'NONE' and tr.get('manual_close') != 'YES':
            self.bad(file, f'{what}: no OK event (recovery_mode NONE) and no manual close: its problems never close')
        if re.search(r'\bto close\b', tr.get('description', '')) and tr.get('recovery_mode') != 'NONE':
            self.bad(file, f'{what}: the description says it is closed by hand, but it recovers by its expression '
                           '(want recovery_mode NONE)')
        if not refs:
            self.bad(file, f'{what}: the expression refers to no item')
        for host, key in refs:
            if host != tname:
                self.bad(file, f'{what}: refers to host {host!r}, not the template')
            if key not in allowed_keys:
                self.bad(file, f'{what}: refers to {key}, which is not an item of the template')
            if own_key is not None and key != own_key:
                self.bad(file, f'{what}: under item {own_key} but refers to {key} (multi-item triggers go to '
                               'the top-level triggers)')

    def check_top_triggers(self, file, triggers, templates, names):
        by_name = {t['template']: t for t in templates}
        for tr in triggers:
            refs = ITEM_REF.findall(tr.get('expression', ''))
            hosts = {h for h, _ in refs}
            if not hosts <= names or len(hosts) != 1:
                self.bad(file, f"trigger {tr.get('name')!r}: must refer to one template of the file")
                continue
            t = by_name[hosts.pop()]
            keys = {i['key'] for i in t.get('items', [])}
            self.check_trigger(file, t['template'], tr, allowed_keys=keys, own_key=None)
            if len({k for _, k in refs}) < 2:
                self.bad(file, f"trigger {tr.get('name')!r}: single-item triggers belong under their item")

    def check_dependencies(self, file, tname, t):
        known = set()
        for tr in self.all_triggers(t):
            known.add((tr.get('name'), tr.get('expression')))
        for tr in self.all_triggers(t):
            for d in tr.get('dependencies', []):
                if (d.get('name'), d.get('expression')) not in known:
                    self.bad(file, f"{tname}: trigger {tr.get('name')!r} depends on an unknown trigger "
                                   f"{d.get('name')!r}")

    @staticmethod
    def all_triggers(t):
        for i in t.get('items', []):
            yield from i.get('triggers', [])
        for r in t.get('discovery_rules', []):
            for p in r.get('item_prototypes', []):
                yield from p.get('trigger_prototypes', [])
            yield from r.get('trigger_prototypes', [])

    def check_user_macros(self, file, tname, t, top_triggers):
        defined = [m['macro'] for m in t.get('macros', [])]
        for m in sorted({m for m in defined if defined.count(m) > 1}):
            self.bad(file, f'{tname}: macro {m} is defined twice')
        names = {USER_MACRO.fullmatch(m).group(1) for m in defined if USER_MACRO.fullmatch(m)}
        for m in defined:
            if not USER_MACRO.fullmatch(m) or ':' in m:
                self.bad(file, f'{tname}: {m!r} is not a plain user macro name')
        body = {k: v for k, v in t.items() if k != 'macros'}
        body['top-level triggers'] = top_triggers
        # Descriptions are documentation: they may name macros defined
        # elsewhere (Zabbix's global {$SNMP_COMMUNITY}, a context example).
        used = set()
        for path, key, value in strings(body, ('description',)):
            for m in USER_MACRO.finditer(value):
                used.add(m.group(1))
                if m.group(1) not in names:
                    self.bad(file, f'{tname}: {where(path)}/{key} uses {m.group(0)}, which the template '
                                   'does not define')
        documented = {m.group(1) for _, _, v in strings(body) for m in USER_MACRO.finditer(v)}
        for m in sorted(names - used - documented):
            self.bad(file, f'{tname}: macro {{${m}}} is defined but neither used nor documented')


# --- the self-test -----------------------------------------------------------

def find(doc, pred):
    """The first dict in the document for which pred holds."""
    if isinstance(doc, dict):
        if pred(doc):
            return doc
        children = doc.values()
    elif isinstance(doc, list):
        children = doc
    else:
        return None
    for c in children:
        hit = find(c, pred)
        if hit is not None:
            return hit
    return None


def breakages(terminal, center, collector):
    """(description, file kind, function that breaks a copy, expected finding)."""
    def key_is(k):
        return lambda d: d.get('key') == k

    def set_field(pred, field, value):
        def f(doc):
            find(doc, pred)[field] = value
        return f

    def rename_groups(doc):
        ex = doc['zabbix_export']
        ex['template_groups'] = ex.pop('groups')

    def duplicate_uuid(doc):
        items = doc['zabbix_export']['templates'][0]['items']
        items[1]['uuid'] = items[0]['uuid']

    def prototype_macro(doc):
        p = find(doc, key_is('fleetreg.counter.impressions[{#SVC}]'))
        p['name'] = 'Counter {#SVCNAME}: impressions'

    def undefined_macro(doc):
        find(doc, key_is('fleetreg.identity.model'))['delay'] = '{$FLEETREG.INTERVAL.NOPE}'

    def foreign_trigger(doc):
        tr = find(doc, lambda d: d.get('name') == 'Terminal state is unknown')
        tr['expression'] = 'last(/Fleetreg terminal by SNMP/fleetreg.identity.nope)=4'

    def dangling_override(doc):
        find(doc, lambda d: d.get('name') == 'No colour counter')['operations'][0]['value'] = ': color impressions'

    def index_discovery(doc):
        r = find(doc, key_is('fleetreg.counter.discovery'))
        r['snmp_oid'] = r['snmp_oid'].replace('{#SVC},1.3.6.1.4.1.8072.9999.9999.3737.1.2.1.1.2',
                                              '{#SVC},1.3.6.1.4.1.8072.9999.9999.3737.1.2.1.1.1')

    def wrong_table(doc):
        find(doc, key_is('fleetreg.supply.level[{#SNMPINDEX}]'))['snmp_oid'] = \
            '1.3.6.1.4.1.8072.9999.9999.3737.1.2.1.1.3.{#SNMPINDEX}'

    def negative_unsigned(doc):
        del find(doc, key_is('fleetreg.supply.level[{#SNMPINDEX}]'))['value_type']

    def broken_dependency(doc):
        tr = find(doc, lambda d: d.get('name') == 'Supply {#SUPPLYDESCR}: level is low')
        tr['dependencies'][0]['name'] = 'Supply {#SUPPLYDESCR}: level is very low'

    def self_closing(doc):
        del find(doc, lambda d: d.get('name') == 'Counter {#SVC}: sheets went down')['recovery_mode']

    def never_closing(doc):
        del find(doc, lambda d: d.get('name') == 'Terminal has been replaced')['manual_close']

    def json_field(doc):
        find(doc, key_is('fleetreg.center.stale_terminals'))['preprocessing'][0]['parameters'] = ['$.stale']

    def metric(doc):
        find(doc, key_is('fleetreg.center.last_purge'))['preprocessing'][0]['parameters'][0] = 'fleetreg_last_purge'

    def no_bearer(doc):
        find(doc, key_is('fleetreg.center.get_status'))['headers'][0]['value'] = '{$FLEETREG.CENTER.TOKEN}'

    def collector_field(doc):
        find(doc, key_is('fleetreg.collector.outbox'))['preprocessing'][0]['parameters'] = ['$.backlog']

    def collector_script(doc):
        step = find(doc, key_is('fleetreg.collector.last_upload_age'))['preprocessing'][0]
        step['parameters'] = [step['parameters'][0].replace('s.last_upload', 's.last_uploaded')]

    return [
        ("version '6.4'", terminal, lambda d: d['zabbix_export'].update(version='6.4'), "not '6.0'"),
        ('template_groups', terminal, rename_groups, "'template_groups' is Zabbix 6.2+"),
        ('a walk[] OID', terminal,
         set_field(key_is('fleetreg.identity.model'), 'snmp_oid', 'walk[1.3.6.1.4.1.8072.9999.9999.3737.1.1]'),
         'walk[] is Zabbix 6.4+'),
        ('a get[] OID', terminal,
         set_field(key_is('fleetreg.identity.model'), 'snmp_oid', 'get[1.3.6.1.4.1.8072.9999.9999.3737.1.1.2.0]'),
         'get[] OIDs are Zabbix 6.4+'),
        ('a uuid with dashes', terminal,
         set_field(key_is('fleetreg.identity.model'), 'uuid', '0b9a5d4e-5c1f-4c7e-9a57-0f2d3b6c8e11'),
         'is not a UUIDv4'),
        ('a repeated uuid', terminal, duplicate_uuid, 'repeats'),
        ('an OID outside the MIB', terminal,
         set_field(key_is('fleetreg.identity.model'), 'snmp_oid', '1.3.6.1.4.1.8072.9999.9999.3737.1.1.99.0'),
         'is not in the MIB'),
        ('a symbolic OID', terminal,
         set_field(key_is('fleetreg.identity.model'), 'snmp_oid', 'FLEETREG-TERMINAL-MIB::frtModel.0'),
         'is not a numeric scalar instance'),
        ('a table column read as a scalar', terminal,
         set_field(key_is('fleetreg.identity.model'), 'snmp_oid', '1.3.6.1.4.1.8072.9999.9999.3737.1.2.1.1.3.0'),
         'is not a readable scalar'),
        ('discovery over the not-accessible index', terminal, index_discovery, 'a walk never returns it'),
        ('a prototype reading another table', terminal, wrong_table, 'is not a column of the table'),
        ('a negative Integer32 as numeric unsigned', terminal, negative_unsigned, 'does not fit'),
        ('an LLD macro the rule does not produce', terminal, prototype_macro, 'which the rule does not produce'),
        ('an undefined user macro', terminal, undefined_macro, 'which the template does not define'),
        ('a trigger on a missing item', terminal, foreign_trigger, 'which is not an item of the template'),
        ('an override that selects nothing', terminal, dangling_override, 'selects no ITEM_PROTOTYPE'),
        ('a dependency on a missing trigger', terminal, broken_dependency, 'depends on an unknown trigger'),
        ('a hand-closed trigger that recovers by itself', terminal, self_closing, 'closed by hand, but it recovers'),
        ('no OK event and no manual close', terminal, never_closing, 'its problems never close'),
        ('a JSON field the center does not send', center, json_field, 'not a field of the OpenAPI Status'),
        ('a metric the center does not emit', center, metric, 'is not emitted by the center'),
        ('a token without Bearer', center, no_bearer, "needs one header 'Authorization: Bearer"),
        ('a status field the collector does not write', collector, collector_field,
         'not a field the collector writes to status.json'),
        ('a script reading a field the collector does not write', collector, collector_script,
         'the script reads s.last_uploaded'),
    ]


def self_test(linter_factory, docs):
    by_template = {}
    for file, doc in docs:
        for t in doc['zabbix_export'].get('templates', []):
            by_template[t['template']] = (file, doc)
    terminal = by_template.get('Fleetreg terminal by SNMP')
    center = by_template.get('Fleetreg center by HTTP')
    collector = by_template.get(COLLECTOR)
    if terminal is None or center is None or collector is None:
        return ['self-test: needs the three fleetreg templates']
    failures = []
    for what, (file, doc), breaker, expected in breakages(terminal, center, collector):
        broken = copy.deepcopy(doc)
        breaker(broken)
        others = [(f, d) for f, d in docs if f != file]
        findings = linter_factory().check([(file, broken)] + others)
        if not any(expected in f for f in findings):
            failures.append(f'self-test: {what} was not reported (expected "{expected}"); got {findings}')
        else:
            print(f'self-test: {what}: reported')
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mib', required=True)
    ap.add_argument('--openapi', required=True)
    ap.add_argument('--center-source', required=True, help="the center's API source (emits /metrics)")
    ap.add_argument('--collector-source', required=True, help="the collector's store source (writes status.json)")
    ap.add_argument('--self-test', action='store_true')
    ap.add_argument('templates', nargs='+')
    args = ap.parse_args()

    try:
        with open(args.mib, encoding='utf-8') as f:
            mib = Mib(f.read())
        with open(args.openapi, encoding='utf-8') as f:
            status_fields = set(json.load(f)['components']['schemas']['Status']['properties'])
        with open(args.center_source, encoding='utf-8') as f:
            metric_names = set(re.findall(r'"(fleetreg_[a-z_]+)', f.read()))
        with open(args.collector_source, encoding='utf-8') as f:
            collector_fields = collector_status_fields(f.read())
        if not collector_fields:
            raise ValueError(f'{args.collector_source}: no store::write_status with its fields')
        docs = []
        for path in args.templates:
            with open(path, encoding='utf-8') as f:
                docs.append((path.rsplit('/', 1)[-1], yaml.safe_load(f)))
    except (OSError, ValueError, KeyError, yaml.YAMLError) as e:
        print(f'template_lint.py: {e}', file=sys.stderr)
        return 1
    if mib.root != f'{NET_SNMP_PLAYPEN}.3737':
        print(f'template_lint.py: the MIB root resolved to {mib.root}', file=sys.stderr)
        return 1

    def linter():
        return Linter(mib, status_fields, metric_names, collector_fields)

    findings = linter().check(docs)
    for f in findings:
        print(f)
    if not findings:
        counts = ', '.join(f'{file}: {sum(1 for _, k, _ in walk(doc) if k == "uuid")} objects'
                           for file, doc in docs)
        print(f'template_lint.py: clean ({counts})')
    if args.self_test and not findings:
        findings = self_test(linter, docs)
        for f in findings:
            print(f)
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
