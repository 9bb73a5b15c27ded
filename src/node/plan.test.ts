import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describe as describeChange, type Change } from './changes.ts';
import { parseCidr } from './ipv4.ts';
import type { KernelState, LinkSysctls, Route, Rule } from './kernel-state.ts';
import { AGENT_PROTOCOL, RULE_PRIORITY, TABLE_RANGE } from './marks.ts';
import { plan, type EniIntent, type PlanInput } from './plan.ts';
import { UnsafeChangeError } from '../errors.ts';
import { assertSafe } from './safety.ts';

const P = AGENT_PROTOCOL;
const ENI_MAC = '00:16:3e:00:00:01';
const ENI2_MAC = '00:16:3e:00:00:02';
const T0 = TABLE_RANGE.first;

/** A node: eth0 is the primary (default route of main), ens6 and ens7 are ENIs, down and bare. */
function node(): KernelState {
  return {
    links: [
      { index: 1, name: 'lo', mac: '00:00:00:00:00:00', mtu: 65536, up: true },
      { index: 2, name: 'eth0', mac: '00:16:3e:aa:aa:aa', mtu: 1500, up: true },
      { index: 3, name: 'ens6', mac: ENI_MAC, mtu: 1500, up: false },
      { index: 4, name: 'ens7', mac: ENI2_MAC, mtu: 1500, up: false },
    ],
    addresses: [{ family: 'inet', linkIndex: 2, ip: '192.168.1.10', prefixLength: 24, noPrefixRoute: false, scope: 0 }],
    routes: [
      { family: 'inet', table: 254, dst: 'default', type: 1, protocol: 16, scope: 0, dev: 'eth0', gateway: '192.168.1.253', onlink: false },
      { family: 'inet', table: 254, dst: '192.168.1.0/24', type: 1, protocol: 2, scope: 253, dev: 'eth0', onlink: false },
    ],
    rules: [
      { family: 'inet', priority: 0, table: 255, protocol: 0, otherSelectors: [] },
      { family: 'inet', priority: 32766, table: 254, protocol: 0, otherSelectors: [] },
      { family: 'inet', priority: 32767, table: 253, protocol: 0, otherSelectors: [] },
    ],
  };
}

function eni(overrides: Partial<EniIntent> = {}): EniIntent {
  return {
    claim: 'storage',
    mac: ENI_MAC,
    addresses: ['192.168.1.20', '192.168.1.21'],
    cidr: parseCidr('192.168.1.0/24') ?? assert.fail(),
    gateway: '192.168.1.253',
    mode: 'Policy',
    ...overrides,
  };
}

const TUNED = { rp_filter: 2, promote_secondaries: 1, arp_ignore: 1 };

function input(configure: EniIntent[], state = node(), extra: Partial<PlanInput> = {}): PlanInput {
  return { configure, release: [], state, sysctls: {}, ...extra };
}

