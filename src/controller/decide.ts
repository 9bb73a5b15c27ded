// The claim reconciler's brain: from the facts about one claim, the ONE next step, the status to
// show and the label to hold. Pure: no I/O, no clock (facts.nowMs), so that every situation is a
// row in a table test. The reconciler (reconcile.ts) gathers the facts and carries the step out.
import type { Condition, ConditionType, NetworkInterfaceClaim } from '../api/claim.ts';
import { findCondition } from '../api/conditions.ts';
import { reclaimPolicyOf, routingModeOf } from '../api/defaults.ts';
import { AGENT_FINALIZER, CONTROLLER_FINALIZER, TAG_CLAIM_NAME, TAG_CLAIM_UID, TAG_CLUSTER_ID } from '../api/names.ts';
import type { Eni } from '../cloud/port.ts';
import type { Action, ActionType, ClaimEvent, Decision } from './actions.ts';
import type { ClaimFacts, NodeFacts } from './facts.ts';
import { assignToken, claimUidOf, createToken, isOwnedByCluster, ownTags } from './identity.ts';
import { REASONS } from './reasons.ts';
import { buildStatus, type ConditionState, type Progress } from './status.ts';

/**
 * Reasons of normal progress: a condition moving to one of them is not worth an Event. `Created`
 * is among them: every claim gets one Normal Event when attached, not one per step (Events are
 * API writes too, and a thousand claims at once make the API server the bottleneck).
 */
const PROGRESS_REASONS = new Set<string>([
  REASONS.Pending,
  REASONS.Creating,
  REASONS.Created,
  REASONS.Adopted,
  REASONS.Attaching,
  REASONS.Moving,
  REASONS.Detaching,
  REASONS.Detached,
  REASONS.Releasing,
  REASONS.WaitingForNodeAgent,
]);

const WAIT: Action = { type: 'Wait' };
/** The tags this controller puts on an ENI (Terway's exclusion tag stays: Terway should still leave it alone). */
const OWN_TAG_KEYS = [TAG_CLUSTER_ID, TAG_CLAIM_UID, TAG_CLAIM_NAME];

export function decide(facts: ClaimFacts): Decision {
  return facts.claim.metadata.deletionTimestamp ? decideRelease(facts) : decideLive(facts);
}

/**
 * The instance decide() would attach the ENI to, when it needs AttachFacts for it: the ENI is
 * Available and the claim wants it on a node whose instance is known. The reconciler gathers
 * AttachFacts exactly then, so that quota lookups cost nothing on any other path.
 */
export function attachTargetOf(facts: Omit<ClaimFacts, 'attach'>): string | undefined {
  const { claim, eni, target } = facts;
  if (claim.metadata.deletionTimestamp || !hasFinalizer(claim, CONTROLLER_FINALIZER)) return undefined;
  if (eni.kind !== 'present' || eni.eni.status !== 'Available') return undefined;
  return nodeProblem(facts) ? undefined : instanceOf(target);
}

export function hasFinalizer(claim: NetworkInterfaceClaim, finalizer: string): boolean {
  return claim.metadata.finalizers?.includes(finalizer) ?? false;
}

function instanceOf(node: NodeFacts | undefined): string | undefined {
  return node?.exists ? node.instanceId : undefined;
}

// ---------------------------------------------------------------------------------------------
// A claim in use

function decideLive(f: ClaimFacts): Decision {
  // No status yet: the finalizer write wakes the claim again, and the next pass has more to say.
  if (!hasFinalizer(f.claim, CONTROLLER_FINALIZER)) return { action: { type: 'AddFinalizer' } };
  if (f.eni.kind === 'gone') return eniGone(f, f.eni.id);
  if (f.eni.kind === 'none') {
    return f.claim.spec.networkInterfaceId ? eniGone(f, f.claim.spec.networkInterfaceId) : create(f);
  }
  const eni = f.eni.eni;
  if (eni.status === 'Deleting') return eniGone(f, eni.id);
  if (eni.status === 'Attaching' || eni.status === 'Detaching') return inTransit(f, eni, eni.status);
  const change = specChange(f, eni);
  return eni.status === 'InUse' ? inUse(f, eni, change) : available(f, eni, change);
}

