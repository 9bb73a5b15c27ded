// client-go's work queue rate limiters (k8s.io/client-go/util/workqueue/default_rate_limiters.go)
// as tiny composable objects: each says how long a key should wait before its next retry.

import { realClock, type Clock } from './clock.ts';

export interface RateLimiter {
  /** The delay (ms) before `key` may be retried; counts one more failure for it. */
  when(key: string): number;
  /** Stops tracking `key`: its next failure starts the backoff again from the beginning. */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

export interface ExponentialOptions {
  /** Delay after the first failure; doubles with each further one. client-go: 5 ms. */
  baseDelayMs?: number;
  /** Ceiling of the delay. client-go: 1000 s. */
  maxDelayMs?: number;
}

export const DEFAULT_BASE_DELAY_MS = 5;
export const DEFAULT_MAX_DELAY_MS = 1_000_000;

/** Per key: baseDelay · 2^failures, capped at maxDelay. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: ExponentialOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  }

  when(key: string): number {
    const exp = this.failures.get(key) ?? 0;
    this.failures.set(key, exp + 1);
    return Math.min(this.baseDelayMs * 2 ** exp, this.maxDelayMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface BucketOptions {
  /** Sustained retries per second across all keys. client-go: 10. */
  qps?: number;
  /** Retries allowed at once before the rate applies. client-go: 100. */
  burst?: number;
  clock?: Clock;
}

/**
 * One token bucket shared by all keys (golang.org/x/time/rate's Reserve().Delay()): each call
 * takes a token, borrowing from the future when none is left, and waits until it would exist.
 */
export class BucketRateLimiter implements RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(options: BucketOptions = {}) {
    this.qps = options.qps ?? 10;
    this.burst = options.burst ?? 100;
    this.clock = options.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    const elapsedSeconds = Math.max(now - this.last, 0) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsedSeconds * this.qps) - 1;
    this.last = now;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of its limiters, and the most failures any of them counts. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(limiters: readonly RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the failure, so no short-circuit.
    return this.limiters.reduce((max, l) => Math.max(max, l.when(key)), 0);
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiters.reduce((max, l) => Math.max(max, l.numRequeues(key)), 0);
  }
}

export function maxOf(...limiters: RateLimiter[]): RateLimiter {
  return new MaxOfRateLimiter(limiters);
}

export type DefaultRateLimiterOptions = ExponentialOptions & BucketOptions;

/** client-go's DefaultControllerRateLimiter: max(per-key 5 ms·2^n capped at 1000 s, 10 qps burst 100). */
export function defaultControllerRateLimiter(options: DefaultRateLimiterOptions = {}): RateLimiter {
  return maxOf(new ItemExponentialFailureRateLimiter(options), new BucketRateLimiter(options));
}
