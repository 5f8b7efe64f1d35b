#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The packages, for real (ctest label pkg; root, Debian 12):
#   build the .debs and .rpms with CPack from BUILD_DIR; lintian with no error
#   and no warning (and no override); rpm -qpl/-qpR/-qpc; apt-get install ./*.deb; every installed
#   program's --version and -t on the shipped configuration; the installed
#   center, subagent and collector started by hand (no systemd here) as their
#   system users, one registration and one answered request; remove (data
#   kept), reinstall (data still there), purge (data gone).
# Runs in its own network namespace (only lo): nothing leaves the machine and
# fixed ports cannot clash with other tests. Every process is stopped by PID
# and the packages are purged even when a step fails.
#
# Usage: tests/pkg/pkg_test.sh BUILD_DIR
set -euo pipefail

build=$(cd "${1:?usage: pkg_test.sh BUILD_DIR}" && pwd)
[ "$(id -u)" = 0 ] || { echo "pkg_test.sh: needs root (installs packages)" >&2; exit 1; }
if [ -z "${FLEETREG_PKG_TEST_IN_NETNS:-}" ]; then
  export FLEETREG_PKG_TEST_IN_NETNS=1
  exec unshare --net -- "$0" "$@"
fi
ip link set lo up

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
parts=(center collector terminal plugins mibs)
packages=("${parts[@]/#/fleetreg-}")
work=$(mktemp -d /tmp/fleetreg-pkg.XXXXXX)
chmod 755 "$work"  # the daemons run as their own users and read their configs here
pids=()
# Left by this test only while it runs: a fleetreg installation without it
# is someone's real one, which the test must not purge.
marker=/var/lib/fleetreg-pkg-test.running
agentx_existed=
[ ! -e /var/agentx ] || agentx_existed=1