function create(f: ClaimFacts): Decision {
  const { claim, options } = f;
  const { spec } = claim;
  const uid = claim.metadata.uid ?? '';
  const failed = failureState(f, 'Create');
  const progress: Progress = {
    phase: failed ? 'Failed' : 'Creating',
    created: failed ?? { status: 'Unknown', reason: REASONS.Creating, message: `creating an ENI in ${spec.vSwitchId}` },
    attached: { status: 'Unknown', reason: REASONS.Pending },
    ready: failed ?? { status: 'False', reason: REASONS.Creating },
  };
  const input = {
    vSwitchId: spec.vSwitchId ?? '',
    securityGroupIds: spec.securityGroupIds ?? [],
    tags: ownTags(options.clusterId, claim.metadata.name ?? '', uid, spec.tags),
    clientToken: createToken(uid),
    ...(spec.primaryIpAddress ? { primaryIpAddress: spec.primaryIpAddress } : {}),
    ...(spec.secondaryPrivateIpAddressCount ? { secondaryPrivateIpAddressCount: spec.secondaryPrivateIpAddressCount } : {}),
    ...(spec.description ? { description: spec.description } : {}),
  };
  const waiting = backoff(f, 'Create');
  if (waiting) return withStatus(f, waiting, progress);
  // Once the ENI exists the next pass shows it; "Creating" is worth a write only while the call waits.
  return { ...withStatus(f, { type: 'Create', input }, progress), statusOnlyIfDeferred: true };
}

function inTransit(f: ClaimFacts, eni: Eni, status: 'Attaching' | 'Detaching'): Decision {
  const attaching = status === 'Attaching';
  const progress: Progress = {
    phase: attaching ? 'Attaching' : 'Detaching',
    created: createdState(f, eni),
    attached: { status: 'False', reason: attaching ? REASONS.Attaching : REASONS.Detaching, message: `${eni.id} is ${status} (instance ${eni.instanceId ?? '?'})` },
    ready: { status: 'False', reason: attaching ? REASONS.Attaching : REASONS.Detaching },
  };
  return withStatus(f, { type: 'WatchEni', eniId: eni.id, status }, progress);
}

function inUse(f: ClaimFacts, eni: Eni, change: Action | undefined): Decision {
  const targetInstance = instanceOf(f.target);
  if (targetInstance !== undefined && eni.instanceId === targetInstance) return attachedHere(f, eni, change);
  if (!mayDetach(f, eni)) return attachedElsewhere(f, eni);
  if (targetInstance === undefined && f.holder?.exists && f.holder.name === f.target.name) {
    // The node the claim wants is the one holding the ENI, only its providerID is unreadable now.
    return attachedHere(f, eni, change);
  }
  return moveAway(f, eni);
}

function attachedHere(f: ClaimFacts, eni: Eni, change: Action | undefined): Decision {
  const failed = change ? failureState(f, change.type) : undefined;
  const ready = failed ?? readyState(f);
  const progress: Progress = {
    phase: ready.status === 'True' ? 'Ready' : 'Configuring',
    created: createdState(f, eni),
    attached: { status: 'True', reason: REASONS.Attached, message: `${eni.id} is attached to ${eni.instanceId} (node ${f.target.name})` },
    ready,
  };
  const action = change ? (backoff(f, change.type) ?? change) : WAIT;
  return { ...withStatus(f, action, progress), nodeLabel: f.target.name };
}

function readyState(f: ClaimFacts): ConditionState {
  if (routingModeOf(f.claim.spec) === 'None') {
    return { status: 'True', reason: REASONS.RoutingDisabled, message: 'routing.mode None: the node agent leaves the OS alone' };
  }
  const configured = findCondition(f.claim.status?.conditions, 'Configured');
  const generation = f.claim.metadata.generation;
  const current = configured && (configured.observedGeneration === undefined || generation === undefined || configured.observedGeneration >= generation);
  if (configured && current && configured.status === 'True') return { status: 'True', reason: REASONS.Configured, message: configured.message };
  if (configured && current && configured.status === 'False') return { status: 'False', reason: configured.reason, message: configured.message };
  return { status: 'False', reason: REASONS.WaitingForNodeAgent, message: `waiting for the node agent on ${f.target.name} to configure the interface` };
}

