#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""C resources are released only by their RAII wrappers (issue 15).

  c_resources_check.py [--self-test] ROOT

Looks through the sources under ROOT's center/, collector/, common/,
agent_subagent/ and plugins/ (not tests/) for calls that free, close or
delete what a C library handed out -- snmp_free_pdu, snmp_close,
snmp_sess_close, usm_free_user, SNMP_FREE, avahi_*_free, avahi_free, ippDelete,
httpClose, sqlite3_close, sqlite3_finalize, PQfinish, PQclear, PQfreemem, free(),
close(), fclose() -- and
fails naming file:line for each one outside the wrapper files below.
Comments are skipped; member calls (x.close(), p->close()) and member
definitions (void close()) are not C calls. --self-test first checks the
patterns against lines that must and must not be reported.
"""
import argparse
import pathlib
import re
import sys

SCANNED = ["center", "collector", "common", "agent_subagent", "plugins"]
SUFFIXES = {".c", ".cc", ".cpp", ".h", ".hpp"}

# The one place per library where releasing is allowed, and what to use instead.
WRAPPERS = {
    "common/core/src/unique_fd.cpp": "fleetreg::unique_fd (fleetreg/core/unique_fd.hpp)",
    "common/core/include/fleetreg/core/sqlite.hpp": "sqlite::database / sqlite::statement",
    "common/snmp/include/fleetreg/snmp/handles.hpp": "snmp::pdu_ptr, session_ptr, oid_ptr, usm_user_ptr",
    "common/mdns/src/avahi_ptr.hpp": "mdns::detail::client_ptr, entry_group_ptr, service_*_ptr, string_list_ptr",
    "common/ipp/src/cups_ptr.hpp": "ipp::detail::http_ptr, ipp_ptr",
    "center/src/sql/pq_ptr.hpp": "sql::pq_conn_ptr, pq_result_ptr, pq_notify_ptr",
}

PATTERNS = [
    re.compile(r"\b(?:snmp|netsnmp|usm|avahi)_\w*free\w*\s*\("),
    re.compile(r"\bSNMP_FREE\s*\("),
    re.compile(r"\bsnmp(?:_sess)?_close\s*\("),
    re.compile(r"\b(?:ippDelete|httpClose)\s*\("),
    re.compile(r"\bsqlite3_(?:close(?:_v2)?|finalize)\s*\("),
    re.compile(r"\bPQ(?:finish|clear|freemem)\s*\("),
    re.compile(r"(?<![\w.>])(?:free|fclose|pclose|closedir)\s*\("),
    re.compile(r"(?<![\w.>])(?<!void )close\s*\("),
]

MUST_REPORT = [
    "snmp_free_pdu(pdu);",
    "  if (s) snmp_sess_close(s);",
    "snmp_close(ss);",
    "usm_free_user(u);",
    "SNMP_FREE(s.securityAuthProto);",
    "avahi_entry_group_free(group);",
    "for (auto* b : browsers) avahi_service_browser_free(b);",
    "avahi_free(key);",
    "avahi_string_list_free(txt);",
    "ippDelete(response);",
    "httpClose(http);",
    "sqlite3_close_v2(db);",
    "sqlite3_finalize(stmt);",
    "PQclear(res);",
    "PQfinish(conn);",
    "free(msg);",
    "std::free(p);",
    "::close(fd);",
    "if (fd >= 0) close(fd);",
    "fclose(f);",
]
MUST_PASS = [
    "socket.close(ec);",
    "acceptor_->close(ec);",
    "self->close();",
    "void close() {",
    "void watch_free(AvahiWatch* w) {",
    "api_.timeout_free = timeout_free;",
    "// snmp_free_pdu(pdu) is the wrapper's job",
    "auto closed = is_closed(fd);",
    "freeze(x);",
]


def strip_comment(line):
    """The line without a // comment (a // inside a string cuts it short: fewer matches, never more)."""
    at = line.find("//")
    return line if at < 0 else line[:at]


def offending(line):
    code = strip_comment(line)
    return any(p.search(code) for p in PATTERNS)


def self_test():
    problems = [f"not reported: {l!r}" for l in MUST_REPORT if not offending(l)]
    problems += [f"reported wrongly: {l!r}" for l in MUST_PASS if offending(l)]
    for p in problems:
        print(f"self-test: {p}", file=sys.stderr)
    return not problems


def scan(root):
    found = []
    for top in SCANNED:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if rel in WRAPPERS:
                continue
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
                if offending(line):
                    found.append(f"{rel}:{number}: {line.strip()}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("root", type=pathlib.Path)
    args = parser.parse_args()
    if args.self_test and not self_test():
        return 1
    found = scan(args.root)
    for f in found:
        print(f"{f}    <- a C resource released by hand", file=sys.stderr)
    if found:
        print("Release through the wrappers instead:", file=sys.stderr)
        for path, what in WRAPPERS.items():
            print(f"  {path}: {what}", file=sys.stderr)
        return 1
    print(f"no C resource released outside the {len(WRAPPERS)} wrapper files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