/** What the kernel does with each change, closely enough to check that a second plan is empty. */
function applyToKernel(state: KernelState, sysctls: LinkSysctls, changes: readonly Change[]): void {
  const linkIndex = (name: string): number => state.links.find((l) => l.name === name)?.index ?? -1;
  for (const c of changes) {
    switch (c.op) {
      case 'sysctl-set':
        (sysctls[c.link] ??= {})[c.name] = c.value;
        break;
      case 'link-set': {
        const link = state.links.find((l) => l.name === c.link) ?? assert.fail();
        link.up = true;
        if (c.mtu !== undefined) link.mtu = c.mtu;
        break;
      }
      case 'addr-add':
        state.addresses.push({ family: 'inet', linkIndex: linkIndex(c.link), ip: c.ip, prefixLength: c.prefixLength, noPrefixRoute: true, scope: 0 });
        break;
      case 'addr-del':
        state.addresses = state.addresses.filter((a) => !(a.linkIndex === linkIndex(c.link) && a.ip === c.ip && a.prefixLength === c.prefixLength));
        break;
      case 'route-replace': {
        const { table, dst, dev, gateway } = c.route;
        state.routes = state.routes.filter((r) => !(r.table === table && r.dst === dst && (r.metric ?? 0) === 0));
        const route: Route = { family: 'inet', table, dst, type: 1, protocol: P, scope: gateway ? 0 : 253, dev, onlink: gateway !== undefined };
        state.routes.push(gateway ? { ...route, gateway } : route);
        break;
      }
      case 'route-del': {
        const i = state.routes.findIndex((r) => r.table === c.route.table && r.dst === c.route.dst && r.protocol === c.route.protocol && r.dev === c.route.dev);
        assert.ok(i >= 0, `deleting a route that is not there: ${describeChange(c)}`);
        state.routes.splice(i, 1);
        break;
      }
      case 'rule-add':
        state.rules.push({ family: 'inet', priority: c.rule.priority, table: c.rule.table, protocol: c.rule.protocol, ...(c.rule.src ? { src: c.rule.src } : {}), otherSelectors: [] });
        break;
      case 'rule-del': {
        const i = state.rules.findIndex((r) => r.priority === c.rule.priority && r.src === c.rule.src && r.table === c.rule.table);
        assert.ok(i >= 0, `deleting a rule that is not there: ${describeChange(c)}`);
        state.rules.splice(i, 1);
        break;
      }
    }
  }
}

/** Plans, applies to the fake kernel, and checks that planning again changes nothing. */
function converge(args: PlanInput): { changes: Change[]; state: KernelState; sysctls: LinkSysctls; outcomes: ReturnType<typeof plan>['outcomes'] } {
  const state = structuredClone(args.state);
  const sysctls = structuredClone(args.sysctls);
  const first = plan({ ...args, state: structuredClone(state), sysctls: structuredClone(sysctls) });
  applyToKernel(state, sysctls, first.changes);
  const second = plan({ ...args, state: structuredClone(state), sysctls: structuredClone(sysctls) });
  assert.deepEqual(second.changes.map(describeChange), [], 'a second pass must change nothing');
  return { changes: first.changes, state, sysctls, outcomes: first.outcomes };
}

const lines = (changes: readonly Change[]): string[] => changes.map(describeChange);

describe('planner: configuring one ENI', () => {
  test('Policy: sysctls, link up, addresses without prefix route, table routes, one rule per address', () => {
    const { changes, outcomes } = converge(input([eni()]));
    assert.deepEqual(lines(changes), [
      'sysctl net.ipv4.conf.ens6.rp_filter=2',
      'sysctl net.ipv4.conf.ens6.promote_secondaries=1',
      'sysctl net.ipv4.conf.ens6.arp_ignore=1',
      'ip link set dev ens6 up',
      'ip address add 192.168.1.20/24 dev ens6 noprefixroute',
      'ip address add 192.168.1.21/24 dev ens6 noprefixroute',
      `ip route replace 192.168.1.0/24 dev ens6 table ${T0} proto ${P} scope link`,
      `ip route replace default via 192.168.1.253 dev ens6 table ${T0} proto ${P} onlink`,
      `ip rule add priority ${RULE_PRIORITY} from 192.168.1.20/32 table ${T0} protocol ${P}`,
      `ip rule add priority ${RULE_PRIORITY} from 192.168.1.21/32 table ${T0} protocol ${P}`,
    ]);
    assert.deepEqual(outcomes.get('storage'), { configured: true, interface: 'ens6', table: T0 });
  });

  test('Addresses: link and addresses only, no table, no rule', () => {
    const { changes, outcomes } = converge(input([eni({ mode: 'Addresses', addresses: ['192.168.1.20'] })]));
    assert.deepEqual(
      lines(changes).filter((l) => !l.startsWith('sysctl')),
      ['ip link set dev ens6 up', 'ip address add 192.168.1.20/24 dev ens6 noprefixroute'],
    );
    assert.deepEqual(outcomes.get('storage'), { configured: true, interface: 'ens6' });
  });

  test('the MTU is set when asked and differs; the link is left alone when all is well', () => {
    assert.ok(lines(converge(input([eni({ mtu: 9000 })])).changes).includes('ip link set dev ens6 mtu 9000 up'));
    const state = node();
    state.links[2] = { ...state.links[2]!, up: true };
    const done = converge(input([eni()], state, { sysctls: { ens6: TUNED } }));
    assert.ok(!lines(done.changes).some((l) => l.startsWith('ip link') || l.startsWith('sysctl')));
  });

  test('the MAC is matched whatever its case, and VLANs sharing it are not the ENI', () => {
    const state = node();
    state.links.push({ index: 9, name: 'ens6.100', mac: ENI_MAC, mtu: 1500, up: true, kind: 'vlan' });
    const { outcomes } = converge(input([eni({ mac: ENI_MAC.toUpperCase() })], state));
    assert.deepEqual(outcomes.get('storage'), { configured: true, interface: 'ens6', table: T0 });
  });
});