function attachedElsewhere(f: ClaimFacts, eni: Eni): Decision {
  const message =
    `${eni.id} is attached to instance ${eni.instanceId}, which is not node ${f.target.name}'s; ` +
    'detach it there first (the controller does not take an adopted ENI from another instance)';
  const problem: ConditionState = { status: 'False', reason: REASONS.EniAttachedElsewhere, message };
  return withStatus(f, WAIT, { phase: 'Failed', created: createdState(f, eni), attached: problem, ready: problem });
}

/** The claim moved to another node: let the old node's agent clean up, then detach. */
function moveAway(f: ClaimFacts, eni: Eni): Decision {
  const from = f.holder?.name ?? f.claim.status?.nodeName ?? eni.instanceId ?? '?';
  const moving: ConditionState = { status: 'False', reason: REASONS.Moving, message: `moving ${eni.id} from node ${from} to node ${f.target.name}` };
  const progress: Progress = { phase: 'Detaching', created: createdState(f, eni), attached: moving, ready: moving };
  const previous = findCondition(f.claim.status?.conditions, 'Attached');
  const since = previous?.reason === REASONS.Moving ? Date.parse(previous.lastTransitionTime) : f.nowMs;
  const action = agentGate(f, since) ?? backoff(f, 'Detach') ?? { type: 'Detach', eniId: eni.id, instanceId: eni.instanceId ?? '' };
  return withStatus(f, action, progress);
}

function available(f: ClaimFacts, eni: Eni, change: Action | undefined): Decision {
  const decision = attachDecision(f, eni);
  // Spec changes first, while the ENI is idle; one that is backing off does not hold up the attach.
  return change && !backoff(f, change.type) ? { ...decision, action: change } : decision;
}

function attachDecision(f: ClaimFacts, eni: Eni): Decision {
  const created = createdState(f, eni);
  const pending = (state: ConditionState, action: Action, phase: Progress['phase'] = 'Pending'): Decision =>
    withStatus(f, action, { phase, created, attached: state, ready: state });
  const problem = nodeProblem(f);
  if (problem) return pending(problem, { type: 'Wait', requeueAfterMs: f.options.waitRetryMs });
  const attach = f.attach;
  if (!attach) return pending({ status: 'False', reason: REASONS.Attaching }, { type: 'Wait', requeueAfterMs: 1 });
  const instance = attach.instance;
  const instanceId = instanceOf(f.target) ?? '';
  if (!instance) {
    const message = `node ${f.target.name}'s instance ${instanceId} does not exist in ECS`;
    return pending({ status: 'False', reason: REASONS.InstanceNotFound, message }, { type: 'Wait', requeueAfterMs: f.options.waitRetryMs });
  }
  const mismatch = placementMismatch(eni, instance);
  if (mismatch) return pending(mismatch, WAIT, 'Failed');
  const { quota, enisOnInstance } = attach;
  if (quota && enisOnInstance !== undefined && enisOnInstance >= quota.eniQuantity) {
    const message =
      `instance ${instance.id} (${instance.instanceType}) already has ${enisOnInstance} ENIs of the ${quota.eniQuantity} its type allows ` +
      '(the primary included); waiting for one to be released';
    const state: ConditionState = { status: 'False', reason: REASONS.InstanceENIQuotaExceeded, message };
    return pending(state, { type: 'WaitForQuota', instanceId: instance.id, requeueAfterMs: f.options.waitRetryMs });
  }
  const failed = failureState(f, 'Attach');
  const attaching: ConditionState = failed ?? { status: 'False', reason: REASONS.Attaching, message: `attaching ${eni.id} to ${instance.id}` };
  const waiting = backoff(f, 'Attach');
  if (waiting) return pending(attaching, waiting, 'Failed');
  // The label goes with the attach (the new node's agent ignores the claim until it is Attached),
  // so that the write when the ENI turns InUse is the status alone: that one is on the clock.
  // The Attaching status is worth a write only while the call waits for its rate-limit token.
  const decision = pending(attaching, { type: 'Attach', eniId: eni.id, instanceId: instance.id }, 'Attaching');
  return { ...decision, nodeLabel: f.target.name, statusOnlyIfDeferred: true };
}

