// The planner: desired ENIs + observed kernel state → an ordered list of changes and, per claim, the
// outcome to report. Pure (no I/O, no clock), so that every rule below is unit-tested.
//
// What it may touch: links matched by a claim's MAC (never the link of main's default route);
// addresses on those links; routes and rules carrying AGENT_PROTOCOL, outside the kernel's tables.
// Everything else is read only to detect conflicts and free tables.
import { sortForApply, type AgentRoute, type Change, type RouteKey, type RuleKey } from './changes.ts';
import { cidrContains, formatCidr, type Cidr } from './ipv4.ts';
import {
  RESERVED_TABLES,
  SCOPE_LINK,
  SCOPE_UNIVERSE,
  type Address,
  type KernelState,
  type Link,
  type LinkSysctls,
  type Route,
  type Rule,
} from './kernel-state.ts';
import { compareCodeUnits } from '../strings.ts';
import { AGENT_PROTOCOL, ENI_SYSCTLS, RULE_PRIORITY } from './marks.ts';
import { findEniLink, protectedLinks, type LinkLookup } from './links.ts';
import { assertSafe } from './safety.ts';
import { chooseTables, type TableChoice } from './tables.ts';

export type EniMode = 'Policy' | 'Addresses';

/** One ENI as the claim describes it (built from the claim by intent.ts). */
export interface EniIntent {
  claim: string;
  mac: string;
  /** The primary IP first, then the secondary IPs. */
  addresses: string[];
  /** The vSwitch's CIDR: the prefix length of every address and the subnet route. */
  cidr: Cidr;
  gateway: string;
  mode: EniMode;
  /** `spec.routing.tableId`. */
  tableId?: number;
  /** `status.interface.routeTable`: the table reported before, kept across restarts. */
  recordedTable?: number;
  mtu?: number;
}

export interface PlanInput {
  /** ENIs to configure. */
  configure: readonly EniIntent[];
  /** ENIs whose claims are being released: what the agent set for them is removed. */
  release: readonly EniIntent[];
  state: KernelState;
  /** Sysctls of the links that eniLinkNames() named. */
  sysctls: LinkSysctls;
}

export type ConflictReason = 'InterfaceNotFound' | 'RoutingConflict' | 'AddressConflict';

export type EniOutcome =
  | { configured: true; interface: string; table?: number }
  | { configured: false; reason: ConflictReason; message: string };

export interface Plan {
  /** In apply order. */
  changes: Change[];
  /** One per claim to configure. */
  outcomes: Map<string, EniOutcome>;
}

interface Context {
  state: KernelState;
  sysctls: LinkSysctls;
  lookup: LinkLookup;
  tables: Map<string, TableChoice>;
  /** MACs and addresses already given to an earlier claim of this plan. */
  macsTaken: Map<string, string>;
  addressesTaken: Map<string, string>;
}

/** What the planned ENIs keep: everything of ours outside it is stale. */
interface Keep {
  routes: Set<string>;
  rules: Set<string>;
  /** Rules and tables of claims that could not be configured now: left as they are. */
  frozenSources: Set<string>;
  frozenTables: Set<number>;
}

const routeKey = (r: { table: number; dst: string; dev?: string; gateway?: string }): string =>
  `${r.table}|${r.dst}|${r.dev ?? ''}|${r.gateway ?? ''}`;
const ruleKey = (r: { priority: number; src?: string; table: number }): string => `${r.priority}|${r.src ?? ''}|${r.table}`;

/** Carries our mark, outside the kernel's own tables (which the agent never writes). */
function isOurs(entry: Route | Rule): boolean {
  return entry.family === 'inet' && entry.protocol === AGENT_PROTOCOL && !RESERVED_TABLES.has(entry.table);
}

/** The table of the agent's own rule for `ip`, if the kernel still has one: found after a lost status write. */
function observedTable(state: KernelState, ip: string | undefined): number | undefined {
  return state.rules.find((r) => isOurs(r) && r.src === `${ip}/32`)?.table;
}

