  # snmpd's AgentX socket is 0660 root:Debian-snmp (the snmpd snippet): the
  # subagent's user joins that group, where the group exists.
  if getent group Debian-snmp >/dev/null && ! id -nG fleetreg-terminal | grep -qw Debian-snmp; then
    usermod -a -G Debian-snmp fleetreg-terminal
  fi
