// The reconcile loop, after controller-runtime's internal controller: N workers take keys from a
// rate-limiting work queue, call the reconciler, and one handler decides what happens to the key.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ReconcilePanicError, ReconcileTimeoutError } from '../errors.ts';
import { realClock, type Clock } from './clock.ts';
import type { RateLimitingQueue } from './workqueue.ts';

/** What a reconcile asks of the queue when it succeeds: data, never a recursive call. */
export interface ReconcileResult {
  /** Look again after this long (e.g. poll a cloud operation); the backoff is forgotten. */
  requeueAfterMs?: number;
  /** Look again after the rate limiter's backoff, without it counting as an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborted at the reconcile timeout and when the controller stops without draining. */
  signal: AbortSignal;
  /** Carries controller, key and reconcileId. */
  logger: Logger;
  reconcileId: string;
}

/**
 * Makes the world match the object named by `key` (read it from the cache; it may be gone).
 * Contract:
 * - resolve `{}` when done: the key's backoff is forgotten;
 * - resolve `{ requeueAfterMs }` to look again later, `{ requeue: true }` to look again with backoff;
 * - throw to retry with per-key exponential backoff; an error with a numeric `retryAfterMs` waits
 *   at least that long (throttling); a TerminalError is not retried until the key is added again;
 * - never runs twice at once for the same key; honour `ctx.signal`, or a timeout cannot stop it.
 */
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;

/** A failure that retrying cannot fix (e.g. an invalid spec): logged and counted, not requeued. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

/** The `result` label of controller_runtime_reconcile_total. */
export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';
export const RECONCILE_RESULT_LABELS: readonly ReconcileResultLabel[] = ['success', 'error', 'requeue', 'requeue_after'];

/** Hooks for controller-runtime's controller metrics (src/metrics.ts provides them per controller). */
export interface ControllerMetrics {
  /** controller_runtime_reconcile_total{result} and controller_runtime_reconcile_time_seconds. */
  reconciled(result: ReconcileResultLabel, seconds: number): void;
  /** controller_runtime_reconcile_errors_total, and terminal_reconcile_errors_total when terminal. */
  failed(terminal: boolean): void;
  /** controller_runtime_reconcile_panics_total. */
  panicked(): void;
  /** controller_runtime_max_concurrent_reconciles. */
  setMaxConcurrentReconciles(workers: number): void;
  /** controller_runtime_active_workers. */
  addActiveWorkers(delta: number): void;
}

export interface ControllerOptions {
  /** The `controller` label and log field, e.g. 'networkinterfaceclaim'. */
  name: string;
  queue: RateLimitingQueue;
  reconcile: Reconciler;
  /** Keys reconciled at once (controller-runtime's MaxConcurrentReconciles). Default 1. */
  workers?: number;
  logger: Logger;
  metrics?: ControllerMetrics;
  /** Aborts `ctx.signal` after this long; unset: no timeout. */
  reconcileTimeoutMs?: number;
  clock?: Clock;
}

type Outcome = { result: ReconcileResult } | { error: Error };

const MAX_CAUSE_DEPTH = 10;