function previousTables(intent: EniIntent, state: KernelState): number[] {
  const seen = [intent.recordedTable, observedTable(state, intent.addresses[0])];
  return seen.filter((t): t is number => t !== undefined);
}

/** Names of the links whose sysctls the planner needs (read them before calling plan()). */
export function eniLinkNames(intents: readonly EniIntent[], state: KernelState): string[] {
  const lookup = findEniLink(state, protectedLinks(state));
  return intents.flatMap((intent) => {
    const found = lookup(intent.mac);
    return 'link' in found ? [found.link.name] : [];
  });
}

function conflict(reason: ConflictReason, message: string): EniOutcome {
  return { configured: false, reason, message };
}

/** The first reason the ENI cannot be configured now, or its link. */
function checkEni(intent: EniIntent, ctx: Context): { link: Link } | { outcome: EniOutcome } {
  const found = ctx.lookup(intent.mac);
  if (!('link' in found)) return { outcome: conflict(found.reason, found.message) };
  const holder = ctx.macsTaken.get(intent.mac);
  if (holder !== undefined) {
    return { outcome: conflict('RoutingConflict', `MAC ${intent.mac} is also claimed by ${holder}`) };
  }
  const clash = addressConflict(intent, found.link, ctx);
  if (clash !== undefined) return { outcome: conflict('AddressConflict', clash) };
  if (intent.mode === 'Policy') {
    const routing = routingConflict(intent, ctx);
    if (routing !== undefined) return { outcome: conflict('RoutingConflict', routing) };
  }
  return { link: found.link };
}

function addressConflict(intent: EniIntent, link: Link, ctx: Context): string | undefined {
  for (const ip of intent.addresses) {
    const holder = ctx.addressesTaken.get(ip);
    if (holder !== undefined) return `${ip} is also claimed by ${holder}`;
    const elsewhere = ctx.state.addresses.find((a) => a.ip === ip && a.linkIndex !== link.index);
    if (elsewhere !== undefined) {
      const name = ctx.state.links.find((l) => l.index === elsewhere.linkIndex)?.name ?? `#${elsewhere.linkIndex}`;
      return `${ip} is already configured on ${name}`;
    }
  }
  return undefined;
}

function routingConflict(intent: EniIntent, ctx: Context): string | undefined {
  const choice = ctx.tables.get(intent.claim);
  if (choice === undefined || 'conflict' in choice) return choice?.conflict ?? 'no table chosen';
  // A foreign rule for one of the ENI's addresses that the kernel reads first would make ours moot.
  for (const ip of intent.addresses) {
    const shadow = ctx.state.rules.find(
      (r) =>
        !isOurs(r) &&
        r.family === 'inet' &&
        r.src === `${ip}/32` &&
        r.otherSelectors.length === 0 &&
        r.priority <= RULE_PRIORITY &&
        r.table !== choice.table,
    );
    if (shadow !== undefined) {
      return `rule 'from ${ip} lookup ${shadow.table}' at priority ${shadow.priority} (not the agent's) takes precedence`;
    }
  }
  return undefined;
}

function sysctlChanges(intent: EniIntent, link: Link, ctx: Context): Change[] {
  const current = ctx.sysctls[link.name] ?? {};
  return Object.entries(ENI_SYSCTLS)
    .filter(([name, value]) => current[name as keyof typeof ENI_SYSCTLS] !== value)
    .map(([name, value]) => ({
      op: 'sysctl-set',
      claim: intent.claim,
      link: link.name,
      name: name as keyof typeof ENI_SYSCTLS,
      value,
    }));
}

function linkChanges(intent: EniIntent, link: Link): Change[] {
  const mtu = intent.mtu !== undefined && intent.mtu !== link.mtu ? intent.mtu : undefined;
  if (mtu === undefined && link.up) return [];
  return [{ op: 'link-set', claim: intent.claim, link: link.name, ...(mtu === undefined ? {} : { mtu }), up: true }];
}

/** An address the agent set: on the ENI's link, inside its subnet, without a kernel prefix route. */
function isOwnedAddress(address: Address, link: Link, cidr: Cidr): boolean {
  return (
    address.family === 'inet' && address.linkIndex === link.index && address.noPrefixRoute && cidrContains(cidr, address.ip)
  );
}

