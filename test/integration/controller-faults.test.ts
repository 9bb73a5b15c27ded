// The claim controller when things go wrong: ENI quota, a type that attaches only while Stopped,
// an unknown vSwitch (a bounded number of calls), throttling, connections cut after ECS committed,
// and leaked ENIs. Real kube-apiserver, the simulator behind the real SDK.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventsV1Api } from '@kubernetes/client-node';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { TAG_CLAIM_UID, TAG_CLUSTER_ID } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import type { ClaimController } from '../../src/controller/controller.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.ts';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import {
  claimManifest, conditionOf, createNode, enisOfClaim, instanceIdOf, simPort, startController, waitFor, waitForClaim, worldSpec,
} from '../support/sim-world.ts';

const NODES = ['node-q', 'node-x', 'node-y'];

let plane: ControlPlane;
let sim: RunningSimulator;
let controller: ClaimController;
let claims: ClaimClient;
const metrics = createMetrics('controller');

before(async () => {
  const world = worldSpec({
    nodes: NODES,
    instanceType: 'ecs.g7.xlarge',
    extraInstances: [
      { id: instanceIdOf('node-small'), instanceType: 'ecs.g7.large', vSwitchId: 'vsw-node' },
      { id: instanceIdOf('node-t6'), instanceType: 'ecs.t6-c1m1.large', vSwitchId: 'vsw-node' },
    ],
  });
  [plane, sim] = await Promise.all([startControlPlane(), startSimulator({ world })]);
  await applyCrds(plane.kubeConfig);
  for (const node of [...NODES, 'node-small', 'node-t6']) await createNode(plane.kubeConfig, node);
  claims = new ClaimClient(plane.kubeConfig);
  // A long wait retry, so that the quota test shows the claim is woken by the release itself.
  controller = await startController(plane.kubeConfig, sim, { waitRetryMs: 60_000, gcGraceMs: 0, metrics });
});

after(async () => {
  await controller?.stop();
  await Promise.all([plane?.stop(), sim?.close()]);
});

afterEach(() => sim.sim.clearFaults());

const isReady = (c: NetworkInterfaceClaim): boolean => conditionOf(c, 'Ready')?.status === 'True';
const reasonIs = (type: string, reason: string) => (c: NetworkInterfaceClaim): boolean => conditionOf(c, type)?.reason === reason;

async function deleteAll(names: string[]): Promise<void> {
  await Promise.all(names.map((n) => claims.delete(n)));
  await waitFor('claims gone', async () => (await Promise.all(names.map((n) => claims.get(n)))).every((c) => c === undefined), 30_000);
}

async function eventsAbout(name: string, reason: string): Promise<number> {
  const list = await plane.kubeConfig.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: 'default' });
  return list.items.filter((e) => e.regarding?.name === name && e.reason === reason).length;
}

