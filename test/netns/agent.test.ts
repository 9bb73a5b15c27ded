// The node agent end to end on a real kernel and a real kube-apiserver: claims whose status the test
// writes as the controller would (Attached=True, MAC, IPs, CIDR, gateway), and a "node" namespace
// (test/support/netns.ts) that the agent manages through --netns. Needs root and the control-plane
// binaries; with CI=true a missing capability fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { CustomObjectsApi, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { ClaimStatus, NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { AGENT_FINALIZER, CONTROLLER_FIELD_MANAGER, GROUP, NODE_LABEL, PLURAL, VERSION } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { createMetrics, type NodeAgentProcessMetrics } from '../../src/metrics.ts';
import { NodeAgent } from '../../src/node/agent.ts';
import { KernelDatapath } from '../../src/node/datapath.ts';
import { IpRoute } from '../../src/node/iproute.ts';
import { AGENT_PROTOCOL, RULE_PRIORITY, TABLE_RANGE } from '../../src/node/marks.ts';
import { MONITORED_OBJECTS } from '../../src/node/monitor.ts';
import { Sysctls } from '../../src/node/sysctl.ts';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { ENI_SUBNET, REMOTE, createTopology, netnsUnavailable, removeStaleNamespaces, type Topology } from '../support/netns.ts';

const NODE = 'node-a';
const T0 = TABLE_RANGE.first;
const P = String(AGENT_PROTOCOL);
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
type Row = Record<string, unknown>;

const skip = await netnsUnavailable();

export interface RunningAgent {
  agent: NodeAgent;
  metrics: NodeAgentProcessMetrics;
  stop(): Promise<void>;
}

