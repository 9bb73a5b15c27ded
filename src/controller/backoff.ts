// The slow retry of a claim that cannot progress until a person acts (unknown vSwitch, quota,
// stopped-only instance type, credentials): one attempt, then 30 s doubling to 10 min, so that the
// ECS calls one broken claim costs stay bounded however often its informer events wake it.
import type { ActionType } from './actions.ts';

export interface SlowRetryOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** Ceiling of the delay. */
  maxMs: number;
}

export const DEFAULT_SLOW_RETRY: SlowRetryOptions = { baseMs: 30_000, maxMs: 600_000 };

/** The delay after the `attempt`-th failure in a row (1-based): base · 2^(attempt−1), capped. */
export function slowRetryDelayMs(attempt: number, options: SlowRetryOptions = DEFAULT_SLOW_RETRY): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity long after it passes any sane cap; Math.min still holds.
  return Math.min(options.baseMs * 2 ** exponent, options.maxMs);
}

/** A step that failed permanently: what the claim shows and when it may be tried again. */
export interface Failure {
  step: ActionType;
  /** The claim's generation when it failed: a new spec is tried at once. */
  generation: number;
  reason: string;
  message: string;
  attempts: number;
  retryAtMs: number;
}

export type FailureInput = Pick<Failure, 'step' | 'generation' | 'reason' | 'message'>;

/** Failures per claim, in memory: a restart forgets them, which costs at most one more attempt. */
export class FailureBook {
  private readonly failures = new Map<string, Failure>();
  private readonly options: SlowRetryOptions;

  constructor(options: SlowRetryOptions = DEFAULT_SLOW_RETRY) {
    this.options = options;
  }

  /** Counts one more failure of `key` (a new one when the step or generation differs). */
  record(key: string, input: FailureInput, nowMs: number): Failure {
    const previous = this.failures.get(key);
    const repeated = previous && previous.step === input.step && previous.generation === input.generation;
    const attempts = repeated ? previous.attempts + 1 : 1;
    const failure = { ...input, attempts, retryAtMs: nowMs + slowRetryDelayMs(attempts, this.options) };
    this.failures.set(key, failure);
    return failure;
  }

  /** The failure on record for the claim's current generation. */
  get(key: string, generation: number): Failure | undefined {
    const failure = this.failures.get(key);
    return failure && failure.generation === generation ? failure : undefined;
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }
}
