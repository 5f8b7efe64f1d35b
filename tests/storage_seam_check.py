#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The API, the dealer site and fleetreg-centerctl reach storage only through
operations (issue 17).

  storage_seam_check.py [--self-test] ROOT

Looks through ROOT's center/src/api.cpp, center/src/web/, center/src/ctl.cpp
and the API's and dealer site's headers for what goes round operations:
store() (the accessor operations no longer has), the storage interface named
(`storage`, storage.hpp), sqlite_storage (allowed in ctl.cpp only, whose
backup stays SQLite's online backup), and a call of any method of
center/include/fleetreg/center/storage.hpp on another object than the
operations (`svc` or `svc_`). Fails naming file:line for each. Comments are
skipped. --self-test first checks the patterns against lines that must and
must not be reported.
"""
import argparse
import pathlib
import re
import sys

SCANNED = [
    "center/src/api.cpp",
    "center/src/ctl.cpp",
    "center/src/web",
    "center/include/fleetreg/center/api.hpp",
    "center/include/fleetreg/center/web_site.hpp",
]
SUFFIXES = {".cpp", ".hpp", ".in"}
INTERFACE = "center/include/fleetreg/center/storage.hpp"
# What a file may name besides operations, and why.
ALLOWED = {"center/src/ctl.cpp": {"sqlite_storage"}}
# The names the operations object goes by in these files.
OPERATIONS = {"svc", "svc_"}

PATTERNS = {
    "store()": re.compile(r"\bstore\s*\(\s*\)"),
    "storage": re.compile(r"\bstorage\b"),
    "sqlite_storage": re.compile(r"\bsqlite_storage\b"),
}
CALL = re.compile(r"(\w+|\))\s*(?:\.|->)\s*(\w+)\s*\(")


def storage_methods(root):
    """The method names of the storage interface (its destructor left out)."""
    text = (root / INTERFACE).read_text(encoding="utf-8")
    return set(re.findall(r"\bvirtual\b[^;(]*?\b([a-z_]\w*)\s*\(", text)) - {"storage"}


def strip_comment(line):
    """The line without a // comment (a // inside a string cuts it short: fewer matches, never more)."""
    at = line.find("//")
    return line if at < 0 else line[:at]


def offences(line, methods, allowed=frozenset()):
    """What in `line` goes round operations: pattern names and storage calls."""
    code = strip_comment(line)
    found = [name for name, p in PATTERNS.items() if name not in allowed and p.search(code)]
    for receiver, method in CALL.findall(code):
        if method in methods and receiver not in OPERATIONS:
            found.append(f"{receiver}.{method}()")
    return found


MUST_REPORT = [
    "c.svc.store().add_session(hash, acc.id, csrf, c.now, expires);",
    "  const auto c = svc_.store().counts(now, a, b);",
    '#include "fleetreg/center/storage.hpp"',
    "api(operations& svc, storage& st);",
    "sqlite_storage store(cfg.database);",
    "for (const auto& a : db.store.list_accounts()) show(a);",
    "database.list_sites(std::nullopt);",
    "st->find_token(hash, now);",
    "open_db().audit(actor, action, subject, detail, now);",
]
MUST_PASS = [
    "for (const auto& a : c.svc.accounts(c.me->acc)) rows += account_row(c, a);",
    "  const auto c = svc_.counts();",
    "db.svc.revoke_code(db.op, id);",
    "// svc_.store().counts(...) went round operations",
    "http::response audit_page(context& c);",
    "const auto it = req.query.find(name);",
    "open_storage(cfg);",
    '#include "fleetreg/center/operations.hpp"',
]


def self_test(methods):
    problems = [f"storage.hpp: no methods found in {INTERFACE}"] if len(methods) < 10 else []
    problems += [f"not reported: {l!r}" for l in MUST_REPORT if not offences(l, methods)]
    problems += [f"reported wrongly: {l!r}" for l in MUST_PASS if offences(l, methods)]
    for p in problems:
        print(f"self-test: {p}", file=sys.stderr)
    return not problems


def files(root):
    for top in SCANNED:
        path = root / top
        if path.is_file():
            yield path
        else:
            yield from (p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in SUFFIXES)


def scan(root, methods):
    found = []
    for path in files(root):
        rel = path.relative_to(root).as_posix()
        allowed = ALLOWED.get(rel, frozenset())
        in_block = False
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            # Block comments: skipped whole lines at a time (enough for this tree's style).
            if in_block:
                if "*/" in line:
                    in_block = False
                continue
            if line.lstrip().startswith("/*") and "*/" not in line:
                in_block = True
                continue
            what = offences(line, methods, allowed)
            if what:
                found.append(f"{rel}:{number}: {line.strip()}    <- {', '.join(what)}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("root", type=pathlib.Path)
    args = parser.parse_args()
    methods = storage_methods(args.root)
    if args.self_test and not self_test(methods):
        return 1
    found = scan(args.root, methods)
    for f in found:
        print(f, file=sys.stderr)
    if found:
        print("The API, the dealer site and fleetreg-centerctl reach storage through operations only: "
              "add (or use) an operations method that states the rule it applies.", file=sys.stderr)
        return 1
    print(f"no storage access round operations in {len(SCANNED)} places ({len(methods)} storage methods)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
