// The claims client and the event recorder against a real kube-apiserver with the project's CRD:
// two writers (controller and node agent) sharing finalizers and status without undoing each
// other, and Events that `kubectl describe` shows, de-duplicated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CustomObjectsApi, EventsV1Api, type EventsV1Event } from '@kubernetes/client-node';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds, CRD_DIR } from '../support/crds.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import { apiEventSink, CONTROLLER_REPORTER, EventRecorder } from '../../src/kube/events.ts';
import { isConflict } from '../../src/kube/api-errors.ts';
import type { ClaimStatus, Condition, NetworkInterfaceClaim } from '../../src/api/claim.ts';
import {
  AGENT_FIELD_MANAGER, AGENT_FINALIZER, CONTROLLER_FIELD_MANAGER, CONTROLLER_FINALIZER, CRD_NAME, GROUP, PLURAL, VERSION,
} from '../../src/api/names.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const T = '2026-01-01T00:00:00Z';

function manifest(name: string) {
  return { metadata: { name, labels: { app: 'test' } }, spec: { nodeName: 'node-a', vSwitchId: 'vsw-test1', securityGroupIds: ['sg-test1'] } };
}

function condition(type: Condition['type'], status: Condition['status'], reason: string): Condition {
  return { type, status, reason, message: '', lastTransitionTime: T };
}

