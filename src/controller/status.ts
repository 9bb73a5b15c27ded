// The controller's share of a claim's status: built from the facts and the progress decide()
// chose, and compared with what the claim already shows so that only real changes are written.
// Never `interface` nor the `Configured` condition: those are the node agent's.
import type { ClaimStatus, Condition, ConditionStatus, ConditionType, Phase } from '../api/claim.ts';
import { nextCondition } from '../api/conditions.ts';
import { gatewayOf } from '../cloud/cidr.ts';
import { compareCodeUnits } from '../strings.ts';
import type { ClaimFacts } from './facts.ts';

export interface ConditionState {
  status: ConditionStatus;
  reason: string;
  message?: string;
}

/** Where the claim stands: its phase and the three conditions the controller owns. */
export interface Progress {
  phase: Phase;
  created: ConditionState;
  attached: ConditionState;
  ready: ConditionState;
}

/** The condition types the controller writes; `Configured` belongs to the node agent. */
export const CONTROLLER_CONDITIONS: readonly ConditionType[] = ['Created', 'Attached', 'Ready'];

const OWNED_FIELDS = [
  'phase',
  'observedGeneration',
  'networkInterfaceId',
  'macAddress',
  'primaryIpAddress',
  'secondaryPrivateIpAddresses',
  'vpcId',
  'vSwitchId',
  'zoneId',
  'cidrBlock',
  'gateway',
  'securityGroupIds',
  'instanceId',
  'nodeName',
] as const satisfies readonly (keyof ClaimStatus)[];

/** What the ENI, its vSwitch and its holder say, as status fields. */
function observedFields(facts: ClaimFacts): ClaimStatus {
  if (facts.eni.kind === 'gone') return { networkInterfaceId: facts.eni.id };
  if (facts.eni.kind === 'none') return {};
  const eni = facts.eni.eni;
  const vSwitch = facts.vSwitch?.id === eni.vSwitchId ? facts.vSwitch : undefined;
  return {
    networkInterfaceId: eni.id,
    macAddress: eni.macAddress || undefined,
    primaryIpAddress: eni.primaryIpAddress || undefined,
    secondaryPrivateIpAddresses: eni.secondaryIpAddresses.length > 0 ? [...eni.secondaryIpAddresses] : undefined,
    vpcId: eni.vpcId || undefined,
    vSwitchId: eni.vSwitchId || undefined,
    zoneId: eni.zoneId || undefined,
    cidrBlock: vSwitch?.cidrBlock,
    gateway: vSwitch ? gatewayOf(vSwitch.cidrBlock) : undefined,
    securityGroupIds: eni.securityGroupIds.length > 0 ? [...eni.securityGroupIds] : undefined,
    instanceId: eni.instanceId,
    nodeName: eni.instanceId && facts.holder?.exists ? facts.holder.name : undefined,
  };
}

export function buildStatus(facts: ClaimFacts, progress: Progress): ClaimStatus {
  const { claim } = facts;
  const generation = claim.metadata.generation;
  const previous = claim.status?.conditions;
  const now = new Date(facts.nowMs);
  const condition = (type: ConditionType, state: ConditionState): Condition =>
    nextCondition(previous, { type, ...state, ...(generation === undefined ? {} : { observedGeneration: generation }) }, now);
  return dropUndefined({
    phase: progress.phase,
    observedGeneration: generation,
    ...observedFields(facts),
    conditions: [condition('Created', progress.created), condition('Attached', progress.attached), condition('Ready', progress.ready)],
  });
}

/** The controller-owned part of a status as the API server returns it, for comparison. */
export function ownedStatus(status: ClaimStatus | undefined): ClaimStatus {
  if (!status) return {};
  const owned: ClaimStatus = {};
  for (const field of OWNED_FIELDS) {
    if (status[field] !== undefined) (owned as Record<string, unknown>)[field] = status[field];
  }
  const conditions = (status.conditions ?? []).filter((c) => CONTROLLER_CONDITIONS.includes(c.type));
  if (conditions.length > 0) owned.conditions = conditions;
  return owned;
}

/** True when applying `desired` would change nothing the controller owns in `current`. */
export function statusUnchanged(current: ClaimStatus | undefined, desired: ClaimStatus): boolean {
  return canonical(ownedStatus(current)) === canonical(ownedStatus(desired));
}

function canonical(status: ClaimStatus): string {
  const conditions = [...(status.conditions ?? [])]
    .sort((a, b) => compareCodeUnits(a.type, b.type))
    .map((c) => sortKeys({ ...c, message: c.message ?? '' }));
  return JSON.stringify(sortKeys({ ...status, conditions }));
}

function sortKeys<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => compareCodeUnits(a, b))) as T;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
