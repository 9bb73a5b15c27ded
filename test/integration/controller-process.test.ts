// The controller as a process (`ecs-eni-controller controller`), as it runs in a pod: /readyz once
// its caches are synced and ECS answers; SIGTERM drains and exits 0; SIGKILL at any moment of a
// claim's life, then a restart, neither leaks nor duplicates an ENI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { once } from 'node:events';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { TAG_CLUSTER_ID } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.ts';
import { freePort, startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { claimManifest, conditionOf, createNode, enisOfClaim, waitFor, worldSpec } from '../support/sim-world.ts';

const NODES = ['node-a', 'node-b', 'node-c', 'node-d'];
const CLUSTER = 'c-proc';
const NODE_BIN = new URL('../../node_modules/.bin/node', import.meta.url).pathname;
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

let plane: ControlPlane;
let sim: RunningSimulator;
let claims: ClaimClient;
const children = new Set<ChildProcess>();

before(async () => {
  [plane, sim] = await Promise.all([startControlPlane(), startSimulator({ world: worldSpec({ nodes: NODES, instanceType: 'ecs.g7.xlarge', latencyMs: { attach: 400, detach: 400, delete: 100 } }) })]);
  await applyCrds(plane.kubeConfig);
  for (const node of NODES) await createNode(plane.kubeConfig, node);
  claims = new ClaimClient(plane.kubeConfig);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([plane?.stop(), sim?.close()]);
});

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function startProcess(extraArgs: string[] = [], podName = 'ctl'): Promise<Running> {
  const port = await freePort();
  const args = [
    CLI, 'controller', '--kubeconfig', plane.kubeconfigPath, '--region', sim.regionId, '--ecs-endpoint', sim.endpoint, '--vpc-endpoint', sim.endpoint,
    '--protocol', 'http', '--cluster-id', CLUSTER, '--metrics-bind-address', `127.0.0.1:${port}`, '--watch-interval', '100ms', '--gc-interval', '0',
    '--log-level', process.env.TEST_LOG_LEVEL ?? 'warn', ...extraArgs,
  ];
  const env = { ...process.env, POD_NAME: podName, ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKey.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKey.secret };
  const child = spawn(NODE_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let text = '';
  child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
  if (process.env.TEST_LOG_LEVEL) child.stdout?.pipe(process.stderr);
  return { child, port, output: () => text };
}

async function readyz(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  } catch {
    return 0;
  }
}

async function kill(run: Running, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(run.child, 'exit');
  run.child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

const ready = (c: NetworkInterfaceClaim): boolean => conditionOf(c, 'Ready')?.status === 'True';

function ours(): number {
  return sim.sim.listEnis().filter((e) => e.tags[TAG_CLUSTER_ID] === CLUSTER).length;
}

describe('controller process', () => {
  it('is ready once synced and ECS answers, serves metrics, and drains and exits 0 on SIGTERM', async () => {
    const run = await startProcess();
    try {
      await waitFor('/readyz 200', async () => (await readyz(run.port)) === 200, 30_000);
      const metrics = await (await fetch(`http://127.0.0.1:${run.port}/metrics`)).text();
      assert.match(metrics, /controller_runtime_reconcile_total\{controller="networkinterfaceclaim",result="success"\}/);
      assert.match(metrics, /ecseni_ecs_requests_total\{action="DescribeNetworkInterfaces",code="Success"\}/);
      const started = Date.now();
      assert.equal(await kill(run, 'SIGTERM'), 0, run.output());
      assert.ok(Date.now() - started < 10_000);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('exits 2 with the usage on a bad flag', async () => {
    const child = spawn(NODE_BIN, [CLI, 'controller', '--region', 'cn-hangzhou'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(err, /--cluster-id is required/);
  });

  it('prints the usage on --help and exits 0, whatever else is on the line', async () => {
    const child = spawn(NODE_BIN, [CLI, 'controller', '--bogus', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.match(out, /^usage: ecs-eni-controller controller/);
    assert.match(out, /--watch-interval DURATION/);
    assert.equal(err, '');
  });

  it('with --leader-elect, reconciles only while holding the Lease, and hands it over on SIGTERM', async () => {
    const lease = async (): Promise<string> =>
      (await plane.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'ecs-eni-controller', namespace: 'default' })).spec?.holderIdentity ?? '';
    const electing = ['--leader-elect', '--leader-election-namespace', 'default'];
    const a = await startProcess(electing, 'ctl-a');
    await waitFor('ctl-a leads', async () => (await lease().catch(() => '')).startsWith('ctl-a_'), 30_000);
    const b = await startProcess(electing, 'ctl-b');
    await waitFor('ctl-b ready as a standby', async () => (await readyz(b.port)) === 200, 30_000);
    await claims.create(claimManifest('elect-1', { nodeName: 'node-a' }));
    await waitFor('elect-1 Ready', async () => {
      const c = await claims.get('elect-1');
      return c !== undefined && ready(c);
    }, 30_000);
    assert.ok((await lease()).startsWith('ctl-a_'), 'ctl-b did not take over meanwhile');

    assert.equal(await kill(a, 'SIGTERM'), 0, a.output());
    await waitFor('ctl-b leads', async () => (await lease()).startsWith('ctl-b_'), 15_000);
    await claims.delete('elect-1');
    await waitFor('elect-1 released by ctl-b', async () => (await claims.get('elect-1')) === undefined, 30_000);
    assert.equal(await kill(b, 'SIGTERM'), 0, b.output());
    assert.equal(await lease(), '', 'the Lease is handed back on SIGTERM');
  });

  it('converges after SIGKILL at each step of the lifecycle, with exactly one ENI per claim and no leak', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `crash-${i}`);
    const counts = (action: string): number => sim.sim.counts.count(action, 'OK');
    let run = await startProcess();
    for (const [i, name] of names.entries()) await claims.create(claimManifest(name, { nodeName: NODES[i % NODES.length] as string }));

    // Killed right after the first creates, then after the first attaches.
    for (const [action, atLeast] of [['CreateNetworkInterface', 3], ['AttachNetworkInterface', 3]] as const) {
      const before = counts(action);
      await waitFor(`${atLeast} ${action}`, () => counts(action) >= before + atLeast, 30_000);
      await kill(run, 'SIGKILL');
      run = await startProcess();
    }
    let seen: (NetworkInterfaceClaim | undefined)[] = [];
    const all = await waitFor('every claim Ready', async () => {
      seen = await Promise.all(names.map((n) => claims.get(n)));
      return seen.every((c) => c && ready(c)) ? (seen as NetworkInterfaceClaim[]) : undefined;
    }, 60_000).catch((err: Error) => {
      const stuck = seen.filter((c) => !c || !ready(c)).map((c) => `${c?.metadata.name}: ${c?.status?.phase} ${JSON.stringify(c?.status?.conditions?.map((x) => x.reason))}`);
      throw new Error(`${err.message}\n${stuck.join('\n')}`);
    });
    for (const claim of all) assert.equal(enisOfClaim(sim, claim).length, 1, `claim ${claim.metadata.name}: one ENI`);
    assert.equal(ours(), names.length);

    // Killed in the middle of releasing.
    const released = names.slice(0, 6);
    const detachesBefore = counts('DetachNetworkInterface');
    for (const name of released) await claims.delete(name);
    await waitFor('some detaches', () => counts('DetachNetworkInterface') >= detachesBefore + 2, 30_000);
    await kill(run, 'SIGKILL');
    run = await startProcess();
    await waitFor('released claims gone', async () => (await Promise.all(released.map((n) => claims.get(n)))).every((c) => c === undefined), 60_000);
    await waitFor('the released ENIs deleted', () => all.slice(0, 6).every((claim) => enisOfClaim(sim, claim).length === 0));
    for (const claim of all.slice(6)) assert.equal(enisOfClaim(sim, claim).length, 1, `claim ${claim.metadata.name}: ENI kept`);
    assert.equal(ours(), 6, 'no leaked ENI');
    assert.equal(await kill(run, 'SIGTERM'), 0);
  });
});
