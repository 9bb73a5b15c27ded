// Gives back the memory a burst of work left behind. After a burst (8 ENIs configured at once, a
// drift storm) the agent sits idle, often for hours, and V8 keeps the heap it grew meanwhile: it
// shrinks a heap only in the collections its memory reducer schedules after a full GC, and an
// idle process does not reach one. On a 60 MB budget that is 5–7 MB (measured: 62.7 MB after the
// benchmark's runs against 56.2 MB with this). So once the work queue has been quiet for a while
// and the heap has grown since the last time, the agent asks for the collection V8 does under
// memory pressure (`gc({ flavor: 'last-resort' })`: compacts, and returns the free pages), 18 ms
// once per burst (heap 14.7 → 8.7 MB after the benchmark's runs). `gc` exists only under node's
// --expose-gc (the chart's nodeFlags); without it nothing is done.
import type { Cancel, Clock } from '../kube/clock.ts';

/** V8's memory-pressure collection, or undefined when node runs without --expose-gc. */
export function lastResortGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void }).gc;
  return gc && (() => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }));
}

export interface Collection {
  heapBytesBefore: number;
  heapBytesAfter: number;
  /** How long the collection blocked the event loop. */
  ms: number;
}

export interface IdleCollectorOptions {
  clock: Clock;
  /** Collect once no work was done for this long. Default 5 s. */
  quietMs?: number;
  /** … and only if V8's heap has grown by this much since the last collection. Default 2 MiB. */
  growthBytes?: number;
  /** The collection; default lastResortGc(). Undefined: the collector does nothing. */
  collect?: (() => void) | undefined;
  /** V8's heap as committed; default process.memoryUsage().heapTotal. */
  heapBytes?: () => number;
  /** Told of each collection. */
  onCollect?: (collection: Collection) => void;
}

export class IdleCollector {
  private readonly clock: Clock;
  private readonly quietMs: number;
  private readonly growthBytes: number;
  private readonly collect: (() => void) | undefined;
  private readonly heapBytes: () => number;
  private readonly onCollect: ((collection: Collection) => void) | undefined;
  private heapAfterLast: number;
  private pending: Cancel | undefined;

  constructor(options: IdleCollectorOptions) {
    this.clock = options.clock;
    this.quietMs = options.quietMs ?? 5_000;
    this.growthBytes = options.growthBytes ?? 2 * 1024 * 1024;
    this.collect = 'collect' in options ? options.collect : lastResortGc();
    this.heapBytes = options.heapBytes ?? (() => process.memoryUsage().heapTotal);
    this.onCollect = options.onCollect;
    this.heapAfterLast = this.heapBytes();
  }

  /** Whether collections can happen at all (node runs with --expose-gc). */
  enabled(): boolean {
    return this.collect !== undefined;
  }

  /** Work was just done: the quiet period starts again. */
  worked(): void {
    if (!this.collect) return;
    this.pending?.();
    this.pending = this.clock.after(this.quietMs, () => {
      this.pending = undefined;
      this.collectIfGrown();
    });
  }

  stop(): void {
    this.pending?.();
    this.pending = undefined;
  }

  private collectIfGrown(): void {
    const before = this.heapBytes();
    // V8 may have shrunk the heap itself meanwhile: growth counts from the lowest size seen.
    this.heapAfterLast = Math.min(this.heapAfterLast, before);
    if (!this.collect || before - this.heapAfterLast < this.growthBytes) return;
    const started = this.clock.now();
    this.collect();
    this.heapAfterLast = this.heapBytes();
    this.onCollect?.({ heapBytesBefore: before, heapBytesAfter: this.heapAfterLast, ms: this.clock.now() - started });
  }
}
