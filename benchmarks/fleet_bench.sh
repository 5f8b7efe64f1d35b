#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A fleet at real size (issue 18), in a private network namespace made for
# the run (nothing leaves it): N generated devices (tests/fleet/make_fleet.py,
# seed 18: half fleetreg-MIB terminals, half copies of the vendor
# recordings, 1 % slow, 1 % whose counters never answer) served by Debian's
# snmpsim, one address each, spread over 10.77.0.0/16 — a range that exists
# only inside the namespace (a local route on its loopback). Every other
# address of the /16 is DROPPED by nftables, so it times out like an absent
# host. Measures, in one run:
#   1. the /24 of today (fleetreg-bench-collector: 20 agents, unchanged);
#   2. anchors: a sequential `snmpget -t 1 -r 0` loop over a sample (100
#      answering, 10 silent addresses), extrapolated to the /16; and
#      onesixtyone's single-OID sweep of the /16 when it is installed;
#   3. `fleetreg-collector discover` of the /16 (1 s timeout, no retry): wall
#      time, sweep and read times, peak RSS, devices found;
#   4. a real fleetreg-center (plain HTTP on loopback, SQLite) whose
#      per-request terminal limit is 250: `register` of the devices found on
#      the /16, split into requests, then `run` answering one on-demand
#      request for the whole fleet (a new discovery of the /16, then the
#      reads and uploads): wall time from the request to the last reading
#      stored, SNMP requests per device (nftables counter), peak RSS of the
#      collector.
# Usage: benchmarks/fleet_bench.sh BUILD_DIR [N]   (default N: 1000)
#        FLEETREG_SWEEP_CONCURRENCY=1024 to sweep with another [snmp] sweep_concurrency
#        FLEETREG_FLEET_NO_ANCHORS=1 to leave out the /24 and the snmpget loop
#        (about 4 min; for trying a change, not for the figures)
set -euo pipefail
build=${1:?usage: fleet_bench.sh BUILD_DIR [N]}
n=${2:-1000}
for tool in snmpsimd nft snmpget curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (scripts/dev.sh deps)" >&2; exit 1; }
done
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$build" && pwd)
collector=$bin/collector/fleetreg-collector
center=$bin/center/fleetreg-center
ctl=$bin/center/fleetreg-centerctl
for b in "$collector" "$center" "$ctl"; do [ -x "$b" ] || { echo "no $b: build first" >&2; exit 1; }; done
if [ "${FLEETREG_BENCH_IN_NETNS:-}" != 1 ]; then
  exec env FLEETREG_BENCH_IN_NETNS=1 unshare -n "$0" "$@"
fi
ip link set lo up
# snmpsimd drops to nobody before it binds port 161: allowed in this namespace only.
sysctl -qw net.ipv4.ip_unprivileged_port_start=0
# The /16: every address local to this namespace's loopback, nowhere else.
ip route add local 10.77.0.0/16 dev lo

work=$(mktemp -d /tmp/fleetreg-fleet-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
secs() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(secs) - $1" | bc)"; }
# Device i at 10.77.x.y, spread over the /16.
address() { local idx=$((1 + $1 * 65)); echo "10.77.$((idx >> 8)).$((idx & 255))"; }

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
others=$(ps -eo comm= | grep -E '^(cc1plus|ninja|ctest|fleetreg-|make|snmpsimd|postgres)' | sort | uniq -c | tr -s ' \n' ' ' || true)
echo "   other build/test processes running: ${others:-none}"

anchors=$([ "${FLEETREG_FLEET_NO_ANCHORS:-}" = 1 ] && echo no || echo yes)
# 1. The /24 of today, unchanged.
if [ "$anchors" = yes ] && [ -x "$bin/benchmarks/fleetreg-bench-collector" ]; then
  echo "== /24, 20 answering (fleetreg-bench-collector)"
  "$bin/benchmarks/fleetreg-bench-collector" | sed 's/^/   /'
fi