describe('planner: what it never touches', () => {
  test("a claim carrying the primary's MAC is a RoutingConflict with no change at all", () => {
    const result = plan(input([eni({ mac: '00:16:3e:aa:aa:aa' })]));
    assert.deepEqual(result.changes, []);
    const outcome = result.outcomes.get('storage');
    assert.equal(outcome?.configured === false && outcome.reason, 'RoutingConflict');
  });

  test("foreign routes and rules, main's routes and the primary's address stay as they are", () => {
    const state = node();
    state.rules.push({ family: 'inet', priority: 100, src: '10.99.0.0/16', table: 100, protocol: 0, otherSelectors: [] });
    state.rules.push({ family: 'inet', priority: 2048, src: '192.168.1.50/32', table: 1005, protocol: 4, otherSelectors: [] });
    state.routes.push({ family: 'inet', table: 100, dst: 'default', type: 1, protocol: 4, scope: 0, dev: 'eth0', gateway: '192.168.1.1', onlink: false });
    state.routes.push({ family: 'inet', table: 254, dst: '10.0.0.0/8', type: 1, protocol: P + 1, scope: 0, dev: 'ens6', gateway: '192.168.1.1', onlink: false });
    const result = converge(input([eni()], state));
    for (const change of result.changes) {
      const text = describeChange(change);
      assert.ok(!/eth0|table 100\b|table 1005|table 254|10\.99|10\.0\.0\.0/.test(text), `touches foreign state: ${text}`);
    }
    assert.deepEqual(result.state.routes.filter((r) => r.protocol !== P), state.routes.filter((r) => r.protocol !== P));
    assert.deepEqual(result.state.rules.filter((r) => r.protocol !== P), state.rules);
  });

  test("a route carrying our mark in main is not ours to delete: main is the kernel's table", () => {
    const state = node();
    state.routes.push({ family: 'inet', table: 254, dst: '10.0.0.0/8', type: 1, protocol: P, scope: 0, dev: 'ens6', gateway: '192.168.1.1', onlink: false });
    assert.deepEqual(plan(input([], state)).changes, []);
  });

  test('the safety check refuses any change to the primary link or a kernel table', () => {
    const protectedNames = new Set(['eth0']);
    const unsafe: Change[] = [
      { op: 'addr-del', link: 'eth0', ip: '192.168.1.10', prefixLength: 24 },
      { op: 'route-replace', route: { table: 254, dst: 'default', dev: 'ens6', gateway: '192.168.1.1' } },
      { op: 'rule-del', rule: { priority: 100, table: 100, protocol: 0 } },
      { op: 'route-del', route: { table: 100, dst: 'default', type: 1, protocol: 4, dev: 'ens6' } },
      { op: 'sysctl-set', link: 'eth0', name: 'rp_filter', value: 2 },
    ];
    for (const change of unsafe) assert.throws(() => assertSafe([change], protectedNames), UnsafeChangeError, describeChange(change));
  });
});

