// What one reconcile of a claim does: exactly one action, chosen by decide() from the facts.
import type { ClaimStatus } from '../api/claim.ts';
import type { CreateEniInput } from '../cloud/port.ts';

export type Action =
  | { type: 'AddFinalizer' }
  | { type: 'Create'; input: CreateEniInput }
  | { type: 'ModifySecurityGroups'; eniId: string; securityGroupIds: string[] }
  | { type: 'AssignIps'; eniId: string; count: number; clientToken: string }
  | { type: 'UnassignIps'; eniId: string; ips: string[] }
  | { type: 'Attach'; eniId: string; instanceId: string }
  | { type: 'Detach'; eniId: string; instanceId: string }
  | { type: 'Delete'; eniId: string }
  /** The node agent cannot clean up (its node is gone or NotReady too long): release without it. */
  | { type: 'RemoveAgentFinalizer'; why: string }
  /** A kept ENI (Retain) loses this cluster's tags, so that nothing here ever deletes or collects it. */
  | { type: 'Untag'; eniId: string; tagKeys: string[] }
  | { type: 'RemoveFinalizer' }
  /** The ENI is mid-transition: poll it (batched) until its status leaves `status`. */
  | { type: 'WatchEni'; eniId: string; status: 'Attaching' | 'Detaching' }
  /** The instance has no free ENI slot: wake when a claim on it releases one, or after `requeueAfterMs`. */
  | { type: 'WaitForQuota'; instanceId: string; requeueAfterMs: number }
  /** Nothing to do now; informer events wake the claim, or `requeueAfterMs` when set. */
  | { type: 'Wait'; requeueAfterMs?: number };

export type ActionType = Action['type'];

export interface ClaimEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The outcome of decide(): the one action, the status to show, the label to hold, an Event. */
export interface Decision {
  action: Action;
  /** The controller's whole share of the status (applied when it differs); undefined: leave it. */
  status?: ClaimStatus;
  /** The value `ecseni.io/node` should have; undefined: leave the label as it is. */
  nodeLabel?: string;
  /** Recorded once the action has succeeded. */
  event?: ClaimEvent;
  /** The status describes waiting for the action: write it only if the action did not happen now. */
  statusOnlyIfDeferred?: boolean;
}
