#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster shared by the test processes of one ctest run
# (the `postgresql` fixture, tests/postgresql.cmake).
#
#   pg_cluster.sh start DIR [--durable]   initdb into a new directory under
#                                         ${TMPDIR:-/tmp} (fleetreg-pg-fixture.*,
#                                         named in DIR/cluster), start it on a
#                                         unix socket there and on
#                                         127.0.0.1:<free port>; writes
#                                         DIR/conninfo (URI of the `postgres`
#                                         database) and DIR/conninfo.socket
#                                         (key=value over the socket)
#   pg_cluster.sh stop DIR                fast shutdown, kill what is left,
#                                         remove the cluster and DIR
#
# The cluster lives outside DIR because the `postgres` user must reach it (a
# build tree under /root is not searchable) and a socket path is short.
# As root the cluster belongs to the `postgres` user (initdb refuses root);
# otherwise to the caller. Authentication is `trust`, superuser `postgres`.
# Without --durable fsync, synchronous_commit and full_page_writes are off:
# fast, and lost if the machine crashes. A cluster left behind by an
# interrupted run with the same DIR is stopped by the next start.
set -euo pipefail

die() { printf 'pg_cluster.sh: %s\n' "$*" >&2; exit 1; }

pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n1)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/postgres" ]; then
  die "PostgreSQL is not installed (Debian package postgresql)"
fi

if [ "$(id -u)" = 0 ]; then
  getent passwd postgres >/dev/null || die "no 'postgres' user (Debian package postgresql)"
  # setpriv executes the program itself: no PAM session, no process in between.
  as_owner() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
  owned_dir() { install -d -o postgres -g postgres -m "$1" "$2"; }
else
  as_owner() { "$@"; }
  owned_dir() { install -d -m "$1" "$2"; }
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_cluster() {
  local dir=$1 cluster data pid p i left
  cluster=$(cat "$dir/cluster" 2>/dev/null || true)
  case $cluster in
    */fleetreg-pg-fixture.*) ;;
    *) rm -rf "$dir"; return 0 ;;
  esac
  data=$cluster/data
  if [ -f "$data/postmaster.pid" ]; then
    pid=$(head -n1 "$data/postmaster.pid")
    as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || kill -KILL "$pid" 2>/dev/null || true
  fi
  # A killed postmaster's children: every process still working in the data
  # directory (no other process does). Give them a moment to notice.
  if [ -d "$data" ]; then
    for i in 1 2 3 4 5 6 7 8 9 10; do
      left=()
      for p in /proc/[0-9]*; do
        [[ $p/cwd -ef $data ]] 2>/dev/null && left+=("${p#/proc/}")
      done
      [ ${#left[@]} = 0 ] && break
      [ "$i" = 10 ] && kill -KILL "${left[@]}" 2>/dev/null
      sleep 0.5
    done
  fi
  rm -rf "$cluster" "$dir"
}

start_cluster() {
  local dir=$1 durable=$2 cluster port attempt settings
  stop_cluster "$dir"
  mkdir -p "$dir"
  cluster=$(mktemp -d "${TMPDIR:-/tmp}/fleetreg-pg-fixture.XXXXXX")
  printf '%s\n' "$cluster" >"$dir/cluster"
  case $cluster in *[[:space:]\'\"\\]*) die "TMPDIR must not hold spaces or quotes: $cluster" ;; esac
  chmod 711 "$cluster"
  as_owner test -x "$cluster" \
    || die "the postgres user cannot reach $cluster: its parent directories must be searchable (o+x)"
  owned_dir 700 "$cluster/data"
  owned_dir 755 "$cluster/sock"
  if [ "$(id -u)" = 0 ]; then
    install -o postgres -g postgres -m 644 /dev/null "$cluster/postgres.log"
  else
    : >"$cluster/postgres.log"
  fi
  local initdb_flags=(-D "$cluster/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8)
  settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$cluster/sock -c max_connections=300"
  if [ "$durable" = 0 ]; then
    initdb_flags+=(--no-sync)
    settings+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_owner "$pgbin/initdb" "${initdb_flags[@]}" >"$cluster/initdb.log" 2>&1 \
    || { cat "$cluster/initdb.log" >&2; die "initdb failed"; }
  # A free port may be taken between the probe and the bind: try a few.
  for attempt in 1 2 3; do
    port=$(free_port)
    if as_owner "$pgbin/pg_ctl" -D "$cluster/data" -l "$cluster/postgres.log" -w -t 60 \
         -o "$settings -c port=$port" start >/dev/null 2>&1; then
      printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port" >"$dir/conninfo"
      printf 'host=%s port=%s user=postgres dbname=postgres\n' "$cluster/sock" "$port" >"$dir/conninfo.socket"
      printf 'PostgreSQL %s on 127.0.0.1:%s and %s (conninfo: %s)\n' \
        "$("$pgbin/postgres" -V | awk '{print $3}')" "$port" "$cluster/sock" "$dir/conninfo"
      return 0
    fi
    grep -q 'could not bind' "$cluster/postgres.log" || break
    [ "$attempt" = 3 ] || : >"$cluster/postgres.log"
  done
  cat "$cluster/postgres.log" >&2
  stop_cluster "$dir"
  die "PostgreSQL did not start"
}

case ${1:-} in
  start)
    [ $# -ge 2 ] || die "usage: pg_cluster.sh start DIR [--durable]"
    durable=0
    [ "${3:-}" = --durable ] && durable=1
    start_cluster "$2" "$durable"
    ;;
  stop)
    [ $# -eq 2 ] || die "usage: pg_cluster.sh stop DIR"
    stop_cluster "$2"
    ;;
  *) die "usage: pg_cluster.sh start DIR [--durable] | stop DIR" ;;
esac
