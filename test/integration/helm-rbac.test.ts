// The chart's access model on a real kube-apiserver: its RBAC and its admission policy, applied
// as rendered, and each role acting as its own ServiceAccount. The agent may read claims, write
// their status and hold its own finalizer, and nothing else; the controller may do its work and
// no more.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type EventsV1Event,
  type KubeConfig,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { findBinary } from '../support/binaries.ts';
import {
  AGENT_FIELD_MANAGER,
  AGENT_FINALIZER,
  API_VERSION,
  CONTROLLER_FINALIZER,
  GROUP,
  KIND,
  NODE_LABEL,
  PLURAL,
  VERSION,
} from '../../src/api/names.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const NAMESPACE = 'ecs-eni-system';
const CONTROLLER_SA = 'ecs-eni-controller';
const AGENT_SA = 'ecs-eni-controller-node-agent';
const LEASE = 'ecs-eni-controller';
const ref = { group: GROUP, version: VERSION, plural: PLURAL };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

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

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

void describe('the chart on a real kube-apiserver: RBAC and the agent admission policy', () => {
  let cp: ControlPlane;
  let admin: CustomObjectsApi;
  let agent: KubeConfig;
  let controller: KubeConfig;

  const claim = (name: string): Record<string, unknown> => ({
    apiVersion: API_VERSION, kind: KIND,
    metadata: { name, labels: { [NODE_LABEL]: 'node-a' }, finalizers: [CONTROLLER_FINALIZER] },
    spec: { nodeName: 'node-a', vSwitchId: 'vsw-demo-a', securityGroupIds: ['sg-demo-web'] },
  });
  const patchAs = (kc: KubeConfig, name: string, body: unknown, options = MERGE, dryRun?: string): Promise<unknown> =>
    kc.makeApiClient(CustomObjectsApi).patchClusterCustomObject({ ...ref, name, body, dryRun }, options);
  const finalizers = async (name: string): Promise<string[]> =>
    ((await admin.getClusterCustomObject({ ...ref, name })) as { metadata: { finalizers?: string[] } }).metadata.finalizers ?? [];

  before(async () => {
    cp = await startControlPlane();
    const helm = findBinary('helm');
    const kubectl = findBinary('kubectl');
    assert.ok(helm && kubectl, 'helm and kubectl: run "npm run test:prepare"');
    const manifests = run(helm, [
      'template', 'ecs-eni-controller', join(ROOT, 'helm/ecs-eni-controller'), '--namespace', NAMESPACE,
      '--include-crds', '--kube-version', '1.36.3', '--set', 'region=cn-hangzhou', '--set', 'clusterId=c-test',
    ]);
    const kubeconfig = ['--kubeconfig', cp.kubeconfigPath];
    run(kubectl, [...kubeconfig, 'create', 'namespace', NAMESPACE]);
    run(kubectl, [...kubeconfig, 'apply', '--server-side', '-f', '-'], manifests);
    run(kubectl, [...kubeconfig, 'wait', '--for=condition=Established', `crd/${PLURAL}.${GROUP}`]);
    admin = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    agent = await cp.serviceAccountKubeConfig(NAMESPACE, AGENT_SA);
    controller = await cp.serviceAccountKubeConfig(NAMESPACE, CONTROLLER_SA);
    await admin.createClusterCustomObject({ ...ref, body: claim('probe') });
    // The policy takes effect once the API server has compiled it.
    await eventually('the admission policy to deny the agent a spec change', async () =>
      patchAs(agent, 'probe', { spec: { nodeName: 'node-b' } }, MERGE, 'All').then(() => false, () => true));
  });
  after(async () => cp?.stop());

  void test('the agent reads the claims of its node, holds its own finalizer and writes status', async () => {
    await admin.createClusterCustomObject({ ...ref, body: claim('a1') });
    const api = agent.makeApiClient(CustomObjectsApi);
    const list = (await api.listClusterCustomObject({ ...ref, labelSelector: `${NODE_LABEL}=node-a` })) as { items: unknown[] };
    assert.ok(list.items.length >= 1);
    await patchAs(agent, 'a1', { metadata: { finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] } });
    assert.deepEqual(await finalizers('a1'), [CONTROLLER_FINALIZER, AGENT_FINALIZER]);
    await api.patchClusterCustomObjectStatus(
      { ...ref, name: 'a1', fieldManager: AGENT_FIELD_MANAGER, force: true,
        body: { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'a1' }, status: { interface: { name: 'eth1' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    await patchAs(agent, 'a1', [{ op: 'remove', path: '/metadata/finalizers/1' }], JSON_PATCH);
    assert.deepEqual(await finalizers('a1'), [CONTROLLER_FINALIZER]);
  });

  void test("the agent cannot change a claim's spec, labels or the controller's finalizer", async () => {
    await admin.createClusterCustomObject({ ...ref, body: claim('a2') });
    const cases: [unknown, string][] = [
      [{ spec: { nodeName: 'node-b' } }, "may not change a claim's spec"],
      [{ metadata: { labels: { [NODE_LABEL]: 'node-b' } } }, "may not change a claim's labels"],
      [{ metadata: { annotations: { note: 'x' } } }, "may not change a claim's annotations"],
      [{ metadata: { finalizers: [AGENT_FINALIZER] } }, `only its own finalizer, ${AGENT_FINALIZER}`],
    ];
    for (const [body, says] of cases) {
      const { code, message } = await refused(patchAs(agent, 'a2', body));
      assert.equal(code, 422, message);
      assert.ok(message.includes(says), `${JSON.stringify(body)}: ${message}`);
    }
    assert.deepEqual(await finalizers('a2'), [CONTROLLER_FINALIZER]);
  });

  void test('the agent may not delete claims, read Nodes or Secrets, write Events or Leases', async () => {
    const forbidden = [
      () => agent.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ ...ref, name: 'probe' }),
      () => agent.makeApiClient(CoreV1Api).readNode({ name: 'node-a' }),
      () => agent.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: NAMESPACE }),
      () => agent.makeApiClient(EventsV1Api).createNamespacedEvent({ namespace: 'default', body: event() }),
      () => agent.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: NAMESPACE, body: { metadata: { name: LEASE } } }),
    ];
    for (const call of forbidden) assert.equal((await refused(call())).code, 403);
  });

  void test('the controller works on claims, Nodes, Events and its own Lease, and is not bound by the agent policy', async () => {
    await admin.createClusterCustomObject({ ...ref, body: claim('c1') });
    await patchAs(controller, 'c1', { metadata: { labels: { [NODE_LABEL]: 'node-b' } }, spec: { nodeName: 'node-b' } });
    await controller.makeApiClient(CoreV1Api).listNode();
    await controller.makeApiClient(EventsV1Api).createNamespacedEvent({ namespace: 'default', body: event() });
    const leases = controller.makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({ namespace: NAMESPACE, body: { metadata: { name: LEASE }, spec: { holderIdentity: 'pod-1' } } });
    await leases.replaceNamespacedLease({ namespace: NAMESPACE, name: LEASE, body: { ...lease, spec: { holderIdentity: 'pod-2' } } });
    assert.equal((await leases.readNamespacedLease({ namespace: NAMESPACE, name: LEASE })).spec?.holderIdentity, 'pod-2');
  });

  void test('the controller may not delete claims, read Secrets, or use Leases elsewhere or of another name', async () => {
    const leases = controller.makeApiClient(CoordinationV1Api);
    const forbidden = [
      () => controller.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ ...ref, name: 'probe' }),
      () => controller.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: NAMESPACE }),
      () => controller.makeApiClient(CoreV1Api).patchNode({ name: 'node-a', body: {} }, MERGE),
      () => leases.createNamespacedLease({ namespace: 'default', body: { metadata: { name: LEASE } } }),
      () => leases.readNamespacedLease({ namespace: NAMESPACE, name: 'kube-scheduler' }),
    ];
    for (const call of forbidden) assert.equal((await refused(call())).code, 403);
  });
});

function event(): EventsV1Event {
  return {
    metadata: { generateName: 'probe-' },
    eventTime: new V1MicroTime(),
    reportingController: 'ecseni.io/test',
    reportingInstance: 'test',
    action: 'Probe',
    reason: 'Probe',
    type: 'Normal',
    regarding: { apiVersion: API_VERSION, kind: KIND, name: 'probe' },
  };
}