function conditionsOf(claim: NetworkInterfaceClaim | undefined): string[] {
  return (claim?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).sort();
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * applyCrds (test/support/crds.ts) sends the YAML through client-node's typed serializer, which
 * knows the schema's `x-kubernetes-*` keys only by their camelCase names and drops them: the
 * conditions list would be atomic, not a map keyed by type. kubectl sends the file as it is.
 */
async function reapplyCrdsVerbatim(cp: ControlPlane): Promise<void> {
  const kubectl = cp.binaries.kubectl;
  assert.ok(kubectl, 'kubectl is part of the test control plane');
  execFileSync(kubectl, ['--kubeconfig', cp.kubeconfigPath, 'apply', '--server-side', '--force-conflicts', '-f', CRD_DIR], { encoding: 'utf8' });
  const crd = JSON.parse(execFileSync(kubectl, ['--kubeconfig', cp.kubeconfigPath, 'get', 'crd', CRD_NAME, '-o', 'json'], { encoding: 'utf8' }));
  const conditions = crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.conditions;
  assert.equal(conditions['x-kubernetes-list-type'], 'map', 'the served CRD keys conditions by type');
}

describe('ClaimClient and EventRecorder against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let claims: ClaimClient;

  before(async () => {
    cp = await startControlPlane();
    await applyCrds(cp.kubeConfig);
    await reapplyCrdsVerbatim(cp);
    claims = new ClaimClient(cp.kubeConfig);
    await waitFor('claims to be served', () => claims.list().then(() => true, () => false), 30_000);
  });
  after(async () => {
    await cp?.stop();
  });

  it('creates, gets, lists by label and deletes; a missing claim is undefined / false, not an error', async () => {
    const created = await claims.create(manifest('basic'));
    assert.equal(created.apiVersion, `${GROUP}/${VERSION}`);
    assert.equal((await claims.get('basic'))?.spec.nodeName, 'node-a');
    assert.deepEqual((await claims.list({ labelSelector: 'app=test' })).items.map((c) => c.metadata.name), ['basic']);
    assert.deepEqual((await claims.list({ labelSelector: 'app=other' })).items, []);
    assert.equal(await claims.get('missing'), undefined);
    assert.equal(await claims.delete('basic'), true);
    assert.equal(await claims.delete('basic'), false);
  });

  it('two writers adding their finalizers from the same stale read both keep theirs', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `fin-${i}`);
    const stale = await Promise.all(names.map((n) => claims.create(manifest(n))));
    // Each pair races on the same resourceVersion: one write wins, the other gets a 409, reads
    // again and adds to what the first wrote.
    await Promise.all(stale.flatMap((c) => [claims.addFinalizer(c, CONTROLLER_FINALIZER), claims.addFinalizer(c, AGENT_FINALIZER)]));
    for (const n of names) {
      assert.deepEqual((await claims.get(n))?.metadata.finalizers?.slice().sort(), [CONTROLLER_FINALIZER, AGENT_FINALIZER].sort(), n);
    }
    // Adding again changes nothing (no write: the resourceVersion stays).
    const before = await claims.get('fin-0');
    await claims.addFinalizer('fin-0', CONTROLLER_FINALIZER);
    assert.equal((await claims.get('fin-0'))?.metadata.resourceVersion, before?.metadata.resourceVersion);

    // Deleting: the agent drops its finalizer while the controller re-adds its own from a stale copy.
    for (const n of names) await claims.delete(n);
    await Promise.all(stale.flatMap((c) => [claims.removeFinalizer(c, AGENT_FINALIZER), claims.addFinalizer(c, CONTROLLER_FINALIZER)]));
    for (const n of names) {
      const claim = await claims.get(n);
      assert.ok(claim?.metadata.deletionTimestamp, `${n} is being deleted`);
      assert.deepEqual(claim?.metadata.finalizers, [CONTROLLER_FINALIZER], n);
    }
    // The last finalizer to go lets the API server delete the claim.
    await Promise.all(names.map((n) => claims.removeFinalizer(n, CONTROLLER_FINALIZER)));
    for (const n of names) assert.equal(await claims.get(n), undefined);
    assert.equal(await claims.removeFinalizer('fin-0', CONTROLLER_FINALIZER), undefined, 'a gone claim has no finalizer to remove');
  });

  it('without the resourceVersion precondition the same race loses a finalizer (why the precondition is there)', async () => {
    const stale = await claims.create(manifest('naive'));
    const api = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
    const naive = (finalizer: string) =>
      api.patchClusterCustomObject(
        { group: GROUP, version: VERSION, plural: PLURAL, name: 'naive', body: { metadata: { finalizers: [...(stale.metadata.finalizers ?? []), finalizer] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await naive(CONTROLLER_FINALIZER);
    await naive(AGENT_FINALIZER);
    assert.deepEqual((await claims.get('naive'))?.metadata.finalizers, [AGENT_FINALIZER]);
    // …and the compare-and-swap refuses to write over a change it has not seen.
    const merge = { metadata: { resourceVersion: stale.metadata.resourceVersion, finalizers: [] } };
    await assert.rejects(
      api.patchClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: 'naive', body: merge }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
      (err: unknown) => isConflict(err),
    );
    await claims.removeFinalizer('naive', AGENT_FINALIZER);
    await claims.delete('naive');
  });

  it('status applied by two field managers: each keeps its own fields and conditions', async () => {
    await claims.create(manifest('status'));
    const controller: Partial<ClaimStatus> = {
      phase: 'Configuring',
      networkInterfaceId: 'eni-test1',
      macAddress: '00:16:3e:00:00:01',
      conditions: [condition('Created', 'True', 'Created'), condition('Attached', 'True', 'Attached')],
    };
    await claims.applyStatus('status', CONTROLLER_FIELD_MANAGER, controller);
    await claims.applyStatus('status', AGENT_FIELD_MANAGER, {
      interface: { name: 'eth1', routeTable: 1001 },
      conditions: [condition('Configured', 'True', 'Configured')],
    });
    let claim = await claims.get('status');
    assert.deepEqual(conditionsOf(claim), ['Attached=True', 'Configured=True', 'Created=True']);
    assert.equal(claim?.status?.interface?.name, 'eth1');

    // The controller's next apply (Ready added) keeps the agent's condition and interface.
    const controllerConditions = controller.conditions ?? [];
    await claims.applyStatus('status', CONTROLLER_FIELD_MANAGER, {
      ...controller,
      phase: 'Ready',
      conditions: [...controllerConditions, condition('Ready', 'True', 'Configured')],
    });
    // The agent's next apply (Configured=False) keeps the controller's conditions and phase.
    await claims.applyStatus('status', AGENT_FIELD_MANAGER, {
      interface: { name: 'eth1', routeTable: 1001 },
      conditions: [condition('Configured', 'False', 'InterfaceNotFound')],
    });
    claim = await claims.get('status');
    assert.deepEqual(conditionsOf(claim), ['Attached=True', 'Configured=False', 'Created=True', 'Ready=True']);
    assert.equal(claim?.status?.phase, 'Ready');
    assert.equal(claim?.status?.macAddress, '00:16:3e:00:00:01');
    assert.equal(claim?.status?.interface?.routeTable, 1001);

    // A manager's apply is the whole of what it owns: what it leaves out goes, and only that.
    await claims.applyStatus('status', AGENT_FIELD_MANAGER, { conditions: [condition('Configured', 'False', 'InterfaceNotFound')] });
    claim = await claims.get('status');
    assert.equal(claim?.status?.interface, undefined);
    assert.deepEqual(conditionsOf(claim), ['Attached=True', 'Configured=False', 'Created=True', 'Ready=True']);
    // Status writes leave the spec alone.
    assert.equal(claim?.spec.nodeName, 'node-a');
    await claims.delete('status');
  });

  it('sets and removes one label, leaving the others', async () => {
    await claims.create(manifest('labels'));
    await claims.setLabel('labels', 'ecseni.io/node', 'node-a');
    assert.deepEqual((await claims.get('labels'))?.metadata.labels, { app: 'test', 'ecseni.io/node': 'node-a' });
    await claims.setLabel('labels', 'ecseni.io/node', null);
    assert.deepEqual((await claims.get('labels'))?.metadata.labels, { app: 'test' });
    await claims.delete('labels');
  });

  it('records Events that kubectl describe shows, repeats folded into one Event with a count', async () => {
    const claim = await claims.create(manifest('evented'));
    const recorder = new EventRecorder({
      sink: apiEventSink(cp.kubeConfig),
      reportingController: CONTROLLER_REPORTER,
      reportingInstance: 'ecs-eni-controller-0',
      logger,
    });
    for (let i = 0; i < 3; i++) recorder.event(claim, 'Warning', 'VSwitchNotFound', 'vSwitch vsw-test1 does not exist in region cn-hangzhou');
    recorder.event(claim, 'Normal', 'Created', 'created ENI eni-test1');
    await recorder.flush();

    const events = (await cp.kubeConfig.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: 'default' })).items as EventsV1Event[];
    const about = events.filter((e) => e.regarding?.uid === claim.metadata.uid);
    assert.equal(about.length, 2, 'three identical Warnings are one Event');
    const warning = about.find((e) => e.reason === 'VSwitchNotFound');
    assert.equal(warning?.series?.count, 3);
    assert.equal(warning?.type, 'Warning');
    assert.equal(warning?.reportingController, CONTROLLER_REPORTER);
    assert.equal(warning?.reportingInstance, 'ecs-eni-controller-0');

    const kubectl = cp.binaries.kubectl;
    assert.ok(kubectl, 'kubectl is part of the test control plane');
    const described = execFileSync(kubectl, ['--kubeconfig', cp.kubeconfigPath, 'describe', 'nic', 'evented'], { encoding: 'utf8' });
    assert.match(described, /Warning\s+VSwitchNotFound\s+.*\(x3 over .*\)\s+ecseni\.io\/controller\s+vSwitch vsw-test1 does not exist/);
    assert.match(described, /Normal\s+Created\s+.*ecseni\.io\/controller\s+created ENI eni-test1/);
    await claims.delete('evented');
  });
});