function addressChanges(intent: EniIntent, link: Link, state: KernelState): Change[] {
  const changes: Change[] = [];
  const onLink = state.addresses.filter((a) => a.family === 'inet' && a.linkIndex === link.index);
  const length = intent.cidr.prefixLength;
  const del = (a: Address): Change => ({ op: 'addr-del', claim: intent.claim, link: link.name, ip: a.ip, prefixLength: a.prefixLength });
  for (const ip of intent.addresses) {
    const same = onLink.filter((a) => a.ip === ip);
    const good = same.find((a) => a.prefixLength === length && a.noPrefixRoute);
    // Same address with another length or with a prefix route (a DHCP client's): set it our way.
    changes.push(...same.filter((a) => a !== good).map(del));
    if (!good) changes.push({ op: 'addr-add', claim: intent.claim, link: link.name, ip, prefixLength: length });
  }
  const stale = onLink.filter((a) => isOwnedAddress(a, link, intent.cidr) && !intent.addresses.includes(a.ip));
  return [...changes, ...stale.map(del)];
}

function desiredRoutes(intent: EniIntent, link: Link, table: number): AgentRoute[] {
  return [
    { table, dst: formatCidr(intent.cidr), dev: link.name },
    { table, dst: 'default', dev: link.name, gateway: intent.gateway },
  ];
}

/** An observed route that is exactly what the agent writes for `want`. */
function matchesRoute(route: Route, want: AgentRoute): boolean {
  return (
    isOurs(route) &&
    routeKey(route) === routeKey(want) &&
    route.type === 1 &&
    (route.metric ?? 0) === 0 &&
    route.onlink === (want.gateway !== undefined) &&
    route.scope === (want.gateway === undefined ? SCOPE_LINK : SCOPE_UNIVERSE)
  );
}

function policyChanges(intent: EniIntent, link: Link, table: number, ctx: Context, keep: Keep): Change[] {
  const changes: Change[] = [];
  for (const want of desiredRoutes(intent, link, table)) {
    const present = ctx.state.routes.find((r) => matchesRoute(r, want));
    if (present) keep.routes.add(routeKey(present));
    else changes.push({ op: 'route-replace', claim: intent.claim, route: want });
  }
  for (const ip of intent.addresses) {
    const want: RuleKey = { priority: RULE_PRIORITY, src: `${ip}/32`, table, protocol: AGENT_PROTOCOL };
    keep.rules.add(ruleKey(want));
    const present = ctx.state.rules.some((r) => isOurs(r) && r.otherSelectors.length === 0 && ruleKey(r) === ruleKey(want));
    if (!present) changes.push({ op: 'rule-add', claim: intent.claim, rule: want });
  }
  return changes;
}

function freeze(intent: EniIntent, ctx: Context, keep: Keep): void {
  for (const ip of intent.addresses) keep.frozenSources.add(`${ip}/32`);
  for (const table of previousTables(intent, ctx.state)) keep.frozenTables.add(table);
}

function planEni(intent: EniIntent, ctx: Context, keep: Keep): { outcome: EniOutcome; changes: Change[] } {
  const checked = checkEni(intent, ctx);
  if ('outcome' in checked) {
    freeze(intent, ctx, keep);
    return { outcome: checked.outcome, changes: [] };
  }
  const { link } = checked;
  ctx.macsTaken.set(intent.mac, intent.claim);
  for (const ip of intent.addresses) ctx.addressesTaken.set(ip, intent.claim);
  const changes = [...sysctlChanges(intent, link, ctx), ...linkChanges(intent, link), ...addressChanges(intent, link, ctx.state)];
  const choice = ctx.tables.get(intent.claim);
  if (intent.mode !== 'Policy' || choice === undefined || !('table' in choice)) {
    return { outcome: { configured: true, interface: link.name }, changes };
  }
  changes.push(...policyChanges(intent, link, choice.table, ctx, keep));
  return { outcome: { configured: true, interface: link.name, table: choice.table }, changes };
}

