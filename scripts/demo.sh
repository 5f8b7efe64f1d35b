#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fleetreg demo: the center, a dealer account and a provisional code;
# three simulated terminals (each with its own state, snmpd and loopback
# address) read over SNMP with Net-SNMP's own tools; the collector discovers
# and registers them with the code; copies; the center requests running
# status and stores the counters. Every process started here is stopped by PID.
#
# Usage: scripts/demo.sh BUILD_DIR        (run by: scripts/dev.sh demo)
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
terminal=$build/agent_subagent/fleetreg-terminal
subagent=$build/agent_subagent/fleetreg-subagent
center=$build/center/fleetreg-center
centerctl=$build/center/fleetreg-centerctl
collector=$build/collector/fleetreg-collector
for b in "$terminal" "$subagent" "$center" "$centerctl" "$collector"; do
  [ -x "$b" ] || { echo "demo.sh: build first (scripts/dev.sh demo)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/fleetreg-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
port=${FLEETREG_DEMO_SNMP_PORT:-161}
root_oid=.1.3.6.1.4.1.8072.9999.9999.3737   # FLEETREG-TERMINAL-MIB (netSnmpPlaypen.3737)

# name | address | manufacturer | model | serial | colour | toner %
fleet=(
  "mfp1|127.0.77.1|Konica Minolta|bizhub C300i|AA2J021012345|--color|83"
  "mfp2|127.0.77.2|RICOH|IM 430F|3110R820014|      |41"
  "mfp3|127.0.77.3|Kyocera Document Solutions|TASKalfa 2554ci|W2D8303202|--color|12"
)

center_port=${FLEETREG_DEMO_CENTER_PORT:-8080}
step "1. The center (fleetreg-center on 127.0.0.1:$center_port, plain HTTP for the demo only)"
cat >"$work/center.conf" <<CONF
[center]
listen = http://127.0.0.1:$center_port
allow_plain_http = yes
database = $work/center/center.db
secret_file = $work/center/center.secret
CONF
mkdir -p "$work/center"
"$center" -c "$work/center.conf" >"$work/center.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$center_port") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$center_port") 2>/dev/null || { echo "the center did not start:" >&2; cat "$work/center.log" >&2; exit 1; }
echo "center pid ${pids[-1]}"
echo "A serviceperson's dealer account:"
echo 'demo-password-1' | "$centerctl" -c "$work/center.conf" account add dealer-demo 2>/dev/null
echo "A provisional code for the authorized user (the customer):"
"$centerctl" -c "$work/center.conf" code issue --dealer dealer-demo --customer "Müller Büro GmbH" --contact "Frau Müller" 2>/dev/null >"$work/code.txt"
sed 's/^/    /' "$work/code.txt"
code=$(head -1 "$work/code.txt")
echo "(The center keeps only a keyed hash of the code.)"

