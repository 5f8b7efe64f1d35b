#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fleetreg demo: the whole flow on this machine, with the fleet in a
# private network namespace (only lo; nothing reaches the real network):
#   the center, a dealer account and a provisional code; three fleetreg
#   terminals (snmpd + fleetreg-subagent, announced over mDNS), a printer that
#   speaks only RFC 3805 and an IPP printer (ippeveprinter), with their own
#   dbus-daemon and avahi-daemon; the collector discovers and registers them
#   with the code; copies; the center requests running status and stores the
#   counters and toner levels; a fourth terminal registers itself (terminal
#   mode). It ends with the dealer site reachable on this machine's loopback
#   through a forwarder, and keeps running until stopped.
#
# Usage: scripts/demo.sh BUILD_DIR     run it (scripts/dev.sh demo does)
#        scripts/demo.sh stop          stop every process it started, by PID
# Environment: FLEETREG_DEMO_PORT (loopback port of the dealer site, 8080).
set -euo pipefail

ns=fleetreg-demo
work=/tmp/fleetreg-demo
site_port=${FLEETREG_DEMO_PORT:-8080}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self=$root/scripts/demo.sh

say() { printf '%s\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The start time of a process (field 22 of /proc/PID/stat): with the PID it
# names that process only, even after the PID is reused.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# Starts a daemon in its own session (it outlives this script), logs to
# $work/NAME.log and records its PID and start time for `demo.sh stop`.
daemon() {
  local name=$1
  shift
  setsid "$@" >"$work/$name.log" 2>&1 </dev/null &
  last_pid=$!
  echo "$last_pid $(start_time $last_pid) $name" >>"$work/pids"
}

stop() {
  local n=0 pid started name
  # Only processes that are still the ones the demo started.
  ours() { [ -n "$2" ] && [ "$(start_time "$1")" = "$2" ]; }
  if [ -f "$work/pids" ]; then
    while read -r pid started name; do
      if ours "$pid" "$started"; then kill "$pid" 2>/dev/null && n=$((n + 1)) || true; fi
    done <"$work/pids"
    # Not our children: wait until each is gone, then insist.
    for _ in $(seq 50); do
      local alive=0
      while read -r pid started name; do ours "$pid" "$started" && alive=1; done <"$work/pids"
      [ $alive = 0 ] && break
      sleep 0.1
    done
    while read -r pid started name; do
      if ours "$pid" "$started"; then kill -KILL "$pid" 2>/dev/null && say "killed $name ($pid)" || true; fi
    done <"$work/pids"
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
  say "demo stopped ($n processes, network namespace $ns removed)"
}

wait_tcp() {  # ADDRESS PORT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# ---------------------------------------------------------------------------
# Inside the namespace (own mount namespace: private /run/dbus and
# /run/avahi-daemon, so the system's D-Bus and Avahi are never touched).
inside() {
  local build=$1
  local terminal=$build/agent_subagent/terminal_mode/fleetreg-terminal
  local subagent=$build/agent_subagent/subagent/fleetreg-subagent
  local center=$build/center/fleetreg-center
  local centerctl=$build/center/fleetreg-centerctl
  local collector=$build/collector/fleetreg-collector
  local root_oid=.1.3.6.1.4.1.8072.9999.9999.3737   # FLEETREG-TERMINAL-MIB (netSnmpPlaypen.3737)
  mount -t tmpfs -o mode=755 tmpfs /run/dbus
  mount -t tmpfs -o mode=755 tmpfs /run/avahi-daemon
  if ip -o link | grep -v ': lo:' | grep -q .; then die "refusing to run Avahi: the namespace has an interface other than lo"; fi

  step "1. The center, inside the fleet's private network (plain HTTP for the demo only)"
  cat >"$work/center.conf" <<CONF
[center]
listen = http://127.0.0.1:8080
allow_plain_http = yes
database = $work/center/center.db
secret_file = $work/center/center.secret
CONF
  mkdir -p "$work/center"
  # The server key that provisional codes are hashed with: made once, explicitly.
  "$centerctl" -c "$work/center.conf" key init >/dev/null
  daemon center "$center" -c "$work/center.conf"
  wait_tcp 127.0.0.1 8080 || { cat "$work/center.log" >&2; die "the center did not start"; }
  say "fleetreg-center pid $last_pid on 127.0.0.1:8080 (namespace $ns)"
  ctl() { "$centerctl" -c "$work/center.conf" "$@" 2>>"$work/centerctl.log"; }
  say "A serviceperson's dealer account: dealer-demo"
  echo 'demo-password-1' | ctl account add dealer-demo >/dev/null
  say "A provisional code for the authorized user (the customer), as the dealer site shows it once:"
  ctl code issue --dealer dealer-demo --customer "Müller Büro GmbH" --contact "Frau Müller" >"$work/code.txt"
  sed 's/^/    /' "$work/code.txt"
  local code
  code=$(head -1 "$work/code.txt")
  say "(The center keeps only a keyed hash of the code; it expires in 7 days.)"

  step "2. The fleet: three fleetreg terminals, an RFC 3805-only printer, an IPP printer"
  # Private D-Bus system bus and Avahi on lo (the namespace has nothing else).
  cat >"$work/dbus.conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
  cat >"$work/avahi-daemon.conf" <<'CONF'
[server]
host-name=fleetreg-demo
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-workstation=no
publish-hinfo=no
CONF
  daemon dbus-daemon dbus-daemon --config-file="$work/dbus.conf" --nofork --nopidfile
  for _ in $(seq 50); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.1; done
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
  daemon avahi-daemon avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$work/avahi-daemon.conf"
  for _ in $(seq 100); do grep -q "Server startup complete" "$work/avahi-daemon.log" && break; sleep 0.1; done
  grep -q "Server startup complete" "$work/avahi-daemon.log" || { cat "$work/avahi-daemon.log" >&2; die "avahi-daemon did not start"; }
  say "dbus-daemon and avahi-daemon (mDNS on the namespace's lo only)"

  # name | address | manufacturer | model | serial | colour | toner % | sysObjectID | sysDescr ("" = derived)
  # sysObjectIDs under each vendor's enterprise number and the prefix its
  # devices answer with (Konica Minolta .18334.1.1.1.2, Ricoh .367.1.1,
  # Kyocera .1347.41; shared/design/VENDOR-COUNTERS.md); the model arcs
  # after a family prefix are illustrative.
  local fleet=(
    "mfp1|127.0.77.1|Konica Minolta|bizhub C300i|AA2J021012345|--color|83|1.3.6.1.4.1.18334.1.1.1.2.1.96.1|"
    "mfp2|127.0.77.2|RICOH|IM 430F|3110R820014||41|1.3.6.1.4.1.367.1.1|RICOH IM 430F 1.0 / RICOH Network Printer C model / RICOH Network Scanner C model / RICOH Network Facsimile C model"
    "mfp3|127.0.77.3|Kyocera Document Solutions|TASKalfa 2554ci|W2D8303202|--color|12|1.3.6.1.4.1.1347.41|"
  )
  local t name addr maker model serial color toner sysoid sysdescr
  for t in "${fleet[@]}"; do
    IFS='|' read -r name addr maker model serial color toner sysoid sysdescr <<<"$t"
    "$terminal" -s "$work/$name" init --manufacturer "$maker" --model "$model" --serial "$serial" \
        --firmware 1.0 --uuid auto --toner "$toner" $color --sys-object-id "$sysoid" \
        ${sysdescr:+--sys-descr "$sysdescr"} --location "Müller Büro GmbH, 1st floor" >/dev/null
    # The system group snmpd serves (sysObjectID, sysDescr, sysName, ...).
    "$terminal" -s "$work/$name" snmpd-config --output "$work/$name-identity.conf"
    "$terminal" -s "$work/$name" copy --sheets $((RANDOM % 400 + 100)) >/dev/null
    "$terminal" -s "$work/$name" print --sheets $((RANDOM % 900 + 100)) --duplex >/dev/null
    [ -z "$color" ] || "$terminal" -s "$work/$name" print --sheets $((RANDOM % 300 + 50)) --color >/dev/null
    "$terminal" -s "$work/$name" scan --images $((RANDOM % 50 + 1)) >/dev/null
    start_snmpd "$name" "$addr" "includeFile $work/$name-identity.conf"
    daemon "$name-subagent" "$subagent" -s "$work/$name" -x "$work/$name-snmpd/agentx.sock"
    local sub=$last_pid
    daemon "$name-announce" "$terminal" -s "$work/$name" announce --host-name "$name" --address "$addr"
    say "$name  $maker $model ($serial): snmpd on udp:$addr:161, fleetreg-subagent pid $sub, announced as $name.local"
  done
  # A printer without the fleetreg MIB: Printer-MIB and HOST-RESOURCES only,
  # presenting itself as an HP LaserJet (HP's enterprise 11, JetDirect's
  # sysObjectID and sysDescr form).
  start_snmpd lj1 127.0.77.9 'sysObjectID .1.3.6.1.4.1.11.2.3.9.1
sysDescr HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24020011,CIDATE 02/13/2020
sysName NPI3A5F21
override .1.3.6.1.2.1.25.3.2.1.2.1 object_id .1.3.6.1.2.1.25.3.1.5
override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str "HP LaserJet M404dn"
override .1.3.6.1.2.1.43.5.1.1.17.1 octet_str "PHBQA12345"
override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter 48211'
  say "lj1   HP LaserJet M404dn (PHBQA12345): RFC 3805 only, snmpd on udp:127.0.77.9:161, not announced"
  # An IPP Everywhere printer (ippeveprinter, CUPS' reference printer).
  cat >"$work/ipp.attrs" <<'CONF'
ATTR text printer-make-and-model "Brother HL-L8360CDW"
ATTR text printer-device-id "MFG:Brother;MDL:HL-L8360CDW;CMD:PDF;SN:E78123K0N456789;"
ATTR integer printer-impressions-completed 9120
ATTR integer printer-impressions-completed-col 2210
ATTR integer printer-media-sheets-completed 8460
ATTR octetString printer-supply "index=1;class=supplyThatIsConsumed;type=toner;unit=percent;maxcapacity=100;level=9;colorantname=black;"
ATTR textWithoutLanguage printer-supply-description "Black Toner"
CONF
  mkdir -p "$work/ipp-spool"
  daemon ippeveprinter ippeveprinter -n localhost -p 8631 -d "$work/ipp-spool" -a "$work/ipp.attrs" "Front Desk Printer"
  wait_tcp 127.0.0.1 8631 || { cat "$work/ippeveprinter.log" >&2; die "ippeveprinter did not start"; }
  say "ipp1  Brother HL-L8360CDW (E78123K0N456789): ippeveprinter on ipp://localhost:8631, announced over mDNS"

  get() { MIBS= snmpget -v2c -c public -Oqv -t 1 -r 2 "$1:161" "$2" 2>/dev/null | tr -d '"'; }
  getn() { MIBS= snmpget -v2c -c public -Oqvn -t 1 -r 2 "$1:161" "$2" 2>/dev/null; }  # OIDs numerically
  for t in "${fleet[@]}"; do
    IFS='|' read -r name addr _ <<<"$t"
    for _ in $(seq 100); do [ -n "$(get "$addr" $root_oid.1.1.3.0)" ] && break; sleep 0.1; done
  done

  step "3. What any SNMP manager reads (Net-SNMP's snmpget, numeric OIDs)"
  printf '    %-5s %-28s %-15s %8s %8s %8s  %s\n' "" terminal serial copy print total "prtMarkerLifeCount"
  for t in "${fleet[@]}"; do
    IFS='|' read -r name addr _ <<<"$t"
    printf '    %-5s %-28s %-15s %8s %8s %8s  %s\n' "$name" \
      "$(get "$addr" $root_oid.1.1.1.0 | cut -d' ' -f1) $(get "$addr" $root_oid.1.1.2.0)" "$(get "$addr" $root_oid.1.1.3.0)" \
      "$(get "$addr" $root_oid.1.2.1.1.3.4)" "$(get "$addr" $root_oid.1.2.1.1.3.11)" "$(get "$addr" $root_oid.1.2.1.1.3.3)" \
      "$(get "$addr" .1.3.6.1.2.1.43.10.2.1.4.1.1)"
  done
  printf '    %-5s %-28s %-15s %8s %8s %8s  %s\n' lj1 "$(get 127.0.77.9 .1.3.6.1.2.1.25.3.2.1.3.1)" \
    "$(get 127.0.77.9 .1.3.6.1.2.1.43.5.1.1.17.1)" - - - "$(get 127.0.77.9 .1.3.6.1.2.1.43.10.2.1.4.1.1)"
  say "    What an inventory tool sees first (sysObjectID, sysDescr; hrDeviceType.1):"
  for a in 127.0.77.1 127.0.77.2 127.0.77.3 127.0.77.9; do
    say "      $a  $(getn $a .1.3.6.1.2.1.1.2.0)  $(get $a .1.3.6.1.2.1.1.1.0 | cut -c1-60)  $(getn $a .1.3.6.1.2.1.25.3.2.1.2.1)"
  done
  say "    PWG Imaging System Counter MIB on mfp1 (icImpressionTotalImps.<key>.workTotals.lifetime;"
  say "    keys 1 system totals, 2 copy, 3 print): $(get 127.0.77.1 .1.3.6.1.4.1.2699.1.3.1.8.1.1.4.1.3.3)" \
    "$(get 127.0.77.1 .1.3.6.1.4.1.2699.1.3.1.8.1.1.4.2.3.3) $(get 127.0.77.1 .1.3.6.1.4.1.2699.1.3.1.8.1.1.4.3.3.3)"

  step "4. The collector discovers the fleet (mDNS, an SNMP sweep of 127.0.77.0/28, IPP)"
  cat >"$work/collector.conf" <<CONF
[collector]
state_dir = $work/collector
name = demo-collector
[center]
url = http://127.0.0.1:8080
allow_plain_http = yes
[snmp]
ranges = 127.0.77.0/28
timeout = 500ms
[mdns]
browse_time = 2s
[run]
wait = 5s
CONF
  "$collector" -c "$work/collector.conf" discover 2>/dev/null | sed 's/^/    /'

  step "5. The serviceperson types the code once: fleetreg-collector register --code $code"
  "$collector" -c "$work/collector.conf" register --code "$code" >"$work/register.out" 2>"$work/register.err" ||
    { cat "$work/register.err" >&2; die "registration failed"; }
  tail -1 "$work/register.out" | sed 's/^/    /'
  say "    the formal credential stays with the collector (mode $(stat -c %a "$work/collector/credential")), never shown"

  step "6. The center's view: the formal registration"
  ctl site list | sed 's/^/    /'
  local site
  site=$(ctl site list | sed -n 2p | cut -c1-36)
  ctl terminal list --site "$site" | sed 's/^/    /'

  step "7. Copies on two terminals; the center requests running status"
  "$terminal" -s "$work/mfp1" copy --sheets 25 | sed 's/^/    mfp1: /'
  "$terminal" -s "$work/mfp2" copy --sheets 40 --duplex | sed 's/^/    mfp2: /'
  daemon collector "$collector" -c "$work/collector.conf" run
  say "    fleetreg-collector run (pid $last_pid) long-polls the center"
  ctl request --site "$site" | sed 's/^/    /'
  for _ in $(seq 100); do ctl requests --site "$site" | grep -q "answered 20" && break; sleep 0.2; done
  ctl requests --site "$site" | grep -q "answered 20" || die "the request was not answered"

  step "8. New counters and toner levels at the center"
  ctl readings --site "$site" --json >"$work/readings.json"
  python3 - "$work/readings.json" <<'PY'
import json, sys
latest = {}
for r in json.load(open(sys.argv[1])):
    if r.get("request_id") and r["terminal"] not in latest:
        latest[r["terminal"]] = r
print(f"    {'terminal':34} {'copy':>6} {'total':>7}  toner")
for key, r in sorted(latest.items()):
    c = r["counters"]
    toner = ", ".join(f"{s['description']} {s['level'] * 100 // s['max_capacity']}%"
                      for s in r.get("supplies", []) if s.get("type") == "toner" and s.get("max_capacity", 0) > 0)
    print(f"    {key:34} {c.get('copy', {}).get('impressions', '-'):>6} {c.get('total', {}).get('impressions', '-'):>7}  {toner}")
PY

  step "9. Terminal mode: a fourth terminal registers itself, no collector"
  local addr4=127.0.77.4
  "$terminal" -s "$work/mfp4" init --manufacturer SHARP --model MX-3071 --serial 0500719X --uuid auto \
    --sys-object-id 1.3.6.1.4.1.2385.3.1.112.1.2 >/dev/null  # Sharp MX family prefix .2385.3.1
  "$terminal" -s "$work/mfp4" snmpd-config --output "$work/mfp4-identity.conf"
  "$terminal" -s "$work/mfp4" copy --sheets 77 >/dev/null
  # The shipped snippet: VACM lets only the SNMPv3 authPriv panel user write
  # the two registration objects.
  start_snmpd mfp4 $addr4 "$(grep -vE '^(agentXSocket|agentXPerms|master)' "$root/packaging/snmpd/fleetreg-terminal.conf")
createUser fleetpanel SHA-256 \"demo-auth-pass\" AES \"demo-priv-pass\"
includeFile $work/mfp4-identity.conf"
  daemon mfp4-subagent "$subagent" -s "$work/mfp4" -x "$work/mfp4-snmpd/agentx.sock"
  printf '[center]\nallow_plain_http = yes\n[run]\nwait = 5s\n' >"$work/terminal.conf"
  daemon mfp4-run "$terminal" -c "$work/terminal.conf" -s "$work/mfp4" run
  for _ in $(seq 100); do [ -n "$(get $addr4 $root_oid.1.5.1.0)" ] && break; sleep 0.1; done
  local code4
  code4=$(ctl code issue --dealer dealer-demo --customer "Kanzlei Schmidt" | head -1)
  say "    a code for another customer: $code4"
  say "    entered over SNMP v2c (refused by snmpd's access control), then SNMPv3 authPriv:"
  MIBS= snmpset -v2c -c public -t 1 -r 0 "$addr4:161" $root_oid.1.5.3.0 s "$code4" 2>&1 | sed 's/^/      v2c: /' || true
  MIBS= snmpset -v3 -l authPriv -u fleetpanel -a SHA-256 -A demo-auth-pass -x AES -X demo-priv-pass -t 2 -r 1 \
    "$addr4:161" $root_oid.1.5.2.0 s "http://127.0.0.1:8080" $root_oid.1.5.3.0 s "$code4" 2>&1 |
    sed 's/^/      authPriv: /'
  local state_names=(? unregistered pending registering registered failed revoked)
  for _ in $(seq 100); do [ "$(get $addr4 $root_oid.1.5.1.0)" = 4 ] && break; sleep 0.2; done
  [ "$(get $addr4 $root_oid.1.5.1.0)" = 4 ] || { tail -5 "$work/mfp4-run.log" >&2; die "terminal mode did not register"; }
  local site4
  site4=$(get $addr4 $root_oid.1.5.4.0)
  say "    frtRegState: ${state_names[$(get $addr4 $root_oid.1.5.1.0)]}, site $site4; credential mode $(stat -c %a "$work/mfp4/credential")"
  ctl request --site "$site4" >/dev/null
  for _ in $(seq 100); do ctl requests --site "$site4" | grep -q "answered 20" && break; sleep 0.2; done
  ctl readings --site "$site4" --limit 1 | sed 's/^/    /'

  # The dealer site, for the forwarder in the main namespace.
  daemon site-forwarder-inside socat "UNIX-LISTEN:$work/site.sock,fork,mode=600" TCP:127.0.0.1:8080
  for _ in $(seq 50); do [ -S "$work/site.sock" ] && break; sleep 0.1; done
}

# start_snmpd NAME ADDRESS EXTRA_CONFIG: snmpd as AgentX master on ADDRESS:161.
start_snmpd() {
  local name=$1 addr=$2 extra=$3 dir=$work/$1-snmpd
  mkdir -p "$dir/persistent"
  {
    echo "master agentx"
    echo "agentXSocket unix:$dir/agentx.sock"
    echo "agentXPerms 0600 0700"
    echo "rocommunity public 127.0.0.0/8"
    echo "dontLogTCPWrappersConnects yes"
    [ -z "$extra" ] || printf '%s\n' "$extra"
  } >"$dir/snmpd.conf"
  daemon "$name-snmpd" env MIBS= SNMP_PERSISTENT_DIR="$dir/persistent" \
    snmpd -f -LOn -C -I -smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition \
    -c "$dir/snmpd.conf" "udp:$addr:161"
  for _ in $(seq 50); do [ -S "$dir/agentx.sock" ] && break; sleep 0.1; done
  [ -S "$dir/agentx.sock" ] || { cat "$work/$name-snmpd.log" >&2; die "snmpd $name did not start"; }
}

# ---------------------------------------------------------------------------
case ${1:-} in
  stop) stop; exit 0 ;;
  --inside) inside "$2"; exit 0 ;;
  ""|-h|--help) sed -n '3,16p' "$self"; exit 64 ;;