/** Why the target node cannot take an ENI now, or undefined when it can. */
function nodeProblem(f: Pick<ClaimFacts, 'target' | 'options'>): ConditionState | undefined {
  const node = f.target;
  if (!node.exists) return { status: 'False', reason: REASONS.NodeNotFound, message: `node ${node.name} does not exist` };
  if (!node.providerId) {
    return { status: 'False', reason: REASONS.NodeHasNoProviderID, message: `node ${node.name} has no spec.providerID (<region>.<instance-id>) yet` };
  }
  if (!node.instanceId) {
    const message = `node ${node.name}'s spec.providerID ${node.providerId} is not <region>.<instance-id>`;
    return { status: 'False', reason: REASONS.NodeHasInvalidProviderID, message };
  }
  if (node.regionId !== f.options.regionId) {
    const message = `node ${node.name} is in region ${node.regionId}; this controller manages ${f.options.regionId}`;
    return { status: 'False', reason: REASONS.NodeInOtherRegion, message };
  }
  return undefined;
}

function placementMismatch(eni: Eni, instance: { id: string; zoneId: string; vpcId: string }): ConditionState | undefined {
  if (eni.vpcId && instance.vpcId && eni.vpcId !== instance.vpcId) {
    return { status: 'False', reason: REASONS.VpcMismatch, message: `${eni.id} is in ${eni.vpcId}, instance ${instance.id} in ${instance.vpcId}` };
  }
  if (eni.zoneId && instance.zoneId && eni.zoneId !== instance.zoneId) {
    const message = `${eni.id} is in zone ${eni.zoneId}, instance ${instance.id} in ${instance.zoneId}: use a vSwitch in ${instance.zoneId}`;
    return { status: 'False', reason: REASONS.ZoneMismatch, message };
  }
  return undefined;
}

/** Security groups or the secondary IP count differ from the spec: the change to make. */
function specChange(f: ClaimFacts, eni: Eni): Action | undefined {
  const { spec, metadata } = f.claim;
  const groups = spec.securityGroupIds;
  if (groups && !sameSet(groups, eni.securityGroupIds)) return { type: 'ModifySecurityGroups', eniId: eni.id, securityGroupIds: [...groups] };
  const wanted = spec.secondaryPrivateIpAddressCount;
  const have = eni.secondaryIpAddresses.length;
  if (wanted === undefined || wanted === have) return undefined;
  if (wanted < have) return { type: 'UnassignIps', eniId: eni.id, ips: eni.secondaryIpAddresses.slice(wanted) };
  // The current count is part of the token: after an out-of-band unassign the same generation
  // must not replay an earlier answer.
  const clientToken = assignToken(metadata.uid ?? '', metadata.generation ?? 0, have);
  return { type: 'AssignIps', eniId: eni.id, count: wanted - have, clientToken };
}

function eniGone(f: ClaimFacts, id: string): Decision {
  const message = `ENI ${id} no longer exists in ECS; delete the claim and apply it again to get a new ENI`;
  const gone: ConditionState = { status: 'False', reason: REASONS.EniNotFound, message };
  return withStatus(f, WAIT, { phase: 'Failed', created: gone, attached: gone, ready: gone });
}

// ---------------------------------------------------------------------------------------------
// Release