# The fleet.
python3 "$src/tests/fleet/make_fleet.py" --count "$n" --seed 18 --out "$work/fleet" | sed 's/^/   /'
mkdir -p "$work/data/public" "$work/cache"
chown nobody:nogroup "$work/cache"
endpoints=()
addresses=()
for ((i = 0; i < n; i++)); do
  a=$(address "$i")
  addresses+=("$a")
  # Endpoint i is transport domain 1.3.6.1.6.1.1.i: its data file.
  cp "$work/fleet/$(printf '%05d' "$i").snmprec" "$work/data/public/1.3.6.1.6.1.1.$i.snmprec"
  endpoints+=("--agent-udpv4-endpoint=$a:161")
done
chmod -R a+rX "$work/data"
start=$(secs)
snmpsimd --v2c-arch --data-dir="$work/data" --cache-dir="$work/cache" "${endpoints[@]}" \
  --process-user=nobody --process-group=nogroup --logging-method=null >"$work/snmpsim.out" 2>&1 &
pids+=($!)
for ((i = 0; i < n; i += n / 10 > 0 ? n / 10 : 1)); do
  for _ in $(seq 600); do
    snmpget -v2c -c public -t 1 -r 0 -Oqv "${addresses[$i]}" 1.3.6.1.2.1.1.2.0 >/dev/null 2>&1 && break
    sleep 0.2
  done
done
echo "== $n generated devices over 10.77.0.0/16 (snmpsim ready after $(since "$start") s)"

# Silent addresses are dropped; requests to the answering ones are counted.
elements=$(printf '%s, ' "${addresses[@]}")
nft -f - <<EOF
table ip fleetbench {
  counter snmp_answering {}
  counter snmp_silent {}
  set answering { type ipv4_addr; elements = { ${elements%, } } }
  chain in {
    type filter hook input priority 0; policy accept;
    ip daddr @answering udp dport 161 counter name snmp_answering accept
    ip daddr 10.77.0.0/16 udp dport 161 counter name snmp_silent drop
  }
}
EOF
mib() { printf '%.1f' "$(echo "$1 / 1024" | bc -l)"; }
packets() { nft list counter ip fleetbench "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
reset_counters() { nft reset counters table ip fleetbench >/dev/null; }

# 2. Anchor: one snmpget at a time over a sample.
if [ "$anchors" = yes ]; then
seq_start=$(secs)
answered=0
for ((i = 0; i < 100 && i < n; i++)); do
  snmpget -v2c -c public -t 1 -r 0 -Oqv "${addresses[$i]}" 1.3.6.1.2.1.43.5.1.1.17.1 >/dev/null 2>&1 &&
    answered=$((answered + 1))
done
t_answering=$(echo "$(secs) - $seq_start" | bc)
seq_start=$(secs)
for k in $(seq 10); do snmpget -v2c -c public -t 1 -r 0 "10.77.200.$((k * 7))" 1.3.6.1.2.1.1.2.0 >/dev/null 2>&1 || true; done
t_silent=$(echo "$(secs) - $seq_start" | bc)
extrapolated=$(echo "$t_answering / 100 * $n + $t_silent / 10 * (65534 - $n)" | bc -l)
printf '== anchor: sequential snmpget -t 1 -r 0: %d of 100 answering in %.1f s, 10 silent in %.1f s; the /16 would take ~%.0f s\n' \
  "$answered" "$t_answering" "$t_silent" "$extrapolated"
# onesixtyone: one sysDescr GET to every address, as fast as it can send
# (-w 0), then it waits for the answers; it reads nothing else.
if command -v onesixtyone >/dev/null; then
  start=$(secs)
  heard=$(onesixtyone -w 0 10.77.0.0/16 public 2>/dev/null | grep -c '^10\.77\.' || true)
  echo "== anchor: onesixtyone -w 0 over the /16 (one community, sysDescr only): $heard answered in $(since "$start") s"
else
  echo "== anchor: onesixtyone not installed (scripts/dev.sh bench installs it)"
fi
fi

# 3. The /16.
concurrency=${FLEETREG_SWEEP_CONCURRENCY:-2048}
cat >"$work/sweep.conf" <<EOF
[collector]
state_dir = $work/sweep-state
[snmp]
ranges = 10.77.0.0/16
timeout = 1s
retries = 0
sweep_concurrency = $concurrency
[mdns]
enabled = no
[profiles]
directories = $src/profiles
EOF
reset_counters
/usr/bin/time -f '%e %M' -o "$work/time" "$collector" -c "$work/sweep.conf" discover --json >"$work/found.json" \
  2>"$work/discover.err" || true
read -r wall rss <"$work/time"
found=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d), sum(1 for x in d if x.get('registrable')))" \
  "$work/found.json")
