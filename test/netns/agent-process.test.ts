// `ecs-eni-controller node-agent` as a process (the CLI, flags, HTTP endpoints, JSON logs, SIGTERM),
// managing a "node" namespace with --netns against a real kube-apiserver.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { AGENT_FINALIZER, CONTROLLER_FIELD_MANAGER, NODE_LABEL } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { AGENT_PROTOCOL } from '../../src/node/marks.ts';
import { freePort, startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { ENI_SUBNET, createTopology, netnsUnavailable, removeStaleNamespaces, type Topology } from '../support/netns.ts';
import { spawnGroup, type GroupProcess } from '../support/process-group.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const NODE = 'node-p';
const skip = await netnsUnavailable();

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('node-agent process', { skip, concurrency: false }, () => {
  let cp: ControlPlane;
  let topology: Topology;
  let client: ClaimClient;
  let dir: string;
  let agent: GroupProcess | undefined;
  let port = 0;

  const start = async (): Promise<GroupProcess> => {
    port = await freePort();
    const args = [CLI, 'node-agent', '--node-name', NODE, '--netns', topology.node, '--kubeconfig', cp.kubeconfigPath, '--metrics-bind-address', `127.0.0.1:${port}`];
    const proc = spawnGroup('node-agent', process.execPath, args, { logFile: join(dir, 'agent.log') });
    await waitFor('/readyz 200', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
    return proc;
  };
  const ourRules = async (): Promise<unknown[]> =>
    (await topology.routingSnapshot()).rules.filter((r) => r.protocol === String(AGENT_PROTOCOL));

  before(async () => {
    await removeStaleNamespaces();
    dir = mkdtempSync(join(tmpdir(), 'ecseni-agent-'));
    cp = await startControlPlane();
    await applyCrds(cp.kubeConfig);
    client = new ClaimClient(cp.kubeConfig);
    topology = await createTopology();
  });
  after(async () => {
    await agent?.stop();
    await topology?.destroy();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('configures a claim, serves metrics and health, logs JSON, and leaves the kernel as it is on SIGTERM', async () => {
    agent = await start();
    const eni = await topology.plugEni();
    await client.create({ metadata: { name: 'p', labels: { [NODE_LABEL]: NODE } }, spec: { nodeName: NODE, vSwitchId: 'vsw-test1', securityGroupIds: ['sg-test1'] } });
    await client.applyStatus('p', CONTROLLER_FIELD_MANAGER, {
      nodeName: NODE,
      macAddress: eni.mac,
      primaryIpAddress: '192.168.50.60',
      secondaryPrivateIpAddresses: [],
      cidrBlock: ENI_SUBNET.cidr,
      gateway: ENI_SUBNET.gateway,
      conditions: [{ type: 'Attached', status: 'True', reason: 'Attached', message: '', lastTransitionTime: new Date().toISOString() }],
    });
    const claim = await waitFor('Configured=True', async () => {
      const c = await client.get('p');
      return c?.status?.conditions?.some((x) => x.type === 'Configured' && x.status === 'True') && (c as NetworkInterfaceClaim);
    });
    assert.ok(claim.metadata.finalizers?.includes(AGENT_FINALIZER));

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const kind of ['link', 'address', 'route', 'rule', 'sysctl']) {
      assert.match(metrics, new RegExp(`ecseni_agent_drift_repairs_total\\{kind="${kind}"\\} 0`));
    }
    assert.match(metrics, /ecseni_agent_interfaces_configured 1/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    const rules = await ourRules();
    assert.equal(rules.length, 1);
    await agent.stop();
    assert.equal(await agent.exited, 0);
    assert.deepEqual(await ourRules(), rules, 'stopping the agent leaves the ENI working');
    const lines = readFileSync(join(dir, 'agent.log'), 'utf8').trim().split('\n');
    for (const line of lines) assert.equal(JSON.parse(line).name, 'node-agent', line);
  });

  test('a restarted process finds everything in place and adds nothing', async () => {
    const before = await ourRules();
    agent = await start();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await ourRules(), before);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /ecseni_agent_apply_duration_seconds_count 0/);
    await agent.stop();
    agent = undefined;
  });
});

test('--help and -h print the usage to stdout and exit 0', () => {
  for (const flag of ['--help', '-h']) {
    const result = spawnSync(process.execPath, [CLI, 'node-agent', flag], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^usage: ecs-eni-controller node-agent/);
    assert.match(result.stdout, /--proc-sys-net PATH/);
    assert.equal(result.stderr, '');
  }
});

test('--proc-sys-net naming a directory without the sysctls: exit 1 at start, with a coded error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  // Never contacted: the check comes before the informer starts.
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
      'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  const args = [CLI, 'node-agent', '--node-name', NODE, '--kubeconfig', kubeconfig, '--metrics-bind-address', '0', '--proc-sys-net', join(dir, 'missing')];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
  assert.equal(result.status, 1, result.stdout + result.stderr);
  const fatal = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { level: string; err?: { code?: string; message?: string } }).find((l) => l.level === 'fatal');
  assert.equal(fatal?.err?.code, 'ECSENI_NODE_SYSCTLS_UNWRITABLE');
  assert.match(fatal?.err?.message ?? '', /--proc-sys-net/);
});