describe('claim controller faults', () => {
  it('waits with InstanceENIQuotaExceeded, then attaches as soon as another claim releases a slot', async () => {
    // ecs.g7.large: 3 ENIs, the primary included, so 2 claims fit.
    for (const name of ['quota-1', 'quota-2']) await claims.create(claimManifest(name, { nodeName: 'node-small' }));
    await waitForClaim(claims, 'quota-1', 'Ready', isReady);
    await waitForClaim(claims, 'quota-2', 'Ready', isReady);
    await claims.create(claimManifest('quota-3', { nodeName: 'node-small' }));
    const waiting = await waitForClaim(claims, 'quota-3', 'quota exceeded', reasonIs('Attached', 'InstanceENIQuotaExceeded'));
    assert.match(conditionOf(waiting, 'Attached')?.message ?? '', /i-nodesmall \(ecs\.g7\.large\) already has 3 ENIs of the 3/);
    assert.equal(waiting.status?.phase, 'Pending');
    await waitFor('one Warning event', async () => (await eventsAbout('quota-3', 'InstanceENIQuotaExceeded')) === 1);

    await claims.delete('quota-1');
    const released = Date.now();
    const ready = await waitForClaim(claims, 'quota-3', 'Ready', isReady, 15_000);
    assert.ok(Date.now() - released < 10_000, 'woken by the release, not by the 60 s retry');
    assert.equal(ready.status?.instanceId, instanceIdOf('node-small'));
    await deleteAll(['quota-2', 'quota-3']);
  });

  it('reports an instance type that attaches only while Stopped, and attaches once it is stopped', async () => {
    await claims.create(claimManifest('stopped-1', { nodeName: 'node-t6' }));
    const failed = await waitForClaim(claims, 'stopped-1', 'InstanceMustBeStopped', reasonIs('Attached', 'InstanceMustBeStopped'));
    assert.equal(failed.status?.phase, 'Failed');
    assert.match(conditionOf(failed, 'Attached')?.message ?? '', /Stopped/);
    await sim.sim.setInstanceStatus(instanceIdOf('node-t6'), 'Stopped');
    await waitForClaim(claims, 'stopped-1', 'Ready', isReady, 20_000);
    await deleteAll(['stopped-1']);
  });

  it('reports an unknown vSwitch with one Event, and retries it on a slow, bounded schedule', async () => {
    sim.sim.resetCounts();
    await claims.create(claimManifest('badvsw-1', { nodeName: 'node-x', vSwitchId: 'vsw-missing' }));
    const failed = await waitForClaim(claims, 'badvsw-1', 'VSwitchNotFound', reasonIs('Created', 'VSwitchNotFound'));
    assert.equal(failed.status?.phase, 'Failed');
    // The test controller retries after 2 s, then 4 s, 8 s: within 7 s at most 3 attempts.
    await new Promise((r) => setTimeout(r, 7_000));
    const creates = sim.sim.counts.count('CreateNetworkInterface');
    assert.ok(creates >= 2 && creates <= 3, `CreateNetworkInterface calls in 7 s: ${creates}`);
    assert.equal(sim.sim.counts.count(), creates, 'no other ECS call for the broken claim');
    assert.equal(await eventsAbout('badvsw-1', 'VSwitchNotFound'), 1, 'one Event, its count bumped on repeats');
    await deleteAll(['badvsw-1']);
  });

  it('converges under 30 % throttling of every call, and releases everything', async () => {
    sim.sim.addFault({ action: '*', errorCode: 'Throttling', probability: 0.3 });
    const names = Array.from({ length: 9 }, (_, i) => `throttle-${i}`);
    for (const [i, name] of names.entries()) await claims.create(claimManifest(name, { nodeName: NODES[i % 3] as string, secondaryPrivateIpAddressCount: 1 }));
    const ready = await Promise.all(names.map((n) => waitForClaim(claims, n, 'Ready', isReady, 60_000)));
    assert.ok(sim.sim.counts.count(undefined, 'Throttling') > 0, 'the fault did fire');
    for (const claim of ready) assert.equal(enisOfClaim(sim, claim).length, 1);
    await deleteAll(names);
    // The controller lets a claim go once ECS has accepted the delete (the ENI is Deleting); ECS
    // finishes it asynchronously, so the ENIs are waited for, not expected at once.
    await waitFor('every ENI deleted', () => ready.every((claim) => enisOfClaim(sim, claim).length === 0), 30_000);
    for (const claim of ready) assert.equal(enisOfClaim(sim, claim).length, 0);
  });

  it('creates and attaches exactly one ENI per claim when ECS commits and the answer is lost', async () => {
    sim.sim.addFault({ action: 'CreateNetworkInterface', dropConnection: 'afterCommit', count: 3 });
    sim.sim.addFault({ action: 'AttachNetworkInterface', dropConnection: 'afterCommit', count: 3 });
    const names = Array.from({ length: 5 }, (_, i) => `drop-${i}`);
    for (const [i, name] of names.entries()) await claims.create(claimManifest(name, { nodeName: NODES[i % 3] as string }));
    const ready = await Promise.all(names.map((n) => waitForClaim(claims, n, 'Ready', isReady, 60_000)));
    assert.equal(sim.sim.listFaults().length, 0, 'every cut connection happened');
    for (const claim of ready) {
      const enis = enisOfClaim(sim, claim);
      assert.equal(enis.length, 1, `claim ${claim.metadata.name}: one ENI`);
      assert.equal(enis[0]?.id, claim.status?.networkInterfaceId);
      assert.equal(enis[0]?.status, 'InUse');
    }
    await deleteAll(names);
  });

  it("collects an ENI tagged with this cluster that no claim owns, and leaves others' ENIs alone", async () => {
    const port = simPort(sim);
    const orphan = await port.createNetworkInterface({ vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], clientToken: 'gc-orphan', tags: { [TAG_CLUSTER_ID]: 'c-test', [TAG_CLAIM_UID]: 'no-such-claim' } });
    await port.attachNetworkInterface(orphan.id, instanceIdOf('node-y'));
    await waitFor('orphan attached', () => sim.sim.getEni(orphan.id)?.status === 'InUse');
    const untagged = await port.createNetworkInterface({ vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], clientToken: 'gc-untagged', tags: {} });
    const foreign = await port.createNetworkInterface({ vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], clientToken: 'gc-foreign', tags: { [TAG_CLUSTER_ID]: 'c-other', [TAG_CLAIM_UID]: 'x' } });
    await claims.create(claimManifest('gc-owner', { nodeName: 'node-y' }));
    const owned = await waitForClaim(claims, 'gc-owner', 'Ready', isReady);

    assert.deepEqual(await controller.collectLeaks(), [orphan.id]);
    await waitFor('the orphan deleted', () => sim.sim.getEni(orphan.id) === undefined);
    assert.ok(sim.sim.getEni(untagged.id), 'an ENI without our tag survives');
    assert.ok(sim.sim.getEni(foreign.id), "another cluster's ENI survives");
    assert.equal(sim.sim.getEni(owned.status?.networkInterfaceId as string)?.status, 'InUse', "a claim's ENI survives");
    assert.match(await metrics.registry.getSingleMetricAsString('ecseni_leaked_enis_collected_total'), /ecseni_leaked_enis_collected_total 1$/m);
    await deleteAll(['gc-owner']);
  });
});
