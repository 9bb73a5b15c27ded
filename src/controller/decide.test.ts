import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClaimSpec, Condition, NetworkInterfaceClaim } from '../api/claim.ts';
import { AGENT_FINALIZER, API_VERSION, CONTROLLER_FINALIZER, KIND, TAG_CLAIM_NAME, TAG_CLAIM_UID, TAG_CLUSTER_ID, TERWAY_EXCLUDED_TAG } from '../api/names.ts';
import type { Eni } from '../cloud/port.ts';
import type { Action } from './actions.ts';
import { attachTargetOf, decide } from './decide.ts';
import type { ClaimFacts, NodeFacts } from './facts.ts';
import { statusUnchanged } from './status.ts';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const UID = '0b7c1f0e-1111-4222-8333-944455556666';
const CLUSTER = 'c-test';
const OPTIONS = { clusterId: CLUSTER, regionId: 'cn-hangzhou', nodeGraceMs: 120_000, agentTimeoutMs: 600_000, waitRetryMs: 60_000 };

interface ClaimInit {
  spec?: Partial<ClaimSpec>;
  finalizers?: string[];
  deleting?: boolean;
  generation?: number;
  conditions?: Condition[];
  status?: NetworkInterfaceClaim['status'];
}

function claim(init: ClaimInit = {}): NetworkInterfaceClaim {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: 'db-0',
      uid: UID,
      generation: init.generation ?? 1,
      finalizers: init.finalizers ?? [CONTROLLER_FINALIZER],
      ...(init.deleting ? { deletionTimestamp: new Date(NOW - 5_000) } : {}),
    },
    spec: { nodeName: 'node-a', vSwitchId: 'vsw-a', securityGroupIds: ['sg-1'], ...init.spec },
    status: { ...init.status, ...(init.conditions ? { conditions: init.conditions } : {}) },
  };
}

function eni(init: Partial<Eni> = {}): Eni {
  return {
    id: 'eni-1',
    status: 'Available',
    type: 'Secondary',
    macAddress: '00:16:3e:00:00:01',
    primaryIpAddress: '192.168.1.10',
    secondaryIpAddresses: [],
    vpcId: 'vpc-1',
    vSwitchId: 'vsw-a',
    zoneId: 'cn-hangzhou-h',
    securityGroupIds: ['sg-1'],
    tags: { [TAG_CLUSTER_ID]: CLUSTER, [TAG_CLAIM_UID]: UID },
    ...init,
  };
}

function node(name: string, init: Partial<Extract<NodeFacts, { exists: true }>> = {}): NodeFacts {
  const instanceId = `i-${name.replace('node-', '')}`;
  return { name, exists: true, providerId: `cn-hangzhou.${instanceId}`, instanceId, regionId: 'cn-hangzhou', ready: true, notReadySinceMs: undefined, ...init };
}

const INSTANCE_A = { id: 'i-a', instanceType: 'ecs.g7.large', status: 'Running', zoneId: 'cn-hangzhou-h', vpcId: 'vpc-1', vSwitchId: 'vsw-a' };
const QUOTA = { instanceType: 'ecs.g7.large', eniQuantity: 3, eniPrivateIpAddressQuantity: 6 };

function facts(over: Partial<ClaimFacts> = {}): ClaimFacts {
  return { claim: claim(), nowMs: NOW, eni: { kind: 'none' }, target: node('node-a'), options: OPTIONS, ...over };
}

function condition(type: Condition['type'], status: Condition['status'], reason: string, observedGeneration = 1): Condition {
  return { type, status, reason, message: '', observedGeneration, lastTransitionTime: new Date(NOW - 60_000).toISOString() };
}

function reasonOf(f: ClaimFacts, type: Condition['type']): string | undefined {
  return decide(f).status?.conditions?.find((c) => c.type === type)?.reason;
}

