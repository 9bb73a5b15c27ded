// Two controller processes with --leader-elect against one kube-apiserver and one simulator, as
// the chart's two replicas run: only the Lease holder reconciles (the standby's only ECS call is
// its readiness probe); SIGKILL of the leader → the standby takes over once the lease has expired
// (15 s, client-go's default; the lease timings are not flags) and picks up a claim created in
// the gap; SIGTERM of the leader hands the Lease back → a standby takes over at its next retry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, type V1Lease } from '@kubernetes/client-node';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { TAG_CLUSTER_ID } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { LEADER_ELECTION_DEFAULTS } from '../../src/kube/leader.ts';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.ts';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { spawnGroup, type GroupProcess } from '../support/process-group.ts';
import { claimManifest, conditionOf, createNode, enisOfClaim, waitFor, waitForClaim, worldSpec } from '../support/sim-world.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const NODES = ['node-a', 'node-b'];
const CLUSTER = 'c-failover';
const NAMESPACE = 'ecs-eni-system';
const LEASE = 'ecs-eni-controller';
const { leaseDurationMs, retryPeriodMs, jitterFactor } = LEADER_ELECTION_DEFAULTS;
/** The longest wait between two campaign attempts of a standby. */
const MAX_RETRY_MS = retryPeriodMs * (1 + jitterFactor);
/** The readiness probe: the one ECS call a standby makes (src/controller/main.ts). */
const PROBE_ACTION = 'DescribeInstances';

interface Replica {
  name: string;
  process: GroupProcess;
  metricsPort: number;
}

