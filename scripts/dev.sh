#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fleetreg developer entry point (Debian 12, as root).
#
#   scripts/dev.sh demo                 install packages, build, run the demo
#                                       (it keeps running: scripts/demo.sh stop)
#   scripts/dev.sh test [--preset P] [--labels REGEX] [--skip-labels REGEX] [--skip REGEX]
#                                       install packages, build, run the tests
#                                       (of those labels, without those labels
#                                       or names) [--attempts N] (a failed test
#                                       runs again, up to N runs in all)
#   scripts/dev.sh deps                 install the Debian packages only
#   scripts/dev.sh build [--preset P]   configure and build only
#   scripts/dev.sh bench                build and run the benchmark programs
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#                                       build the fuzz preset, run each fuzzer
#
# Presets (CMakePresets.json): dev, ci (-Werror, the default for tests), asan,
# fuzz (clang-14, libFuzzer; docs/FUZZING.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Everything the build, the tests and the demo need, from Debian 12.
packages=(
  g++ cmake ninja-build pkg-config git
  libsnmp-dev snmpd snmp smitools
  libsqlite3-dev sqlite3 libpq-dev
  libcpprest-dev libboost-dev libssl-dev openssl nlohmann-json3-dev libsodium-dev
  libcurl4-openssl-dev python3-aiosmtpd
  libyaml-cpp-dev
  libavahi-client-dev avahi-daemon dbus-daemon libcups2-dev cups-ipp-utils
  chromium nagios4-core
  postgresql zabbix-server-pgsql zabbix-agent zabbix-frontend-php php-cli php-pgsql python3-yaml
  googletest libgtest-dev libgmock-dev
  iproute2 procps snmpsim nginx nftables curl bc
  dpkg-dev help2man lintian rpm socat
  clang-14 libclang-rt-14-dev clang-format
)

say() { printf '==> %s\n' "$*"; }
# Runs a step and prints how long it took.
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  printf '==> %s took %d s\n' "$name" $(( SECONDS - start ))
}
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

deps() {
  [ "$(id -u)" = 0 ] || die "run as root: packages are installed with apt-get and the tests create network namespaces"
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  # The MIB lint fetches SNMPv2-SMI/TC/CONF with npm at test time.
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # No package's service may start: avahi-daemon in this network namespace
    # would multicast on the real interface. Debian's policy-rc.d hook (exit
    # 101) forbids it for the duration of the install.
    local policy=/usr/sbin/policy-rc.d own_policy= rc=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    fi
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
    [ -z "$own_policy" ] || rm -f "$policy"
    [ "$rc" = 0 ] || die "apt-get failed (exit $rc)"
  fi
}

build() {
  local preset=$1
  say "configuring and building (preset $preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}

run_tests() {
  local preset=$1 labels=$2 skip_labels=$3 skip=$4 args=()
  [ -z "$skip_labels" ] || args+=(-LE "$skip_labels")
  [ -z "$attempts" ] || args+=(--repeat "until-pass:$attempts")
  [ -z "$skip" ] || args+=(-E "$skip")
  say "running tests (preset $preset, labels $labels${skip_labels:+, without labels $skip_labels}${skip:+, without $skip})"
  ctest --preset "$preset" -L "$labels" "${args[@]}" -j "$(nproc)"
}

# Load generators and the reference server the benchmarks compare against.
bench_deps() {
  local missing=()
  for p in wrk nginx-light curl onesixtyone; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

run_benchmarks() {
  local b=$root/build/dev/benchmarks
  say "subagent: GETs/s vs native snmpd, RSS"; "$b/fleetreg-bench-subagent"
  say "center: /healthz vs nginx, HTTP and HTTPS"; "$root/benchmarks/healthz_bench.sh" "$root/build/dev" 10
  say "center: durable readings/s vs raw SQLite"; "$b/fleetreg-bench-center" readings 10
  say "center: 10,000 idle long-polls (HTTP)"; "$b/fleetreg-bench-center" longpoll 10000 http
  say "center: 10,000 idle long-polls (HTTPS)"; "$b/fleetreg-bench-center" longpoll 10000 https
  say "center: 5,000 slow connections (HTTP)"; "$b/fleetreg-bench-center" slowloris 5000 http 20
  say "center: 5,000 slow connections (HTTPS)"; "$b/fleetreg-bench-center" slowloris 5000 https 20
  say "center: 1,000 sites long-polling while 10,000 readings/min arrive"; "$b/fleetreg-bench-center" delivery 1000 10000 200
  say "center on PostgreSQL: durable readings/s, 1 and 2 replicas, vs raw INSERT and COPY"
  "$b/fleetreg-bench-center" readings-pg 10 1
  "$b/fleetreg-bench-center" readings-pg 10 2
  say "center on PostgreSQL: wake-up across replicas"; "$b/fleetreg-bench-center" wakeup-pg 200 2
  say "collector: a fleet of 1,000 over a /16 and a real center, with the /24 of 20 agents (takes ~10 min)"
  "$root/benchmarks/fleet_bench.sh" "$root/build/dev" 1000
}

cmd=${1:-}
[ -n "$cmd" ] || { sed -n '3,17p' "$0"; exit 64; }
shift
preset=ci
labels='.'
skip_labels=
skip=
attempts=
while [ $# -gt 0 ]; do
  case $1 in
    --preset) preset=${2:?--preset needs a value}; shift 2 ;;
    --labels) labels=${2:?--labels needs a value}; shift 2 ;;
    --skip-labels) skip_labels=${2:?--skip-labels needs a value}; shift 2 ;;
    --skip) skip=${2:?--skip needs a value}; shift 2 ;;
    --attempts) attempts=${2:?--attempts needs a value}; shift 2 ;;
    *) die "unknown option '$1'" ;;
  esac
done

case $cmd in
  deps) timed "packages" deps ;;
  build) timed "packages" deps; timed "build" build "$preset" ;;
  test) timed "packages" deps; timed "build" build "$preset"; timed "tests" run_tests "$preset" "$labels" "$skip_labels" "$skip" ;;
  demo) timed "packages" deps; timed "build" build dev; exec "$root/scripts/demo.sh" "$root/build/dev" ;;
  bench) timed "packages" deps; bench_deps; timed "build" build dev; run_benchmarks ;;
  *) die "unknown command '$cmd' (demo, test, deps, build, bench)" ;;
esac
