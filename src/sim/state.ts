// What changes while the simulator runs (ENIs, instances, histories, idempotency tokens), as plain
// data that survives a JSON round trip, so that `--state FILE` can keep it across restarts.
// The world file's fixed parts (VPCs, vSwitches, security groups, instance types) are not here.
import type { EniStatus, EniType } from '../cloud/port.ts';
import type { InstanceStatus } from './world.ts';

export type { EniStatus, EniType };

/** A state an ENI passes through; `Deleted` ends its history. */
export type HistoryStatus = EniStatus | 'Deleted';

export interface EniRecord {
  id: string;
  /** Creation order: paging follows it, so a NextToken stays valid when other ENIs go. */
  seq: number;
  type: EniType;
  status: EniStatus;
  macAddress: string;
  vpcId: string;
  vSwitchId: string;
  zoneId: string;
  primaryIp: string;
  secondaryIps: string[];
  securityGroupIds: string[];
  tags: { key: string; value: string }[];
  name?: string;
  description?: string;
  deleteOnRelease: boolean;
  creationTime: string;
  instanceId?: string;
  deviceIndex?: number;
  /** An asynchronous transition in flight: where it goes and when (epoch ms). */
  pending?: { to: 'InUse' | 'Available' | 'Deleted'; dueAt: number };
  /** ModifyNetworkInterfaceAttribute's security groups, waiting to take effect. */
  pendingSecurityGroups?: { ids: string[]; dueAt: number };
}

export interface InstanceRecord {
  id: string;
  seq: number;
  instanceType: string;
  vpcId: string;
  vSwitchId: string;
  zoneId: string;
  status: InstanceStatus;
  primaryEniId: string;
  creationTime: string;
}

export interface HistoryEntry {
  status: HistoryStatus;
  /** Epoch milliseconds. */
  at: number;
}

/** What a ClientToken was first used with, and what it answered. */
export interface IdempotencyEntry {
  fingerprint: string;
  response: Record<string, unknown>;
}

export interface SimState {
  nextSeq: number;
  enis: Map<string, EniRecord>;
  instances: Map<string, InstanceRecord>;
  /** Per ENI, every state change; kept after the ENI is deleted. */
  history: Map<string, HistoryEntry[]>;
  /** By `<action>:<ClientToken>`, oldest first. */
  idempotency: Map<string, IdempotencyEntry>;
}

export interface StateSnapshot {
  version: 1;
  nextSeq: number;
  enis: EniRecord[];
  instances: InstanceRecord[];
  history: Record<string, HistoryEntry[]>;
  idempotency: [string, IdempotencyEntry][];
}

export function emptyState(): SimState {
  return { nextSeq: 1, enis: new Map(), instances: new Map(), history: new Map(), idempotency: new Map() };
}

export function toSnapshot(state: SimState): StateSnapshot {
  return {
    version: 1,
    nextSeq: state.nextSeq,
    enis: [...state.enis.values()],
    instances: [...state.instances.values()],
    history: Object.fromEntries(state.history),
    idempotency: [...state.idempotency],
  };
}

export function fromSnapshot(snapshot: StateSnapshot): SimState {
  if (snapshot?.version !== 1) throw new Error(`unsupported simulator state version ${String(snapshot?.version)}`);
  return {
    nextSeq: snapshot.nextSeq,
    enis: new Map(snapshot.enis.map((e) => [e.id, e])),
    instances: new Map(snapshot.instances.map((i) => [i.id, i])),
    history: new Map(Object.entries(snapshot.history)),
    idempotency: new Map(snapshot.idempotency),
  };
}

/** ECS's timestamp format: ISO 8601 to the second, UTC. */
export function ecsTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
