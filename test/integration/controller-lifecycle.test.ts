// The claim controller against a real kube-apiserver and the ECS simulator (through the real SDK):
// a claim's whole life — create, attach, status, label, day-two changes, moves, release — and
// adoption. The node agent's part (its finalizer, its Configured condition) is played by hand.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { AGENT_FIELD_MANAGER, AGENT_FINALIZER, CONTROLLER_FINALIZER, GROUP, NODE_LABEL, PLURAL, TAG_CLAIM_NAME, TAG_CLAIM_UID, TAG_CLUSTER_ID, TERWAY_EXCLUDED_TAG, VERSION } from '../../src/api/names.ts';
import { ClaimClient } from '../../src/kube/claims.ts';
import type { ClaimController } from '../../src/controller/controller.ts';
import { startSimulator, type RunningSimulator } from '../../src/sim/index.ts';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import {
  claimManifest, conditionOf, createNode, enisOfClaim, instanceIdOf, simPort, startController, waitFor, waitForClaim, worldSpec,
} from '../support/sim-world.ts';

const NODES = ['node-a', 'node-b', 'node-noid'];

let plane: ControlPlane;
let sim: RunningSimulator;
let controller: ClaimController;
let claims: ClaimClient;

before(async () => {
  [plane, sim] = await Promise.all([startControlPlane(), startSimulator({ world: worldSpec({ nodes: NODES }) })]);
  await applyCrds(plane.kubeConfig);
  await createNode(plane.kubeConfig, 'node-a');
  await createNode(plane.kubeConfig, 'node-b');
  await createNode(plane.kubeConfig, 'node-noid', null);
  claims = new ClaimClient(plane.kubeConfig);
  controller = await startController(plane.kubeConfig, sim);
});

after(async () => {
  await controller?.stop();
  await Promise.all([plane?.stop(), sim?.close()]);
});

const isReady = (c: NetworkInterfaceClaim): boolean => conditionOf(c, 'Ready')?.status === 'True';
const isAttached = (c: NetworkInterfaceClaim): boolean => conditionOf(c, 'Attached')?.status === 'True';

function simEni(id: string | undefined) {
  return id ? sim.sim.getEni(id) : undefined;
}