async function startAgent(kubeConfig: KubeConfig, netns: string, agentLogger = logger): Promise<RunningAgent> {
  const ip = new IpRoute({ netns });
  const metrics = createMetrics('node-agent');
  const agent = new NodeAgent({
    kube: kubeConfig,
    nodeName: NODE,
    datapath: new KernelDatapath(ip, new Sysctls({ netns })),
    monitorCommand: ip.monitorCommand(MONITORED_OBJECTS),
    logger: agentLogger,
    metrics,
    hotplug: { graceMs: 1_000, fastRetryMs: 250, slowRetryMs: 60_000 },
  });
  await agent.start();
  return { agent, metrics, stop: () => agent.stop() };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The agent's reconciles so far, whatever their result. */
async function reconciles(metrics: NodeAgentProcessMetrics): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

function configured(claim: NetworkInterfaceClaim | undefined): { status: string; reason: string; message: string } | undefined {
  return claim?.status?.conditions?.find((c) => c.type === 'Configured');
}

/** Writes the status the controller writes once the ENI is attached to this node. */
async function attach(client: ClaimClient, name: string, mac: string, addresses: string[]): Promise<void> {
  const [primary = '', ...secondaries] = addresses;
  const status: Partial<ClaimStatus> = {
    phase: 'Configuring',
    networkInterfaceId: `eni-${name}`,
    nodeName: NODE,
    instanceId: 'i-node-a',
    macAddress: mac,
    primaryIpAddress: primary,
    secondaryPrivateIpAddresses: secondaries,
    cidrBlock: ENI_SUBNET.cidr,
    gateway: ENI_SUBNET.gateway,
    conditions: [{ type: 'Attached', status: 'True', reason: 'Attached', message: '', lastTransitionTime: new Date().toISOString() }],
  };
  await client.applyStatus(name, CONTROLLER_FIELD_MANAGER, status);
}

async function createClaim(client: ClaimClient, name: string): Promise<void> {
  await client.create({
    metadata: { name, labels: { [NODE_LABEL]: NODE } },
    spec: { nodeName: NODE, vSwitchId: 'vsw-test1', securityGroupIds: ['sg-test1'] },
  });
}

/** The agent's routes and rules, in a stable order (a repaired rule is listed last by the kernel). */
async function ours(topology: Topology): Promise<{ routes: Row[]; rules: Row[] }> {
  const { routes, rules } = await topology.routingSnapshot();
  const sorted = (rows: Row[]): Row[] => rows.filter((r) => r.protocol === P).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { routes: sorted(routes), rules: sorted(rules) };
}

/** A sample of a metric family (`_count` of a histogram included), by labels. */
async function counter(metrics: NodeAgentProcessMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const family = name.replace(/_count$/, '');
  const metric = await metrics.registry.getSingleMetric(family)?.get();
  const match = metric?.values.find(
    (v) => ((v as { metricName?: string }).metricName ?? family) === name && Object.entries(labels).every(([k, val]) => v.labels[k] === val),
  );
  return match?.value ?? 0;
}

describe('node agent on a real kernel and kube-apiserver', { skip, concurrency: false }, () => {
  let cp: ControlPlane;
  let client: ClaimClient;
  let topology: Topology;
  let running: RunningAgent;
  let eniMac = '';
  /** The agent's log lines, to count what it did (a release is done once, not once per pass). */
  const logLines: string[] = [];
  const capturing = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const releases = (claim: string): number =>
    logLines.map((l) => JSON.parse(l) as { msg?: string; claim?: string }).filter((l) => l.msg?.startsWith('released the claim') && l.claim === claim).length;

  before(async () => {
    await removeStaleNamespaces();
    cp = await startControlPlane();
    await applyCrds(cp.kubeConfig);
    client = new ClaimClient(cp.kubeConfig);
    topology = await createTopology();
    running = await startAgent(cp.kubeConfig, topology.node, capturing);
  });
  after(async () => {
    await running?.stop();
    await topology?.destroy();
    await cp?.stop();
  });

  test('an attached claim: finalizer, kernel state, Configured=True with the interface and table', async () => {
    const eni = await topology.plugEni({ name: 'ens6' });
    eniMac = eni.mac;
    const primaryBefore = await topology.routingSnapshot();
    await createClaim(client, 'storage');
    await attach(client, 'storage', eni.mac, ['192.168.50.20', '192.168.50.21']);
    const claim = await waitFor('Configured=True', async () => {
      const c = await client.get('storage');
      return configured(c)?.status === 'True' && c;
    });
    assert.ok(claim.metadata.finalizers?.includes(AGENT_FINALIZER));
    assert.deepEqual(claim.status?.interface, { name: 'ens6', routeTable: T0 });
    assert.equal(configured(claim)?.reason, 'Configured');
    assert.equal(claim.status?.conditions?.find((c) => c.type === 'Attached')?.status, 'True', "the controller's condition stays");

    const server = await topology.tcpServer(topology.remote, REMOTE.ip, 7301);
    assert.equal(await topology.tcpConnect(topology.node, REMOTE.ip, 7301, { localAddress: '192.168.50.21' }), true);
    await server.stop();
    const after = await topology.routingSnapshot();
    const primaryShare = (s: { routes: Row[]; rules: Row[] }): unknown => ({
      routes: s.routes.filter((r) => r.protocol !== P && r.dev !== 'ens6'),
      rules: s.rules.filter((r) => r.protocol !== P),
    });
    assert.deepEqual(primaryShare(after), primaryShare(primaryBefore));
  });

  test('secondary IPs added and removed in place', async () => {
    await attach(client, 'storage', eniMac, ['192.168.50.20', '192.168.50.21', '192.168.50.22']);
    await waitFor('rule for .22', async () => (await ours(topology)).rules.some((r) => r.src === '192.168.50.22'));
    await waitFor('3 addresses reported', async () => configured(await client.get('storage'))?.message.includes('3 addresses'));
    await attach(client, 'storage', eniMac, ['192.168.50.20', '192.168.50.22']);
    await waitFor('rule for .21 gone', async () => !(await ours(topology)).rules.some((r) => r.src === '192.168.50.21'));
    const addresses = await topology.ipJson<{ addr_info: { local: string }[] }[]>(topology.node, ['-4', 'address', 'show', 'dev', 'ens6']);
    assert.deepEqual(addresses[0]?.addr_info.map((a) => a.local), ['192.168.50.20', '192.168.50.22']);
  });

  test('drift: a deleted rule, route or address comes back; a foreign rule is left alone', async () => {
    const { metrics } = running;
    const before = await ours(topology);
    await topology.ip(topology.node, ['rule', 'add', 'from', '10.99.0.0/16', 'lookup', '100', 'priority', '100']);
    await topology.ip(topology.node, ['rule', 'del', 'from', '192.168.50.20', 'table', String(T0), 'priority', String(RULE_PRIORITY)]);
    await waitFor('rule restored', async () => (await ours(topology)).rules.some((r) => r.src === '192.168.50.20'), 3_000);
    await topology.ip(topology.node, ['route', 'del', 'default', 'table', String(T0)]);
    await waitFor('route restored', async () => (await ours(topology)).routes.some((r) => r.dst === 'default'), 3_000);
    await topology.ip(topology.node, ['address', 'del', '192.168.50.22/24', 'dev', 'ens6']);
    await waitFor('address restored', async () => {
      const rows = await topology.ipJson<{ addr_info: { local: string }[] }[]>(topology.node, ['-4', 'address', 'show', 'dev', 'ens6']);
      return rows[0]?.addr_info.some((a) => a.local === '192.168.50.22');
    }, 3_000);
    assert.deepEqual(await ours(topology), before, 'the same state, no duplicates');
    const rules = (await topology.routingSnapshot()).rules;
    assert.ok(rules.some((r) => r.src === '10.99.0.0' && r.table === '100'), 'the foreign rule stays');
    assert.ok((await counter(metrics, 'ecseni_agent_drift_repairs_total', { kind: 'rule' })) >= 1);
    assert.ok((await counter(metrics, 'ecseni_agent_drift_repairs_total', { kind: 'route' })) >= 1);
    assert.ok((await counter(metrics, 'ecseni_agent_drift_repairs_total', { kind: 'address' })) >= 1);
    await topology.ip(topology.node, ['rule', 'del', 'from', '10.99.0.0/16', 'lookup', '100', 'priority', '100']);
  });

  test('restart: the same state, no duplicates; after a "reboot" the same table is rebuilt', async () => {
    await running.stop();
    const before = await ours(topology);
    running = await startAgent(cp.kubeConfig, topology.node, capturing);
    await waitFor('agent ready', () => running.agent.ready());
    assert.deepEqual(await ours(topology), before);
    assert.equal(await counter(running.metrics, 'ecseni_agent_apply_duration_seconds_count', {}), 0, 'the restarted agent changed nothing');

    // A reboot loses everything the agent set; the claim's status still records the table.
    await running.stop();
    for (const rule of before.rules) {
      await topology.ip(topology.node, ['rule', 'del', 'from', String(rule.src), 'table', String(rule.table), 'priority', String(rule.priority)]);
    }
    await topology.ip(topology.node, ['route', 'flush', 'table', String(T0)]);
    await topology.ip(topology.node, ['address', 'flush', 'dev', 'ens6']);
    running = await startAgent(cp.kubeConfig, topology.node, capturing);
    await waitFor('rebuilt', async () => (await ours(topology)).rules.length === before.rules.length);
    assert.deepEqual(await ours(topology), before);
  });

  test('a second ENI gets its own table', async () => {
    const eni = await topology.plugEni({ name: 'ens7' });
    await createClaim(client, 'backup');
    await attach(client, 'backup', eni.mac, ['192.168.50.30']);
    const claim = await waitFor('backup configured', async () => {
      const c = await client.get('backup');
      return configured(c)?.status === 'True' && c;
    });
    assert.deepEqual(claim.status?.interface, { name: 'ens7', routeTable: T0 + 1 });
    assert.equal(await topology.tcpConnect(topology.node, REMOTE.ip, 7302, { localAddress: '192.168.50.30', timeoutMs: 300 }), false, 'no server yet');
    const server = await topology.tcpServer(topology.remote, REMOTE.ip, 7302);
    assert.equal(await topology.tcpConnect(topology.node, REMOTE.ip, 7302, { localAddress: '192.168.50.30' }), true);
    await server.stop();
  });

  test('moved to another node: its state is removed, its fields taken off, its finalizer dropped', async () => {
    const claim = (await client.get('backup')) ?? assert.fail();
    await cp.kubeConfig.makeApiClient(CustomObjectsApi).patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, name: 'backup', body: { spec: { nodeName: 'node-b' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const released = await waitFor('finalizer dropped', async () => {
      const c = await client.get('backup');
      return c && !c.metadata.finalizers?.includes(AGENT_FINALIZER) && c;
    });
    assert.equal(released.status?.interface, undefined);
    assert.equal(configured(released), undefined);
    assert.ok(claim.metadata.generation !== released.metadata.generation);
    await new Promise((r) => setTimeout(r, 500)); // passes that follow on the kernel's own events
    assert.equal(releases('backup'), 1, 'let go of once, though the cache showed the finalizer a moment longer');
    const state = await ours(topology);
    assert.ok(!state.rules.some((r) => r.src === '192.168.50.30'));
    assert.ok(!state.routes.some((r) => r.table === String(T0 + 1)));
    const rows = await topology.ipJson<{ addr_info: unknown[] }[]>(topology.node, ['-4', 'address', 'show', 'dev', 'ens7']);
    assert.equal(rows[0]?.addr_info.length ?? 0, 0);
  });

  test('claim deleted: all its kernel state goes, then its finalizer', async () => {
    await client.delete('storage');
    await waitFor('claim gone', async () => (await client.get('storage')) === undefined);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(releases('storage'), 1);
    assert.deepEqual(await ours(topology), { routes: [], rules: [] });
    const rows = await topology.ipJson<{ addr_info: unknown[] }[]>(topology.node, ['-4', 'address', 'show', 'dev', 'ens6']);
    assert.equal(rows[0]?.addr_info.length ?? 0, 0);
  });

  test('bound here, not attached yet: the finalizer is taken ahead of the attach, and nothing else', async () => {
    await createClaim(client, 'early');
    const held = await waitFor('finalizer held', async () => {
      const c = await client.get('early');
      return c?.metadata.finalizers?.includes(AGENT_FINALIZER) && c;
    });
    assert.equal(configured(held), undefined);
    assert.equal(held.status?.interface, undefined);
    await client.delete('early');
    await waitFor('claim gone', async () => (await client.get('early')) === undefined);
    assert.equal(releases('early'), 1);
  });

  test('detached by hand while configured: its state goes and its report is taken off, the claim stays held; attached again: configured again', async () => {
    const eni = await topology.plugEni({ name: 'ens9' });
    await createClaim(client, 'rehome');
    await attach(client, 'rehome', eni.mac, ['192.168.50.45']);
    await waitFor('Configured=True', async () => configured(await client.get('rehome'))?.status === 'True');
    assert.ok((await ours(topology)).rules.some((r) => r.src === '192.168.50.45'));

    // What the controller writes when it finds the ENI Available, about to attach it again.
    await topology.unplugEni(eni.mac);
    await client.applyStatus('rehome', CONTROLLER_FIELD_MANAGER, {
      conditions: [{ type: 'Attached', status: 'False', reason: 'Attaching', message: '', lastTransitionTime: new Date().toISOString() }],
    });
    const stoodDown = await waitFor('report taken off', async () => {
      const c = await client.get('rehome');
      return c && configured(c) === undefined && c;
    });
    assert.ok(stoodDown.metadata.finalizers?.includes(AGENT_FINALIZER), 'held for the next attach');
    assert.equal(stoodDown.status?.interface, undefined);
    assert.ok(!(await ours(topology)).rules.some((r) => r.src === '192.168.50.45'), 'its rule is gone with the link');
    assert.equal(releases('rehome'), 0);

    const again = await topology.plugEni({ mac: eni.mac, name: 'ens9' });
    await attach(client, 'rehome', again.mac, ['192.168.50.45']);
    await waitFor('Configured=True again', async () => configured(await client.get('rehome'))?.status === 'True');
    assert.ok((await ours(topology)).rules.some((r) => r.src === '192.168.50.45'));

    // The same while the agent is down: the restarted agent knows it only from its report.
    await running.stop();
    await topology.unplugEni(eni.mac);
    await client.applyStatus('rehome', CONTROLLER_FIELD_MANAGER, {
      conditions: [{ type: 'Attached', status: 'False', reason: 'Attaching', message: '', lastTransitionTime: new Date().toISOString() }],
    });
    running = await startAgent(cp.kubeConfig, topology.node, capturing);
    const afterRestart = await waitFor('report taken off after a restart', async () => {
      const c = await client.get('rehome');
      return c && configured(c) === undefined && c.status?.interface === undefined && c;
    });
    assert.ok(afterRestart.metadata.finalizers?.includes(AGENT_FINALIZER));
    assert.ok(!(await ours(topology)).rules.some((r) => r.src === '192.168.50.45'), 'its stale rule swept');
    await topology.plugEni({ mac: eni.mac, name: 'ens9' });
    await client.delete('rehome');
    await waitFor('claim gone', async () => (await client.get('rehome')) === undefined);
    await topology.unplugEni(eni.mac);
  });

  test('claims deleted together are each let go of once, though passes follow faster than the cache', async () => {
    const names = ['burst-0', 'burst-1', 'burst-2', 'burst-3', 'burst-4', 'burst-5'];
    for (const [i, name] of names.entries()) {
      const eni = await topology.plugEni({ name: `ens${20 + i}` });
      await createClaim(client, name);
      await attach(client, name, eni.mac, [`192.168.50.${60 + i}`]);
    }
    await waitFor('all configured', async () => (await Promise.all(names.map((n) => client.get(n)))).every((c) => configured(c)?.status === 'True'));
    await Promise.all(names.map((n) => client.delete(n)));
    await waitFor('all gone', async () => (await Promise.all(names.map((n) => client.get(n)))).every((c) => c === undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(names.map(releases), names.map(() => 1));
    assert.deepEqual(await ours(topology), { routes: [], rules: [] });
    // The next test counts passes: start it once the passes this one caused are over.
    let last = -1;
    await waitFor('the agent quiet for 1 s', async () => {
      const now = await reconciles(running.metrics);
      const quiet = now === last;
      last = now;
      return quiet;
    }, 15_000, 1_000);
  });

  test('an interface that never appears: InterfaceNotFound after the wait, no busy loop; configured once plugged', async () => {
    const mac = '00:16:3e:0e:0e:0e';
    await createClaim(client, 'late');
    await attach(client, 'late', mac, ['192.168.50.40']);
    const claim = await waitFor('InterfaceNotFound', async () => {
      const c = await client.get('late');
      return configured(c)?.reason === 'InterfaceNotFound' && c;
    });
    assert.equal(configured(claim)?.status, 'False');
    assert.match(configured(claim)?.message ?? '', /no network interface has MAC 00:16:3e:0e:0e:0e/);
    const before = await reconciles(running.metrics);
    await new Promise((r) => setTimeout(r, 2_000));
    const during = (await reconciles(running.metrics)) - before;
    assert.ok(during <= 2, `at most a couple of reconciles in 2 s while waiting, got ${during}`);
    const plugged = Date.now();
    await topology.plugEni({ mac });
    await waitFor('configured once plugged', async () => configured(await client.get('late'))?.status === 'True');
    assert.ok(Date.now() - plugged < 2_000, 'the link event, not the slow retry, brought it');
  });

  test('status writes refused: the kernel is configured all the same, passes back off instead of looping, the report follows the grant', async () => {
    // The agent as a ServiceAccount that may add its finalizer but not write status.
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const rule = (resources: string[]) => ({ apiGroups: [GROUP], resources, verbs: ['get', 'list', 'watch', 'patch'] });
    await rbac.createClusterRole({ body: { metadata: { name: 'agent-without-status' }, rules: [rule([PLURAL])] } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'agent-without-status' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'agent-without-status' },
        subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: 'agent-test' }],
      },
    });
    await running.stop();
    running = await startAgent(await cp.serviceAccountKubeConfig('agent-test', 'agent'), topology.node);
    const eni = await topology.plugEni();
    await createClaim(client, 'refused');
    await attach(client, 'refused', eni.mac, ['192.168.50.50']);
    await waitFor('finalizer and rule', async () =>
      (await client.get('refused'))?.metadata.finalizers?.includes(AGENT_FINALIZER) && (await ours(topology)).rules.some((r) => r.src === '192.168.50.50'),
    );
    const passes = async (): Promise<{ all: number; failed: number }> => {
      const metric = await running.metrics.registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
      const all = (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
      return { all, failed: await counter(running.metrics, 'controller_runtime_reconcile_errors_total', { controller: 'node-agent' }) };
    };
    const before = await passes();
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await passes();
    // The rate limiter doubles from 5 ms: about 9 failed passes in 2 s; a loop would make hundreds.
    assert.ok(after.all - before.all <= 15, `passes in 2 s: ${after.all - before.all}`);
    assert.ok(after.failed - before.failed >= 1, 'the refused writes fail the passes');
    assert.equal(configured(await client.get('refused')), undefined);

    await rbac.replaceClusterRole({ name: 'agent-without-status', body: { metadata: { name: 'agent-without-status' }, rules: [rule([PLURAL, `${PLURAL}/status`])] } });
    await waitFor('Configured=True once allowed', async () => configured(await client.get('refused'))?.status === 'True', 15_000);
    await client.delete('refused');
    await waitFor('claim gone', async () => (await client.get('refused')) === undefined);
  });
});