describe('decide: bringing a claim up', () => {
  it('adds the finalizer before anything else, and writes no status yet', () => {
    const d = decide(facts({ claim: claim({ finalizers: [] }) }));
    assert.deepEqual(d.action, { type: 'AddFinalizer' });
    assert.equal(d.status, undefined);
  });

  it('creates with a UID-derived token, our tags, Terway exclusion and the user tags', () => {
    const d = decide(facts({ claim: claim({ spec: { tags: { team: 'storage' }, secondaryPrivateIpAddressCount: 2, primaryIpAddress: '192.168.1.20' } }) }));
    assert.equal(d.action.type, 'Create');
    const input = (d.action as Extract<Action, { type: 'Create' }>).input;
    assert.equal(input.clientToken, `nic-${UID}`);
    assert.ok(input.clientToken.length <= 64);
    assert.deepEqual(input.tags, {
      team: 'storage',
      [TAG_CLUSTER_ID]: CLUSTER,
      [TAG_CLAIM_UID]: UID,
      [TAG_CLAIM_NAME]: 'db-0',
      [TERWAY_EXCLUDED_TAG.key]: 'true',
    });
    assert.equal(input.vSwitchId, 'vsw-a');
    assert.deepEqual(input.securityGroupIds, ['sg-1']);
    assert.equal(input.secondaryPrivateIpAddressCount, 2);
    assert.equal(input.primaryIpAddress, '192.168.1.20');
    assert.equal(d.status?.phase, 'Creating');
  });

  it('waits out the slow retry of a failed create, showing the failure, with one Warning when it first appears', () => {
    const failure = { step: 'Create' as const, generation: 1, reason: 'VSwitchNotFound', message: 'no such vSwitch', attempts: 1, retryAtMs: NOW + 30_000 };
    const d = decide(facts({ failure }));
    assert.deepEqual(d.action, { type: 'Wait', requeueAfterMs: 30_000 });
    assert.equal(d.status?.phase, 'Failed');
    assert.equal(reasonOf(facts({ failure }), 'Created'), 'VSwitchNotFound');
    assert.deepEqual(d.event, { type: 'Warning', reason: 'VSwitchNotFound', message: 'no such vSwitch' });
    // The same failure already on the claim: no new Event, and no status change to write.
    const shown = facts({ failure, claim: claim({ status: d.status }) });
    const again = decide(shown);
    assert.equal(again.event, undefined);
    assert.ok(statusUnchanged(shown.claim.status, again.status ?? {}));
  });

  it('tries the create again once the retry time has come, without flipping the condition back', () => {
    const failure = { step: 'Create' as const, generation: 1, reason: 'VSwitchNotFound', message: 'x', attempts: 1, retryAtMs: NOW };
    const d = decide(facts({ failure }));
    assert.equal(d.action.type, 'Create');
    assert.equal(reasonOf(facts({ failure }), 'Created'), 'VSwitchNotFound');
  });

  it('reports an ENI to adopt that does not exist', () => {
    const c = claim({ spec: { vSwitchId: undefined, networkInterfaceId: 'eni-missing' } });
    const d = decide(facts({ claim: c, eni: { kind: 'none' } }));
    assert.deepEqual(d.action, { type: 'Wait' });
    assert.equal(d.status?.phase, 'Failed');
    assert.equal(reasonOf(facts({ claim: c }), 'Attached'), 'EniNotFound');
  });

  it('reports an ENI that vanished out of band, and does not re-create it', () => {
    const d = decide(facts({ eni: { kind: 'gone', id: 'eni-1' } }));
    assert.deepEqual(d.action, { type: 'Wait' });
    assert.equal(d.status?.phase, 'Failed');
    assert.equal(d.status?.networkInterfaceId, 'eni-1');
    assert.equal(d.event?.reason, 'EniNotFound');
  });
});

