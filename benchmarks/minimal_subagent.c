/* SPDX-License-Identifier: Apache-2.0 */
/* The second anchor of fleetreg-bench-subagent (issue 20): the least an
 * AgentX subagent can be with Debian's Net-SNMP — one integer scalar
 * (netsnmp_register_long_instance) in Net-SNMP's example-demon loop. What
 * fleetreg-subagent costs beyond this is its own.
 * Usage: fleetreg-bench-minimal-subagent AGENTX_SOCKET */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t keep_running = 1;

static void stop(int sig) {
  (void)sig;
  keep_running = 0;
}

int main(int argc, char** argv) {
  static long value = 42;
  /* NET-SNMP-MIB's playpen, beside the terminal MIB's 3737. */
  static const oid scalar[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4242, 1, 0};
  if (argc != 2) {
    fprintf(stderr, "usage: fleetreg-bench-minimal-subagent AGENTX_SOCKET\n");
    return 64;
  }
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
  netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 1);
  if (init_agent("minimal-subagent") != 0) return 1;
  if (netsnmp_register_long_instance("minimalScalar", scalar, OID_LENGTH(scalar), &value, NULL) !=
      MIB_REGISTERED_OK)
    return 1;
  init_snmp("minimal-subagent");
  signal(SIGTERM, stop);
  signal(SIGINT, stop);
  while (keep_running) agent_check_and_process(1);
  snmp_shutdown("minimal-subagent");
  return 0;
}