let plane: ControlPlane;
let sim: RunningSimulator;
let claims: ClaimClient;
let dir: string;
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const logFile = join(dir, `${name}.log`);
  const proc = spawnGroup(name, process.execPath, [
    CLI, 'controller',
    `--kubeconfig=${plane.kubeconfigPath}`,
    `--region=${sim.regionId}`,
    `--cluster-id=${CLUSTER}`,
    `--ecs-endpoint=${sim.endpoint}`,
    `--vpc-endpoint=${sim.endpoint}`,
    '--protocol=http',
    '--leader-elect',
    `--leader-election-namespace=${NAMESPACE}`,
    `--leader-election-id=${LEASE}`,
    '--metrics-bind-address=127.0.0.1:0',
    '--watch-interval=100ms',
    '--gc-interval=0',
    '--log-level=debug',
  ], {
    logFile,
    env: {
      ...process.env,
      POD_NAME: name,
      POD_NAMESPACE: NAMESPACE,
      ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKey.id,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKey.secret,
    },
  });
  const metricsPort = await waitFor(`${name} to serve /metrics`, () => {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.logTail()}`);
    return servingPort(logFile);
  }, 30_000);
  const replica = { name, process: proc, metricsPort };
  replicas.push(replica);
  return replica;
}

/** The port the process logged when it started serving (it binds 127.0.0.1:0). */
function servingPort(logFile: string): number | undefined {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === 'serving /metrics, /healthz and /readyz') return entry.port;
  }
  return undefined;
}

async function scrape(replica: Replica): Promise<string> {
  return (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text();
}

/** leader_election_master_status{name=LEASE}: 1 leading, 0 no longer leading, undefined never led (as client-go). */
function leaderStatus(metrics: string): number | undefined {
  const match = new RegExp(`^leader_election_master_status\\{name="${LEASE}"\\} (\\S+)$`, 'm').exec(metrics);
  return match ? Number(match[1]) : undefined;
}

/** ecseni_ecs_requests_total summed over result codes, by action. */
function ecsCalls(metrics: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const [, action, value] of metrics.matchAll(/^ecseni_ecs_requests_total\{action="([^"]+)",code="[^"]*"\} (\S+)$/gm)) {
    calls[action as string] = (calls[action as string] ?? 0) + Number(value);
  }
  return calls;
}

async function lease(): Promise<V1Lease> {
  return plane.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: NAMESPACE, name: LEASE });
}

const holderOf = async (): Promise<string> => (await lease()).spec?.holderIdentity ?? '';
/** leaderIdentity(): the pod's name, '_', a random suffix. */
const holds = (identity: string, replica: Replica): boolean => identity.startsWith(`${replica.name}_`);

async function waitForReady(name: string): Promise<NetworkInterfaceClaim> {
  return waitForClaim(claims, name, 'Ready', (c) => conditionOf(c, 'Ready')?.status === 'True', 30_000)
    .catch((err: Error) => assert.fail(`${err.message}\n${replicas.map((r) => `--- ${r.name}\n${r.process.logTail(15)}`).join('\n')}`));
}

function ourEnis(): number {
  return sim.sim.listEnis().filter((e) => e.tags[TAG_CLUSTER_ID] === CLUSTER).length;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void describe('two controller replicas with leader election', () => {
  let a: Replica;
  let b: Replica;

  before(async () => {
    [plane, sim] = await Promise.all([startControlPlane(), startSimulator({ world: worldSpec({ nodes: NODES, instanceType: 'ecs.g7.xlarge' }) })]);
    await applyCrds(plane.kubeConfig);
    for (const node of NODES) await createNode(plane.kubeConfig, node);
    await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    claims = new ClaimClient(plane.kubeConfig);
    dir = mkdtempSync(join(tmpdir(), 'ecseni-failover-'));
  });

  after(async () => {
    for (const replica of replicas) await replica.process.stop('SIGKILL');
    await Promise.all([plane?.stop(), sim?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  void test('only the Lease holder reconciles; the standby makes no ECS call but its readiness probe', async () => {
    a = await startReplica('controller-a');
    await waitFor('controller-a to lead', async () => leaderStatus(await scrape(a)) === 1 && holds(await holderOf(), a));
    b = await startReplica('controller-b');
    const bStarted = Date.now();
    await waitFor('controller-b /readyz (its probe answered)', async () => (await fetch(`http://127.0.0.1:${b.metricsPort}/readyz`)).status === 200);

    for (const [i, node] of NODES.entries()) await claims.create(claimManifest(`before-${i}`, { nodeName: node }));
    for (const i of NODES.keys()) await waitForReady(`before-${i}`);
    // The standby has campaigned again meanwhile.
    await sleep(Math.max(0, MAX_RETRY_MS - (Date.now() - bStarted)));

    assert.ok(holds(await holderOf(), a), 'controller-a still holds the Lease');
    const [aMetrics, bMetrics] = [await scrape(a), await scrape(b)];
    assert.equal(leaderStatus(aMetrics), 1);
    assert.notEqual(leaderStatus(bMetrics), 1, 'the standby does not report itself leader');
    assert.deepEqual(ecsCalls(bMetrics), { [PROBE_ACTION]: 1 }, 'the standby calls ECS only for its readiness probe');
    const aCalls = ecsCalls(aMetrics);
    assert.ok((aCalls.CreateNetworkInterface ?? 0) >= 2 && (aCalls.AttachNetworkInterface ?? 0) >= 2, JSON.stringify(aCalls));
    // The simulator saw exactly the two processes' calls: nobody else touched ECS.
    for (const action of Object.keys(sim.sim.callCounts())) {
      const reported = (aCalls[action] ?? 0) + (action === PROBE_ACTION ? 1 : 0);
      assert.equal(sim.sim.counts.count(action), reported, `${action}: simulator vs the processes' metrics`);
    }
  });

  void test('SIGKILL of the leader: the standby takes over within the lease duration and reconciles a claim created meanwhile', async (t) => {
    const transitionsBefore = (await lease()).spec?.leaseTransitions ?? 0;
    await a.process.stop('SIGKILL');
    const killedAt = Date.now();
    // The dead leader's last renewal (same machine, same clock): its lease runs out lease-duration after it.
    const expiresAt = new Date((await lease()).spec?.renewTime as unknown as string).getTime() + leaseDurationMs;
    await claims.create(claimManifest('after-kill', { nodeName: 'node-a' }));

    // While the dead leader's lease runs, nobody may reconcile: the new claim stays untouched.
    let takenAt = 0;
    await waitFor('controller-b to take the Lease', async () => {
      const holder = await holderOf();
      if (holds(holder, b)) return (takenAt = Date.now());
      const untouched = await claims.get('after-kill');
      assert.equal(untouched?.metadata.finalizers, undefined, `reconciled while ${holder} held the Lease`);
      return false;
    }, leaseDurationMs + 3 * MAX_RETRY_MS);
    const takeoverMs = takenAt - killedAt;
    t.diagnostic(`takeover after SIGKILL: ${takeoverMs} ms (${takenAt - expiresAt} ms after the lease ran out)`);
    // The standby counts the lease from when it saw the last renewal, so not before it ran out (give
    // or take one API request: the elector timestamps an observation when its read starts)…
    assert.ok(takenAt >= expiresAt - 500, `took a live lease: ${expiresAt - takenAt} ms before it ran out`);
    // …and notices the expiry within its next attempts (it saw the last renewal up to one retry late).
    assert.ok(takeoverMs <= leaseDurationMs + 2 * MAX_RETRY_MS + 1_000, `took ${takeoverMs} ms`);
    assert.equal((await lease()).spec?.leaseTransitions, transitionsBefore + 1);
    await waitFor('controller-b to report itself leader', async () => leaderStatus(await scrape(b)) === 1);

    const claim = await waitForReady('after-kill');
    assert.equal(conditionOf(claim, 'Attached')?.status, 'True');
    assert.equal(enisOfClaim(sim, claim).length, 1);
    for (const i of NODES.keys()) assert.equal(conditionOf(await waitForReady(`before-${i}`), 'Ready')?.status, 'True');
    assert.equal(ourEnis(), 3, 'one ENI per claim: the new leader duplicated nothing');
  });

  void test('SIGTERM of the leader releases the Lease: a standby takes over at its next retry', async (t) => {
    const c = await startReplica('controller-c');
    await waitFor('controller-c /readyz', async () => (await fetch(`http://127.0.0.1:${c.metricsPort}/readyz`)).status === 200);
    await sleep(MAX_RETRY_MS); // it has seen the Lease held
    assert.ok(holds(await holderOf(), b));
    assert.notEqual(leaderStatus(await scrape(c)), 1);

    const signalledAt = Date.now();
    await b.process.stop('SIGTERM');
    assert.equal(await b.process.exited, 0, b.process.logTail());
    let takeoverMs = 0;
    await waitFor('controller-c to take the released Lease', async () => holds(await holderOf(), c) && (takeoverMs = Date.now() - signalledAt), leaseDurationMs);
    t.diagnostic(`takeover after SIGTERM: ${takeoverMs} ms`);
    assert.ok(takeoverMs <= MAX_RETRY_MS + 1_000, `took ${takeoverMs} ms: the Lease was not released`);
    await waitFor('controller-c to report itself leader', async () => leaderStatus(await scrape(c)) === 1);

    await claims.create(claimManifest('after-term', { nodeName: 'node-b' }));
    const claim = await waitForReady('after-term');
    assert.equal(enisOfClaim(sim, claim).length, 1);
    assert.equal(ourEnis(), 4);
  });
});