describe('planner: secondary IPs in place', () => {
  test('an added secondary IP gets its address and rule; nothing else moves', () => {
    const before = converge(input([eni()]));
    const after = converge(input([eni({ addresses: ['192.168.1.20', '192.168.1.21', '192.168.1.22'] })], before.state, { sysctls: before.sysctls }));
    assert.deepEqual(lines(after.changes), [
      'ip address add 192.168.1.22/24 dev ens6 noprefixroute',
      `ip rule add priority ${RULE_PRIORITY} from 192.168.1.22/32 table ${T0} protocol ${P}`,
    ]);
  });

  test('a removed secondary IP loses its address and rule', () => {
    const before = converge(input([eni()]));
    const after = converge(input([eni({ addresses: ['192.168.1.20'] })], before.state, { sysctls: before.sysctls }));
    assert.deepEqual(lines(after.changes), [
      `ip rule del priority ${RULE_PRIORITY} from 192.168.1.21/32 table ${T0} protocol ${P}`,
      'ip address del 192.168.1.21/24 dev ens6',
    ]);
  });

  test('an address set by someone else with a prefix route is set again our way', () => {
    const state = node();
    state.addresses.push({ family: 'inet', linkIndex: 3, ip: '192.168.1.20', prefixLength: 24, noPrefixRoute: false, scope: 0 });
    const changes = lines(converge(input([eni({ addresses: ['192.168.1.20'] })], state)).changes);
    assert.ok(changes.includes('ip address del 192.168.1.20/24 dev ens6'));
    assert.ok(changes.includes('ip address add 192.168.1.20/24 dev ens6 noprefixroute'));
  });

  test('a foreign address on the ENI (prefix route, or outside the subnet) is left alone', () => {
    const state = node();
    state.addresses.push({ family: 'inet', linkIndex: 3, ip: '192.168.1.99', prefixLength: 24, noPrefixRoute: false, scope: 0 });
    state.addresses.push({ family: 'inet', linkIndex: 3, ip: '10.1.1.1', prefixLength: 32, noPrefixRoute: true, scope: 0 });
    assert.ok(!lines(converge(input([eni()], state)).changes).some((l) => l.includes('.99') || l.includes('10.1.1.1')));
  });
});

