// The ECS rate limits, seen from the work queue: before a mutating call, a reconcile takes the
// call's token here, and when the token lies in the future it returns `requeueAfterMs` instead
// of waiting for it. A worker that slept in the adapter's token bucket would hold up every claim
// queued behind it (a claim whose ENI has just turned InUse waiting behind a hundred creates);
// this way workers are only ever busy with work they can do now.
// The same limits as the adapter's own buckets (flags over Terway's defaults), so that a call
// admitted here finds its token there too.
import { DEFAULT_RATE_LIMITS_PER_MINUTE, type EcsAction } from '../cloud/rate-limits.ts';
import { TokenBucket } from '../cloud/token-bucket.ts';
import type { Clock } from '../kube/clock.ts';
import type { ActionType } from './actions.ts';

/** The ECS action each mutating step sends. */
export const CLOUD_ACTIONS: Partial<Record<ActionType, EcsAction>> = {
  Create: 'CreateNetworkInterface',
  Attach: 'AttachNetworkInterface',
  Detach: 'DetachNetworkInterface',
  Delete: 'DeleteNetworkInterface',
  AssignIps: 'AssignPrivateIpAddresses',
  UnassignIps: 'UnassignPrivateIpAddresses',
  ModifySecurityGroups: 'ModifyNetworkInterfaceAttribute',
  Untag: 'UntagResources',
};

/** Shorter waits are not worth a trip through the queue. */
const NEGLIGIBLE_WAIT_MS = 5;

interface Reservation {
  action: EcsAction;
  readyAt: number;
}

export class CloudBudget {
  private readonly clock: Clock;
  private readonly buckets = new Map<EcsAction, TokenBucket>();
  private readonly limits: Record<EcsAction, number>;
  /** A token taken for a claim's next call, due in the future. */
  private readonly reservations = new Map<string, Reservation>();

  constructor(limits: Partial<Record<EcsAction, number>>, clock: Clock) {
    this.clock = clock;
    this.limits = { ...DEFAULT_RATE_LIMITS_PER_MINUTE, ...limits };
  }

  /**
   * How long `key` must wait before sending `action` (0: send now). A wait keeps the token
   * for `key`: asking again once it is due answers 0 without taking another.
   */
  admit(key: string, action: EcsAction): number {
    const now = this.clock.now();
    const held = this.reservations.get(key);
    if (held && held.action === action) {
      if (held.readyAt - now > NEGLIGIBLE_WAIT_MS) return held.readyAt - now;
      this.reservations.delete(key);
      return 0;
    }
    // A token held for another step is given up: the claim changed its mind (spec change, release).
    if (held) this.reservations.delete(key);
    const waitMs = this.bucket(action).reserve();
    if (waitMs <= NEGLIGIBLE_WAIT_MS) return 0;
    this.reservations.set(key, { action, readyAt: now + waitMs });
    return waitMs;
  }

  forget(key: string): void {
    this.reservations.delete(key);
  }

  private bucket(action: EcsAction): TokenBucket {
    let bucket = this.buckets.get(action);
    if (!bucket) {
      bucket = new TokenBucket(this.limits[action], () => this.clock.now());
      this.buckets.set(action, bucket);
    }
    return bucket;
  }
}