/** Addresses the agent set for released ENIs, unless a configured ENI wants them. */
function releaseAddresses(release: readonly EniIntent[], ctx: Context): Change[] {
  return release.flatMap((intent) => {
    const found = ctx.lookup(intent.mac);
    if (!('link' in found) || ctx.macsTaken.has(intent.mac)) return [];
    const { link } = found;
    return ctx.state.addresses
      .filter((a) => isOwnedAddress(a, link, intent.cidr) && !ctx.addressesTaken.has(a.ip))
      .map((a): Change => ({ op: 'addr-del', claim: intent.claim, link: link.name, ip: a.ip, prefixLength: a.prefixLength }));
  });
}

/** Who a stale route or rule belonged to, when a released claim can be named. */
function owners(release: readonly EniIntent[], state: KernelState): { bySource: Map<string, string>; byTable: Map<number, string> } {
  const bySource = new Map<string, string>();
  const byTable = new Map<number, string>();
  for (const intent of release) {
    for (const ip of intent.addresses) bySource.set(`${ip}/32`, intent.claim);
    for (const table of previousTables(intent, state)) byTable.set(table, intent.claim);
  }
  return { bySource, byTable };
}

function staleChanges(release: readonly EniIntent[], state: KernelState, keep: Keep): Change[] {
  const { bySource, byTable } = owners(release, state);
  const changes: Change[] = [];
  for (const rule of state.rules) {
    if (!isOurs(rule) || (rule.otherSelectors.length === 0 && keep.rules.has(ruleKey(rule)))) continue;
    if (rule.src !== undefined && keep.frozenSources.has(rule.src)) continue;
    const claim = (rule.src === undefined ? undefined : bySource.get(rule.src)) ?? byTable.get(rule.table);
    const { priority, table, protocol } = rule;
    const key: RuleKey = { priority, table, protocol, ...(rule.src === undefined ? {} : { src: rule.src }) };
    changes.push({ op: 'rule-del', ...(claim === undefined ? {} : { claim }), rule: key });
  }
  for (const route of state.routes) {
    if (!isOurs(route) || keep.routes.has(routeKey(route)) || keep.frozenTables.has(route.table)) continue;
    const claim = byTable.get(route.table);
    changes.push({ op: 'route-del', ...(claim === undefined ? {} : { claim }), route: routeKeyOf(route) });
  }
  return changes;
}

function routeKeyOf(route: Route): RouteKey {
  const { table, dst, type, protocol, dev, gateway, metric } = route;
  return {
    table,
    dst,
    type,
    protocol,
    ...(dev === undefined ? {} : { dev }),
    ...(gateway === undefined ? {} : { gateway }),
    ...(metric === undefined ? {} : { metric }),
  };
}

export function plan(input: PlanInput): Plan {
  const { state } = input;
  const protectedSet = protectedLinks(state);
  const configure = [...input.configure].sort((a, b) => compareCodeUnits(a.claim, b.claim));
  const policy = configure.filter((i) => i.mode === 'Policy');
  const ctx: Context = {
    state,
    sysctls: input.sysctls,
    lookup: findEniLink(state, protectedSet),
    tables: chooseTables(
      policy.map((i) => ({ claim: i.claim, ...(i.tableId === undefined ? {} : { explicit: i.tableId }), previous: previousTables(i, state) })),
      state,
    ),
    macsTaken: new Map(),
    addressesTaken: new Map(),
  };
  const keep: Keep = { routes: new Set(), rules: new Set(), frozenSources: new Set(), frozenTables: new Set() };
  const outcomes = new Map<string, EniOutcome>();
  const changes: Change[] = [];
  for (const intent of configure) {
    const planned = planEni(intent, ctx, keep);
    outcomes.set(intent.claim, planned.outcome);
    changes.push(...planned.changes);
  }
  changes.push(...releaseAddresses(input.release, ctx), ...staleChanges(input.release, state, keep));
  assertSafe(changes, protectedSet);
  return { changes: sortForApply(changes), outcomes };
}