/** Plays the node agent: holds its finalizer and reports Configured as the agent's field manager. */
async function agentConfigures(name: string): Promise<void> {
  const claim = await claims.get(name);
  assert.ok(claim);
  await claims.addFinalizer(claim, AGENT_FINALIZER);
  const now = new Date().toISOString();
  await claims.applyStatus(name, AGENT_FIELD_MANAGER, {
    conditions: [{ type: 'Configured', status: 'True', reason: 'Configured', message: 'eth1', observedGeneration: claim.metadata.generation, lastTransitionTime: now }],
  });
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  const api = plane.kubeConfig.makeApiClient(CustomObjectsApi);
  await api.patchClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name, body: { spec } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

async function deleteAndWaitGone(name: string): Promise<void> {
  await claims.delete(name);
  await waitFor(`claim ${name} gone`, async () => (await claims.get(name)) === undefined);
}

describe('claim lifecycle', () => {
  it('creates, attaches and reports a claim, then deletes its ENI on release', async () => {
    await claims.create(claimManifest('life-1', { nodeName: 'node-a', tags: { team: 'storage' }, description: 'storage traffic' }));
    const ready = await waitForClaim(claims, 'life-1', 'Ready and labelled', (c) => isReady(c) && c.metadata.labels?.[NODE_LABEL] === 'node-a');
    const s = ready.status ?? {};
    assert.equal(s.phase, 'Ready');
    assert.equal(s.instanceId, instanceIdOf('node-a'));
    assert.equal(s.nodeName, 'node-a');
    assert.equal(s.vSwitchId, 'vsw-a');
    assert.equal(s.vpcId, 'vpc-a');
    assert.equal(s.zoneId, 'cn-hangzhou-h');
    assert.equal(s.cidrBlock, '192.168.16.0/20');
    assert.equal(s.gateway, '192.168.31.253');
    assert.deepEqual(s.securityGroupIds, ['sg-a']);
    assert.equal(s.observedGeneration, ready.metadata.generation);
    assert.match(s.macAddress ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(ready.metadata.labels?.[NODE_LABEL], 'node-a');
    assert.ok(ready.metadata.finalizers?.includes(CONTROLLER_FINALIZER));
    assert.deepEqual(['Created', 'Attached', 'Ready'].map((t) => conditionOf(ready, t)?.status), ['True', 'True', 'True']);

    const [eni, ...more] = enisOfClaim(sim, ready);
    assert.equal(more.length, 0, 'exactly one ENI for the claim');
    assert.ok(eni);
    assert.equal(eni.id, s.networkInterfaceId);
    assert.equal(eni.status, 'InUse');
    assert.equal(eni.primaryIpAddress, s.primaryIpAddress);
    assert.equal(eni.deleteOnRelease, false);
    assert.equal(eni.description, 'storage traffic');
    assert.deepEqual(
      [eni.tags[TAG_CLUSTER_ID], eni.tags[TAG_CLAIM_UID], eni.tags[TAG_CLAIM_NAME], eni.tags[TERWAY_EXCLUDED_TAG.key], eni.tags.team],
      ['c-test', ready.metadata.uid, 'life-1', 'true', 'storage'],
    );

    await deleteAndWaitGone('life-1');
    await waitFor('the ENI deleted', () => simEni(eni.id) === undefined);
  });

  it("keeps the ENI with reclaimPolicy Retain, detached and without this cluster's tags", async () => {
    await claims.create(claimManifest('life-retain', { nodeName: 'node-a', reclaimPolicy: 'Retain', tags: { team: 'db' } }));
    const ready = await waitForClaim(claims, 'life-retain', 'Ready', isReady);
    await deleteAndWaitGone('life-retain');
    const eni = simEni(ready.status?.networkInterfaceId);
    assert.equal(eni?.status, 'Available');
    assert.deepEqual(eni?.tags, { team: 'db', [TERWAY_EXCLUDED_TAG.key]: 'true' }, 'the user tags and the Terway exclusion stay');
    assert.deepEqual(await controller.collectLeaks(), [], 'leak collection never sees a retained ENI');
  });

  it('waits for the node agent: Ready only once it reports Configured, and detaches only after its cleanup', async () => {
    await claims.create(claimManifest('life-agent', { nodeName: 'node-a', routing: { mode: 'Policy' } }));
    const attached = await waitForClaim(claims, 'life-agent', 'Attached', isAttached);
    assert.equal(conditionOf(attached, 'Ready')?.reason, 'WaitingForNodeAgent');
    assert.equal(attached.status?.phase, 'Configuring');
    await agentConfigures('life-agent');
    await waitForClaim(claims, 'life-agent', 'Ready', isReady);

    await claims.delete('life-agent');
    await waitForClaim(claims, 'life-agent', 'being released', (c) => c.status?.phase === 'Detaching');
    await new Promise((r) => setTimeout(r, 1_000));
    const eniId = attached.status?.networkInterfaceId;
    assert.equal(simEni(eniId)?.status, 'InUse', 'no detach while the agent holds its finalizer');
    await claims.removeFinalizer('life-agent', AGENT_FINALIZER);
    await waitFor('claim gone', async () => (await claims.get('life-agent')) === undefined);
    await waitFor('the ENI deleted', () => simEni(eniId) === undefined);
  });

  it('adopts an existing ENI, and leaves it (detached) on release by default', async () => {
    const port = simPort(sim);
    const existing = await port.createNetworkInterface({ vSwitchId: 'vsw-a', securityGroupIds: ['sg-b'], tags: { owner: 'someone' }, clientToken: 'adopt-test-1' });
    await claims.create({ metadata: { name: 'life-adopt' }, spec: { nodeName: 'node-b', networkInterfaceId: existing.id, routing: { mode: 'None' } } });
    const ready = await waitForClaim(claims, 'life-adopt', 'Ready', isReady);
    assert.equal(conditionOf(ready, 'Created')?.reason, 'Adopted');
    assert.equal(ready.status?.instanceId, instanceIdOf('node-b'));
    assert.deepEqual(ready.status?.securityGroupIds, ['sg-b'], 'no securityGroupIds in the spec: the ENI keeps its own');
    await deleteAndWaitGone('life-adopt');
    const eni = simEni(existing.id);
    assert.equal(eni?.status, 'Available');
  });

  it('applies security group and secondary IP count changes in place', async () => {
    await claims.create(claimManifest('life-day2', { nodeName: 'node-b', secondaryPrivateIpAddressCount: 1 }));
    const ready = await waitForClaim(claims, 'life-day2', 'Ready', isReady);
    assert.equal(ready.status?.secondaryPrivateIpAddresses?.length, 1);
    const eniId = ready.status?.networkInterfaceId;

    await patchSpec('life-day2', { securityGroupIds: ['sg-a', 'sg-b'], secondaryPrivateIpAddressCount: 3 });
    const changed = await waitForClaim(claims, 'life-day2', 'groups and IPs changed', (c) => c.status?.securityGroupIds?.length === 2 && c.status?.secondaryPrivateIpAddresses?.length === 3 && c.status.observedGeneration === c.metadata.generation);
    assert.deepEqual(simEni(eniId)?.securityGroupIds.slice().sort(), ['sg-a', 'sg-b']);
    assert.equal(simEni(eniId)?.secondaryIpAddresses.length, 3);
    assert.equal(simEni(eniId)?.status, 'InUse', 'changed in place, still attached');

    const kept = changed.status?.secondaryPrivateIpAddresses?.[0];
    await patchSpec('life-day2', { secondaryPrivateIpAddressCount: 1, securityGroupIds: ['sg-b'] });
    const lowered = await waitForClaim(claims, 'life-day2', 'IPs lowered', (c) => c.status?.secondaryPrivateIpAddresses?.length === 1 && c.status?.securityGroupIds?.length === 1);
    assert.deepEqual(lowered.status?.secondaryPrivateIpAddresses, [kept], 'the first addresses stay, the last go');
    assert.deepEqual(simEni(eniId)?.secondaryIpAddresses, [kept]);
    assert.deepEqual(simEni(eniId)?.securityGroupIds, ['sg-b']);
    await deleteAndWaitGone('life-day2');
  });

  it('moves an ENI with its addresses to another node, after the old node agent has cleaned up', async () => {
    await claims.create(claimManifest('life-move', { nodeName: 'node-a', routing: { mode: 'Policy' }, secondaryPrivateIpAddressCount: 1 }));
    await waitForClaim(claims, 'life-move', 'Attached', isAttached);
    await agentConfigures('life-move');
    const before = await waitForClaim(claims, 'life-move', 'Ready', isReady);
    const eniId = before.status?.networkInterfaceId;

    await patchSpec('life-move', { nodeName: 'node-b' });
    const moving = await waitForClaim(claims, 'life-move', 'moving', (c) => conditionOf(c, 'Attached')?.reason === 'Moving');
    assert.equal(moving.metadata.labels?.[NODE_LABEL], 'node-a', 'the old agent keeps seeing the claim until it has cleaned up');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(simEni(eniId)?.instanceId, instanceIdOf('node-a'), 'not detached while the old agent holds its finalizer');
    await claims.removeFinalizer('life-move', AGENT_FINALIZER);

    // The status first, then the label: the new node's agent never sees a claim without its status.
    const moved = await waitForClaim(claims, 'life-move', 'attached on node-b', (c) => isAttached(c) && c.metadata.labels?.[NODE_LABEL] === 'node-b');
    assert.equal(moved.status?.nodeName, 'node-b');
    assert.equal(moved.status?.networkInterfaceId, eniId);
    assert.equal(moved.status?.instanceId, instanceIdOf('node-b'));
    assert.equal(moved.status?.macAddress, before.status?.macAddress);
    assert.equal(moved.status?.primaryIpAddress, before.status?.primaryIpAddress);
    assert.deepEqual(moved.status?.secondaryPrivateIpAddresses, before.status?.secondaryPrivateIpAddresses);
    assert.equal(conditionOf(moved, 'Ready')?.reason, 'WaitingForNodeAgent', "the old agent's Configured does not count for the new node");
    await deleteAndWaitGone('life-move');
  });

  it('reports a node without providerID, and attaches once it has one', async () => {
    await claims.create(claimManifest('life-noid', { nodeName: 'node-noid' }));
    const waiting = await waitForClaim(claims, 'life-noid', 'NodeHasNoProviderID', (c) => conditionOf(c, 'Attached')?.reason === 'NodeHasNoProviderID');
    assert.equal(waiting.status?.phase, 'Pending');
    assert.equal(conditionOf(waiting, 'Created')?.status, 'True', 'the ENI is created meanwhile');
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.patchNode({ name: 'node-noid', body: { spec: { providerID: `alicloud://cn-hangzhou.${instanceIdOf('node-noid')}` } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const ready = await waitForClaim(claims, 'life-noid', 'Ready', isReady);
    assert.equal(ready.status?.instanceId, instanceIdOf('node-noid'));
    await deleteAndWaitGone('life-noid');
  });

  it('reports a node that does not exist', async () => {
    await claims.create(claimManifest('life-nonode', { nodeName: 'node-nowhere' }));
    await waitForClaim(claims, 'life-nonode', 'NodeNotFound', (c) => conditionOf(c, 'Attached')?.reason === 'NodeNotFound');
    await deleteAndWaitGone('life-nonode');
  });

  it("deletes a claim whose ENI was never attached though a node agent that is gone holds it: the agent's finalizer is taken off", async () => {
    await claims.create(claimManifest('life-early', { nodeName: 'node-nowhere' }));
    const waiting = await waitForClaim(claims, 'life-early', 'NodeNotFound', (c) => conditionOf(c, 'Attached')?.reason === 'NodeNotFound');
    const eniId = waiting.status?.networkInterfaceId;
    assert.ok(eniId && simEni(eniId), 'the ENI is created meanwhile');
    // The agent takes its finalizer on a claim bound to its node ahead of the attach, then is gone.
    await claims.addFinalizer('life-early', AGENT_FINALIZER);
    await deleteAndWaitGone('life-early');
    assert.equal(simEni(eniId), undefined, 'its ENI deleted');
  });

  it('reports an ENI deleted out of band, and does not create another', async () => {
    await claims.create(claimManifest('life-vanish', { nodeName: 'node-b' }));
    const ready = await waitForClaim(claims, 'life-vanish', 'Ready', isReady);
    const eniId = ready.status?.networkInterfaceId as string;
    const port = simPort(sim);
    await port.detachNetworkInterface(eniId, instanceIdOf('node-b'));
    await waitFor('detached', () => simEni(eniId)?.status === 'Available');
    await port.deleteNetworkInterface(eniId);
    await waitFor('deleted', () => simEni(eniId) === undefined);
    // The periodic listing (or the next look) notices; the test asks for a pass now.
    await controller.collectLeaks();
    const gone = await waitForClaim(claims, 'life-vanish', 'EniNotFound', (c) => conditionOf(c, 'Ready')?.reason === 'EniNotFound');
    assert.equal(gone.status?.phase, 'Failed');
    assert.equal(enisOfClaim(sim, gone).length, 0);
    await deleteAndWaitGone('life-vanish');
  });
});
