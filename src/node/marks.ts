// How the agent marks and places what it creates in the kernel. Each number is documented in
// docs/node-agent.md; changing one strands the state that older agents left behind.

/**
 * Route and rule protocol (rtm_protocol / FRA_PROTOCOL) of everything the agent creates: 236 =
 * 0xEC, "ECs". Unused by the kernel's RTPROT_* list (0–18, 42, 99, 186–192), by iproute2's
 * rt_protos, and by the routing daemons and CNIs we know of (FRR 186–199, Calico 80, BIRD 12).
 * A route or rule without it is never changed nor deleted by the agent.
 */
export const AGENT_PROTOCOL = 236;

/**
 * Priority of the `from <ip> lookup <table>` rules: just ahead of main (32766), like AWS's VPC
 * CNI, so that rules of a CNI (Terway's 512 and 2048) still win for pod traffic.
 */
export const RULE_PRIORITY = 32765;

/**
 * Tables the agent chooses from when a claim names none: clear of Terway's 1000 + ifindex, of
 * AWS's 10000 + 100 × card + device, and of the kernel's reserved 0 and 253–255.
 */
export const TABLE_RANGE = { first: 30000, last: 30999 } as const;

/**
 * Sysctls of each ENI link (never of `all`, `default` or another link):
 * - rp_filter 2 (loose): the kernel applies max(all, <if>), and 2 is the largest value, so the
 *   ENI is loose whatever `all` says, without loosening any other interface;
 * - promote_secondaries 1: removing the address the kernel sees as primary keeps the others;
 * - arp_ignore 1: the ENI answers ARP only for its own addresses, so that several links in one
 *   subnet do not answer for each other (ARP flux).
 */
export const ENI_SYSCTLS = { rp_filter: 2, promote_secondaries: 1, arp_ignore: 1 } as const;
