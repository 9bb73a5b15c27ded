// The chart's access model with the real processes: every object of `helm template` applied to a
// real kube-apiserver, then the controller (leader-elected, on the simulator through the real SDK)
// and the node agent (in a node's network namespace) run with nothing but the tokens of the
// chart's ServiceAccounts. A claim goes all the way to Ready and back to no ENI, so the chart's
// RBAC is enough; and with those same credentials each role is refused what it must not do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthenticationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type EventsV1Event,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { API_VERSION, GROUP, KIND, PLURAL, TAG_CLUSTER_ID, VERSION } from '../../src/api/names.ts';
import { CONTROLLER_REPORTER } from '../../src/kube/events.ts';
import { findBinary, KUBERNETES_VERSION } from '../support/binaries.ts';
import { startSystem, type System } from '../support/system.ts';
import { claimManifest, conditionOf, enisOfClaim, instanceIdOf, waitFor, waitForClaim, worldSpec } from '../support/sim-world.ts';

const CHART = new URL('../../helm/ecs-eni-controller', import.meta.url).pathname;
const NAMESPACE = 'ecs-eni-system';
const RELEASE = 'ecs-eni-controller';
const CLUSTER = 'c-chart';
const NODE = 'node-a';
const POD_NAME = 'ecs-eni-controller-5d8f-test';
const CLAIM = 'chart-web';
const ref = { group: GROUP, version: VERSION, plural: PLURAL };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec?: { serviceAccountName?: string; containers?: { args?: string[] }[] } } };
}