esac

build=$(cd "$1" && pwd) || die "no build directory $1"
for b in agent_subagent/terminal_mode/fleetreg-terminal agent_subagent/subagent/fleetreg-subagent center/fleetreg-center \
         center/fleetreg-centerctl collector/fleetreg-collector; do
  [ -x "$build/$b" ] || die "build first (scripts/dev.sh demo)"
done
[ "$(id -u)" = 0 ] || die "run as root (network namespace, private mounts)"
for p in socat avahi-daemon dbus-daemon ippeveprinter snmpd snmpget python3; do
  command -v "$p" >/dev/null || die "$p is missing (scripts/dev.sh deps installs it)"
done
if [ -e "$work" ] || ip netns list | grep -qw "$ns"; then
  say "stopping the previous demo first"
  stop
fi
(exec 3<>"/dev/tcp/127.0.0.1/$site_port") 2>/dev/null &&
  die "127.0.0.1:$site_port is in use; set FLEETREG_DEMO_PORT to a free port"

mkdir -p "$work" /run/dbus /run/avahi-daemon
: >"$work/pids"
started=$SECONDS
ok=
# On failure: the end of every log, then stop (which deletes them).
failed() {
  echo "demo.sh: failed; the logs' last lines, then stopping what it started:" >&2
  for log in "$work"/*.log; do [ -s "$log" ] && { echo "--- $log"; tail -5 "$log"; } >&2; done
  stop >&2
}
trap '[ -n "$ok" ] || failed' EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up
say "the fleet's network: namespace $ns (only lo; nothing leaves it)"
ip netns exec "$ns" unshare --mount --propagation private -- "$self" --inside "$build"

step "10. The dealer site"
daemon site-forwarder socat "TCP-LISTEN:$site_port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$work/site.sock"
wait_tcp 127.0.0.1 "$site_port" || die "the loopback forwarder did not start"
status=$( (exec 3<>"/dev/tcp/127.0.0.1/$site_port" &&
           printf 'GET /login HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && head -1 <&3 | tr -d '\r') 2>/dev/null || echo "no answer")
case $status in *" 200"*) ;; *) die "the dealer site did not answer through the forwarder: $status" ;; esac
ok=1
say "    http://127.0.0.1:$site_port/   (forwarded from this machine's loopback into the namespace)"
say "    log in as dealer-demo, password demo-password-1"
say "    the center's operator tool: $build/center/fleetreg-centerctl -c $work/center.conf site list"
say "    logs: $work/*.log"
say ""
say "demo ran in $((SECONDS - started)) s; $(wc -l <"$work/pids") processes keep running. Stop everything with:"
say "    $self stop"
