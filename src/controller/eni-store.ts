// The controller's view of ECS's ENIs, so that a reconcile costs no cloud call when nothing is
// in flight: filled by create answers, batched describes, the instance slot counts, the state
// watch and the periodic listing of this cluster's ENIs; corrected locally after each successful
// mutation (an attach makes the ENI Attaching here at once).
//
// A describe answer older than a local mutation must not undo it: each entry remembers when it
// was last changed locally, and an answer to a request sent before that is ignored for it.
import type { Logger } from 'pino';
import { TAG_CLUSTER_ID } from '../api/names.ts';
import type { EcsPort, Eni } from '../cloud/port.ts';
import type { Clock } from '../kube/clock.ts';
import { claimUidOf } from './identity.ts';

export type EniLookup = { kind: 'present'; eni: Eni } | { kind: 'gone'; id: string };

interface Entry {
  /** Undefined: ECS said it does not exist. */
  eni: Eni | undefined;
  /** When the entry was last changed by a local mutation (0: never). */
  mutatedAt: number;
  /** Known to be out of date: the next get() asks ECS. */
  stale?: boolean;
}

interface Waiter {
  resolve: (lookup: EniLookup) => void;
  reject: (err: unknown) => void;
}

export interface EniStoreOptions {
  port: Pick<EcsPort, 'describeNetworkInterfaces'>;
  clock: Clock;
  logger: Pick<Logger, 'debug' | 'warn'>;
  /** Misses within this window share one DescribeNetworkInterfaces. Default 5 ms. */
  batchWindowMs?: number;
  /** Told when a describe shows a known ENI changed (or gone) by someone else's doing. */
  onObservedChange?: (id: string) => void;
}

export class EniStore {
  private readonly options: EniStoreOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly byClaimUid = new Map<string, string>();
  private pending = new Map<string, Waiter[]>();
  private flushScheduled = false;

  constructor(options: EniStoreOptions) {
    this.options = options;
  }

  /** What is known of `id` without asking ECS (undefined when nothing, or nothing current). */
  peek(id: string): EniLookup | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.stale) return undefined;
    return entry.eni ? { kind: 'present', eni: entry.eni } : { kind: 'gone', id };
  }

  /** The ENI, from memory or from ECS (misses are batched: many claims, one call per 100). */
  get(id: string): Promise<EniLookup> {
    const known = this.peek(id);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(id) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(id, waiters);
      this.scheduleFlush();
    });
  }

  /** The id of the ENI tagged with a claim's UID, if this store has seen one (see listOwned). */
  eniIdOfClaim(uid: string): string | undefined {
    const id = this.byClaimUid.get(uid);
    const entry = id === undefined ? undefined : this.entries.get(id);
    return entry && (entry.eni || entry.stale) ? id : undefined;
  }

  /**
   * Takes what a describe answered. `requestedAt` is when the request was sent; `asked` are ids
   * the request named, so that one missing from the answer is known to be gone.
   */
  observe(enis: Eni[], requestedAt: number, asked: Iterable<string> = []): void {
    const seen = new Set<string>();
    for (const eni of enis) {
      seen.add(eni.id);
      this.take(eni.id, eni, requestedAt);
    }
    for (const id of asked) {
      if (!seen.has(id)) this.take(id, undefined, requestedAt);
    }
  }

  private take(id: string, eni: Eni | undefined, requestedAt: number): void {
    const entry = this.entries.get(id);
    if (entry && entry.mutatedAt > requestedAt) return;
    this.set(id, eni, entry?.mutatedAt ?? 0);
    if (entry && this.options.onObservedChange && fingerprint(entry.eni) !== fingerprint(eni)) this.options.onObservedChange(id);
  }

  /** Records a local change made by a successful call (create, attach, modify…). */
  mutate(eni: Eni): void {
    this.set(eni.id, eni, this.options.clock.now());
  }

  markGone(id: string): void {
    this.set(id, undefined, this.options.clock.now());
  }

  /** Marks what is known of `id` out of date: the next get() asks ECS (after a conflict showed it stale). */
  invalidate(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.stale = true;
  }

  /**
   * Lists every ENI tagged with this cluster (paginated by the adapter) into the store, and marks
   * gone the cluster's ENIs it knew that the listing no longer shows. Returns the listing.
   */
  async listOwned(clusterId: string): Promise<Eni[]> {
    const requestedAt = this.options.clock.now();
    const enis = await this.options.port.describeNetworkInterfaces({ tags: { [TAG_CLUSTER_ID]: clusterId } });
    const listed = new Set(enis.map((e) => e.id));
    const vanished = [...this.entries.entries()]
      .filter(([id, entry]) => entry.eni?.tags[TAG_CLUSTER_ID] === clusterId && !listed.has(id))
      .map(([id]) => id);
    this.observe(enis, requestedAt, vanished);
    return enis;
  }

  get size(): number {
    return this.entries.size;
  }

  private set(id: string, eni: Eni | undefined, mutatedAt: number): void {
    this.entries.set(id, { eni, mutatedAt });
    const uid = eni ? claimUidOf(eni) : undefined;
    if (uid) this.byClaimUid.set(uid, id);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.options.clock.after(this.options.batchWindowMs ?? 5, () => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const requestedAt = this.options.clock.now();
    try {
      const enis = await this.options.port.describeNetworkInterfaces({ ids });
      this.observe(enis, requestedAt, ids);
      for (const [id, waiters] of batch) {
        const lookup = this.peek(id) ?? { kind: 'gone', id };
        for (const w of waiters) w.resolve(lookup);
      }
    } catch (err) {
      this.options.logger.debug({ err, ids: ids.length }, 'describing ENIs failed');
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }
}

/** What a claim's reconcile reads of an ENI: a change here is worth waking the claim. */
function fingerprint(eni: Eni | undefined): string {
  if (!eni) return 'gone';
  return JSON.stringify([eni.status, eni.instanceId, [...eni.securityGroupIds].sort(), eni.secondaryIpAddresses]);
}