function decideRelease(f: ClaimFacts): Decision {
  if (!hasFinalizer(f.claim, CONTROLLER_FINALIZER)) return { action: WAIT };
  const decision = releaseStep(f);
  // The node agent takes its finalizer ahead of the attach (and a detach by hand leaves it held).
  // The controller lets go only of an ENI that no node of the claim's has attached: no kernel
  // uses it, so there is nothing to wait for, and a dead node's agent must not keep the claim.
  if (decision.action.type === 'RemoveFinalizer' && hasFinalizer(f.claim, AGENT_FINALIZER)) {
    return { action: { type: 'RemoveAgentFinalizer', why: 'the ENI is not attached to the node: no kernel uses it' } };
  }
  return decision;
}

function releaseStep(f: ClaimFacts): Decision {
  const removeFinalizer: Action = { type: 'RemoveFinalizer' };
  if (f.eni.kind !== 'present' || f.eni.eni.status === 'Deleting') return { action: removeFinalizer };
  const eni = f.eni.eni;
  if (eni.status === 'Attaching' || eni.status === 'Detaching') return releasing(f, eni, { type: 'WatchEni', eniId: eni.id, status: eni.status });
  if (eni.status === 'InUse') return releaseInUse(f, eni);
  if (reclaimPolicyOf(f.claim.spec) === 'Retain') return retain(f, eni);
  if (!isOwnedByCluster(eni, f.options.clusterId)) {
    const message = `kept ENI ${eni.id}: it does not carry this cluster's tag, and the controller deletes only ENIs it created`;
    return { action: removeFinalizer, event: { type: 'Warning', reason: REASONS.ForeignEniKept, message } };
  }
  const decision = releasing(f, eni, backoff(f, 'Delete') ?? { type: 'Delete', eniId: eni.id }, 'Deleting');
  return { ...decision, event: { type: 'Normal', reason: REASONS.Deleted, message: `deleted ENI ${eni.id}` } };
}

/** Keep the ENI, without this cluster's tags: from now on it is the user's, like any adopted one. */
function retain(f: ClaimFacts, eni: Eni): Decision {
  if (isOwnedByCluster(eni, f.options.clusterId)) {
    const tagKeys = OWN_TAG_KEYS.filter((key) => key in eni.tags);
    return releasing(f, eni, backoff(f, 'Untag') ?? { type: 'Untag', eniId: eni.id, tagKeys });
  }
  return { action: { type: 'RemoveFinalizer' }, event: { type: 'Normal', reason: REASONS.Retained, message: `kept ENI ${eni.id} (reclaimPolicy Retain)` } };
}

function releaseInUse(f: ClaimFacts, eni: Eni): Decision {
  if (!mayDetach(f, eni)) {
    const message = `left ENI ${eni.id} attached to ${eni.instanceId}: the claim never attached it there`;
    return { action: { type: 'RemoveFinalizer' }, event: { type: 'Normal', reason: REASONS.Retained, message } };
  }
  const since = Date.parse(f.claim.metadata.deletionTimestamp as unknown as string);
  const action = agentGate(f, Number.isNaN(since) ? f.nowMs : since) ?? backoff(f, 'Detach') ?? { type: 'Detach', eniId: eni.id, instanceId: eni.instanceId ?? '' };
  return releasing(f, eni, action);
}

function releasing(f: ClaimFacts, eni: Eni, action: Action, phase: Progress['phase'] = 'Detaching'): Decision {
  // A release step failing for a reason a person must fix (e.g. an instance type that detaches
  // only while stopped) is shown on the claim, so that kubectl describe says what to do.
  const detachFailure = failureState(f, 'Detach');
  const failure = detachFailure ?? failureState(f, 'Delete') ?? failureState(f, 'Untag');
  const ready: ConditionState = failure ?? { status: 'False', reason: REASONS.Releasing, message: `releasing ${eni.id}: the claim is being deleted` };
  const attached: ConditionState = detachFailure ?? { status: 'False', reason: eni.status === 'Available' ? REASONS.Detached : REASONS.Detaching };
  return withStatus(f, action, { phase, created: createdState(f, eni), attached, ready });
}

// ---------------------------------------------------------------------------------------------
// Shared rules

/**
 * Before detaching an ENI, the node agent holding it must have cleaned the kernel (its finalizer
 * gone). Bounded: a node that is gone, NotReady past the grace, or an agent past the timeout is
 * not waited for. Undefined: go ahead.
 */