echo "== /16 sweep, $n answering, 1 s timeout, no retry, sweep_concurrency $concurrency"
echo "   discover: ${wall} s wall (target <= 70 s), peak RSS $(mib "$rss") MiB (target <= 32 MiB)"
grep -E '^(probed|read) ' "$work/discover.err" | sed 's/^/   /'
echo "   devices listed ${found% *}, registrable ${found#* }; SNMP requests: $(packets snmp_answering) to answering, $(packets snmp_silent) to silent addresses"

# 4. A real center: registration split under its limit, one request for the whole fleet.
port=18443
cat >"$work/center.conf" <<EOF
[center]
listen = http://127.0.0.1:$port
allow_plain_http = yes
database = $work/center.db
secret_file = $work/center.secret
[limits]
max_terminals_per_registration = 250
EOF
"$ctl" -c "$work/center.conf" key init >/dev/null 2>>"$work/ctl.log"
echo 'a-long-password-1' | "$ctl" -c "$work/center.conf" account add bench-dealer >/dev/null 2>>"$work/ctl.log"
code=$("$ctl" -c "$work/center.conf" code issue --dealer bench-dealer --customer "Big Site Ltd" 2>>"$work/ctl.log" | head -1)
token=$("$ctl" -c "$work/center.conf" token issue bench-monitor 2>>"$work/ctl.log" | head -1)
"$center" -c "$work/center.conf" >"$work/center.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
stored() {
  curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" |
    sed -n 's/^fleetreg_readings_stored_total \([0-9]*\).*/\1/p'
}
cat >"$work/site.conf" <<EOF
[collector]
state_dir = $work/site-state
name = bench-collector
[center]
url = http://127.0.0.1:$port
allow_plain_http = yes
[snmp]
ranges = 10.77.0.0/16
timeout = 1s
retries = 0
sweep_concurrency = $concurrency
[mdns]
enabled = no
[profiles]
directories = $src/profiles
[run]
wait = 5s
read_interval = 24h
EOF
/usr/bin/time -f '%e %M' -o "$work/time" "$collector" -c "$work/site.conf" register --code "$code" \
  >"$work/register.out" 2>"$work/register.err" || { cat "$work/register.err" >&2; exit 1; }
read -r wall rss <"$work/time"
site=$("$ctl" -c "$work/center.conf" site list | sed -n 2p | cut -c1-36)
registered=$("$ctl" -c "$work/center.conf" terminal list --site "$site" | grep -c . || true)
echo "== a real center, [limits] max_terminals_per_registration = 250"
echo "   register: ${wall} s wall (discover of the /16 + registration), peak RSS $(mib "$rss") MiB; $(grep -o 'registered [0-9]* terminals' "$work/register.out")"
echo "   center: $(grep -c 'registered site=' "$work/center.log") registration of $(grep -o ' terminals=[0-9]*' "$work/center.log" | head -1 | cut -d= -f2) terminals, the rest added with its credential; $registered terminals at the site"

# The collector's own first read, then one request for the whole fleet.
"$collector" -c "$work/site.conf" run >"$work/run.log" 2>&1 &
run_pid=$!
pids+=("$run_pid")
for _ in $(seq 1200); do [ "$(stored)" -ge "$registered" ] 2>/dev/null && break; sleep 0.5; done
before=$(stored)
reset_counters
t0=$(secs)
"$ctl" -c "$work/center.conf" request --site "$site" >/dev/null
for _ in $(seq 2400); do [ "$(stored)" -ge $((before + registered)) ] 2>/dev/null && break; sleep 0.25; done
t_request=$(since "$t0")
after=$(stored)
snmp=$(packets snmp_answering)
hwm=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$run_pid/status")
echo "   one request for the fleet: $((after - before)) readings stored $t_request s after it was queued"
printf '   SNMP requests per device read: %.1f (%d to %d devices; the sweep of the /16 included); collector run peak RSS %s MiB (target <= 32 MiB)\n' \
  "$(echo "$snmp / $registered" | bc -l)" "$snmp" "$registered" "$(mib "$hwm")"
