// What decide() knows about one claim: read from the informer caches and the controller's view
// of ECS before the decision, so that the decision itself is a pure function.
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import type { Eni, Instance, InstanceTypeQuota, VSwitch } from '../cloud/port.ts';
import type { Failure } from './backoff.ts';

export type NodeFacts =
  | { name: string; exists: false }
  | {
      name: string;
      exists: true;
      /** spec.providerID as written; undefined when the node has none. */
      providerId: string | undefined;
      /** The instance parsed from providerId; undefined when missing or not Alibaba Cloud's form. */
      instanceId: string | undefined;
      regionId: string | undefined;
      ready: boolean;
      /** When the Ready condition last left True (undefined while Ready). */
      notReadySinceMs: number | undefined;
    };

export type EniFact =
  /** The claim has no ENI yet, and none carries its UID. */
  | { kind: 'none' }
  | { kind: 'present'; eni: Eni }
  /** The claim names an ENI (status or spec) that ECS does not know. */
  | { kind: 'gone'; id: string };

/** Gathered only when the ENI is Available and wanted on the target node's instance. */
export interface AttachFacts {
  /** Undefined when ECS does not know the instance. */
  instance: Instance | undefined;
  quota?: InstanceTypeQuota;
  /** ENIs on the instance now, the primary included (attaching and detaching ones count). */
  enisOnInstance?: number;
}

export interface DecideOptions {
  clusterId: string;
  regionId: string;
  /** How long a NotReady node's agent is waited for before releasing without it. */
  nodeGraceMs: number;
  /** The longest wait for a node agent's cleanup, even on a Ready node. */
  agentTimeoutMs: number;
  /** Retry interval while waiting for ENI quota or for a node to appear. */
  waitRetryMs: number;
}

export interface ClaimFacts {
  claim: NetworkInterfaceClaim;
  nowMs: number;
  eni: EniFact;
  /** The node named by spec.nodeName. */
  target: NodeFacts;
  /** The node whose instance the ENI is attached to (or attaching/detaching from); undefined when none is known. */
  holder?: NodeFacts;
  attach?: AttachFacts;
  /** The ENI's vSwitch (CIDR, gateway); undefined when unknown. */
  vSwitch?: VSwitch;
  /** The permanent failure on record for this generation, if any. */
  failure?: Failure;
  options: DecideOptions;
}
