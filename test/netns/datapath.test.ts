// The planner and the kernel access on a real kernel: namespaces and veth pairs stand in for a node,
// its VPC and a remote host (test/support/netns.ts). Needs root; with CI=true a missing capability fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelDatapath, type Intents } from '../../src/node/datapath.ts';
import { IpRoute } from '../../src/node/iproute.ts';
import { parseCidr } from '../../src/node/ipv4.ts';
import { AGENT_PROTOCOL, TABLE_RANGE } from '../../src/node/marks.ts';
import type { EniIntent } from '../../src/node/plan.ts';
import { Sysctls } from '../../src/node/sysctl.ts';
import { ENI_SUBNET, REMOTE, createTopology, netnsUnavailable, removeStaleNamespaces, type Topology } from '../support/netns.ts';

const T0 = TABLE_RANGE.first;
type Row = Record<string, unknown>;

function intent(claim: string, mac: string, addresses: string[], extra: Partial<EniIntent> = {}): EniIntent {
  return {
    claim,
    mac,
    addresses,
    cidr: parseCidr(ENI_SUBNET.cidr) ?? assert.fail(),
    gateway: ENI_SUBNET.gateway,
    mode: 'Policy',
    ...extra,
  };
}

function datapathFor(topology: Topology): KernelDatapath {
  return new KernelDatapath(new IpRoute({ netns: topology.node }), new Sysctls({ netns: topology.node }));
}

/** The node's routes and rules minus what an ENI link or the agent brought (the primary's share). */
async function primaryShare(topology: Topology, eniLinks: string[]): Promise<{ routes: Row[]; rules: Row[] }> {
  const { routes, rules } = await topology.routingSnapshot();
  const ours = (row: Row): boolean => row.protocol === String(AGENT_PROTOCOL) || eniLinks.includes(String(row.dev));
  return { routes: routes.filter((r) => !ours(r)), rules: rules.filter((r) => !ours(r)) };
}

async function routeGet(topology: Topology, args: string[]): Promise<string> {
  const [route] = await topology.ipJson<Row[]>(topology.node, ['route', 'get', ...args]);
  return String(route?.dev);
}

async function converge(datapath: KernelDatapath, intents: Intents): Promise<void> {
  const result = await datapath.reconcile(intents);
  assert.deepEqual(result.failed, []);
  assert.deepEqual(result.remaining, []);
  const again = await datapath.plan(intents);
  assert.deepEqual(again.changes, [], 'a second pass on the applied state changes nothing');
}

const skip = await netnsUnavailable();

