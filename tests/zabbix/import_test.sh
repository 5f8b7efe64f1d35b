#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Imports the fleetreg Zabbix templates into Debian's real Zabbix 6.0 frontend
# and checks through its JSON-RPC API what was created (api_check.py).
#
#   import_test.sh TEMPLATE.yaml...
#
# Runs as root on a clean Debian 12 with the packages of `scripts/dev.sh deps`
# (postgresql, zabbix-server-pgsql for the schema, zabbix-frontend-php,
# php-cli, php-pgsql, python3-yaml). The set-up is harness.sh's, shared with
# runtime_test.sh. Nothing is started outside private network, mount, IPC and
# PID namespaces: PostgreSQL listens on a unix socket only (run as the
# postgres user from a temporary cluster), PHP's built-in server on 127.0.0.1
# of that namespace. The frontend reads its configuration from the
# fixed path /etc/zabbix/zabbix.conf.php (Debian's CConfigFile), so a
# temporary directory is bind-mounted over /etc/zabbix inside the namespace;
# the real /etc is never written. Every process started is stopped by PID on
# exit, also on failure or SIGTERM, and the temporary directory is removed;
# if the test itself is killed, unshare's --kill-child ends the namespace's
# first process and the kernel every other one in it.
set -euo pipefail

zbx_prog=import_test.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$here/harness.sh"

[ $# -ge 1 ] || die "usage: import_test.sh TEMPLATE.yaml..."
templates=()
for t in "$@"; do
  [ -r "$t" ] || die "cannot read template '$t'"
  templates+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
done

# Outside: check what the test needs, then re-run inside fresh namespaces.
if [ -z "${FLEETREG_ZBX_INSIDE:-}" ]; then
  zbx_require_frontend
  command -v zabbix_js >/dev/null || die "zabbix_js missing: install zabbix-server-pgsql"
  zbx_enter_namespaces "${templates[@]}"
fi

# Inside the namespaces from here on.
zbx_inside

# The JavaScript preprocessing, in Zabbix's own engine.
run /usr/bin/python3 "$here/js_check.py" "${templates[@]}"
step "JavaScript preprocessing checked in zabbix_js"

zbx_frontend_on_postgres

run /usr/bin/python3 "$here/api_check.py" --url "$zbx_url" \
  --mib "$root/mibs/FLEETREG-TERMINAL-MIB.txt" --openapi "$root/center/openapi.json" \
  --center-source "$root/center/src/api.cpp" --collector-source "$root/collector/src/store.cpp" "${templates[@]}"
step "API checks passed"