/** The first error in `err`'s cause chain that satisfies `match`. */
function findCause(err: unknown, match: (e: unknown) => boolean): unknown {
  for (let e = err, depth = 0; e !== undefined && depth < MAX_CAUSE_DEPTH; depth++) {
    if (match(e)) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

export function isTerminalError(err: unknown): boolean {
  return findCause(err, (e) => e instanceof TerminalError) !== undefined;
}

function hasRetryAfter(e: unknown): e is { retryAfterMs: number } {
  if (typeof e !== 'object' || e === null || !('retryAfterMs' in e)) return false;
  const ms = e.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
}

/** The `retryAfterMs` an error (or one of its causes) carries, e.g. a throttled cloud call's. */
export function retryAfterMsOf(err: unknown): number | undefined {
  const carrier = findCause(err, hasRetryAfter);
  return hasRetryAfter(carrier) ? carrier.retryAfterMs : undefined;
}

/**
 * Programming errors, the nearest thing to a Go panic: thrown non-Errors and the built-in error
 * types that signal a bug. I/O failures wrapped in a TypeError (undici's "fetch failed") carry a
 * `cause`, so they stay ordinary errors.
 */
function isPanic(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  const bug = err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError;
  return bug && err.cause === undefined;
}

const noMetrics: ControllerMetrics = {
  reconciled: () => {},
  failed: () => {},
  panicked: () => {},
  setMaxConcurrentReconciles: () => {},
  addActiveWorkers: () => {},
};

export class Controller {
  readonly name: string;
  readonly workers: number;
  private readonly queue: RateLimitingQueue;
  private readonly reconciler: Reconciler;
  private readonly logger: Logger;
  private readonly metrics: ControllerMetrics;
  private readonly timeoutMs: number | undefined;
  private readonly clock: Clock;
  private readonly inFlight = new Set<AbortController>();
  private running: Promise<void>[] | undefined;
  private stopping = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.workers = options.workers ?? 1;
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new RangeError(`workers must be a positive integer, got ${this.workers}`);
    this.queue = options.queue;
    this.reconciler = options.reconcile;
    this.logger = options.logger.child({ controller: options.name });
    this.metrics = options.metrics ?? noMetrics;
    this.timeoutMs = options.reconcileTimeoutMs;
    this.clock = options.clock ?? realClock;
  }

  /** Starts the workers. Keys added to the queue before this wait for it. */
  start(): void {
    if (this.running) throw new Error(`controller ${this.name} already started`);
    this.metrics.setMaxConcurrentReconciles(this.workers);
    this.running = Array.from({ length: this.workers }, () => this.runWorker());
    this.logger.info({ workers: this.workers }, 'controller started');
  }

  /**
   * Shuts the queue down and resolves once every worker has exited. With `drain`, reconciles in
   * flight run to completion; without, their signal is aborted first (e.g. on losing the lease).
   * Either way no new reconcile starts, and none is left running when this resolves.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    this.stopping = true;
    if (!options.drain) {
      for (const abort of this.inFlight) abort.abort(new Error(`controller ${this.name} stopped`));
    }
    await this.queue.shutDownWithDrain();
    await Promise.all(this.running ?? []);
    this.logger.info('controller stopped');
  }

  private async runWorker(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        if (!this.stopping) await this.processKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async processKey(key: string): Promise<void> {
    const reconcileId = randomUUID().slice(0, 8);
    const logger = this.logger.child({ key, reconcileId });
    const started = this.clock.now();
    this.metrics.addActiveWorkers(1);
    try {
      const outcome = await this.reconcileSafely(key, { logger, reconcileId });
      const label = 'error' in outcome ? this.handleError(key, outcome.error, logger) : this.handleResult(key, outcome.result);
      this.metrics.reconciled(label, (this.clock.now() - started) / 1000);
    } finally {
      this.metrics.addActiveWorkers(-1);
    }
  }

  /** Runs the reconciler with a signal and the optional timeout; whatever it throws becomes an Error. */
  private async reconcileSafely(key: string, ctx: Omit<ReconcileContext, 'signal'>): Promise<Outcome> {
    const abort = new AbortController();
    const { timeoutMs } = this;
    const cancelTimeout =
      timeoutMs === undefined ? undefined : this.clock.after(timeoutMs, () => abort.abort(new ReconcileTimeoutError(timeoutMs)));
    this.inFlight.add(abort);
    try {
      return { result: await this.reconciler(key, { ...ctx, signal: abort.signal }) };
    } catch (err) {
      if (!isPanic(err)) return { error: err as Error };
      this.metrics.panicked();
      return { error: new ReconcilePanicError(err) };
    } finally {
      cancelTimeout?.();
      this.inFlight.delete(abort);
    }
  }

  /** controller-runtime's switch: requeueAfter → forget + delayed add; requeue → backoff; else forget. */
  private handleResult(key: string, result: ReconcileResult): ReconcileResultLabel {
    if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
      this.queue.forget(key);
      this.queue.addAfter(key, result.requeueAfterMs);
      return 'requeue_after';
    }
    if (result.requeue) {
      this.queue.addRateLimited(key);
      return 'requeue';
    }
    this.queue.forget(key);
    return 'success';
  }

  /** Error → rate-limited add (at least its retryAfterMs), unless terminal. */
  private handleError(key: string, err: Error, logger: Logger): ReconcileResultLabel {
    const terminal = isTerminalError(err);
    this.metrics.failed(terminal);
    if (terminal) {
      // Not coming back through the limiter: its failure count would only leak.
      this.queue.forget(key);
      logger.error({ err }, 'reconcile failed with a terminal error; not retried');
      return 'error';
    }
    const retryAfterMs = retryAfterMsOf(err);
    this.queue.addRateLimited(key, retryAfterMs);
    if (this.stopping) logger.info({ err }, 'reconcile interrupted by stop');
    else logger.error({ err, retryAfterMs, requeues: this.queue.numRequeues(key) }, 'reconcile failed; retrying with backoff');
    return 'error';
  }
}
