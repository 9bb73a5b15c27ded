// The node's kernel state as the planner sees it, parsed from `ip -N -json` output (-N keeps tables,
// protocols and scopes numeric, so that a name in /etc/iproute2 cannot change what we parse).
// Pure: no I/O here, so that the planner's tests can build states by hand.

export const TABLE_UNSPEC = 0;
export const TABLE_DEFAULT = 253;
export const TABLE_MAIN = 254;
export const TABLE_LOCAL = 255;
/** The kernel's own tables: the agent never writes a route or rule into them. */
export const RESERVED_TABLES: ReadonlySet<number> = new Set([TABLE_UNSPEC, TABLE_DEFAULT, TABLE_MAIN, TABLE_LOCAL]);

export const SCOPE_UNIVERSE = 0;
export const SCOPE_LINK = 253;

export type Family = 'inet' | 'inet6';

export interface Link {
  index: number;
  name: string;
  /** Lower case, colon separated. */
  mac: string;
  mtu: number;
  up: boolean;
  /** rtnetlink's link kind (`veth`, `vlan`, `bond`, …); undefined for a physical device. */
  kind?: string;
}

export interface Address {
  family: Family;
  linkIndex: number;
  ip: string;
  prefixLength: number;
  noPrefixRoute: boolean;
  scope: number;
}

export interface Route {
  family: Family;
  table: number;
  /** `default` or a prefix such as `192.168.1.0/24` (host routes keep iproute2's bare address). */
  dst: string;
  /** Route type number: 1 unicast, 2 local, 3 broadcast, … */
  type: number;
  protocol: number;
  scope: number;
  dev?: string;
  gateway?: string;
  metric?: number;
  onlink: boolean;
}

export interface Rule {
  family: Family;
  priority: number;
  table: number;
  protocol: number;
  /** Source selector as `ip/len`, or undefined for `from all`. */
  src?: string;
  /** Selector keys besides priority/src/table/protocol (e.g. `dst`, `iif`, `fwmark`): a rule with any is not a plain source rule. */
  otherSelectors: string[];
}

export interface KernelState {
  links: Link[];
  addresses: Address[];
  routes: Route[];
  rules: Rule[];
}

/** rp_filter and friends, per interface name plus `all` and `default`. */
export type LinkSysctls = Record<string, Partial<Record<SysctlName, number>>>;
export type SysctlName = 'rp_filter' | 'promote_secondaries' | 'arp_ignore';

type Json = Record<string, unknown>;

function num(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function familyOf(text: unknown, ip: string | undefined): Family {
  if (text === 'inet' || text === 'inet6') return text;
  return ip?.includes(':') ? 'inet6' : 'inet';
}

export function parseLinks(rows: Json[]): Link[] {
  return rows.map((row) => {
    const kind = str((row.linkinfo as Json | undefined)?.info_kind);
    return {
      index: num(row.ifindex, 0),
      name: str(row.ifname) ?? '',
      mac: (str(row.address) ?? '').toLowerCase(),
      mtu: num(row.mtu, 0),
      up: Array.isArray(row.flags) && row.flags.includes('UP'),
      ...(kind === undefined ? {} : { kind }),
    };
  });
}

export function parseAddresses(rows: Json[]): Address[] {
  return rows.flatMap((row) => {
    const infos = Array.isArray(row.addr_info) ? (row.addr_info as Json[]) : [];
    return infos.map((info) => ({
      family: familyOf(info.family, str(info.local)),
      linkIndex: num(row.ifindex, 0),
      ip: str(info.local) ?? '',
      prefixLength: num(info.prefixlen, 0),
      noPrefixRoute: info.noprefixroute === true,
      scope: num(info.scope, SCOPE_UNIVERSE),
    }));
  });
}

export function parseRoutes(rows: Json[], family: Family): Route[] {
  return rows.map((row) => {
    const gateway = str(row.gateway);
    const dev = str(row.dev);
    const metric = row.metric === undefined ? undefined : num(row.metric, 0);
    return {
      family,
      table: num(row.table, TABLE_MAIN),
      dst: str(row.dst) ?? 'default',
      type: num(row.type, 1),
      protocol: num(row.protocol, 0),
      scope: num(row.scope, SCOPE_UNIVERSE),
      ...(dev === undefined ? {} : { dev }),
      ...(gateway === undefined ? {} : { gateway }),
      ...(metric === undefined ? {} : { metric }),
      onlink: Array.isArray(row.flags) && row.flags.includes('onlink'),
    };
  });
}

const RULE_OWN_KEYS = new Set(['priority', 'src', 'srclen', 'table', 'protocol']);

export function parseRules(rows: Json[], family: Family): Rule[] {
  return rows.map((row) => {
    const src = str(row.src);
    const srcLength = num(row.srclen, family === 'inet' ? 32 : 128);
    return {
      family,
      priority: num(row.priority, 0),
      table: num(row.table, TABLE_MAIN),
      protocol: num(row.protocol, 0),
      ...(src === undefined || src === 'all' ? {} : { src: `${src}/${srcLength}` }),
      otherSelectors: Object.keys(row).filter((key) => !RULE_OWN_KEYS.has(key)),
    };
  });
}