describe('decide: attaching', () => {
  const nodeCases: [string, NodeFacts, string][] = [
    ['no Node', { name: 'node-a', exists: false }, 'NodeNotFound'],
    ['no providerID', node('node-a', { providerId: undefined, instanceId: undefined, regionId: undefined }), 'NodeHasNoProviderID'],
    ['a providerID of another cloud', node('node-a', { providerId: 'aws:///us-east-1a/i-0abc', instanceId: undefined, regionId: undefined }), 'NodeHasInvalidProviderID'],
    ['another region', node('node-a', { regionId: 'cn-beijing' }), 'NodeInOtherRegion'],
  ];
  for (const [name, target, reason] of nodeCases) {
    it(`waits with ${reason} for ${name}`, () => {
      const f = facts({ eni: { kind: 'present', eni: eni() }, target });
      const d = decide(f);
      assert.deepEqual(d.action, { type: 'Wait', requeueAfterMs: OPTIONS.waitRetryMs });
      assert.equal(reasonOf(f, 'Attached'), reason);
      assert.equal(d.status?.phase, 'Pending');
      assert.equal(d.event?.type, 'Warning');
      assert.equal(attachTargetOf(f), undefined);
    });
  }

  it('asks for attach facts exactly when an Available ENI is wanted on a known instance', () => {
    assert.equal(attachTargetOf(facts({ eni: { kind: 'present', eni: eni() } })), 'i-a');
    assert.equal(attachTargetOf(facts({ eni: { kind: 'present', eni: eni({ status: 'InUse', instanceId: 'i-a' }) } })), undefined);
    assert.equal(attachTargetOf(facts({ eni: { kind: 'none' } })), undefined);
    assert.equal(attachTargetOf(facts({ claim: claim({ deleting: true }), eni: { kind: 'present', eni: eni() } })), undefined);
  });

  it('attaches when the instance has a free slot', () => {
    const f = facts({ eni: { kind: 'present', eni: eni() }, attach: { instance: INSTANCE_A, quota: QUOTA, enisOnInstance: 2 } });
    const d = decide(f);
    assert.deepEqual(d.action, { type: 'Attach', eniId: 'eni-1', instanceId: 'i-a' });
    assert.equal(d.status?.phase, 'Attaching');
    assert.equal(d.statusOnlyIfDeferred, true, 'the Attaching status is written only while the attach waits for its token');
    assert.equal(d.nodeLabel, 'node-a', 'labelled with the attach, so the write at InUse is the status alone');
    assert.equal(d.status?.networkInterfaceId, 'eni-1');
    assert.equal(reasonOf(f, 'Created'), 'Created');
  });

  it('waits for quota with a message naming the numbers', () => {
    const f = facts({ eni: { kind: 'present', eni: eni() }, attach: { instance: INSTANCE_A, quota: QUOTA, enisOnInstance: 3 } });
    const d = decide(f);
    assert.deepEqual(d.action, { type: 'WaitForQuota', instanceId: 'i-a', requeueAfterMs: OPTIONS.waitRetryMs });
    const attached = d.status?.conditions?.find((c) => c.type === 'Attached');
    assert.equal(attached?.reason, 'InstanceENIQuotaExceeded');
    assert.match(attached?.message ?? '', /i-a \(ecs\.g7\.large\) already has 3 ENIs of the 3/);
    assert.equal(d.event?.reason, 'InstanceENIQuotaExceeded');
  });

  it('reports a zone mismatch without calling ECS', () => {
    const f = facts({ eni: { kind: 'present', eni: eni({ zoneId: 'cn-hangzhou-i' }) }, attach: { instance: INSTANCE_A, quota: QUOTA, enisOnInstance: 1 } });
    assert.deepEqual(decide(f).action, { type: 'Wait' });
    assert.equal(reasonOf(f, 'Attached'), 'ZoneMismatch');
  });

  it('reports an instance ECS does not know', () => {
    const f = facts({ eni: { kind: 'present', eni: eni() }, attach: { instance: undefined } });
    assert.equal(decide(f).action.type, 'Wait');
    assert.equal(reasonOf(f, 'Attached'), 'InstanceNotFound');
  });

  it('backs off an attach that failed permanently (a type that attaches only while Stopped)', () => {
    const failure = { step: 'Attach' as const, generation: 1, reason: 'InstanceMustBeStopped', message: 'stop it', attempts: 2, retryAtMs: NOW + 60_000 };
    const f = facts({ eni: { kind: 'present', eni: eni() }, attach: { instance: INSTANCE_A, quota: QUOTA, enisOnInstance: 1 }, failure });
    const d = decide(f);
    assert.deepEqual(d.action, { type: 'Wait', requeueAfterMs: 60_000 });
    assert.equal(d.status?.phase, 'Failed');
    assert.equal(reasonOf(f, 'Attached'), 'InstanceMustBeStopped');
  });

  it('a failure of an older generation does not hold the claim back', () => {
    const failure = { step: 'Attach' as const, generation: 1, reason: 'InstanceMustBeStopped', message: '', attempts: 2, retryAtMs: NOW + 60_000 };
    // The reconciler passes only the failure of the current generation; none here.
    const f = facts({ claim: claim({ generation: 2 }), eni: { kind: 'present', eni: eni() }, attach: { instance: INSTANCE_A, quota: QUOTA, enisOnInstance: 1 } });
    assert.equal(decide(f).action.type, 'Attach');
    assert.equal(failure.generation, 1);
  });

  it('watches an ENI that is attaching', () => {
    const c = claim({ conditions: [condition('Created', 'True', 'Created')] });
    const d = decide(facts({ claim: c, eni: { kind: 'present', eni: eni({ status: 'Attaching', instanceId: 'i-a' }) } }));
    assert.deepEqual(d.action, { type: 'WatchEni', eniId: 'eni-1', status: 'Attaching' });
    assert.equal(d.status?.phase, 'Attaching');
    assert.equal(d.event, undefined);
  });
});