function agentGate(f: ClaimFacts, waitingSinceMs: number): Action | undefined {
  if (!hasFinalizer(f.claim, AGENT_FINALIZER)) return undefined;
  const holder = f.holder;
  const name = holder?.name ?? f.claim.status?.nodeName ?? 'unknown';
  if (!holder?.exists) return { type: 'RemoveAgentFinalizer', why: `node ${name} is gone` };
  const { nodeGraceMs, agentTimeoutMs } = f.options;
  const waits: number[] = [waitingSinceMs + agentTimeoutMs - f.nowMs];
  if (!holder.ready && holder.notReadySinceMs !== undefined) {
    const left = holder.notReadySinceMs + nodeGraceMs - f.nowMs;
    if (left <= 0) return { type: 'RemoveAgentFinalizer', why: `node ${name} has been NotReady for more than ${Math.round(nodeGraceMs / 1000)} s` };
    waits.push(left);
  }
  if ((waits[0] as number) <= 0) {
    return { type: 'RemoveAgentFinalizer', why: `the node agent on ${name} did not clean up within ${Math.round(agentTimeoutMs / 1000)} s` };
  }
  return { type: 'Wait', requeueAfterMs: Math.max(1, Math.min(...waits)) };
}

/**
 * The controller detaches an ENI only from an instance the claim put it on: one it created (its
 * UID tag), or one its status records. An adopted ENI found on some other instance is left alone.
 */
function mayDetach(f: ClaimFacts, eni: Eni): boolean {
  const uid = f.claim.metadata.uid;
  return (uid !== undefined && claimUidOf(eni) === uid) || (eni.instanceId !== undefined && f.claim.status?.instanceId === eni.instanceId);
}

function createdState(f: ClaimFacts, eni: Eni): ConditionState {
  const adopted = f.claim.spec.networkInterfaceId !== undefined;
  return { status: 'True', reason: adopted ? REASONS.Adopted : REASONS.Created, message: `${eni.id} in ${eni.vSwitchId}` };
}

/** The failure condition to show while `step` is failing permanently. */
function failureState(f: ClaimFacts, step: ActionType): ConditionState | undefined {
  const failure = f.failure;
  return failure && failure.step === step ? { status: 'False', reason: failure.reason, message: failure.message } : undefined;
}

/** A slow-retry wait while `step` is backing off after a permanent failure. */
function backoff(f: ClaimFacts, step: ActionType): Action | undefined {
  const failure = f.failure;
  if (!failure || failure.step !== step || f.nowMs >= failure.retryAtMs) return undefined;
  return { type: 'Wait', requeueAfterMs: failure.retryAtMs - f.nowMs };
}

function withStatus(f: ClaimFacts, action: Action, progress: Progress): Decision {
  const status = buildStatus(f, progress);
  const event =
    action.type === 'RemoveAgentFinalizer'
      ? { type: 'Warning' as const, reason: REASONS.NodeAgentFinalizerRemoved, message: `released without the node agent: ${action.why}` }
      : transitionEvent(f.claim.status?.conditions, status.conditions ?? []);
  return event ? { action, status, event } : { action, status };
}

/**
 * An Event for a controller condition whose status or reason changes: a problem first, else the
 * first good news; mere progress (Attaching, WaitingForNodeAgent…) is not worth one.
 */
function transitionEvent(previous: Condition[] | undefined, next: Condition[]): ClaimEvent | undefined {
  const events: ClaimEvent[] = [];
  for (const type of ['Created', 'Attached', 'Ready'] as ConditionType[]) {
    const before = findCondition(previous, type);
    const after = findCondition(next, type);
    if (!after || (before?.status === after.status && before.reason === after.reason)) continue;
    if (after.status === 'Unknown' || PROGRESS_REASONS.has(after.reason)) continue;
    events.push({ type: after.status === 'True' ? 'Normal' : 'Warning', reason: after.reason, message: after.message || after.reason });
  }
  return events.find((e) => e.type === 'Warning') ?? events[0];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
