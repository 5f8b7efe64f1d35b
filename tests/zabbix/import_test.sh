#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Imports the fleetreg Zabbix templates into Debian's real Zabbix 6.0 frontend
# and checks through its JSON-RPC API what was created (api_check.py).
#
#   import_test.sh TEMPLATE.yaml...
#
# Runs as root on a clean Debian 12 with the packages of `scripts/dev.sh deps`
# (postgresql, zabbix-server-pgsql for the schema, zabbix-frontend-php,
# php-cli, php-pgsql, python3-yaml). Nothing is started outside private
# network, mount and PID namespaces: PostgreSQL listens on a unix socket only
# (run as the postgres user from a temporary cluster), PHP's built-in server
# on 127.0.0.1 of that namespace. The frontend reads its configuration from the
# fixed path /etc/zabbix/zabbix.conf.php (Debian's CConfigFile), so a
# temporary directory is bind-mounted over /etc/zabbix inside the namespace;
# the real /etc is never written. Every process started is stopped by PID on
# exit, also on failure or SIGTERM, and the temporary directory is removed;
# if the test itself is killed, unshare's --kill-child ends the namespace's
# first process and the kernel every other one in it.
set -euo pipefail

die() { printf 'import_test.sh: %s\n' "$*" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

[ $# -ge 1 ] || die "usage: import_test.sh TEMPLATE.yaml..."
templates=()
for t in "$@"; do
  [ -r "$t" ] || die "cannot read template '$t'"
  templates+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
done

# Outside: check what the test needs, then re-run inside fresh namespaces.
if [ -z "${FLEETREG_ZBX_INSIDE:-}" ]; then
  [ "$(id -u)" = 0 ] || die "run as root: the test needs private network and mount namespaces"
  schema_dir=/usr/share/zabbix-server-pgsql
  for f in schema.sql.gz images.sql.gz data.sql.gz; do
    [ -r "$schema_dir/$f" ] || die "$schema_dir/$f missing: install zabbix-server-pgsql (scripts/dev.sh deps)"
  done
  [ -r /usr/share/zabbix/api_jsonrpc.php ] || die "/usr/share/zabbix missing: install zabbix-frontend-php"
  [ -d /etc/zabbix ] || die "/etc/zabbix missing: install zabbix-server-pgsql"
  command -v php >/dev/null || die "php missing: install php-cli"
  command -v zabbix_js >/dev/null || die "zabbix_js missing: install zabbix-server-pgsql"
  php -r 'exit(extension_loaded("pgsql") ? 0 : 1);' || die "PHP has no pgsql module: install php-pgsql"
  /usr/bin/python3 -c 'import yaml' 2>/dev/null || die "python3 has no yaml module: install python3-yaml"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || die "initdb missing: install postgresql"
  getent passwd postgres >/dev/null || die "no 'postgres' user: install postgresql"
  export FLEETREG_ZBX_INSIDE=1
  unshare --net --mount --propagation private --pid --mount-proc --kill-child=TERM \
    -- "$0" "${templates[@]}" &
  inner=$!
  # unshare ignores SIGTERM; ending it makes --kill-child pass TERM inside.
  trap 'kill -KILL "$inner" 2>/dev/null; exit 143' TERM
  trap 'kill -KILL "$inner" 2>/dev/null; exit 130' INT
  rc=0
  wait "$inner" || rc=$?
  exit "$rc"
fi

# Inside the namespaces from here on.
step_start=$SECONDS
step() {
  printf '==> %s (%d s)\n' "$1" $(( SECONDS - step_start ))
  step_start=$SECONDS
}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
work=$(mktemp -d "${TMPDIR:-/tmp}/fleetreg-zbx.XXXXXX")
pgdata=$work/pg
sock=$work/sock
php_pid=

cleanup() {
  local rc=$?
  set +e
  if [ -n "$php_pid" ]; then
    kill "$php_pid" 2>/dev/null && wait "$php_pid" 2>/dev/null
  fi
  if [ -f "$pgdata/postmaster.pid" ]; then
    local pg_pid
    pg_pid=$(head -n1 "$pgdata/postmaster.pid")
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || kill -9 "$pg_pid" 2>/dev/null
  fi
  if [ "$rc" != 0 ]; then
    for log in "$work/postgres.log" "$work/php.log"; do
      [ -s "$log" ] && { printf -- '--- %s (last lines)\n' "${log##*/}"; tail -n 30 "$log"; }
    done
  fi
  umount /etc/zabbix 2>/dev/null
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Long steps run in the background and are waited for, so that a signal
# reaches the trap at once rather than when the step ends.
run() { "$@" & wait $!; }

ip link set lo up

# The JavaScript preprocessing, in Zabbix's own engine.
run /usr/bin/python3 "$here/js_check.py" "${templates[@]}"
step "JavaScript preprocessing checked in zabbix_js"

# PostgreSQL: a throw-away cluster owned by postgres, unix socket only.
chmod 755 "$work"
install -d -o postgres -g postgres -m 700 "$pgdata"
install -d -o postgres -g postgres -m 755 "$sock"
install -o postgres -g postgres -m 644 /dev/null "$work/postgres.log"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U zabbix -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >/dev/null || die "initdb failed"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$work/postgres.log" -w -t 60 \
  -o "-k $sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || die "PostgreSQL did not start (postgres.log follows)"
step "PostgreSQL cluster started"

psql() { command psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -U zabbix "$@"; }
load_schema() {
  for f in schema images data; do
    zcat "/usr/share/zabbix-server-pgsql/$f.sql.gz"
  done | psql -d zabbix >/dev/null
}
psql -d postgres -c 'CREATE DATABASE zabbix' >/dev/null
run load_schema || die "loading the Zabbix schema failed"
step "Zabbix schema, images and data loaded"

# The frontend, unmodified, from /usr/share/zabbix; its configuration in the
# bind-mounted /etc/zabbix of this namespace.
install -d -m 755 "$work/etc-zabbix"
cat >"$work/etc-zabbix/zabbix.conf.php" <<EOF
<?php
\$DB['TYPE'] = 'POSTGRESQL';
\$DB['SERVER'] = '$sock';
\$DB['PORT'] = '5432';
\$DB['DATABASE'] = 'zabbix';
\$DB['USER'] = 'zabbix';
\$DB['PASSWORD'] = '';
\$DB['SCHEMA'] = '';
\$DB['ENCRYPTION'] = false;
\$DB['KEY_FILE'] = '';
\$DB['CERT_FILE'] = '';
\$DB['CA_FILE'] = '';
\$DB['VERIFY_HOST'] = false;
\$DB['CIPHER_LIST'] = '';
\$DB['VAULT_URL'] = '';
\$DB['VAULT_DB_PATH'] = '';
\$DB['VAULT_TOKEN'] = '';
\$DB['DOUBLE_IEEE754'] = true;
\$ZBX_SERVER_NAME = 'fleetreg import test';
\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
EOF
chmod 644 "$work/etc-zabbix/zabbix.conf.php"
mount --bind "$work/etc-zabbix" /etc/zabbix

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
install -o nobody -m 644 /dev/null "$work/php.log"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
  php -d memory_limit=512M -d post_max_size=16M -d max_execution_time=300 -d date.timezone=UTC \
  -d display_errors=stderr -S "127.0.0.1:$port" -t /usr/share/zabbix \
  >>"$work/php.log" 2>&1 &
php_pid=$!
step "frontend served on 127.0.0.1:$port"

run /usr/bin/python3 "$here/api_check.py" --url "http://127.0.0.1:$port/api_jsonrpc.php" \
  --mib "$root/mibs/FLEETREG-TERMINAL-MIB.txt" --openapi "$root/center/openapi.json" \
  --center-source "$root/center/src/api.cpp" "${templates[@]}"
step "API checks passed"
