// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics
// (k8s.io/client-go/tools/leaderelection), so that two controller replicas never reconcile at once:
// - a lease held by someone else counts as expired only by the observer's own clock: it remembers
//   when it last saw the lease record change and waits leaseDurationSeconds from then; remote
//   timestamps are never trusted (clocks skew);
// - the leader renews every retry period; if no renewal succeeds within the renew deadline it
//   stops leading at once, before any other replica can consider the lease expired;
// - release() empties holderIdentity (and sets a 1 s duration) so another replica takes over at
//   its next retry instead of waiting out the lease;
// - every write is conditional on the resourceVersion read (optimistic concurrency).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isNotFound } from './api-errors.ts';
import { realClock, type Cancel, type Clock } from './clock.ts';

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions: number;
}

export interface VersionedLease {
  record: LeaseRecord;
  /** resourceVersion: the precondition of the next update. */
  version: string;
}

/** The Lease, behind a small interface so the election logic is tested against a fake store. */
export interface LeaseStore {
  /** Undefined when the Lease does not exist. */
  get(): Promise<VersionedLease | undefined>;
  /** Fails (409) when it exists already. Resolves to the new version. */
  create(record: LeaseRecord): Promise<string>;
  /** Fails (409) when `version` is no longer current. Resolves to the new version. */
  update(record: LeaseRecord, version: string): Promise<string>;
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  /** Unique per process: see leaderIdentity(). */
  identity: string;
  /** For logs: the Lease's name. */
  name: string;
  logger: Pick<Logger, 'info' | 'warn' | 'debug' | 'error'>;
  /** Defaults 15 s, 10 s, 2 s and 1.2, as client-go and controller-runtime. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  jitterFactor?: number;
  /** Called once leadership is won; `signal` aborts when it is lost or stop()/release() is called. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once when leadership, once held, ends for any reason. */
  onStoppedLeading: () => void;
  /** Called when the observed leader changes (including to this process). */
  onNewLeader?: (identity: string) => void;
  /** Sets leader_election_master_status{name} (the gauge lives in src/metrics.ts). */
  setLeaderGauge?: (value: 0 | 1) => void;
  clock?: Clock;
  random?: () => number;
}

export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  jitterFactor: 1.2,
} as const;

/** client-go's convention: the pod's name (hostname) and a random suffix, unique per process. */
export function leaderIdentity(podName: string = process.env.POD_NAME ?? hostname()): string {
  return `${podName}_${randomUUID()}`;
}

function recordKey(r: LeaseRecord): string {
  return JSON.stringify([r.holderIdentity, r.leaseDurationSeconds, r.acquireTime?.getTime(), r.renewTime?.getTime(), r.leaseTransitions]);
}