describe('datapath on a real kernel', { skip, concurrency: false }, () => {
  before(async () => {
    await removeStaleNamespaces();
  });

  describe('one ENI in Policy mode', () => {
    let topology: Topology;
    before(async () => {
      topology = await createTopology();
    });
    after(async () => topology?.destroy());

    test('traffic from the ENI address leaves by the ENI; replies to traffic it received go back by it', async () => {
      const eni = await topology.plugEni({ name: 'ens6' });
      const before = await primaryShare(topology, [eni.name]);
      const datapath = datapathFor(topology);
      const intents = { configure: [intent('a', eni.mac, ['192.168.50.20', '192.168.50.21'])], release: [] };
      const result = await datapath.reconcile(intents);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.outcomes.get('a'), { configured: true, interface: 'ens6', table: T0 });
      assert.deepEqual(result.remaining, []);
      assert.deepEqual((await datapath.plan(intents)).changes, [], 'idempotent');

      // Routing decisions: the ENI's addresses use its table; the node's own traffic keeps the primary.
      assert.equal(await routeGet(topology, [REMOTE.ip, 'from', '192.168.50.20']), 'ens6');
      assert.equal(await routeGet(topology, [REMOTE.ip, 'from', '192.168.50.21']), 'ens6');
      assert.equal(await routeGet(topology, [REMOTE.ip]), 'eth0');
      assert.equal(await routeGet(topology, ['192.168.50.99']), 'eth0', 'main has no route through the ENI');

      // Real packets. The primary's gateway is a dead end, so only the ENI path can answer.
      const server = await topology.tcpServer(topology.remote, REMOTE.ip, 7001);
      assert.equal(await topology.tcpConnect(topology.node, REMOTE.ip, 7001, { localAddress: '192.168.50.21' }), true);
      assert.equal(await topology.tcpConnect(topology.node, REMOTE.ip, 7001, { timeoutMs: 500 }), false);
      await server.stop();

      const counters = await topology.linkCounters('ens6');
      const local = await topology.tcpServer(topology.node, '192.168.50.20', 7002);
      assert.equal(await topology.tcpConnect(topology.remote, '192.168.50.20', 7002), true, 'the reply found its way back');
      await local.stop();
      const after = await topology.linkCounters('ens6');
      assert.ok(after.txPackets > counters.txPackets, 'the replies left by the ENI');

      assert.deepEqual(await primaryShare(topology, [eni.name]), before, "the primary's routes and rules are unchanged");
    });

    test('secondary IPs are added and removed in place', async () => {
      const mac = (await topology.ipJson<Row[]>(topology.node, ['link', 'show', 'dev', 'ens6']))[0]?.address as string;
      const datapath = datapathFor(topology);
      await converge(datapath, { configure: [intent('a', mac, ['192.168.50.20', '192.168.50.21', '192.168.50.22'])], release: [] });
      assert.equal(await routeGet(topology, [REMOTE.ip, 'from', '192.168.50.22']), 'ens6');
      await converge(datapath, { configure: [intent('a', mac, ['192.168.50.20', '192.168.50.22'])], release: [] });
      const addresses = await topology.ipJson<{ addr_info: { local: string }[] }[]>(topology.node, ['-4', 'address', 'show', 'dev', 'ens6']);
      assert.deepEqual(addresses[0]?.addr_info.map((a) => a.local), ['192.168.50.20', '192.168.50.22']);
      const rules = await topology.ipJson<Row[]>(topology.node, ['rule', 'show', 'table', String(T0)]);
      assert.deepEqual(rules.map((r) => r.src).sort(), ['192.168.50.20', '192.168.50.22']);
    });

    test('release removes every route, rule and address the agent set, and nothing else', async () => {
      const mac = (await topology.ipJson<Row[]>(topology.node, ['link', 'show', 'dev', 'ens6']))[0]?.address as string;
      await topology.ip(topology.node, ['rule', 'add', 'from', '10.99.0.0/16', 'lookup', '100', 'priority', '100']);
      const datapath = datapathFor(topology);
      const released = intent('a', mac, ['192.168.50.20', '192.168.50.22'], { recordedTable: T0 });
      await converge(datapath, { configure: [], release: [released] });
      const { routes, rules } = await topology.routingSnapshot();
      assert.deepEqual(routes.filter((r) => r.protocol === String(AGENT_PROTOCOL)), []);
      assert.deepEqual(rules.filter((r) => r.protocol === String(AGENT_PROTOCOL)), []);
      assert.ok(rules.some((r) => r.src === '10.99.0.0' && r.table === '100'), 'the foreign rule stays');
      const addresses = await topology.ipJson<{ addr_info: unknown[] }[]>(topology.node, ['-4', 'address', 'show', 'dev', 'ens6']);
      assert.equal(addresses[0]?.addr_info.length ?? 0, 0);
    });
  });

  describe('several ENIs on one node', () => {
    let topology: Topology;
    before(async () => {
      topology = await createTopology();
    });
    after(async () => topology?.destroy());

    for (const count of [2, 8]) {
      test(`${count} ENIs: distinct tables, each address leaves by its own ENI`, async () => {
          const enis = [];
        for (let i = 0; i < count; i++) enis.push(await topology.plugEni());
        const intents = enis.map((eni, i) => intent(`eni-${count}-${i}`, eni.mac, [`192.168.50.${100 + i}`]));
        await converge(datapathFor(topology), { configure: intents, release: [] });
        const server = await topology.tcpServer(topology.remote, REMOTE.ip, 7100 + count);
        for (const [i, eni] of enis.entries()) {
          assert.equal(await routeGet(topology, [REMOTE.ip, 'from', `192.168.50.${100 + i}`]), eni.name);
          assert.equal(await topology.tcpConnect(topology.node, REMOTE.ip, 7100 + count, { localAddress: `192.168.50.${100 + i}` }), true);
        }
        await server.stop();
        const rules = (await topology.routingSnapshot()).rules.filter((r) => r.protocol === String(AGENT_PROTOCOL));
        assert.equal(new Set(rules.map((r) => r.table)).size, count);
        // Leave the node bare for the next case.
        await converge(datapathFor(topology), { configure: [], release: intents });
        for (const eni of enis) await topology.unplugEni(eni.mac);
      });
    }
  });

  describe('rp_filter', () => {
    let topology: Topology;
    before(async () => {
      topology = await createTopology();
    });
    after(async () => topology?.destroy());

    test('with all=1 (strict), traffic arriving on the ENI is not dropped, and `all` is left as it was', async () => {
      await topology.exec(topology.node, ['sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.conf.default.rp_filter=1']);
      const eni = await topology.plugEni();
      // Addresses mode: no source rule, so the reverse path of the sender is the primary's default route.
      await converge(datapathFor(topology), { configure: [intent('a', eni.mac, ['192.168.50.30'], { mode: 'Addresses' })], release: [] });
      const read = async (key: string): Promise<string> => (await topology.exec(topology.node, ['sysctl', '-n', key])).stdout.trim();
      assert.equal(await read('net.ipv4.conf.all.rp_filter'), '1');
      assert.equal(await read(`net.ipv4.conf.${eni.name}.rp_filter`), '2');

      const receiver = await topology.udpReceiver(topology.node, '192.168.50.30', 7200);
      await topology.udpSend(topology.remote, '192.168.50.30', 7200);
      await waitUntil(() => receiver.received() === 1);

      // Control: with the ENI back at 0 the kernel applies all=1, and the same datagram is dropped.
      await topology.exec(topology.node, ['sysctl', '-q', '-w', `net.ipv4.conf.${eni.name}.rp_filter=0`]);
      await topology.udpSend(topology.remote, '192.168.50.30', 7200);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.received(), 1, 'strict mode drops it: the loose setting is what let it in');
      await receiver.stop();
    });
  });

  describe('a missing interface', () => {
    let topology: Topology;
    before(async () => {
      topology = await createTopology();
    });
    after(async () => topology?.destroy());

    test('is InterfaceNotFound, with no change to the kernel; once plugged it is configured', async () => {
      const before = await topology.routingSnapshot();
      const intents = { configure: [intent('late', '00:16:3e:0f:0f:0f', ['192.168.50.40'])], release: [] };
      const result = await datapathFor(topology).reconcile(intents);
      assert.deepEqual(result.outcomes.get('late'), {
        configured: false,
        reason: 'InterfaceNotFound',
        message: 'no network interface has MAC 00:16:3e:0f:0f:0f',
      });
      assert.deepEqual(result.applied, []);
      assert.deepEqual(await topology.routingSnapshot(), before);
      await topology.plugEni({ mac: '00:16:3e:0f:0f:0f' });
      const later = await datapathFor(topology).reconcile(intents);
      assert.equal(later.outcomes.get('late')?.configured, true);
    });
  });

  describe('IpRoute.applyAndRead', () => {
    let topology: Topology;
    before(async () => {
      topology = await createTopology();
    });
    after(async () => topology?.destroy());

    test('goes on past a failed command, names it by position, and reads the state after the whole batch', async () => {
      const { name } = await topology.plugEni();
      const ip = new IpRoute({ netns: topology.node });
      const commands = [
        `link set dev ${name} mtu 1400 up`,
        `route replace 192.168.50.0/24 dev no-such-link table ${T0} proto ${AGENT_PROTOCOL} scope link`,
        `address add 192.168.50.77/24 dev ${name} noprefixroute`,
      ];
      const { failures, state } = await ip.applyAndRead(commands);
      assert.deepEqual(failures.map((f) => [f.index, f.command]), [[1, commands[1]]]);
      assert.match(failures[0]?.message ?? '', /no-such-link/);
      const link = state.links.find((l) => l.name === name) ?? assert.fail(`${name} not read back`);
      assert.deepEqual([link.mtu, link.up], [1400, true], 'the link as the batch left it');
      assert.ok(state.addresses.some((a) => a.linkIndex === link.index && a.ip === '192.168.50.77'), 'the address added after the failure');
      assert.equal(state.routes.filter((r) => r.table === T0).length, 0);
      assert.ok(state.routes.some((r) => r.family === 'inet6') || state.rules.some((r) => r.family === 'inet6'), 'the IPv6 read is part of the state');
      assert.deepEqual(await ip.read(), state, 'the same state a separate read sees');
    });
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