describe('decide: attached', () => {
  const inUse = eni({ status: 'InUse', instanceId: 'i-a' });
  const attachedFacts = (init: ClaimInit = {}, over: Partial<ClaimFacts> = {}): ClaimFacts =>
    facts({ claim: claim(init), eni: { kind: 'present', eni: inUse }, holder: node('node-a'), ...over });

  it('marks Attached, fills the status, labels the claim and waits for the agent', () => {
    const vSwitch = { id: 'vsw-a', vpcId: 'vpc-1', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.1.0/24', availableIpAddressCount: 200 };
    const prior = [condition('Created', 'True', 'Created'), condition('Attached', 'False', 'Attaching')];
    const d = decide(attachedFacts({ conditions: prior }, { vSwitch }));
    assert.deepEqual(d.action, { type: 'Wait' });
    assert.equal(d.nodeLabel, 'node-a');
    assert.equal(d.status?.phase, 'Configuring');
    assert.equal(d.status?.macAddress, '00:16:3e:00:00:01');
    assert.equal(d.status?.instanceId, 'i-a');
    assert.equal(d.status?.nodeName, 'node-a');
    assert.equal(d.status?.cidrBlock, '192.168.1.0/24');
    assert.equal(d.status?.gateway, '192.168.1.253');
    assert.equal(d.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'WaitingForNodeAgent');
    assert.deepEqual(d.event, { type: 'Normal', reason: 'Attached', message: 'eni-1 is attached to i-a (node node-a)' });
    assert.ok(!d.status?.conditions?.some((c) => c.type === 'Configured'), 'never writes the agent condition');
  });

  it('is Ready once the agent reports Configured for this generation', () => {
    const f = attachedFacts({ conditions: [condition('Configured', 'True', 'Configured')] });
    assert.equal(decide(f).status?.phase, 'Ready');
    assert.equal(reasonOf(f, 'Ready'), 'Configured');
  });

  it('ignores a Configured of an older generation (after a move)', () => {
    const f = attachedFacts({ generation: 3, conditions: [condition('Configured', 'True', 'Configured', 2)] });
    assert.equal(reasonOf(f, 'Ready'), 'WaitingForNodeAgent');
  });

  it('passes the agent failure on to Ready', () => {
    const f = attachedFacts({ conditions: [condition('Configured', 'False', 'InterfaceNotFound')] });
    assert.equal(reasonOf(f, 'Ready'), 'InterfaceNotFound');
  });

  it('is Ready at once with routing.mode None', () => {
    const f = attachedFacts({ spec: { routing: { mode: 'None' } } });
    assert.equal(decide(f).status?.phase, 'Ready');
    assert.equal(reasonOf(f, 'Ready'), 'RoutingDisabled');
  });

  it('applies a security group change in place', () => {
    const d = decide(attachedFacts({ spec: { securityGroupIds: ['sg-1', 'sg-2'] } }));
    assert.deepEqual(d.action, { type: 'ModifySecurityGroups', eniId: 'eni-1', securityGroupIds: ['sg-1', 'sg-2'] });
    assert.equal(d.nodeLabel, 'node-a');
  });

  it('treats the same groups in another order as no change', () => {
    const f = attachedFacts({ spec: { securityGroupIds: ['sg-2', 'sg-1'] } }, { eni: { kind: 'present', eni: { ...inUse, securityGroupIds: ['sg-1', 'sg-2'] } } });
    assert.deepEqual(decide(f).action, { type: 'Wait' });
  });

  it('assigns more secondary IPs with a token of the generation and the count before', () => {
    const d = decide(attachedFacts({ generation: 4, spec: { secondaryPrivateIpAddressCount: 3 } }));
    assert.deepEqual(d.action, { type: 'AssignIps', eniId: 'eni-1', count: 3, clientToken: `ip-${UID}-4-0` });
  });

  it('unassigns the last secondary IPs when the count goes down', () => {
    const f = attachedFacts(
      { spec: { secondaryPrivateIpAddressCount: 1 } },
      { eni: { kind: 'present', eni: { ...inUse, secondaryIpAddresses: ['192.168.1.11', '192.168.1.12', '192.168.1.13'] } } },
    );
    assert.deepEqual(decide(f).action, { type: 'UnassignIps', eniId: 'eni-1', ips: ['192.168.1.12', '192.168.1.13'] });
  });

  it('leaves the IPs of an adopted ENI alone when the spec names no count', () => {
    const f = attachedFacts(
      { spec: { vSwitchId: undefined, networkInterfaceId: 'eni-1', securityGroupIds: undefined } },
      { eni: { kind: 'present', eni: { ...inUse, secondaryIpAddresses: ['192.168.1.11'], tags: {} } } },
    );
    assert.deepEqual(decide(f).action, { type: 'Wait' });
    assert.equal(reasonOf(f, 'Created'), 'Adopted');
  });

  it('waits out a failing security group change instead of retrying it hot', () => {
    const failure = { step: 'ModifySecurityGroups' as const, generation: 1, reason: 'SecurityGroupNotFound', message: 'no sg-9', attempts: 1, retryAtMs: NOW + 30_000 };
    const f = attachedFacts({ spec: { securityGroupIds: ['sg-9'] } }, { failure });
    assert.deepEqual(decide(f).action, { type: 'Wait', requeueAfterMs: 30_000 });
    assert.equal(reasonOf(f, 'Ready'), 'SecurityGroupNotFound');
    assert.equal(reasonOf(f, 'Attached'), 'Attached');
  });

  it('writes nothing when the status already says it all', () => {
    const f = attachedFacts({ spec: { routing: { mode: 'None' } } });
    const first = decide(f);
    const second = facts({ ...f, claim: { ...f.claim, status: first.status } });
    assert.ok(statusUnchanged(second.claim.status, decide(second).status ?? {}));
    assert.equal(decide(second).event, undefined);
  });
});

describe('decide: moving to another node', () => {
  const onA = eni({ status: 'InUse', instanceId: 'i-a' });
  const moveFacts = (init: ClaimInit, over: Partial<ClaimFacts> = {}): ClaimFacts =>
    facts({ claim: claim({ spec: { nodeName: 'node-b' }, status: { instanceId: 'i-a', nodeName: 'node-a' }, ...init }), eni: { kind: 'present', eni: onA }, target: node('node-b'), holder: node('node-a'), ...over });

  it('detaches from the old node once its agent has let go', () => {
    const d = decide(moveFacts({}));
    assert.deepEqual(d.action, { type: 'Detach', eniId: 'eni-1', instanceId: 'i-a' });
    assert.equal(d.status?.phase, 'Detaching');
    assert.equal(d.nodeLabel, undefined, 'keeps the old label while detaching');
  });

  it("waits for the old node's agent, bounded by the agent timeout", () => {
    const d = decide(moveFacts({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }));
    assert.deepEqual(d.action, { type: 'Wait', requeueAfterMs: OPTIONS.agentTimeoutMs });
  });

  it('releases without the agent when the old node is gone', () => {
    const d = decide(moveFacts({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }, { holder: undefined }));
    assert.equal(d.action.type, 'RemoveAgentFinalizer');
    assert.equal(d.event?.reason, 'NodeAgentFinalizerRemoved');
  });

  it('releases without the agent when the old node is NotReady past the grace, and waits within it', () => {
    const finalizers = [CONTROLLER_FINALIZER, AGENT_FINALIZER];
    const late = decide(moveFacts({ finalizers }, { holder: node('node-a', { ready: false, notReadySinceMs: NOW - 121_000 }) }));
    assert.equal(late.action.type, 'RemoveAgentFinalizer');
    const early = decide(moveFacts({ finalizers }, { holder: node('node-a', { ready: false, notReadySinceMs: NOW - 100_000 }) }));
    assert.deepEqual(early.action, { type: 'Wait', requeueAfterMs: 20_000 });
  });

  it('leaves an adopted ENI that sits on an instance the claim never used', () => {
    const foreign = eni({ status: 'InUse', instanceId: 'i-z', tags: {} });
    const f = facts({ claim: claim({ spec: { vSwitchId: undefined, networkInterfaceId: 'eni-1' } }), eni: { kind: 'present', eni: foreign } });
    assert.deepEqual(decide(f).action, { type: 'Wait' });
    assert.equal(reasonOf(f, 'Attached'), 'EniAttachedElsewhere');
  });
});

describe('decide: release', () => {
  const deleting = (init: ClaimInit = {}): NetworkInterfaceClaim => claim({ deleting: true, status: { instanceId: 'i-a', nodeName: 'node-a' }, ...init });
  const inUse = eni({ status: 'InUse', instanceId: 'i-a' });

  const cases: [string, Partial<ClaimFacts>, Action['type']][] = [
    ['waits for the agent while its node is Ready', { claim: deleting({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }), eni: { kind: 'present', eni: inUse }, holder: node('node-a') }, 'Wait'],
    ['detaches once the agent is done', { claim: deleting(), eni: { kind: 'present', eni: inUse }, holder: node('node-a') }, 'Detach'],
    ['releases without the agent on a vanished node', { claim: deleting({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }), eni: { kind: 'present', eni: inUse } }, 'RemoveAgentFinalizer'],
    ['watches a detaching ENI', { claim: deleting(), eni: { kind: 'present', eni: eni({ status: 'Detaching', instanceId: 'i-a' }) } }, 'WatchEni'],
    ['deletes an idle ENI it created', { claim: deleting(), eni: { kind: 'present', eni: eni() } }, 'Delete'],
    ['untags it with Retain', { claim: deleting({ spec: { reclaimPolicy: 'Retain' } }), eni: { kind: 'present', eni: eni() } }, 'Untag'],
    ['keeps an adopted ENI by default', { claim: deleting({ spec: { vSwitchId: undefined, networkInterfaceId: 'eni-1' } }), eni: { kind: 'present', eni: eni({ tags: {} }) } }, 'RemoveFinalizer'],
    ['drops the finalizer once the ENI is gone', { claim: deleting(), eni: { kind: 'gone', id: 'eni-1' } }, 'RemoveFinalizer'],
    ['drops the finalizer when there never was an ENI', { claim: deleting(), eni: { kind: 'none' } }, 'RemoveFinalizer'],
    ['does nothing without its finalizer', { claim: deleting({ finalizers: [AGENT_FINALIZER] }), eni: { kind: 'present', eni: inUse } }, 'Wait'],
    // The agent takes its finalizer ahead of the attach; an ENI attached nowhere waits for no agent.
    ["takes the agent's finalizer off when there never was an ENI", { claim: deleting({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }), eni: { kind: 'none' } }, 'RemoveAgentFinalizer'],
    ["takes the agent's finalizer off once the ENI is gone", { claim: deleting({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }), eni: { kind: 'gone', id: 'eni-1' } }, 'RemoveAgentFinalizer'],
    ['deletes an idle ENI first, whoever holds the claim', { claim: deleting({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }), eni: { kind: 'present', eni: eni() } }, 'Delete'],
  ];
  for (const [name, over, type] of cases) {
    it(name, () => assert.equal(decide(facts(over)).action.type, type));
  }

  it("lets go of the agent's finalizer on an ENI attached nowhere without a Warning, then of its own", () => {
    const held = decide(facts({ claim: deleting({ finalizers: [CONTROLLER_FINALIZER, AGENT_FINALIZER] }), eni: { kind: 'none' } }));
    assert.equal(held.event, undefined);
    assert.deepEqual(decide(facts({ claim: deleting(), eni: { kind: 'none' } })).action, { type: 'RemoveFinalizer' });
  });

  it('never deletes an ENI without this cluster tag, and says so', () => {
    const untagged = eni({ tags: { [TAG_CLUSTER_ID]: 'c-other' } });
    const d = decide(facts({ claim: deleting({ spec: { reclaimPolicy: 'Delete', vSwitchId: undefined, networkInterfaceId: 'eni-1' } }), eni: { kind: 'present', eni: untagged } }));
    assert.deepEqual(d.action, { type: 'RemoveFinalizer' });
    assert.equal(d.event?.type, 'Warning');
    assert.equal(d.event?.reason, 'ForeignEniKept');
  });

  it("takes this cluster's tags off a retained ENI before letting go, so that nothing here ever deletes it", () => {
    const tagged = eni({ tags: { [TAG_CLUSTER_ID]: CLUSTER, [TAG_CLAIM_UID]: UID, [TAG_CLAIM_NAME]: 'db-0', team: 'x' } });
    const d = decide(facts({ claim: deleting({ spec: { reclaimPolicy: 'Retain' } }), eni: { kind: 'present', eni: tagged } }));
    assert.deepEqual(d.action, { type: 'Untag', eniId: 'eni-1', tagKeys: [TAG_CLUSTER_ID, TAG_CLAIM_UID, TAG_CLAIM_NAME] });
    const untagged = eni({ tags: { team: 'x' } });
    const done = decide(facts({ claim: deleting({ spec: { reclaimPolicy: 'Retain' } }), eni: { kind: 'present', eni: untagged } }));
    assert.deepEqual(done.action, { type: 'RemoveFinalizer' });
    assert.equal(done.event?.reason, 'Retained');
  });

  it('shows a release step that fails for a reason a person must fix, while it waits to retry', () => {
    const failure = { step: 'Detach' as const, generation: 1, reason: 'InstanceMustBeStopped', message: 'stop i-a first', attempts: 1, retryAtMs: NOW + 30_000 };
    const f = facts({ claim: deleting(), eni: { kind: 'present', eni: inUse }, holder: node('node-a'), failure });
    assert.equal(decide(f).action.type, 'Wait');
    assert.equal(reasonOf(f, 'Attached'), 'InstanceMustBeStopped');
    assert.equal(reasonOf(f, 'Ready'), 'InstanceMustBeStopped');
    assert.equal(decide(f).event?.type, 'Warning');
  });

  it('records a Deleted event with the delete', () => {
    const d = decide(facts({ claim: deleting(), eni: { kind: 'present', eni: eni() } }));
    assert.equal(d.event?.reason, 'Deleted');
    assert.equal(d.status?.phase, 'Deleting');
  });

  it('does not detach an adopted ENI from an instance the claim never attached it to', () => {
    const foreign = eni({ status: 'InUse', instanceId: 'i-z', tags: {} });
    const d = decide(facts({ claim: deleting({ spec: { vSwitchId: undefined, networkInterfaceId: 'eni-1' }, status: {} }), eni: { kind: 'present', eni: foreign } }));
    assert.deepEqual(d.action, { type: 'RemoveFinalizer' });
  });
});