describe('planner: route tables', () => {
  const cases: { name: string; intents: EniIntent[]; setup?: (s: KernelState) => void; want: Record<string, number | string> }[] = [
    { name: 'the lowest table of the range by default', intents: [eni()], want: { storage: T0 } },
    { name: 'the table named in the claim', intents: [eni({ tableId: 1001 })], want: { storage: 1001 } },
    { name: 'the table recorded in the status', intents: [eni({ recordedTable: T0 + 7 })], want: { storage: T0 + 7 } },
    {
      name: 'the table of our own rule when the status lost it',
      intents: [eni()],
      setup: (s) => s.rules.push({ family: 'inet', priority: RULE_PRIORITY, src: '192.168.1.20/32', table: T0 + 3, protocol: P, otherSelectors: [] }),
      want: { storage: T0 + 3 },
    },
    {
      name: 'tables named by any route or rule are skipped (IPv6 too)',
      intents: [eni()],
      setup: (s) => {
        s.routes.push({ family: 'inet6', table: T0, dst: 'default', type: 1, protocol: 4, scope: 0, dev: 'eth0', onlink: false });
        s.rules.push({ family: 'inet', priority: 900, table: T0 + 1, protocol: 0, otherSelectors: ['fwmark'] });
      },
      want: { storage: T0 + 2 },
    },
    {
      name: 'two ENIs get distinct tables',
      intents: [eni(), eni({ claim: 'backup', mac: ENI2_MAC, addresses: ['192.168.1.30'] })],
      want: { backup: T0, storage: T0 + 1 },
    },
    {
      name: 'a named table wins over a recorded one',
      intents: [eni({ recordedTable: 1001 }), eni({ claim: 'backup', mac: ENI2_MAC, addresses: ['192.168.1.30'], tableId: 1001 })],
      want: { backup: 1001, storage: T0 },
    },
    {
      name: 'a recorded table that now holds foreign routes is given up',
      intents: [eni({ recordedTable: T0 })],
      setup: (s) => s.routes.push({ family: 'inet', table: T0, dst: '10.0.0.0/8', type: 1, protocol: 4, scope: 253, dev: 'eth0', onlink: false }),
      want: { storage: T0 + 1 },
    },
    { name: 'a reserved table is a conflict', intents: [eni({ tableId: 254 })], want: { storage: 'RoutingConflict' } },
    {
      name: 'a named table holding foreign routes is a conflict',
      intents: [eni({ tableId: 100 })],
      setup: (s) => s.routes.push({ family: 'inet', table: 100, dst: 'default', type: 1, protocol: 4, scope: 0, dev: 'eth0', gateway: '192.168.1.1', onlink: false }),
      want: { storage: 'RoutingConflict' },
    },
    {
      name: 'two claims naming one table: the second is a conflict',
      intents: [eni({ tableId: 1001 }), eni({ claim: 'backup', mac: ENI2_MAC, addresses: ['192.168.1.30'], tableId: 1001 })],
      want: { backup: 1001, storage: 'RoutingConflict' },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const state = node();
      c.setup?.(state);
      const { outcomes } = plan(input(c.intents, state));
      const got = Object.fromEntries(
        [...outcomes].map(([claim, o]) => [claim, o.configured ? (o.table ?? -1) : o.reason]),
      );
      assert.deepEqual(got, c.want);
    });
  }

  test('the chosen table is stable: planning again on the applied state keeps it', () => {
    const first = converge(input([eni()]));
    const again = plan(input([eni({ recordedTable: T0 })], first.state, { sysctls: first.sysctls }));
    assert.deepEqual(again.changes, []);
    assert.deepEqual(again.outcomes.get('storage'), { configured: true, interface: 'ens6', table: T0 });
  });

  test('eight ENIs: eight tables, one rule per address, all converged in one pass', () => {
    const state = node();
    const intents = Array.from({ length: 8 }, (_, i) => {
      const mac = `00:16:3e:00:01:0${i}`;
      state.links.push({ index: 10 + i, name: `eth${i + 1}`, mac, mtu: 1500, up: false });
      return eni({ claim: `eni-${i}`, mac, addresses: [`192.168.1.${100 + i}`] });
    });
    const { outcomes, state: after } = converge(input(intents, state));
    const tables = [...outcomes.values()].map((o) => (o.configured ? o.table : undefined));
    assert.equal(new Set(tables).size, 8);
    assert.equal(after.rules.filter((r) => r.protocol === P).length, 8);
  });
});

describe('planner: conflicts', () => {
  test('an address already on another link is an AddressConflict, with no change for the claim', () => {
    const result = plan(input([eni({ addresses: ['192.168.1.10'] })]));
    assert.deepEqual(result.changes, []);
    assert.deepEqual(result.outcomes.get('storage'), {
      configured: false,
      reason: 'AddressConflict',
      message: '192.168.1.10 is already configured on eth0',
    });
  });

  test("a foreign rule for the ENI's address ahead of ours is a RoutingConflict", () => {
    const state = node();
    state.rules.push({ family: 'inet', priority: 1000, src: '192.168.1.21/32', table: 1003, protocol: 0, otherSelectors: [] });
    const outcome = plan(input([eni()], state)).outcomes.get('storage');
    assert.equal(outcome?.configured === false && outcome.reason, 'RoutingConflict');
  });

  test('a missing interface is InterfaceNotFound, and its existing rules are kept until it returns', () => {
    const state = node();
    state.links = state.links.filter((l) => l.mac !== ENI_MAC);
    state.rules.push({ family: 'inet', priority: RULE_PRIORITY, src: '192.168.1.20/32', table: T0, protocol: P, otherSelectors: [] });
    const result = plan(input([eni()], state));
    assert.deepEqual(result.changes, []);
    assert.deepEqual(result.outcomes.get('storage'), {
      configured: false,
      reason: 'InterfaceNotFound',
      message: `no network interface has MAC ${ENI_MAC}`,
    });
  });

  test('two real links with one MAC: the agent cannot tell which is the ENI', () => {
    const state = node();
    state.links.push({ index: 8, name: 'ens8', mac: ENI_MAC, mtu: 1500, up: false });
    const outcome = plan(input([eni()], state)).outcomes.get('storage');
    assert.equal(outcome?.configured === false && outcome.reason, 'RoutingConflict');
  });
});

