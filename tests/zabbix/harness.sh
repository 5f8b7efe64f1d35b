# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by import_test.sh and runtime_test.sh: what both need to run
# Debian's Zabbix 6.0 on a throw-away PostgreSQL inside private namespaces.
#
#   zbx_require_frontend             outside: the packages the frontend needs
#   zbx_enter_namespaces ARG...      outside: run "$0" ARG... in private network,
#                                    mount, IPC and PID namespaces; never returns
#   zbx_inside                       inside: temporary directory, traps, lo up
#   zbx_daemon NAME CMD...           start CMD in the background, log in
#                                    $work/NAME.log; stopped by PID on exit
#                                    (last started first), or before by
#   zbx_stop NAME                    TERM, up to 20 s, then KILL
#   zbx_frontend_on_postgres         PostgreSQL, the Zabbix schema and the
#                                    frontend (sets $zbx_url), with their steps
#   free_port                        a free port on 127.0.0.1
#   step TEXT                        print TEXT and the seconds since the last step
#   run CMD...                       CMD in the background, waited for (signals
#                                    reach the trap at once)
#
# The caller sets zbx_prog (its name, for error lines) before sourcing.

die() { printf '%s: %s\n' "${zbx_prog:-zabbix test}" "$*" >&2; exit 1; }

zbx_require_frontend() {
  [ "$(id -u)" = 0 ] || die "run as root: the test needs private network and mount namespaces"
  local schema_dir=/usr/share/zabbix-server-pgsql f
  for f in schema.sql.gz images.sql.gz data.sql.gz; do
    [ -r "$schema_dir/$f" ] || die "$schema_dir/$f missing: install zabbix-server-pgsql (scripts/dev.sh deps)"
  done
  [ -r /usr/share/zabbix/api_jsonrpc.php ] || die "/usr/share/zabbix missing: install zabbix-frontend-php"
  [ -d /etc/zabbix ] || die "/etc/zabbix missing: install zabbix-server-pgsql"
  command -v php >/dev/null || die "php missing: install php-cli"
  php -r 'exit(extension_loaded("pgsql") ? 0 : 1);' || die "PHP has no pgsql module: install php-pgsql"
  /usr/bin/python3 -c 'import yaml' 2>/dev/null || die "python3 has no yaml module: install python3-yaml"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || die "initdb missing: install postgresql"
  getent passwd postgres >/dev/null || die "no 'postgres' user: install postgresql"
}

zbx_enter_namespaces() {
  export FLEETREG_ZBX_INSIDE=1
  unshare --net --mount --propagation private --ipc --pid --mount-proc --kill-child=TERM -- "$0" "$@" &
  local inner=$! rc=0
  # unshare ignores SIGTERM; ending it makes --kill-child pass TERM inside.
  trap 'kill -KILL "$inner" 2>/dev/null; exit 143' TERM
  trap 'kill -KILL "$inner" 2>/dev/null; exit 130' INT
  wait "$inner" || rc=$?
  exit "$rc"
}

step_start=$SECONDS
step() {
  printf '==> %s (%d s)\n' "$1" $(( SECONDS - step_start ))
  step_start=$SECONDS
}

# Long steps run in the background and are waited for, so that a signal
# reaches the trap at once rather than when the step ends.
run() { "$@" & wait $!; }

zbx_daemon_names=()
zbx_daemon_pids=()
zbx_daemon() {
  local name=$1
  shift
  "$@" >>"$work/$name.log" 2>&1 &
  zbx_daemon_names+=("$name")
  zbx_daemon_pids+=("$!")
}

# zbx_stop NAME: the last daemon started as NAME gets TERM, up to 20 s to
# exit, then KILL.
zbx_stop() {
  local i
  for (( i = ${#zbx_daemon_names[@]} - 1; i >= 0; i-- )); do
    if [ "${zbx_daemon_names[$i]}" = "$1" ] && [ -n "${zbx_daemon_pids[$i]}" ]; then
      zbx_stop_index "$i"
      return 0
    fi
  done
}
zbx_stop_index() {
  local pid=${zbx_daemon_pids[$1]}
  zbx_daemon_pids[$1]=
  [ -n "$pid" ] || return 0
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

zbx_cleanup() {
  local rc=$? i log
  set +e
  for (( i = ${#zbx_daemon_pids[@]} - 1; i >= 0; i-- )); do
    zbx_stop_index "$i"
  done
  if [ -f "$pgdata/postmaster.pid" ]; then
    local pg_pid
    pg_pid=$(head -n1 "$pgdata/postmaster.pid")
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || kill -9 "$pg_pid" 2>/dev/null
  fi
  if [ "$rc" != 0 ]; then
    for log in "$work"/*.log "$work"/*/*.log; do
      [ -s "$log" ] && { printf -- '--- %s (last lines)\n' "${log#"$work"/}"; tail -n 30 "$log"; }
    done
  fi
  umount /etc/zabbix 2>/dev/null
  rm -rf "$work"
  exit "$rc"
}

zbx_inside() {
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  work=$(mktemp -d "${TMPDIR:-/tmp}/fleetreg-zbx.XXXXXX")
  pgdata=$work/pg
  sock=$work/sock
  chmod 755 "$work"
  trap zbx_cleanup EXIT
  trap 'exit 130' INT TERM
  ip link set lo up
}

# A free TCP port on 127.0.0.1 (UDP too: this namespace runs nothing else).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL: a throw-away cluster owned by postgres, unix socket only.
zbx_start_postgres() {
  install -d -o postgres -g postgres -m 700 "$pgdata"
  install -d -o postgres -g postgres -m 755 "$sock"
  install -o postgres -g postgres -m 644 /dev/null "$work/postgres.log"
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U zabbix -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >/dev/null || die "initdb failed"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$work/postgres.log" -w -t 60 \
    -o "-k $sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || die "PostgreSQL did not start (postgres.log follows)"
}

psql() { command psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -U zabbix "$@"; }
zbx_schema() {
  local f
  for f in schema images data; do
    zcat "/usr/share/zabbix-server-pgsql/$f.sql.gz"
  done | psql -d zabbix >/dev/null
}
zbx_load_schema() {
  psql -d postgres -c 'CREATE DATABASE zabbix' >/dev/null
  run zbx_schema || die "loading the Zabbix schema failed"
}

# The frontend, unmodified, from /usr/share/zabbix; its configuration in the
# bind-mounted /etc/zabbix of this namespace (Debian's CConfigFile reads the
# fixed path /etc/zabbix/zabbix.conf.php; the real /etc is never written).
zbx_start_frontend() {
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
\$ZBX_SERVER_NAME = 'fleetreg test';
\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
EOF
  chmod 644 "$work/etc-zabbix/zabbix.conf.php"
  mount --bind "$work/etc-zabbix" /etc/zabbix

  local port
  port=$(free_port)
  install -o nobody -m 644 /dev/null "$work/php.log"
  zbx_daemon php setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    php -d memory_limit=512M -d post_max_size=16M -d max_execution_time=300 -d date.timezone=UTC \
    -d display_errors=stderr -S "127.0.0.1:$port" -t /usr/share/zabbix
  # shellcheck disable=SC2034 # for the sourcing script
  zbx_url=http://127.0.0.1:$port/api_jsonrpc.php
}

zbx_frontend_on_postgres() {
  zbx_start_postgres
  step "PostgreSQL cluster started"
  zbx_load_schema
  step "Zabbix schema, images and data loaded"
  zbx_start_frontend
  step "frontend served at $zbx_url"
}