function run(bin: string, args: string[], input?: string): string {
  const result = spawnSync(bin, args, { input, encoding: 'utf8' });
  assert.equal(result.status, 0, `${bin} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The HTTP status of a call that must fail, with the API server's message. */
async function refused(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await call.then(
    () => assert.fail('the API server allowed it'),
    (e: unknown) => e,
  );
  const body = (err as { body?: string }).body ?? '';
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // not JSON: keep the raw body
  }
  return { code: (err as { code?: number }).code ?? 0, message };
}

function workload(manifests: Manifest[], kind: string): { serviceAccount: string; args: string[] } {
  const found = manifests.find((m) => m.kind === kind);
  const pod = found?.spec?.template?.spec;
  assert.ok(pod?.serviceAccountName, `the chart renders a ${kind} with a ServiceAccount`);
  return { serviceAccount: pod.serviceAccountName, args: pod.containers?.[0]?.args ?? [] };
}

function event(namespace: string): { namespace: string; body: EventsV1Event } {
  return {
    namespace,
    body: {
      metadata: { generateName: 'probe-' },
      eventTime: new V1MicroTime(),
      reportingController: 'ecseni.io/test',
      reportingInstance: 'test',
      action: 'Probe',
      reason: 'Probe',
      type: 'Normal',
      regarding: { apiVersion: API_VERSION, kind: KIND, name: CLAIM },
    },
  };
}

void describe("the controller and the node agent as the chart's ServiceAccounts", () => {
  let system: System;
  let dir: string;
  let controllerKc: KubeConfig;
  let agentKc: KubeConfig;
  let leaseId: string;
  let claim: NetworkInterfaceClaim;

  /** A failure shows what the processes said. */
  const logs = (): string => ['controller.log', `agent-${NODE}.log`]
    .map((f) => `--- ${f}\n${readTail(join(system.logDir, f))}`).join('\n');

  before(async () => {
    const helm = findBinary('helm');
    assert.ok(helm, 'helm: run "npm run test:prepare"');
    system = await startSystem({
      world: worldSpec({ nodes: [NODE] }),
      nodes: [{ name: NODE, instanceId: instanceIdOf(NODE) }],
      vSwitchId: 'vsw-a',
      clusterId: CLUSTER,
      controllerArgs: ['--watch-interval=100ms', '--gc-interval=0'],
      startProcesses: false,
    });
    dir = mkdtempSync(join(tmpdir(), 'ecseni-chart-sa-'));

    const rendered = run(helm, [
      'template', RELEASE, CHART, '--namespace', NAMESPACE, '--include-crds', '--kube-version', KUBERNETES_VERSION.slice(1),
      '--set', `region=${system.sim.regionId}`, '--set', `clusterId=${CLUSTER}`,
    ]);
    await system.kubectl(['create', 'namespace', NAMESPACE]);
    // Every object the chart renders must be accepted; the CRDs were installed by the system already.
    await system.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], rendered);
    const manifests = parseAllDocuments(rendered).map((d) => d.toJS() as Manifest).filter(Boolean);
    const controller = workload(manifests, 'Deployment');
    const agent = workload(manifests, 'DaemonSet');

    // The Lease flags exactly as the Deployment passes them: the Role they need is the chart's.
    const leaderArgs = controller.args.filter((a) => a.startsWith('--leader-elect'));
    assert.ok(leaderArgs.includes('--leader-elect'), `the Deployment elects a leader: ${controller.args.join(' ')}`);
    assert.ok(leaderArgs.includes(`--leader-election-namespace=${NAMESPACE}`), leaderArgs.join(' '));
    leaseId = leaderArgs.find((a) => a.startsWith('--leader-election-id='))?.split('=')[1] ?? '';
    assert.ok(leaseId, leaderArgs.join(' '));

    controllerKc = await system.cp.serviceAccountKubeConfig(NAMESPACE, controller.serviceAccount);
    agentKc = await system.cp.serviceAccountKubeConfig(NAMESPACE, agent.serviceAccount);
    const controllerFile = writeKubeconfig(dir, 'controller', controllerKc);
    const agentFile = writeKubeconfig(dir, 'agent', agentKc);
    // The files carry a token only: each process is exactly its ServiceAccount.
    assert.equal(await whoAmI(controllerFile), `system:serviceaccount:${NAMESPACE}:${controller.serviceAccount}`);
    assert.equal(await whoAmI(agentFile), `system:serviceaccount:${NAMESPACE}:${agent.serviceAccount}`);

    await system.startController({
      kubeconfigPath: controllerFile,
      args: leaderArgs,
      env: { POD_NAME, POD_NAMESPACE: NAMESPACE },
    });
    await system.startAgent(NODE, { kubeconfigPath: agentFile });
  });

  after(async () => {
    await system?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  void test('a claim reaches Attached, Configured and Ready, under a Lease in the chart namespace', async () => {
    await system.claims.create(claimManifest(CLAIM, { nodeName: NODE, routing: { mode: 'Policy' } }));
    claim = await waitForClaim(system.claims, CLAIM, 'Ready', (c) => conditionOf(c, 'Ready')?.status === 'True', 60_000)
      .catch((err: Error) => assert.fail(`${err.message}\n${logs()}`));
    for (const type of ['Created', 'Attached', 'Configured']) {
      assert.equal(conditionOf(claim, type)?.status, 'True', `${type}: ${JSON.stringify(conditionOf(claim, type))}`);
    }
    assert.equal(claim.status?.phase, 'Ready');
    assert.equal(enisOfClaim(system.sim, claim).length, 1);

    const lease = await system.cp.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: NAMESPACE, name: leaseId });
    assert.ok(lease.spec?.holderIdentity?.startsWith(`${POD_NAME}_`), `Lease holder: ${lease.spec?.holderIdentity}`);

    // The agent really did its part in the node's kernel: the ENI's address and its source rule.
    const ns = system.network.namespaceOf(NODE);
    const ip = claim.status?.primaryIpAddress ?? '';
    const link = claim.status?.interface?.name ?? '';
    assert.ok(ip && link, JSON.stringify(claim.status));
    assert.match(await system.network.ip(ns, ['-o', '-4', 'address', 'show', 'dev', link]), new RegExp(`inet ${ip.replaceAll('.', '\\.')}/`));
    assert.match(await system.network.ip(ns, ['rule', 'show']), new RegExp(`from ${ip.replaceAll('.', '\\.')} `));
  });

  void test("the agent's ServiceAccount may not patch Nodes, write Events, change a claim's spec or read Secrets", async () => {
    const admin = system.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const patchSpec = (dryRun?: string): Promise<unknown> => agentKc.makeApiClient(CustomObjectsApi)
      .patchClusterCustomObject({ ...ref, name: CLAIM, body: { spec: { securityGroupIds: ['sg-b'] } }, dryRun }, MERGE);
    // The API server compiles the admission policy some time after it was created.
    await waitFor('the admission policy to be in force', () => patchSpec('All').then(() => false, () => true), 15_000);

    const spec = await refused(patchSpec());
    assert.equal(spec.code, 422, spec.message);
    assert.match(spec.message, /may not change a claim's spec/);
    const stored = (await admin.getClusterCustomObject({ ...ref, name: CLAIM })) as NetworkInterfaceClaim;
    assert.deepEqual(stored.spec.securityGroupIds, ['sg-a']);

    const core = agentKc.makeApiClient(CoreV1Api);
    const forbidden: [string, () => Promise<unknown>][] = [
      ['patch its Node', () => core.patchNode({ name: NODE, body: { metadata: { labels: { x: 'y' } } } }, MERGE)],
      ['create an Event in default', () => agentKc.makeApiClient(EventsV1Api).createNamespacedEvent(event('default'))],
      ['create an Event in kube-system', () => agentKc.makeApiClient(EventsV1Api).createNamespacedEvent(event('kube-system'))],
      ['create a core Event in default', () => core.createNamespacedEvent({ namespace: 'default', body: { metadata: { generateName: 'probe-' }, involvedObject: { name: CLAIM } } })],
      ['list Secrets in its namespace', () => core.listNamespacedSecret({ namespace: NAMESPACE })],
      ['list Secrets cluster-wide', () => core.listSecretForAllNamespaces()],
      ['delete a claim', () => agentKc.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ ...ref, name: CLAIM })],
    ];
    for (const [what, call] of forbidden) assert.equal((await refused(call())).code, 403, `the agent may not ${what}`);
  });

  void test("the controller's ServiceAccount may not read Secrets, patch Nodes or delete claims", async () => {
    const core = controllerKc.makeApiClient(CoreV1Api);
    const forbidden: [string, () => Promise<unknown>][] = [
      ['list Secrets in its namespace', () => core.listNamespacedSecret({ namespace: NAMESPACE })],
      ['patch a Node', () => core.patchNode({ name: NODE, body: { metadata: { labels: { x: 'y' } } } }, MERGE)],
      ['delete a claim', () => controllerKc.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ ...ref, name: CLAIM })],
      ['create a Lease in default', () => controllerKc.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: 'default', body: { metadata: { name: leaseId } } })],
    ];
    for (const [what, call] of forbidden) assert.equal((await refused(call())).code, 403, `the controller may not ${what}`);
  });

  void test('deleting the claim releases the interface and deletes the ENI', async () => {
    assert.ok(claim, 'the claim became Ready in the first test');
    const mac = claim.status?.macAddress ?? '';
    await system.claims.delete(CLAIM);
    await waitFor('the claim to be gone', async () => (await system.claims.get(CLAIM)) === undefined, 60_000)
      .catch((err: Error) => assert.fail(`${err.message}\n${logs()}`));
    // DeleteNetworkInterface answers before ECS has finished deleting (status Deleting).
    await waitFor('the ENI to be deleted', () => enisOfClaim(system.sim, claim).length === 0, 5_000);
    assert.deepEqual(system.sim.sim.listEnis().filter((e) => e.tags[TAG_CLUSTER_ID] === CLUSTER), []);
    assert.equal(system.network.nodeOfEni(mac), undefined, 'the NIC left the node');
    assert.deepEqual(system.plumbingErrors(), []);

    // Events are written in the background: a refused one would only be logged.
    const events = system.cp.kubeConfig.makeApiClient(EventsV1Api);
    await waitFor('the Deleted Event', async () => (await events.listNamespacedEvent({ namespace: 'default', fieldSelector: `regarding.name=${CLAIM}` }))
      .items.some((e) => e.reason === 'Deleted' && e.reportingController === CONTROLLER_REPORTER), 5_000);
    // Nothing either process did in the whole lifecycle was refused.
    for (const file of ['controller.log', `agent-${NODE}.log`]) {
      const refusals = readFileSync(join(system.logDir, file), 'utf8').split('\n').filter((line) => /forbidden|"statusCode":403/i.test(line));
      assert.deepEqual(refusals, [], file);
    }
  });
});

function writeKubeconfig(dir: string, name: string, kc: KubeConfig): string {
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 }); // JSON is valid YAML
  return path;
}

async function whoAmI(kubeconfigPath: string): Promise<string | undefined> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status?.userInfo?.username;
}

function readTail(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