step_start=$SECONDS
step() { printf '==> [%3d s] %s\n' $((SECONDS - step_start)) "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
expect_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: '$2' not in: $1"; }

stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
installed() { dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c ' installed$' || true; }
purge_all() {
  local present=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed' && present+=("$p")
  done
  [ ${#present[@]} -eq 0 ] || apt-get -o DPkg::Lock::Timeout=300 purge -y -qq "${present[@]}" >/dev/null 2>&1 || true
}
cleanup() {
  local rc=$?
  stop_all
  purge_all
  rm -f "$marker"
  [ -n "$agentx_existed" ] || rm -rf /var/agentx
  if [ $rc != 0 ]; then
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -20 "$log"; }; done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DEBIAN_FRONTEND=noninteractive
# The packages start no service (and there is no systemd here). A run that
# was killed may have left them installed, with its marker.
if [ "$(installed "${packages[@]}")" != 0 ] && [ ! -e "$marker" ]; then
  fail "fleetreg packages are installed on this machine; the pkg test would purge them"
fi
purge_all
: >"$marker"

wait_tcp() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
user_of() { ps -o user= -p "$1" | tr -d ' '; }
# The user a process runs as once it has dropped root (it does so at start).
expect_user() {
  for _ in $(seq 50); do [ "$(user_of "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "$3: process $1 runs as '$(user_of "$1")', not $2"
}

# ---------------------------------------------------------------------------
step "building the packages (cpack -G 'DEB;RPM')"
cpack --config "$build/CPackConfig.cmake" -G "DEB;RPM" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
debs=() rpms=()
for part in "${parts[@]}"; do
  arch=$(dpkg --print-architecture) rarch=$(uname -m)
  [ "$part" != mibs ] || { arch=all; rarch=noarch; }
  debs+=("$work/out/fleetreg-${part}_${version}_${arch}.deb")
  rpms+=("$work/out/fleetreg-${part}-${version}-1.${rarch}.rpm")
done
for f in "${debs[@]}" "${rpms[@]}"; do [ -s "$f" ] || fail "missing package $f"; done
echo "    ${#debs[@]} .deb and ${#rpms[@]} .rpm, version $version"

step "lintian (no error, no warning, no override)"
lintian_rc=0
lintian --fail-on error,warning --show-overrides "${debs[@]}" >"$work/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$work/lintian.log" | sed 's/^/    /' || true
[ "$lintian_rc" = 0 ] || fail "lintian reported errors or warnings (exit $lintian_rc)"
echo "    clean"

step ".deb control: dependencies from the binaries (dpkg-shlibdeps), conffiles, scripts"
deps_of() { dpkg-deb -f "$1" Depends; }
d=$(deps_of "${debs[0]}"); for lib in libsodium23 libsqlite3-0 libssl3 libcurl4 adduser; do expect_contains "$d" "$lib" "fleetreg-center Depends"; done
# The center's HTTP server is Boost.Beast (header-only): no cpprestsdk on the server side.
! grep -qF libcpprest <<<"$d" || fail "fleetreg-center Depends still names libcpprest: $d"
d=$(deps_of "${debs[1]}"); for lib in libsnmp40 libavahi-client3 libcups2 adduser; do expect_contains "$d" "$lib" "fleetreg-collector Depends"; done
d=$(deps_of "${debs[2]}"); for lib in libsnmp40 snmpd adduser; do expect_contains "$d" "$lib" "fleetreg-terminal Depends"; done
expect_eq "$(deps_of "${debs[4]}")" "" "fleetreg-mibs Depends"
expect_eq "$(dpkg-deb -I "${debs[0]}" conffiles)" "/etc/fleetreg/center.conf" "fleetreg-center conffiles"
expect_eq "$(dpkg-deb -I "${debs[2]}" conffiles | sort | tr '\n' ' ')" \
  "/etc/fleetreg/terminal.conf /etc/snmp/snmpd.conf.d/fleetreg-terminal.conf " "fleetreg-terminal conffiles"
for i in 0 1 2; do
  for s in postinst prerm postrm; do dpkg-deb -I "${debs[$i]}" $s >/dev/null || fail "${packages[$i]} has no $s"; done
done

step "rpm -qpl / -qpR / -qpc"
rq() { rpm -qp "$@" 2>/dev/null; }
l=$(rq -l "${rpms[0]}"); for f in /usr/bin/fleetreg-center /usr/bin/fleetreg-centerctl /etc/fleetreg/center.conf \
    /usr/lib/systemd/system/fleetreg-center.service /usr/share/fleetreg/openapi.json /usr/share/man/man8/fleetreg-center.8.gz; do
  expect_contains "$l" "$f" "fleetreg-center rpm files"; done
l=$(rq -l "${rpms[2]}"); for f in /usr/bin/fleetreg-subagent /usr/bin/fleetreg-terminal /etc/snmp/snmpd.conf.d/fleetreg-terminal.conf \
    /usr/lib/systemd/system/fleetreg-subagent.service; do
  expect_contains "$l" "$f" "fleetreg-terminal rpm files"; done
# Debian's snmpd command line (user Debian-snmp) stays out of the RPM.
if grep -q snmpd.service.d <<<"$l"; then fail "the fleetreg-terminal rpm carries the Debian snmpd drop-in"; fi
expect_contains "$(dpkg-deb -c "${debs[2]}")" ./usr/lib/systemd/system/snmpd.service.d/fleetreg-terminal.conf "fleetreg-terminal deb files"
l=$(rq -l "${rpms[3]}"); for f in /usr/lib/nagios/plugins/check_fleetreg /usr/share/fleetreg/nagios/fleetreg.cfg; do
  expect_contains "$l" "$f" "fleetreg-plugins rpm files"; done
expect_contains "$(rq -l "${rpms[4]}")" /usr/share/snmp/mibs/FLEETREG-TERMINAL-MIB.txt "fleetreg-mibs rpm files"
for i in 0 1 2 3 4; do
  l=$(rq -l "${rpms[$i]}")
  if grep -qE '^/(etc|usr/lib/systemd/system|usr/share/doc|usr/share/man/man8|usr/lib/nagios/plugins)$' <<<"$l"; then
    fail "${packages[$i]} rpm owns a system directory: $(grep -E '^/(etc|usr/lib/systemd/system|usr/share/doc)$' <<<"$l")"
  fi
done
r=$(rq -R "${rpms[0]}"); for req in 'libsodium.so.23()(64bit)' 'libsqlite3.so.0()(64bit)' 'libssl.so.3()(64bit)'; do expect_contains "$r" "$req" "fleetreg-center Requires"; done
r=$(rq -R "${rpms[1]}"); for req in 'libnetsnmp.so.40()(64bit)' 'libavahi-client.so.3()(64bit)' 'libcups.so.2()(64bit)'; do expect_contains "$r" "$req" "fleetreg-collector Requires"; done
r=$(rq -R "${rpms[2]}"); for req in 'libnetsnmpagent.so.40()(64bit)' net-snmp; do expect_contains "$r" "$req" "fleetreg-terminal Requires"; done
for i in 0 1 2 3 4; do
  if rq -R "${rpms[$i]}" | grep -E '/work/|/tmp/|build/'; then fail "${packages[$i]} requires a build path"; fi
done
expect_eq "$(rq -c "${rpms[2]}" | tr '\n' ' ')" "/etc/fleetreg/terminal.conf /etc/snmp/snmpd.conf.d/fleetreg-terminal.conf " "fleetreg-terminal %config"
expect_contains "$(rq --scripts "${rpms[0]}")" "useradd -r -g fleetreg-center" "fleetreg-center %pre"
expect_contains "$(rq --changelog "${rpms[0]}")" "$version-1" "fleetreg-center rpm changelog"

# ---------------------------------------------------------------------------
step "apt-get install ./*.deb"
apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${debs[@]}" >"$work/apt-install.log" 2>&1 || { cat "$work/apt-install.log" >&2; fail "apt-get install failed"; }
expect_eq "$(installed "${packages[@]}")" 5 "installed packages"
for u in center collector terminal; do
  getent passwd "fleetreg-$u" >/dev/null || fail "no system user fleetreg-$u"
  expect_eq "$(getent passwd "fleetreg-$u" | cut -d: -f7)" /usr/sbin/nologin "fleetreg-$u shell"
done
expect_eq "$(stat -c '%U %a' /var/lib/fleetreg-center)" "fleetreg-center 700" "center state directory"
expect_eq "$(stat -c '%U %a' /var/lib/fleetreg-collector)" "fleetreg-collector 711" "collector state directory"
expect_eq "$(stat -c '%U %a' /var/lib/fleetreg-terminal)" "fleetreg-terminal 700" "terminal state directory"
expect_eq "$(stat -c '%U %a' /etc/fleetreg/center.secret)" "fleetreg-center 600" "center key"
grep -qxE '[0-9a-f]{64}' /etc/fleetreg/center.secret || fail "center key is not 64 hex digits"
key_sum=$(sha256sum </etc/fleetreg/center.secret)
expect_contains "$(dpkg-query -W -f='${Conffiles}' fleetreg-center)" /etc/fleetreg/center.conf "dpkg conffiles"

step "postinst is idempotent (dpkg-reconfigure-style second configure)"
for p in fleetreg-center fleetreg-collector fleetreg-terminal; do
  DPKG_MAINTSCRIPT_PACKAGE=$p DPKG_MAINTSCRIPT_NAME=postinst \
    /var/lib/dpkg/info/$p.postinst configure "$version" >/dev/null || fail "$p postinst configure (second run)"
done
expect_eq "$(sha256sum </etc/fleetreg/center.secret)" "$key_sum" "center key after a second configure"

step "--version of every installed program, -t on the shipped configuration"
for prog in /usr/bin/fleetreg-center /usr/bin/fleetreg-centerctl /usr/bin/fleetreg-collector \
            /usr/bin/fleetreg-subagent /usr/bin/fleetreg-terminal /usr/lib/nagios/plugins/check_fleetreg; do
  expect_contains "$("$prog" --version)" "$version" "$prog --version"
done
man -w fleetreg-collector >/dev/null 2>&1 || [ -f /usr/share/man/man8/fleetreg-collector.8.gz ] || fail "no manual page"
/usr/bin/fleetreg-center -t -c /etc/fleetreg/center.conf || fail "fleetreg-center -t on the shipped center.conf"
/usr/bin/fleetreg-collector -t -c /etc/fleetreg/collector.conf || fail "fleetreg-collector -t on the shipped collector.conf"
# The subagent's check opens the terminal's store: make the terminal first
# (root becomes fleetreg-terminal, the owner of /var/lib/fleetreg-terminal).
/usr/bin/fleetreg-terminal init --manufacturer RICOH --model "IM 430F" --serial PKG-0001 --uuid auto >/dev/null
/usr/bin/fleetreg-terminal copy --sheets 12 >/dev/null
expect_eq "$(stat -c %U /var/lib/fleetreg-terminal/terminal.db)" fleetreg-terminal "terminal.db owner"
/usr/bin/fleetreg-subagent -t -c /etc/fleetreg/terminal.conf || fail "fleetreg-subagent -t on the shipped terminal.conf"
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify /usr/lib/systemd/system/fleetreg-*.service >"$work/analyze.log" 2>&1 ||
    { cat "$work/analyze.log" >&2; fail "systemd-analyze verify"; }
fi

start_center() {
  /usr/bin/fleetreg-center -c "$work/center.conf" >>"$work/center.log" 2>&1 &
  pids+=($!)
  wait_tcp 18080 || fail "the installed center did not start"
  expect_user "${pids[-1]}" fleetreg-center "center process user"
}
ctl() { /usr/bin/fleetreg-centerctl -c "$work/center.conf" "$@"; }

step "centerctl and the installed center, started by hand as root (they become fleetreg-center)"
cat >"$work/center.conf" <<CONF
[center]
listen = http://127.0.0.1:18080
allow_plain_http = yes
CONF
# centerctl first: it creates the database, as fleetreg-center.
echo 'pkg-test-password' | ctl account add dealer-pkg >/dev/null
expect_eq "$(find /var/lib/fleetreg-center ! -user fleetreg-center)" "" "files of centerctl not owned by fleetreg-center"
expect_eq "$(stat -c %U /var/lib/fleetreg-center/center.db)" fleetreg-center "center.db owner (centerctl ran as root)"
start_center
code=$(ctl code issue --dealer dealer-pkg --customer "Package Test GmbH" | head -1)
[ -n "$code" ] || fail "no code issued"

step "snmpd as Debian runs it, with the shipped snippet; the installed subagent (it becomes fleetreg-terminal)"
# Debian's user and group, the snippet's AgentX socket (/var/agentx/master)
# and VACM; only the port and the persistent directory are the test's.
mkdir -p "$work/snmpd/persistent"
chown Debian-snmp:Debian-snmp "$work/snmpd/persistent"
printf 'includeFile /etc/snmp/snmpd.conf.d/fleetreg-terminal.conf\n' >"$work/snmpd/snmpd.conf"
MIBS= SNMP_PERSISTENT_DIR="$work/snmpd/persistent" snmpd -f -LOn -u Debian-snmp -g Debian-snmp \
  -I -smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition \
  -C -c "$work/snmpd/snmpd.conf" udp:127.0.0.1:11161 >"$work/snmpd.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S /var/agentx/master ] && break; sleep 0.1; done
expect_eq "$(stat -c '%a %U %G' /var/agentx/master)" "660 root Debian-snmp" "AgentX socket"
expect_eq "$(stat -c '%a' /var/agentx)" 755 "AgentX socket directory"
id -nG fleetreg-terminal | grep -qw Debian-snmp || fail "fleetreg-terminal is not in the group Debian-snmp"
/usr/bin/fleetreg-subagent >"$work/subagent.log" 2>&1 &
pids+=($!)
serial=
for _ in $(seq 100); do
  serial=$(MIBS= snmpget -v2c -c public -Oqv -t 1 -r 0 127.0.0.1:11161 .1.3.6.1.4.1.8072.9999.9999.3737.1.1.3.0 2>/dev/null | tr -d '"') || true
  [ "$serial" = PKG-0001 ] && break
  sleep 0.1
done
expect_eq "$serial" PKG-0001 "frtSerialNumber over SNMP"
expect_user "${pids[-1]}" fleetreg-terminal "subagent process user"

step "the installed collector registers the terminal with the code (it becomes fleetreg-collector)"
cat >"$work/collector.conf" <<CONF
[center]
url = http://127.0.0.1:18080
allow_plain_http = yes
[snmp]
targets = udp:127.0.0.1:11161
secrets_file = $work/collector.secrets
[mdns]
enabled = no
[run]
wait = 5s
CONF
# The SNMP secrets are read as fleetreg-collector: a root-only file is refused.
printf '[v2c]\ncommunity = public\n' >"$work/collector.secrets"
chmod 600 "$work/collector.secrets"
if /usr/bin/fleetreg-collector -c "$work/collector.conf" status >/dev/null 2>"$work/secrets.err"; then
  fail "a secrets file fleetreg-collector cannot read was accepted"
fi
expect_contains "$(cat "$work/secrets.err")" "collector.secrets" "error about the root-only secrets file"
chown fleetreg-collector "$work/collector.secrets"
/usr/bin/fleetreg-collector -c "$work/collector.conf" register --code "$code" >"$work/register.log" 2>&1 ||
  { cat "$work/register.log" >&2; fail "registration failed"; }
expect_eq "$(stat -c '%U %a' /var/lib/fleetreg-collector/credential)" "fleetreg-collector 600" "collector credential"
site=$(ctl site list | sed -n 2p | cut -c1-36)
expect_contains "$(ctl site list)" "Package Test GmbH" "center site list"
expect_contains "$(ctl terminal list --site "$site")" PKG-0001 "center terminal list"

step "the collector answers a request; its status file is readable by a monitoring user"
/usr/bin/fleetreg-collector -c "$work/collector.conf" run >"$work/collector.log" 2>&1 &
pids+=($!)
expect_user "${pids[-1]}" fleetreg-collector "collector process user"
ctl request --site "$site" >/dev/null
answered=
for _ in $(seq 100); do
  ctl requests --site "$site" | grep -q "answered 20" && { answered=1; break; }
  sleep 0.2
done
[ -n "$answered" ] || fail "the request was not answered"
ctl readings --site "$site" | grep -qE "PKG-0001 +copy +12 " || fail "copy counter 12 not at the center: $(ctl readings --site "$site")"
expect_eq "$(stat -c %a /var/lib/fleetreg-collector/status.json)" 644 "status.json mode"
out=$(runuser -u nobody -- /usr/lib/nagios/plugins/check_fleetreg collector --status-file /var/lib/fleetreg-collector/status.json) ||
  fail "check_fleetreg collector as nobody: $out"
expect_contains "$out" "OK" "check_fleetreg collector"
stop_all

step "apt-get remove: programs gone, data and configuration kept"
apt-get -o DPkg::Lock::Timeout=300 remove -y -qq "${packages[@]}" >"$work/apt-remove.log" 2>&1 || { cat "$work/apt-remove.log" >&2; fail "apt-get remove"; }
[ ! -e /usr/bin/fleetreg-center ] || fail "fleetreg-center still installed after remove"
for f in /var/lib/fleetreg-center/center.db /var/lib/fleetreg-collector/credential /var/lib/fleetreg-terminal/terminal.db \
         /etc/fleetreg/center.conf /etc/fleetreg/center.secret; do
  [ -e "$f" ] || fail "$f removed by apt-get remove"
done

step "reinstall: the center still knows the site"
apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${debs[@]}" >"$work/apt-reinstall.log" 2>&1 || { cat "$work/apt-reinstall.log" >&2; fail "reinstall"; }
expect_eq "$(sha256sum </etc/fleetreg/center.secret)" "$key_sum" "center key after reinstall"
start_center
expect_contains "$(ctl terminal list --site "$site")" PKG-0001 "terminal after reinstall"
expect_contains "$(/usr/bin/fleetreg-collector -c "$work/collector.conf" status)" "$site" "collector registration after reinstall"
stop_all

step "apt-get purge: data and configuration gone, system users kept"
apt-get -o DPkg::Lock::Timeout=300 purge -y -qq "${packages[@]}" >"$work/apt-purge.log" 2>&1 || { cat "$work/apt-purge.log" >&2; fail "apt-get purge"; }
for f in /var/lib/fleetreg-center /var/lib/fleetreg-collector /var/lib/fleetreg-terminal /etc/fleetreg \
         /etc/snmp/snmpd.conf.d/fleetreg-terminal.conf /usr/lib/nagios/plugins/check_fleetreg; do
  [ ! -e "$f" ] || fail "$f left after purge"
done
expect_eq "$(installed "${packages[@]}")" 0 "installed packages after purge"
getent passwd fleetreg-center >/dev/null || fail "the system user went with the purge (it should stay)"

step "all package checks passed"
