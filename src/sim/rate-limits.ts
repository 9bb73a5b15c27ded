// Per-action request limits (token buckets), off unless a world or a test turns them on. The
// `realistic` profile is Terway's per-API table (../shared/reference/terway.md, "Rate limits"):
// Terway sets these client-side to stay below what ECS enforces, so a simulator that applies them
// server-side shows a controller what happens when it overruns them.
import { SimError } from './errors.ts';
import { TokenBucket } from './token-bucket.ts';

export type RateLimitsPerMinute = Record<string, number>;
export type RateLimitProfile = 'none' | 'realistic';

/** Terway's defaults: n per minute, burst n; `*` covers every action not listed. */
export const REALISTIC_RATE_LIMITS_PER_MINUTE: Readonly<RateLimitsPerMinute> = {
  '*': 500,
  CreateNetworkInterface: 500,
  AttachNetworkInterface: 500,
  DeleteNetworkInterface: 500,
  DescribeNetworkInterfaces: 800,
  DescribeNetworkInterfaceAttribute: 2000,
  DetachNetworkInterface: 400,
  AssignPrivateIpAddresses: 400,
  UnassignPrivateIpAddresses: 400,
  DescribeInstanceTypes: 400,
  DescribeVSwitches: 300,
};

export function profileLimits(profile: RateLimitProfile): RateLimitsPerMinute {
  return profile === 'realistic' ? { ...REALISTIC_RATE_LIMITS_PER_MINUTE } : {};
}

export class RateLimiter {
  private limits: RateLimitsPerMinute = {};
  private buckets = new Map<string, TokenBucket>();
  private readonly now: () => number;

  constructor(limits: RateLimitsPerMinute, now: () => number = Date.now) {
    this.now = now;
    this.set(limits);
  }

  /** Replaces every limit; buckets start full. */
  set(limits: RateLimitsPerMinute): void {
    for (const [action, perMinute] of Object.entries(limits)) {
      if (!Number.isFinite(perMinute) || perMinute <= 0) throw new RangeError(`rate limit of ${action} must be a positive number per minute`);
    }
    this.limits = { ...limits };
    this.buckets = new Map();
  }

  current(): RateLimitsPerMinute {
    return { ...this.limits };
  }

  /** Throws Throttling.User (with the wait until the next token) when the action's bucket is empty. */
  admit(action: string): void {
    const perMinute = this.limits[action] ?? this.limits['*'];
    if (perMinute === undefined) return;
    let bucket = this.buckets.get(action);
    if (!bucket) {
      bucket = new TokenBucket(perMinute, this.now());
      this.buckets.set(action, bucket);
    }
    const result = bucket.take(this.now());
    if (!result.ok) {
      throw new SimError('Throttling.User', 'Request was denied due to user flow control.', { retryAfterMs: result.retryAfterMs });
    }
  }
}