step "2. Three simulated terminals (fleetreg-terminal init, then some office work)"
for t in "${fleet[@]}"; do
  IFS='|' read -r name addr maker model serial color toner <<<"$t"
  color=${color// /}
  "$terminal" -s "$work/$name" init --manufacturer "$maker" --model "$model" --serial "$serial" \
      --firmware 1.0 --uuid auto --toner "$toner" $color
  "$terminal" -s "$work/$name" copy --sheets $(( RANDOM % 400 + 100 )) >/dev/null
  "$terminal" -s "$work/$name" print --sheets $(( RANDOM % 900 + 100 )) --duplex >/dev/null
  [ -z "$color" ] || "$terminal" -s "$work/$name" print --sheets $(( RANDOM % 300 + 50 )) --color >/dev/null
  "$terminal" -s "$work/$name" scan --images $(( RANDOM % 50 + 1 )) >/dev/null
done

step "3. One snmpd (AgentX master) and one fleetreg-subagent per terminal, on its own loopback address"
for t in "${fleet[@]}"; do
  IFS='|' read -r name addr _ <<<"$t"
  mkdir -p "$work/$name-snmpd/persistent"
  cat >"$work/$name-snmpd/snmpd.conf" <<CONF
master agentx
agentXSocket unix:$work/$name-snmpd/agentx.sock
agentXPerms 0600 0700
rocommunity public 127.0.0.0/8
dontLogTCPWrappersConnects yes
CONF
  MIBS= SNMP_PERSISTENT_DIR="$work/$name-snmpd/persistent" \
    snmpd -f -LOn -C -I -smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition \
    -c "$work/$name-snmpd/snmpd.conf" "udp:$addr:$port" >"$work/$name-snmpd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -S "$work/$name-snmpd/agentx.sock" ] && break; sleep 0.1; done
  [ -S "$work/$name-snmpd/agentx.sock" ] || { echo "snmpd for $name did not start (udp:$addr:$port):" >&2; cat "$work/$name-snmpd.log" >&2; exit 1; }
  "$subagent" -s "$work/$name" -x "$work/$name-snmpd/agentx.sock" >"$work/$name-subagent.log" 2>&1 &
  pids+=($!)
  echo "$name: snmpd pid ${pids[-2]} on udp:$addr:$port, fleetreg-subagent pid ${pids[-1]}"
done

get() { MIBS= snmpget -v2c -c public -Oqv -t 1 -r 2 "$1:$port" "$2" 2>/dev/null | tr -d '"'; }
for t in "${fleet[@]}"; do
  IFS='|' read -r name addr _ <<<"$t"
  for _ in $(seq 100); do [ -n "$(get "$addr" $root_oid.1.1.3.0)" ] && break; sleep 0.1; done
done

show() {
  local addr=$1
  printf '  %-13s %s %s\n' "identity" "$(get "$addr" $root_oid.1.1.1.0)" "$(get "$addr" $root_oid.1.1.2.0)"
  printf '  %-13s %s (Printer-MIB prtGeneralSerialNumber: %s)\n' "serial" \
      "$(get "$addr" $root_oid.1.1.3.0)" "$(get "$addr" .1.3.6.1.2.1.43.5.1.1.17.1)"
  printf '  %-13s %12s %12s %12s %12s\n' "counters" impressions mono colour sheets
  for svc in 4:copy 11:print 12:scan 3:total; do
    local i=${svc%%:*}
    printf '  %-13s %12s %12s %12s %12s\n' "  ${svc#*:}" "$(get "$addr" $root_oid.1.2.1.1.3.$i)" \
        "$(get "$addr" $root_oid.1.2.1.1.4.$i)" "$(get "$addr" $root_oid.1.2.1.1.5.$i)" "$(get "$addr" $root_oid.1.2.1.1.6.$i)"
  done
  printf '  %-13s %s\n' "life count" "$(get "$addr" .1.3.6.1.2.1.43.10.2.1.4.1.1) impressions (Printer-MIB prtMarkerLifeCount)"
  printf '  supplies\n'
  MIBS= snmpwalk -v2c -c public -Oqv "$addr:$port" $root_oid.1.3.1.1.3 2>/dev/null | tr -d '"' >"$work/descr"
  local i=1
  while read -r descr; do
    local pct
    pct=$(get "$addr" $root_oid.1.3.1.1.7.$i)
    case $pct in -3) pct="some remaining" ;; -2) pct="unknown" ;; *) pct="$pct %" ;; esac
    printf '    %-18s %s\n' "$descr" "$pct"
    i=$((i + 1))
  done <"$work/descr"
}

step "4. What a manager reads over SNMP (snmpget/snmpwalk -v2c, numeric OIDs)"
for t in "${fleet[@]}"; do
  IFS='|' read -r name addr _ <<<"$t"
  echo "$name at $addr:"
  show "$addr"
done

step "5. A copy job on mfp1: fleetreg-terminal copy --sheets 5"
before=$(get 127.0.77.1 $root_oid.1.2.1.1.3.4)
"$terminal" -s "$work/mfp1" copy --sheets 5
for _ in $(seq 50); do [ "$(get 127.0.77.1 $root_oid.1.2.1.1.3.4)" != "$before" ] && break; sleep 0.1; done
echo "copy impressions over SNMP: $before -> $(get 127.0.77.1 $root_oid.1.2.1.1.3.4)"
echo "prtMarkerLifeCount:          $(get 127.0.77.1 .1.3.6.1.2.1.43.10.2.1.4.1.1)"

