// client-go's work queue (k8s.io/client-go/util/workqueue), with its semantics kept exactly:
// - keys, not objects: the reconciler reads the current object from the cache;
// - a `dirty` set (keys waiting) and a `processing` set (keys a worker holds): a key already
//   waiting is not queued twice, and a key added while it is processed is queued again only when
//   the worker calls done(), so one key is never processed by two workers at once;
// - a delayed add keeps the earliest time asked for the same key;
// - a rate-limited add waits as long as the rate limiter says.
// Three layers of interface as in client-go (queue; delaying; rate limiting), one class.
// One addition, from controller-runtime's priority queue: add() may carry a priority, and a
// higher one is handed out first (a claim whose ENI has just turned InUse goes ahead of a
// thousand new claims); a key already waiting that is added with a higher priority moves up.

import { realClock, type Cancel, type Clock } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter.ts';

export interface Queue {
  /**
   * Marks `key` as needing processing, with a priority (default 0; higher first, FIFO within one).
   * Ignored once the queue is shutting down.
   */
  add(key: string, priority?: number): void;
  /** Keys waiting to be handed out (not those held by workers). */
  len(): number;
  /**
   * The next key, once one is waiting; the caller must call done(key) when it has finished with
   * it. Resolves to undefined when the queue is shutting down and nothing is left to hand out.
   */
  get(): Promise<string | undefined>;
  /** The worker has finished with `key`; if it was added meanwhile, it is queued again now. */
  done(key: string): void;
  /** Stops accepting adds and releases every waiting get(). Keys still queued are handed out. */
  shutDown(): void;
  /** Like shutDown, then resolves once every key handed out has been done(). */
  shutDownWithDrain(): Promise<void>;
  shuttingDown(): boolean;
}

export interface DelayingQueue extends Queue {
  /** Adds `key` after `ms`; if it is already waiting for a later time, the earlier time wins. */
  addAfter(key: string, ms: number): void;
}

export interface RateLimitingQueue extends DelayingQueue {
  /** Adds `key` after the rate limiter's delay for it (at least `minDelayMs`, e.g. a Retry-After). */
  addRateLimited(key: string, minDelayMs?: number): void;
  /** Resets the rate limiter's memory of `key` (call it when the key was processed successfully). */
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** What the metrics read from a queue when scraped. */
export interface QueueSnapshot {
  /** Keys added and not yet handed out (client-go's workqueue_depth). */
  depth: number;
  /** Summed time the keys now held by workers have been held. */
  unfinishedWorkSeconds: number;
  /** How long the longest-held key has been held. */
  longestRunningProcessorSeconds: number;
}

/** Hooks for client-go's workqueue_* metrics (src/metrics.ts provides them, labelled by queue). */
export interface WorkQueueMetrics {
  /** workqueue_adds_total: a key became dirty. */
  added(): void;
  /** workqueue_queue_duration_seconds: a key waited this long between add and get. */
  started(queuedSeconds: number): void;
  /** workqueue_work_duration_seconds: a worker held a key this long. */
  finished(workSeconds: number): void;
  /** workqueue_retries_total: a delayed or rate-limited add. */
  retried(): void;
  /** Called once by the queue, so the gauges can read depth and in-flight time on each scrape. */
  watch(snapshot: () => QueueSnapshot): void;
}

export interface WorkQueueOptions {
  /** Used in logs and metric labels. */
  name?: string;
  clock?: Clock;
  /** Default: client-go's max(5 ms·2^n capped at 1000 s, 10 qps burst 100). */
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

/** A FIFO of keys with O(1) push and shift (Array#shift is O(n)). */
class Fifo {
  private items: string[] = [];
  private head = 0;

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}

/** One FIFO per priority, the highest first; a key pushed again with a higher priority moves up. */
class PriorityFifo {
  private readonly lanes = new Map<number, Fifo>();
  /** Priorities with a lane, highest first. */
  private order: number[] = [];
  /** Each queued key's priority; an entry in another lane is stale and skipped. */
  private readonly queued = new Map<string, number>();

  push(key: string, priority: number): void {
    const current = this.queued.get(key);
    if (current !== undefined && current >= priority) return;
    this.queued.set(key, priority);
    this.lane(priority).push(key);
  }

  shift(): string | undefined {
    for (const priority of this.order) {
      const lane = this.lanes.get(priority) as Fifo;
      for (let key = lane.shift(); key !== undefined; key = lane.shift()) {
        if (this.queued.get(key) !== priority) continue;
        this.queued.delete(key);
        return key;
      }
    }
    return undefined;
  }

  get length(): number {
    return this.queued.size;
  }

  private lane(priority: number): Fifo {
    let lane = this.lanes.get(priority);
    if (!lane) {
      lane = new Fifo();
      this.lanes.set(priority, lane);
      this.order = [...this.lanes.keys()].sort((a, b) => b - a);
    }
    return lane;
  }
}

interface Delayed {
  key: string;
  readyAt: number;
  seq: number;
  index: number;
}

/** A binary min-heap of delayed keys by (readyAt, seq), indexed by key so an entry can move up. */
class DelayHeap {
  private readonly heap: Delayed[] = [];
  private readonly byKey = new Map<string, Delayed>();
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): Delayed | undefined {
    return this.heap[0];
  }

