// The changes a plan is made of, and how each becomes one line of `ip -batch` (sysctls are
// written apart). Every route and rule the agent writes carries AGENT_PROTOCOL.
import type { SysctlName } from './kernel-state.ts';
import { AGENT_PROTOCOL } from './marks.ts';

/** What a change repairs, for `ecseni_agent_drift_repairs_total{kind}`. */
export type ChangeKind = 'link' | 'address' | 'route' | 'rule' | 'sysctl';

/** A route as the agent writes it: the ENI's subnet (scope link) or `default via <gateway> onlink`. */
export interface AgentRoute {
  table: number;
  dst: string;
  dev: string;
  gateway?: string;
}

/** A route or rule the agent wrote earlier, exactly as observed, so that deleting it hits only it. */
export interface RouteKey {
  table: number;
  dst: string;
  type: number;
  protocol: number;
  dev?: string;
  gateway?: string;
  metric?: number;
}

export interface RuleKey {
  priority: number;
  src?: string;
  table: number;
  protocol: number;
}

interface Owned {
  /** The claim the change is for; undefined for the node-wide sweep of stale state. */
  claim?: string;
}

export type Change = Owned &
  (
    | { op: 'sysctl-set'; link: string; name: SysctlName; value: number }
    | { op: 'rule-del'; rule: RuleKey }
    | { op: 'route-del'; route: RouteKey }
    | { op: 'addr-del'; link: string; ip: string; prefixLength: number }
    | { op: 'link-set'; link: string; mtu?: number; up: boolean }
    | { op: 'addr-add'; link: string; ip: string; prefixLength: number }
    | { op: 'route-replace'; route: AgentRoute }
    | { op: 'rule-add'; rule: RuleKey }
  );

export type ChangeOp = Change['op'];

/** The order changes are applied in: stale rules first, so traffic never uses a table being emptied. */
export const APPLY_ORDER: readonly ChangeOp[] = [
  'sysctl-set',
  'rule-del',
  'route-del',
  'addr-del',
  'link-set',
  'addr-add',
  'route-replace',
  'rule-add',
];

const KIND_OF: Record<ChangeOp, ChangeKind> = {
  'sysctl-set': 'sysctl',
  'rule-del': 'rule',
  'route-del': 'route',
  'addr-del': 'address',
  'link-set': 'link',
  'addr-add': 'address',
  'route-replace': 'route',
  'rule-add': 'rule',
};

export function kindOf(change: Change): ChangeKind {
  return KIND_OF[change.op];
}

export function sortForApply(changes: readonly Change[]): Change[] {
  return [...changes].sort((a, b) => APPLY_ORDER.indexOf(a.op) - APPLY_ORDER.indexOf(b.op));
}

// rtm_type numbers as iproute2 names them, for deleting a route of a type other than unicast.
const ROUTE_TYPE_NAMES: Record<number, string> = {
  2: 'local',
  3: 'broadcast',
  4: 'anycast',
  5: 'multicast',
  6: 'blackhole',
  7: 'unreachable',
  8: 'prohibit',
  9: 'throw',
  10: 'nat',
};

function routeDelCommand(route: RouteKey): string {
  const parts = ['route', 'del', ROUTE_TYPE_NAMES[route.type] ?? 'unicast', route.dst, 'table', String(route.table)];
  parts.push('proto', String(route.protocol));
  if (route.metric !== undefined) parts.push('metric', String(route.metric));
  if (route.gateway !== undefined) parts.push('via', route.gateway);
  if (route.dev !== undefined) parts.push('dev', route.dev);
  return parts.join(' ');
}

function routeReplaceCommand(route: AgentRoute): string {
  const where = `dev ${route.dev} table ${route.table} proto ${AGENT_PROTOCOL}`;
  return route.gateway === undefined
    ? `route replace ${route.dst} ${where} scope link`
    : `route replace ${route.dst} via ${route.gateway} ${where} onlink`;
}

function ruleCommand(verb: 'add' | 'del', rule: RuleKey): string {
  const from = rule.src ?? 'all';
  return `rule ${verb} priority ${rule.priority} from ${from} table ${rule.table} protocol ${rule.protocol}`;
}

/** The `ip -batch` line of a change; undefined for sysctls, which are not iproute2's. */
export function ipCommand(change: Change): string | undefined {
  switch (change.op) {
    case 'sysctl-set':
      return undefined;
    case 'rule-del':
      return ruleCommand('del', change.rule);
    case 'rule-add':
      return ruleCommand('add', change.rule);
    case 'route-del':
      return routeDelCommand(change.route);
    case 'route-replace':
      return routeReplaceCommand(change.route);
    case 'addr-del':
      return `address del ${change.ip}/${change.prefixLength} dev ${change.link}`;
    case 'addr-add':
      return `address add ${change.ip}/${change.prefixLength} dev ${change.link} noprefixroute`;
    case 'link-set':
      return `link set dev ${change.link}${change.mtu === undefined ? '' : ` mtu ${change.mtu}`}${change.up ? ' up' : ''}`;
  }
}

/** A one-line description for logs and conditions. */
export function describe(change: Change): string {
  if (change.op === 'sysctl-set') return `sysctl net.ipv4.conf.${change.link}.${change.name}=${change.value}`;
  return `ip ${ipCommand(change) ?? ''}`;
}