step "6. The standard Printer-MIB of mfp1 (serial, life count, toner levels), as any SNMP tool sees it"
MIBS= snmpwalk -v2c -c public -On "127.0.77.1:$port" .1.3.6.1.2.1.43 >"$work/walk"
grep -E '\.43\.5\.1\.1\.17\.|\.43\.10\.2\.1\.4\.|\.43\.11\.1\.1\.(6|9)\.' "$work/walk"

step "7. The collector finds the terminals (SNMP) and registers them with the code"
cat >"$work/collector.conf" <<CONF
[collector]
state_dir = $work/collector
name = demo-collector
[center]
url = http://127.0.0.1:$center_port
allow_plain_http = yes
[snmp]
targets = udp:127.0.77.1:$port, udp:127.0.77.2:$port, udp:127.0.77.3:$port
[mdns]
# The demo's fleet is on loopback; printers on this machine's real LAN stay out.
enabled = no
[run]
wait = 5s
CONF
echo "The serviceperson types the code once: fleetreg-collector register --code $code"
"$collector" -c "$work/collector.conf" register --code "$code" 2>"$work/register.err" | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || { cat "$work/register.err" >&2; exit 1; }
echo "The credential is kept by the collector (mode $(stat -c %a "$work/collector/credential")), never shown."

step "8. The center's view: the formal registration"
"$centerctl" -c "$work/center.conf" site list 2>/dev/null | sed 's/^/    /'
site=$("$centerctl" -c "$work/center.conf" site list 2>/dev/null | sed -n 2p | cut -c1-36)
"$centerctl" -c "$work/center.conf" terminal list --site "$site" 2>/dev/null | sed 's/^/    /'

step "9. Copies on two terminals, then the center requests running status"
"$terminal" -s "$work/mfp1" copy --sheets 25 | sed 's/^/    mfp1 /'
"$terminal" -s "$work/mfp2" copy --sheets 40 --duplex | sed 's/^/    mfp2 /'
"$collector" -c "$work/collector.conf" run >"$work/collector.log" 2>&1 &
pids+=($!)
echo "collector running (pid ${pids[-1]}), long-polling the center"
"$centerctl" -c "$work/center.conf" request --site "$site" 2>/dev/null | sed 's/^/    /'
for _ in $(seq 100); do
  "$centerctl" -c "$work/center.conf" requests --site "$site" 2>/dev/null | grep -q "answered 20" && break
  sleep 0.2
done

step "10. Counters and toner as the center stored them"
"$centerctl" -c "$work/center.conf" readings --site "$site" 2>/dev/null | sed 's/^/    /'
"$centerctl" -c "$work/center.conf" readings --site "$site" --json 2>/dev/null >"$work/readings.json"
python3 - "$work/readings.json" <<'PY'
import json, sys
print("    answering the center's request:")
for r in json.load(open(sys.argv[1])):
    if not r.get("request_id"):
        continue
    toner = ", ".join(f"{s['description']} {s['level'] * 100 // s['max_capacity']}%"
                      for s in r.get("supplies", []) if s.get("type") == "toner" and s["max_capacity"] > 0)
    print(f"    {r['terminal']:32} copy {r['counters'].get('copy', {}).get('impressions', '-'):>6}  {toner}")
PY
"$collector" -c "$work/collector.conf" status 2>/dev/null | sed 's/^/    /'