  /** Inserts `key`, or moves it earlier if it is already waiting for a later time. */
  offer(key: string, readyAt: number): void {
    const existing = this.byKey.get(key);
    if (existing) {
      if (readyAt < existing.readyAt) {
        existing.readyAt = readyAt;
        this.up(existing.index);
      }
      return;
    }
    const entry = { key, readyAt, seq: this.seq++, index: this.heap.length };
    this.heap.push(entry);
    this.byKey.set(key, entry);
    this.up(entry.index);
  }

  pop(): Delayed | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (!top || !last) return undefined;
    this.byKey.delete(top.key);
    if (last !== top) {
      this.place(last, 0);
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
    this.byKey.clear();
  }

  private less(a: Delayed, b: Delayed): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }

  private place(entry: Delayed, index: number): void {
    this.heap[index] = entry;
    entry.index = index;
  }

  private up(index: number): void {
    const entry = this.heap[index] as Delayed;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex] as Delayed;
      if (!this.less(entry, parent)) break;
      this.place(parent, index);
      index = parentIndex;
    }
    this.place(entry, index);
  }

  private down(index: number): void {
    const entry = this.heap[index] as Delayed;
    const n = this.heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.less(this.heap[right] as Delayed, this.heap[left] as Delayed) ? right : left;
      const childEntry = this.heap[child] as Delayed;
      if (!this.less(childEntry, entry)) break;
      this.place(childEntry, index);
      index = child;
    }
    this.place(entry, index);
  }
}

export class WorkQueue implements RateLimitingQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics | undefined;

  private readonly queue = new PriorityFifo();
  private readonly dirty = new Set<string>();
  /** The priority of each dirty key added with one other than 0. */
  private readonly priorities = new Map<string, number>();
  /** Keys held by workers, with the time each was handed out. */
  private readonly processing = new Map<string, number>();
  /** When each dirty key was first added, for workqueue_queue_duration_seconds. */
  private readonly addTimes = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shutdownRequested = false;

  private readonly delayed = new DelayHeap();
  private timer: { at: number; cancel: Cancel } | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? '';
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock });
    this.metrics = options.metrics;
    this.metrics?.watch(() => this.snapshot());
  }

  add(key: string, priority = 0): void {
    if (this.shutdownRequested) return;
    if (this.dirty.has(key)) {
      if (priority <= this.priorityOf(key)) return;
      this.priorities.set(key, priority);
      if (!this.processing.has(key)) this.queue.push(key, priority);
      return;
    }
    this.metrics?.added();
    this.addTimes.set(key, this.clock.now());
    this.dirty.add(key);
    if (priority !== 0) this.priorities.set(key, priority);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  len(): number {
    return this.queue.length;
  }

  get(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.shutdownRequested) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.metrics?.finished((this.clock.now() - startedAt) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
    if (this.processing.size === 0) this.releaseDrainWaiters();
  }

  shutDown(): void {
    this.shutdownRequested = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.delayed.clear();
    // Waiters exist only while nothing is queued, so each of them gets "shut down".
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  shuttingDown(): boolean {
    return this.shutdownRequested;
  }

  addAfter(key: string, ms: number): void {
    if (this.shutdownRequested) return;
    this.metrics?.retried();
    if (ms <= 0) {
      this.add(key);
      return;
    }
    this.delayed.offer(key, this.clock.now() + ms);
    this.armTimer();
  }

  addRateLimited(key: string, minDelayMs = 0): void {
    this.addAfter(key, Math.max(minDelayMs, this.rateLimiter.when(key)));
  }

  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Keys waiting for their delay to pass. */
  delayedLen(): number {
    return this.delayed.size;
  }

  private priorityOf(key: string): number {
    return this.priorities.get(key) ?? 0;
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.handOut(key));
    else this.queue.push(key, this.priorityOf(key));
  }

  private take(): string {
    return this.handOut(this.queue.shift() as string);
  }

  private handOut(key: string): string {
    const now = this.clock.now();
    this.metrics?.started((now - (this.addTimes.get(key) ?? now)) / 1000);
    this.addTimes.delete(key);
    this.processing.set(key, now);
    this.dirty.delete(key);
    this.priorities.delete(key);
    return key;
  }

  private releaseDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** One timer, always for the earliest delayed key. */
  private armTimer(): void {
    const next = this.delayed.peek();
    if (this.timer && next && this.timer.at === next.readyAt) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (!next) return;
    const at = next.readyAt;
    this.timer = { at, cancel: this.clock.after(at - this.clock.now(), () => this.fireDue()) };
  }

  private fireDue(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let next = this.delayed.peek(); next && next.readyAt <= now; next = this.delayed.peek()) {
      this.delayed.pop();
      this.add(next.key);
    }
    this.armTimer();
  }

  private snapshot(): QueueSnapshot {
    const now = this.clock.now();
    let unfinished = 0;
    let longest = 0;
    for (const startedAt of this.processing.values()) {
      const held = (now - startedAt) / 1000;
      unfinished += held;
      longest = Math.max(longest, held);
    }
    return { depth: this.dirty.size, unfinishedWorkSeconds: unfinished, longestRunningProcessorSeconds: longest };
  }
}
