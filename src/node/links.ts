// Which link is an ENI's: found by MAC, never by name (eth1, ens6 and enp… all happen), and never
// the node's primary interface.
import { TABLE_MAIN, type KernelState, type Link } from './kernel-state.ts';

/**
 * Kinds of link that take their MAC from another device (a VLAN or macvlan on top of the ENI, a
 * bond or bridge it is enslaved to): they share the ENI's MAC but are not the ENI.
 */
const DERIVED_MAC_KINDS = new Set(['vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'bond', 'team', 'bridge', 'vrf']);

/** Links the agent never changes: the loopback and every link that carries a default route of main. */
export function protectedLinks(state: KernelState): Set<string> {
  const names = new Set(state.routes.filter((r) => r.table === TABLE_MAIN && r.dst === 'default' && r.dev).map((r) => r.dev ?? ''));
  for (const link of state.links) if (link.mac === '00:00:00:00:00:00' || link.name === 'lo') names.add(link.name);
  return names;
}

export type LinkLookup = (
  mac: string,
) => { link: Link } | { reason: 'InterfaceNotFound' | 'RoutingConflict'; message: string };

export function findEniLink(state: KernelState, protectedNames: ReadonlySet<string>): LinkLookup {
  return (mac) => {
    const wanted = mac.toLowerCase();
    const candidates = state.links.filter((l) => l.mac === wanted && !DERIVED_MAC_KINDS.has(l.kind ?? ''));
    const [link, second] = candidates;
    if (link === undefined) return { reason: 'InterfaceNotFound', message: `no network interface has MAC ${wanted}` };
    if (second !== undefined) {
      const names = candidates.map((l) => l.name).join(', ');
      return { reason: 'RoutingConflict', message: `several interfaces have MAC ${wanted}: ${names}` };
    }
    if (protectedNames.has(link.name)) {
      return {
        reason: 'RoutingConflict',
        message: `${link.name} (MAC ${wanted}) carries the node's default route; the agent never changes the primary interface`,
      };
    }
    return { link };
  };
}