step "11. Terminal mode: a fourth terminal registers itself, no collector"
addr4=127.0.77.4
"$terminal" -s "$work/mfp4" init --manufacturer "SHARP" --model "MX-3071" --serial 0500719X --uuid auto >/dev/null
"$terminal" -s "$work/mfp4" copy --sheets 77 >/dev/null
mkdir -p "$work/mfp4-snmpd/persistent"
{
  echo "agentXSocket unix:$work/mfp4-snmpd/agentx.sock"
  # The shipped snippet: VACM lets only the SNMPv3 authPriv panel user write
  # the registration objects.
  grep -v '^agentXSocket' "$root/packaging/snmpd/fleetreg-terminal.conf"
  echo 'createUser fleetpanel SHA-256 "demo-auth-pass" AES "demo-priv-pass"'
  echo "dontLogTCPWrappersConnects yes"
} >"$work/mfp4-snmpd/snmpd.conf"
MIBS= SNMP_PERSISTENT_DIR="$work/mfp4-snmpd/persistent" \
  snmpd -f -LOn -C -I -smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition \
  -c "$work/mfp4-snmpd/snmpd.conf" "udp:$addr4:$port" >"$work/mfp4-snmpd.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/mfp4-snmpd/agentx.sock" ] && break; sleep 0.1; done
"$subagent" -s "$work/mfp4" -x "$work/mfp4-snmpd/agentx.sock" >"$work/mfp4-subagent.log" 2>&1 &
pids+=($!)
printf '[center]\nallow_plain_http = yes\n[run]\nwait = 5s\n' >"$work/terminal.conf"
"$terminal" -c "$work/terminal.conf" -s "$work/mfp4" run >"$work/mfp4-run.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -n "$(get "$addr4" $root_oid.1.5.1.0)" ] && break; sleep 0.1; done
"$centerctl" -c "$work/center.conf" code issue --dealer dealer-demo --customer "Kanzlei Schmidt" 2>/dev/null >"$work/code4.txt"
code4=$(head -1 "$work/code4.txt")
echo "A new code for another customer: $code4"
echo "The serviceperson enters it over SNMPv3 authPriv (a v2c SET is refused by snmpd's access control):"
MIBS= snmpset -v2c -c public -t 1 -r 0 "$addr4:$port" $root_oid.1.5.3.0 s "$code4" 2>&1 | sed 's/^/    v2c: /' || true
v3=(-v3 -l authPriv -u fleetpanel -a SHA-256 -A demo-auth-pass -x AES -X demo-priv-pass -t 2 -r 1)
MIBS= snmpset "${v3[@]}" "$addr4:$port" $root_oid.1.5.2.0 s "http://127.0.0.1:$center_port" \
  $root_oid.1.5.3.0 s "$code4" 2>&1 | sed 's/^/    authPriv: /'
state_names=(? unregistered pending registering registered failed revoked)
for _ in $(seq 100); do [ "$(get "$addr4" $root_oid.1.5.1.0)" = 4 ] && break; sleep 0.2; done
echo "    frtRegState over SNMP: ${state_names[$(get "$addr4" $root_oid.1.5.1.0)]}, site $(get "$addr4" $root_oid.1.5.4.0)"
echo "    credential mode $(stat -c %a "$work/mfp4/credential") in the terminal's state directory"
site4=$(get "$addr4" $root_oid.1.5.4.0)
"$centerctl" -c "$work/center.conf" site list 2>/dev/null | sed 's/^/    /'
"$centerctl" -c "$work/center.conf" request --site "$site4" 2>/dev/null | sed 's/^/    /'
for _ in $(seq 100); do
  "$centerctl" -c "$work/center.conf" readings --site "$site4" 2>/dev/null | grep -q "request" && break
  sleep 0.2
done
"$centerctl" -c "$work/center.conf" readings --site "$site4" 2>/dev/null | sed 's/^/    /'

step "12. The dealer site"
status=$( (exec 3<>"/dev/tcp/127.0.0.1/$center_port" && printf 'GET /login HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && head -1 <&3 | tr -d '\r') 2>/dev/null || echo "?")
echo "    http://127.0.0.1:$center_port/login answered: $status;"
echo "    log in as dealer-demo / demo-password-1 (run a center by hand as shown in README.md to browse it)."

step "Done: stopping ${#pids[@]} processes by PID"
