// The one wrapper every cloud call goes through: per-action rate limit, a bound on calls in
// flight, a per-call timeout, a metric per call, and classified errors. It never retries:
// retrying is the work queue's business, with backoff that honours CloudError.retryAfterMs.
import PQueue from 'p-queue';
import { ECS_SUCCESS_CODE } from '../metrics.ts';
import { classify, isCloudError, localCloudError } from './errors.ts';
import { DEFAULT_RATE_LIMITS_PER_MINUTE, ECS_ACTIONS } from './rate-limits.ts';
import type { EcsAction } from './rate-limits.ts';
import { TokenBucket } from './token-bucket.ts';

/** What the adapter reports per call; the metrics module implements it with prom-client. */
export interface EcsCallMetrics {
  /** One call finished: `code` is `Success` (ECS_SUCCESS_CODE) or the CloudError code. Feeds requests_total and the latency histogram. */
  observeCall(action: EcsAction, code: string, seconds: number): void;
  /** ECS answered with a throttling error. */
  observeThrottled(action: EcsAction): void;
}

export interface CallerOptions {
  rateLimitsPerMinute?: Partial<Record<EcsAction, number>>;
  /** Per call, from the moment the request starts (waiting for the rate limit is not counted). */
  timeoutMs?: number;
  /** Requests in flight at once, over all actions. */
  maxConcurrentCalls?: number;
  metrics?: EcsCallMetrics;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONCURRENT_CALLS = 64;

/** Codes that mean a removal already happened (Terway: NotFound on detach/delete is success). */
const ALREADY_DONE: Partial<Record<EcsAction, ReadonlySet<string>>> = {
  DetachNetworkInterface: new Set(['InvalidEniId.NotFound', 'InvalidEcsId.NotFound', 'InvalidInstanceId.NotFound']),
  DeleteNetworkInterface: new Set(['InvalidEniId.NotFound']),
  UntagResources: new Set(['InvalidResourceId.NotFound']), // a resource that is gone carries no tags
};

export class EcsCaller {
  readonly timeoutMs: number;
  private readonly buckets: Record<EcsAction, TokenBucket>;
  private readonly inFlight: PQueue;
  private readonly metrics: EcsCallMetrics | undefined;

  constructor(options: CallerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const limits = { ...DEFAULT_RATE_LIMITS_PER_MINUTE, ...options.rateLimitsPerMinute };
    this.buckets = Object.fromEntries(ECS_ACTIONS.map((a) => [a, new TokenBucket(limits[a])])) as Record<EcsAction, TokenBucket>;
    this.inFlight = new PQueue({ concurrency: options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS });
    this.metrics = options.metrics;
  }

  /** Runs one SDK call; throws CloudError. */
  async call<T>(action: EcsAction, send: () => Promise<T>): Promise<T> {
    await this.buckets[action].take();
    return this.inFlight.add(() => this.timed(action, send));
  }

  /** A detach, delete or untag: the resource already being gone counts as done. */
  async remove(action: 'DetachNetworkInterface' | 'DeleteNetworkInterface' | 'UntagResources', send: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(action, send);
    } catch (err) {
      if (!(isCloudError(err) && ALREADY_DONE[action]?.has(err.code))) throw err;
    }
  }

  private async timed<T>(action: EcsAction, send: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let code = ECS_SUCCESS_CODE;
    try {
      return await this.withTimeout(action, send());
    } catch (err) {
      const cloudError = classify(err, action);
      code = cloudError.code;
      if (cloudError.retryClass === 'throttled') this.metrics?.observeThrottled(action);
      throw cloudError;
    } finally {
      this.metrics?.observeCall(action, code, (performance.now() - started) / 1000);
    }
  }

  // The SDK has its own socket timeouts (set to the same figure); this bound also covers what
  // happens before the socket, such as fetching credentials from a metadata service.
  private async withTimeout<T>(action: EcsAction, pending: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(localCloudError('Timeout', action, `no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([pending, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