describe('planner: release and stale state', () => {
  test('release removes the addresses, routes and rules it set, each attributed to the claim', () => {
    const configured = converge(input([eni()]));
    const released = converge({ configure: [], release: [eni({ recordedTable: T0 })], state: configured.state, sysctls: configured.sysctls });
    assert.deepEqual(lines(released.changes), [
      `ip rule del priority ${RULE_PRIORITY} from 192.168.1.20/32 table ${T0} protocol ${P}`,
      `ip rule del priority ${RULE_PRIORITY} from 192.168.1.21/32 table ${T0} protocol ${P}`,
      `ip route del unicast 192.168.1.0/24 table ${T0} proto ${P} dev ens6`,
      `ip route del unicast default table ${T0} proto ${P} via 192.168.1.253 dev ens6`,
      'ip address del 192.168.1.20/24 dev ens6',
      'ip address del 192.168.1.21/24 dev ens6',
    ]);
    assert.ok(released.changes.every((c) => c.claim === 'storage'));
    assert.deepEqual(released.state.routes, node().routes);
    assert.deepEqual(released.state.rules, node().rules);
  });

  test('rules and routes of ENIs that vanished while the agent was down are swept', () => {
    const state = node();
    const rule: Rule = { family: 'inet', priority: RULE_PRIORITY, src: '192.168.1.40/32', table: T0 + 5, protocol: P, otherSelectors: [] };
    state.rules.push(rule);
    state.routes.push({ family: 'inet', table: T0 + 5, dst: 'default', type: 1, protocol: P, scope: 0, dev: 'ens7', gateway: '192.168.1.253', onlink: true });
    const { changes } = converge(input([eni()], state));
    const sweep = changes.filter((c) => c.claim === undefined).map(describeChange);
    assert.deepEqual(sweep, [
      `ip rule del priority ${RULE_PRIORITY} from 192.168.1.40/32 table ${T0 + 5} protocol ${P}`,
      `ip route del unicast default table ${T0 + 5} proto ${P} via 192.168.1.253 dev ens7`,
    ]);
  });

  test('switching an ENI from Policy to Addresses removes its rules and routes', () => {
    const policy = converge(input([eni()]));
    const addresses = converge(input([eni({ mode: 'Addresses' })], policy.state, { sysctls: policy.sysctls }));
    assert.equal(addresses.state.rules.filter((r) => r.protocol === P).length, 0);
    assert.equal(addresses.state.routes.filter((r) => r.protocol === P).length, 0);
    assert.equal(addresses.state.addresses.filter((a) => a.linkIndex === 3).length, 2);
  });

  test('drift: a deleted rule and route come back, nothing else changes', () => {
    const done = converge(input([eni()]));
    const drifted = structuredClone(done.state);
    drifted.rules = drifted.rules.filter((r) => r.src !== '192.168.1.21/32');
    drifted.routes = drifted.routes.filter((r) => !(r.protocol === P && r.dst === 'default'));
    const repair = plan(input([eni({ recordedTable: T0 })], drifted, { sysctls: done.sysctls }));
    assert.deepEqual(lines(repair.changes), [
      `ip route replace default via 192.168.1.253 dev ens6 table ${T0} proto ${P} onlink`,
      `ip rule add priority ${RULE_PRIORITY} from 192.168.1.21/32 table ${T0} protocol ${P}`,
    ]);
  });
});