export class LeaderElector {
  private readonly options: LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly jitterFactor: number;
  private observed: VersionedLease | undefined;
  private observedKey = '';
  private observedAt = 0;
  private reportedLeader = '';
  private leading: AbortController | undefined;
  private stopped = false;
  /** The attempt in flight, so that release() does not race a renewal. */
  private inflight: Promise<boolean> = Promise.resolve(false);
  private readonly wakeups = new Set<() => void>();

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.leaseDurationMs = options.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    this.jitterFactor = options.jitterFactor ?? LEADER_ELECTION_DEFAULTS.jitterFactor;
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new Error('leader election: lease duration must exceed the renew deadline');
    if (!(this.renewDeadlineMs > this.jitterFactor * this.retryPeriodMs)) {
      throw new Error('leader election: renew deadline must exceed jitterFactor × retry period');
    }
    if (!options.identity) throw new Error('leader election: identity must not be empty');
  }

  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /**
   * Campaigns until leading, then renews until leadership is lost or stop()/release() is called;
   * resolves then. Call once; a process that lost leadership should exit (as client-go's users do)
   * or build a new elector.
   */
  async run(): Promise<void> {
    // A standby says so (0) rather than having no series: "no replica leads" is then sum() == 0.
    this.options.setLeaderGauge?.(0);
    if (!(await this.acquire())) return;
    this.startLeading();
    await this.renewLoop();
  }

  /** Stops campaigning and renewing without touching the Lease (others take over once it expires). */
  async stop(): Promise<void> {
    this.halt();
    this.stopLeading('stopped');
  }

  /**
   * Stops, and if leading, hands the Lease back (empty holder, 1 s duration) so that another
   * replica takes over at its next retry. Finish in-flight work before calling it.
   */
  async release(): Promise<void> {
    this.halt();
    await this.inflight;
    if (!this.leading || !this.observed) return;
    const now = new Date(this.clock.now());
    const record: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: this.observed.record.leaseTransitions,
    };
    try {
      await this.options.store.update(record, this.observed.version);
      this.options.logger.info({ lease: this.options.name }, 'released the leader lease');
    } catch (err) {
      this.options.logger.warn({ err, lease: this.options.name }, 'releasing the leader lease failed; it expires by itself');
    }
    this.stopLeading('released');
  }

  private halt(): void {
    this.stopped = true;
    for (const wake of [...this.wakeups]) wake();
  }

  private async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.attempt()) return !this.stopped;
      await this.sleep(this.retryPeriodMs * (1 + this.random() * this.jitterFactor));
    }
    return false;
  }

  private startLeading(): void {
    this.leading = new AbortController();
    this.options.logger.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
    this.options.setLeaderGauge?.(1);
    const signal = this.leading.signal;
    Promise.resolve()
      .then(() => this.options.onStartedLeading(signal))
      .catch((err: unknown) => this.options.logger.error({ err }, 'onStartedLeading failed'));
  }

  private stopLeading(why: string): void {
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    this.options.logger.info({ lease: this.options.name, why }, 'stopped leading');
    this.options.setLeaderGauge?.(0);
    leading.abort();
    this.options.onStoppedLeading();
  }

  private async renewLoop(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped) return;
      if (!(await this.renewWithinDeadline())) {
        if (!this.stopped) this.stopLeading(`no renewal within ${this.renewDeadlineMs} ms`);
        return;
      }
    }
  }

  /** Retries every retry period until a renewal succeeds; false once the renew deadline has passed. */
  private async renewWithinDeadline(): Promise<boolean> {
    const deadline = this.clock.now() + this.renewDeadlineMs;
    for (let remaining = this.renewDeadlineMs; remaining > 0 && !this.stopped; remaining = deadline - this.clock.now()) {
      if (await this.withDeadline(this.attempt(), remaining)) return true;
      const left = deadline - this.clock.now();
      if (left > 0) await this.sleep(Math.min(this.retryPeriodMs, left));
    }
    return false;
  }

  /** An attempt still pending at the deadline counts as failed: the leader must stop in time. */
  private withDeadline(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = this.clock.after(ms, () => resolve(false));
      void attempt.then((ok) => {
        cancel();
        resolve(ok);
      });
    });
  }

  private attempt(): Promise<boolean> {
    this.inflight = this.tryAcquireOrRenew();
    return this.inflight;
  }

  /** One step of client-go's tryAcquireOrRenew. Never throws: a failure is `false`. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const desired: LeaseRecord = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: new Date(now),
      renewTime: new Date(now),
      leaseTransitions: 0,
    };
    if (this.holdsValidLease(now)) {
      // Fast path (client-go ≥ 1.27): renew against the version we wrote, without a read.
      const ok = await this.write(desired, this.observed as VersionedLease, now);
      if (ok) return true;
    }
    return this.readAndWrite(desired, now);
  }

  private holdsValidLease(now: number): boolean {
    const record = this.observed?.record;
    return record?.holderIdentity === this.options.identity && now < this.observedAt + record.leaseDurationSeconds * 1000;
  }

  private async readAndWrite(desired: LeaseRecord, now: number): Promise<boolean> {
    let current: VersionedLease | undefined;
    try {
      current = await this.options.store.get();
      if (!current) {
        const version = await this.options.store.create(desired);
        this.observe({ record: desired, version }, now);
        return true;
      }
    } catch (err) {
      this.options.logger.debug({ err, lease: this.options.name }, 'reading or creating the lease failed');
      return false;
    }
    this.observe(current, now);
    const { record } = current;
    const heldByOther = record.holderIdentity !== '' && record.holderIdentity !== this.options.identity;
    if (heldByOther && now < this.observedAt + record.leaseDurationSeconds * 1000) return false;
    return this.write(desired, current, now);
  }

  /** Writes `desired` over `base` (keeping acquireTime when renewing); false on any failure. */
  private async write(desired: LeaseRecord, base: VersionedLease, now: number): Promise<boolean> {
    const renewing = base.record.holderIdentity === this.options.identity;
    const record: LeaseRecord = {
      ...desired,
      acquireTime: renewing ? base.record.acquireTime : desired.acquireTime,
      leaseTransitions: renewing ? base.record.leaseTransitions : base.record.leaseTransitions + 1,
    };
    try {
      const version = await this.options.store.update(record, base.version);
      this.observe({ record, version }, now);
      return true;
    } catch (err) {
      this.options.logger.debug({ err, lease: this.options.name }, 'updating the lease failed');
      return false;
    }
  }

  /** Remembers the lease as seen; the clock restarts only when the record itself changed. */
  private observe(lease: VersionedLease, now: number): void {
    const key = recordKey(lease.record);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = now;
    }
    this.observed = lease;
    const holder = lease.record.holderIdentity;
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.options.onNewLeader?.(holder);
    }
  }

  /** Waits `ms`, or less if stop()/release() is called meanwhile. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let cancel: Cancel = () => {};
      const wake = (): void => {
        cancel();
        this.wakeups.delete(wake);
        resolve();
      };
      this.wakeups.add(wake);
      cancel = this.clock.after(ms, wake);
    });
  }
}

/** The Lease `namespace/name` in the API server, created on first use. */
export function kubeLeaseStore(kubeConfig: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const body = (record: LeaseRecord, version?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(version ? { resourceVersion: version } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      ...(record.acquireTime ? { acquireTime: new V1MicroTime(record.acquireTime.getTime()) } : {}),
      ...(record.renewTime ? { renewTime: new V1MicroTime(record.renewTime.getTime()) } : {}),
    },
  });
  const versionOf = (lease: V1Lease): string => lease.metadata?.resourceVersion ?? '';
  return {
    async get() {
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        return { record: recordOf(lease), version: versionOf(lease) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record) {
      return versionOf(await api.createNamespacedLease({ namespace, body: body(record) }));
    },
    async update(record, version) {
      return versionOf(await api.replaceNamespacedLease({ name, namespace, body: body(record, version) }));
    },
  };
}

/** client-node returns MicroTime fields as strings despite its types: normalise to Date. */
function recordOf(lease: V1Lease): LeaseRecord {
  const time = (t: unknown): Date | undefined => (t ? new Date(t as string | Date) : undefined);
  return {
    holderIdentity: lease.spec?.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    acquireTime: time(lease.spec?.acquireTime),
    renewTime: time(lease.spec?.renewTime),
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
  };
}
