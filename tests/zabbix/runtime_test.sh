#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs Debian's real Zabbix 6.0 server against a real fleetreg terminal
# (snmpd as AgentX master + the built fleetreg-subagent) and checks through
# the frontend's API that the terminal template works: discovery, values,
# inventory, triggers and problems (runtime_check.py).
#
#   runtime_test.sh BUILD_DIR TEMPLATE.yaml [COLLECTOR_TEMPLATE.yaml]
#
# BUILD_DIR holds the built agent_subagent/terminal_mode/fleetreg-terminal and
# fleetreg-subagent (ctest passes the project's binary directory); nothing is
# compiled here. TEMPLATE.yaml is plugins/zabbix/fleetreg_terminal_snmp.yaml.
# Needs, as root, the packages of import_test.sh plus snmpd and snmp
# (snmpget). The set-up is harness.sh's: PostgreSQL on a unix socket, the
# frontend with PHP's built-in server, here also snmpd, the subagent and
# zabbix_server (dropping to the zabbix user), all on 127.0.0.1 of private
# network, mount, IPC and PID namespaces, all stopped by PID on exit, also on
# failure or SIGTERM.
#
# The terminal: a colour RICOH IM C3000, serial ZBX-0001, toner at 9 %, a few
# jobs. The host gets 5 s intervals through its macros, and a context macro
# {$FLEETREG.SUPPLY.CRIT:"Cyan Toner"} of 10. Then the terminal is swapped
# for another (serial ZBX-0002, lower counters, full toner) on the same
# address, which must raise "replaced" and "went down" problems that stay
# open until closed by hand.
#
# With COLLECTOR_TEMPLATE.yaml (plugins/zabbix/fleetreg_collector_agent.yaml)
# the same server then polls Debian's zabbix_agentd (package zabbix-agent,
# dropping to the zabbix user) for a collector's status.json: values, then
# the problems of a revoked and silent collector, then their recovery
# (collector_runtime_check.py).
set -euo pipefail

zbx_prog=runtime_test.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$here/harness.sh"

[ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: runtime_test.sh BUILD_DIR TEMPLATE.yaml [COLLECTOR_TEMPLATE.yaml]"
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory '$1'"
[ -r "$2" ] || die "cannot read template '$2'"
template=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
collector_template=
if [ $# -eq 3 ]; then
  [ -r "$3" ] || die "cannot read template '$3'"
  collector_template=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
fi
terminal_bin=$build/agent_subagent/terminal_mode/fleetreg-terminal
subagent_bin=$build/agent_subagent/subagent/fleetreg-subagent

if [ -z "${FLEETREG_ZBX_INSIDE:-}" ]; then
  for b in "$terminal_bin" "$subagent_bin"; do
    [ -x "$b" ] || die "$b missing: build the project first (cmake --build $build)"
  done
  zbx_require_frontend
  [ -x /usr/sbin/zabbix_server ] || die "/usr/sbin/zabbix_server missing: install zabbix-server-pgsql"
  getent passwd zabbix >/dev/null || die "no 'zabbix' user: install zabbix-server-pgsql"
  [ -x /usr/sbin/snmpd ] || die "/usr/sbin/snmpd missing: install snmpd"
  command -v snmpget >/dev/null || die "snmpget missing: install snmp"
  if [ -n "$collector_template" ]; then
    [ -x /usr/sbin/zabbix_agentd ] || die "/usr/sbin/zabbix_agentd missing: install zabbix-agent"
    zbx_enter_namespaces "$build" "$template" "$collector_template"
  fi
  zbx_enter_namespaces "$build" "$template"
fi

# Inside the namespaces from here on.
zbx_inside
test_start=$SECONDS

zbx_frontend_on_postgres

# The terminal: its state, a few jobs, snmpd and the subagent.
snmp_port=$(free_port)
term=$work/terminal
install -d -m 700 "$term" "$term/persistent"
terminal() { "$terminal_bin" -s "$1" "${@:2}" >/dev/null || die "fleetreg-terminal ${*:2} failed"; }
terminal "$term/zbx-0001" init --manufacturer RICOH --model "IM C3000" --serial ZBX-0001 --uuid auto --color --toner 9
terminal "$term/zbx-0001" copy --sheets 7
terminal "$term/zbx-0001" print --sheets 3 --color
terminal "$term/zbx-0001" print --sheets 2 --duplex
terminal "$term/zbx-0001" scan --images 4
terminal "$term/zbx-0001" fax-out --pages 1
cat >"$term/snmpd.conf" <<EOF
master agentx
agentXSocket unix:$term/agentx.sock
agentXPerms 0600 0700
rocommunity public 127.0.0.0/8
EOF
# -LOn: notices and worse on stdout (not a line per request). No SMUX and no
# host-resources device modules: the subagent owns hrDeviceTable's row 1.
zbx_daemon snmpd env MIBS= SNMP_PERSISTENT_DIR="$term/persistent" /usr/sbin/snmpd -f -LOn -C \
  -I -smux,hr_device,hr_print,hr_disk,hr_network,hr_proc,hr_partition -c "$term/snmpd.conf" "udp:127.0.0.1:$snmp_port"
for i in $(seq 100); do
  [ -S "$term/agentx.sock" ] && break
  [ "$i" != 100 ] || die "snmpd did not open its AgentX socket within 10 s (snmpd.log follows)"
  sleep 0.1
done

# serve STATE SERIAL: the subagent on STATE, until snmpd answers with SERIAL.
serve() {
  zbx_daemon subagent "$subagent_bin" -s "$1" -x "$term/agentx.sock"
  local i got=
  for i in $(seq 100); do
    got=$(snmpget -v2c -c public -Oqv -t 1 -r 0 "127.0.0.1:$snmp_port" \
      1.3.6.1.4.1.8072.9999.9999.3737.1.1.3.0 2>/dev/null) || true
    [ "$got" = "\"$2\"" ] && return 0
    sleep 0.1
  done
  die "the terminal does not answer SNMP with serial $2 (last answer: ${got:-none})"
}
serve "$term/zbx-0001" ZBX-0001
step "terminal ZBX-0001 (snmpd and fleetreg-subagent) on udp:127.0.0.1:$snmp_port"

# The Zabbix server, as the zabbix user, with a configuration of its own
# (ListenPort takes 1024-32767 only; this namespace has 10051 free).
zdir=$work/zabbix
install -d -o zabbix -g zabbix -m 755 "$zdir"
cat >"$zdir/zabbix_server.conf" <<EOF
LogType=console
PidFile=$zdir/zabbix_server.pid
SocketDir=$zdir
TmpDir=$zdir
AlertScriptsPath=$zdir
ExternalScripts=$zdir
DBHost=$sock
DBName=zabbix
DBUser=zabbix
ListenIP=127.0.0.1
ListenPort=10051
User=zabbix
CacheUpdateFrequency=1
HousekeepingFrequency=0
StartPollers=2
StartPollersUnreachable=1
StartPreprocessors=1
StartHistoryPollers=1
StartTrappers=1
StartPingers=0
StartDiscoverers=0
StartHTTPPollers=0
StartTimers=1
StartEscalators=1
StartAlerters=1
StartLLDProcessors=1
StartDBSyncers=1
StartODBCPollers=0
StartReportWriters=0
Timeout=4
EOF
zbx_daemon zabbix_server /usr/sbin/zabbix_server -f -c "$zdir/zabbix_server.conf"
for i in $(seq 300); do
  grep -q 'server #0 started' "$work/zabbix_server.log" 2>/dev/null && break
  kill -0 "${zbx_daemon_pids[-1]}" 2>/dev/null || die "zabbix_server exited (zabbix_server.log follows)"
  [ "$i" != 300 ] || die "zabbix_server did not start within 30 s"
  sleep 0.1
done
step "zabbix_server $(/usr/sbin/zabbix_server -V | sed -n '1s/.* //p') started"

check() {
  run /usr/bin/python3 "$here/runtime_check.py" --url "$zbx_url" --terminal "$terminal_bin" \
    --snmp-port "$snmp_port" "$@"
}
check --template "$template" --state "$term/zbx-0001" steady
step "the template works on terminal ZBX-0001"

# The same address, another terminal: lower counters, another serial.
terminal "$term/zbx-0002" init --manufacturer RICOH --model "IM C3000" --serial ZBX-0002 --uuid auto --color --toner 80
terminal "$term/zbx-0002" copy --sheets 2
zbx_stop subagent
serve "$term/zbx-0002" ZBX-0002
step "terminal swapped for ZBX-0002"
check --state "$term/zbx-0002" --old-state "$term/zbx-0001" swap
step "the swap raised the problems it should"

if [ -n "$collector_template" ]; then
  # The collector's machine: the agent reads status.json in a directory of
  # its own (the collector's state_dir is 0711, the file 0644).
  agent_port=10050  # ListenPort takes 1024-32767 only; this namespace has it free
  install -d -m 755 "$zdir/collector"
  cat >"$zdir/zabbix_agentd.conf" <<EOF
LogType=console
PidFile=$zdir/zabbix_agentd.pid
Server=127.0.0.1
ServerActive=
ListenIP=127.0.0.1
ListenPort=$agent_port
StartAgents=1
Hostname=fleetreg-zbx-collector
Timeout=4
EOF
  zbx_daemon zabbix_agentd /usr/sbin/zabbix_agentd -f -c "$zdir/zabbix_agentd.conf"
  for i in $(seq 100); do
    grep -q 'started \[listener' "$work/zabbix_agentd.log" 2>/dev/null && break
    kill -0 "${zbx_daemon_pids[-1]}" 2>/dev/null || die "zabbix_agentd exited (zabbix_agentd.log follows)"
    [ "$i" != 100 ] || die "zabbix_agentd did not start within 10 s"
    sleep 0.1
  done
  step "zabbix_agentd $(/usr/sbin/zabbix_agentd -V | sed -n '1s/.* //p') on 127.0.0.1:$agent_port"
  run /usr/bin/python3 "$here/collector_runtime_check.py" --url "$zbx_url" --template "$collector_template" \
    --status-file "$zdir/collector/status.json" --agent-port "$agent_port"
  step "the collector template works on a collector's status file"
fi

printf '==> runtime test passed in %d s\n' $(( SECONDS - test_start ))
