// Noticing promptly that an attach or a detach has finished. ECS attaches asynchronously
// (Available → Attaching → InUse) and says nothing when it is done, so someone must look. Terway
// looks after 3 s, then ×1.5; here every ENI in transit is looked at together: while any is
// due, DescribeNetworkInterfaces of up to 100 ids each every ~250 ms (nothing when none is), the
// longest-unpolled first. More than 100 due (a burst of attaches) are split over up to four
// concurrent calls, so that each ENI is still looked at every interval: one call per tick would
// look at 400 attaching ENIs once a second. Attaches are looked at every interval (a claim waits on them);
// detaches, which only a release waits on, less often. A settled ENI's claim is woken at once.
import type { Logger } from 'pino';
import type { EcsPort } from '../cloud/port.ts';
import type { Cancel, Clock } from '../kube/clock.ts';
import type { EniLookup, EniStore } from './eni-store.ts';

export type TransitStatus = 'Attaching' | 'Detaching';

export interface Settled {
  eniId: string;
  /** The claim to wake. */
  key: string;
  /** The state waited out, and the instance the ENI was attaching to or detaching from. */
  from: TransitStatus;
  instanceId: string | undefined;
  now: EniLookup;
}

export interface EniWatchOptions {
  port: Pick<EcsPort, 'describeNetworkInterfaces'>;
  store: EniStore;
  clock: Clock;
  logger: Pick<Logger, 'debug' | 'warn'>;
  onSettled: (settled: Settled) => void;
  /** How often an attaching ENI is looked at. Default 250 ms. */
  intervalMs?: number;
  /** How often a detaching ENI is looked at. Default 1 s. */
  detachIntervalMs?: number;
  /** Ids per describe; ECS takes 1–100. */
  batchSize?: number;
  /** Describes sent at once when more ENIs are due than one holds. Default 4. */
  maxCallsPerTick?: number;
}

interface Watched {
  key: string;
  from: TransitStatus;
  instanceId: string | undefined;
  lastPolledAt: number;
}

export class EniWatch {
  private readonly options: EniWatchOptions;
  private readonly intervalMs: number;
  private readonly detachIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxCallsPerTick: number;
  private readonly watched = new Map<string, Watched>();
  private readonly lastPollOf: Record<TransitStatus, number> = { Attaching: Number.NEGATIVE_INFINITY, Detaching: Number.NEGATIVE_INFINITY };
  private cancelTick: Cancel | undefined;
  private polling = false;
  private stopped = false;
  private calls = 0;

  constructor(options: EniWatchOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs ?? 250;
    this.detachIntervalMs = Math.max(this.intervalMs, options.detachIntervalMs ?? 1_000);
    this.batchSize = options.batchSize ?? 100;
    this.maxCallsPerTick = Math.max(1, options.maxCallsPerTick ?? 4);
  }

  /** Wakes `key` once ENI `eniId` leaves `from`. Watching an ENI again replaces the earlier watch. */
  watch(eniId: string, key: string, from: TransitStatus, instanceId: string | undefined): void {
    if (this.stopped) return;
    const previous = this.watched.get(eniId);
    this.watched.set(eniId, { key, from, instanceId, lastPolledAt: previous?.lastPolledAt ?? this.options.clock.now() });
    this.arm();
  }

  unwatch(eniId: string): void {
    this.watched.delete(eniId);
  }

  get size(): number {
    return this.watched.size;
  }

  /** DescribeNetworkInterfaces calls made so far (for the benchmark's accounting). */
  get describeCalls(): number {
    return this.calls;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.watched.clear();
  }

  private arm(delayMs = this.intervalMs): void {
    if (this.cancelTick || this.polling || this.stopped || this.watched.size === 0) return;
    this.cancelTick = this.options.clock.after(delayMs, () => {
      this.cancelTick = undefined;
      void this.poll();
    });
  }

  private async poll(): Promise<void> {
    const { clock } = this.options;
    const started = clock.now();
    const due = this.due(started);
    if (due.length === 0) {
      this.arm();
      return;
    }
    this.polling = true;
    try {
      const batches = Array.from({ length: Math.ceil(due.length / this.batchSize) }, (_, i) => due.slice(i * this.batchSize, (i + 1) * this.batchSize));
      await Promise.all(batches.map((batch) => this.describe(batch, started)));
    } finally {
      this.polling = false;
    }
    this.arm(Math.max(0, this.intervalMs - (clock.now() - started)));
  }

  private async describe(batch: string[], started: number): Promise<void> {
    const { port, store, logger } = this.options;
    try {
      this.calls += 1;
      const enis = await port.describeNetworkInterfaces({ ids: batch });
      store.observe(enis, started, batch);
      for (const id of batch) this.check(id, started);
    } catch (err) {
      // Throttled or unreachable: the next tick tries again; the claims' safety requeue covers a long outage.
      logger.debug({ err, ids: batch.length }, 'polling ENIs in transit failed');
    }
  }

  /**
   * The ids to look at now: each kind on its own cadence (so that detaches spread over time do
   * not make every tick a call), and only ENIs watched for at least one interval, the
   * longest-unpolled first.
   */
  private due(now: number): string[] {
    const kinds = new Set<TransitStatus>();
    if (now - this.lastPollOf.Attaching >= this.intervalMs - 1) kinds.add('Attaching');
    if (now - this.lastPollOf.Detaching >= this.detachIntervalMs - 1) kinds.add('Detaching');
    const batch = [...this.watched.entries()]
      .filter(([, w]) => kinds.has(w.from) && now - w.lastPolledAt >= this.everyMs(w) - 1)
      .sort(([, a], [, b]) => a.lastPolledAt - b.lastPolledAt)
      .slice(0, this.batchSize * this.maxCallsPerTick);
    for (const [, w] of batch) this.lastPollOf[w.from] = now;
    return batch.map(([id]) => id);
  }

  private everyMs(w: Watched): number {
    return w.from === 'Detaching' ? this.detachIntervalMs : this.intervalMs;
  }

  /** Settles `id` if the store (now up to date) shows it out of the state it was waiting out. */
  private check(id: string, polledAt: number): void {
    const watched = this.watched.get(id);
    if (!watched) return;
    watched.lastPolledAt = polledAt;
    const now = this.options.store.peek(id);
    if (!now || (now.kind === 'present' && now.eni.status === watched.from)) return;
    this.watched.delete(id);
    this.options.onSettled({ eniId: id, key: watched.key, from: watched.from, instanceId: watched.instanceId, now });
  }
}
