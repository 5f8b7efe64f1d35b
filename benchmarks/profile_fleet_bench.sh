#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reading a fleet of recorded printers through the counter profiles (issue 16):
# N devices served by Debian's snmpsim (one address each, the recordings of
# tests/profiles/ in turn, each copy with its own serial), inside a private
# network namespace (loopback only). Reports, for each recording, the round
# trips `fleetreg-collector profile show` counts for one device, then the wall
# time and peak RSS of one `discover` of the whole fleet (SNMP sweep of the
# addresses, read of every answering device with the shipped profiles).
# Usage: benchmarks/profile_fleet_bench.sh BUILD_DIR [N ...]   (default N: 100 1000)
set -euo pipefail
build=${1:?usage: profile_fleet_bench.sh BUILD_DIR [N ...]}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000)
command -v snmpsimd >/dev/null || { echo "needs snmpsim (apt-get install snmpsim)" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
collector=$(cd "$build" && pwd)/collector/fleetreg-collector
[ -x "$collector" ] || { echo "no $collector: build first" >&2; exit 1; }
if [ "${FLEETREG_BENCH_IN_NETNS:-}" != 1 ]; then
  exec env FLEETREG_BENCH_IN_NETNS=1 unshare -n "$0" "$build" "${sizes[@]}"
fi
ip link set lo up
# snmpsimd drops to nobody before it binds port 161: allowed in this namespace only.
sysctl -qw net.ipv4.ip_unprivileged_port_start=0

mapfile -t recordings < <(find "$src/tests/profiles" -name '*.snmprec' | sort)
address() { echo "127.0.$((100 + $1 / 250)).$(($1 % 250 + 1))"; }

for n in "${sizes[@]}"; do
  work=$(mktemp -d /tmp/fleetreg-profile-bench.XXXXXX)
  chmod 755 "$work"
  mkdir -p "$work/data/public"
  endpoints=()
  for ((i = 0; i < n; i++)); do
    rec=${recordings[$((i % ${#recordings[@]}))]}
    # Its own serial, so that every copy is its own terminal.
    sed -E "s/^(1\.3\.6\.1\.2\.1\.43\.5\.1\.1\.17\.1\|4\|.*)$/\1-$i/" "$rec" >"$work/data/public/1.3.6.1.6.1.1.$i.snmprec"
    endpoints+=("--agent-udpv4-endpoint=$(address "$i"):161")
  done
  chmod -R a+rX "$work/data"
  start=$(date +%s.%N)
  snmpsimd --v2c-arch --data-dir="$work/data" "${endpoints[@]}" --process-user=nobody --process-group=nogroup \
    --logging-method=null >"$work/snmpsim.out" 2>&1 &
  sim=$!
  last=$(address $((n - 1)))
  printf '[snmp]\ntargets = udp:%s:161\n[mdns]\nenabled = false\n[profiles]\ndirectories = %s/profiles\n' \
    "$last" "$src" >"$work/probe.conf"
  for _ in $(seq 600); do
    "$collector" -c "$work/probe.conf" profile show "udp:$last:161" >/dev/null 2>&1 && break
    sleep 0.2
  done
  ready=$(date +%s.%N)
  echo "== $n recorded devices (snmpsim ready after $(printf '%.1f' "$(echo "$ready - $start" | bc)") s)"
  if [ "$n" = "${sizes[0]}" ]; then
    for ((i = 0; i < ${#recordings[@]} && i < n; i++)); do
      name=$(basename "$(dirname "${recordings[$i]}")")/$(basename "${recordings[$i]}" .snmprec)
      trips=$("$collector" -c "$work/probe.conf" profile show "udp:$(address "$i"):161" 2>&1 |
        sed -n 's/^read as .*, \([0-9]*\) round trips$/\1/p')
      printf '  %-48s %s round trips\n' "$name" "${trips:-?}"
    done
  fi
  # The whole fleet: a sweep of the /22 holding every address, then each read.
  printf '[snmp]\nranges = 127.0.100.0/22\ntimeout = 2s\n[mdns]\nenabled = false\n[profiles]\ndirectories = %s/profiles\n' \
    "$src" >"$work/fleet.conf"
  /usr/bin/time -f '%e %M' -o "$work/time" "$collector" -c "$work/fleet.conf" discover --json >"$work/found.json" \
    2>"$work/discover.err" || true
  read -r wall rss <"$work/time"
  found=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d), sum(1 for x in d if x.get('registrable')))" \
    "$work/found.json")
  echo "  discover: ${found% *} devices listed, ${found#* } registrable, ${wall} s wall, peak RSS $((rss / 1024)) MiB"
  kill "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
  rm -rf "$work"
done
