// Leak collection: ENIs this cluster created that no claim owns any more (a finalizer removed by
// hand, a claim force-deleted) are detached and deleted, as Terway does every 10 min. Only ENIs
// carrying THIS cluster's tag are candidates (a claim released under reclaimPolicy Retain takes
// the tag off first); one that a claim names (spec or status), one whose claim UID still exists
// and one younger than the grace are left alone.
import type { Logger } from 'pino';
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { TAG_CLAIM_NAME } from '../api/names.ts';
import type { EcsPort, Eni } from '../cloud/port.ts';
import type { Clock } from '../kube/clock.ts';
import type { EniStore } from './eni-store.ts';
import { claimUidOf, isOwnedByCluster } from './identity.ts';

export interface LeakCollectorOptions {
  clusterId: string;
  port: EcsPort;
  store: EniStore;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** The claims as the informer has them (synced). */
  claims: () => ReadonlyArray<NetworkInterfaceClaim>;
  /** ENIs younger than this are never collected. Default 10 min. */
  graceMs?: number;
  /** Counts one collected ENI (ecseni_leaked_enis_collected_total). */
  collected?: (eni: Eni) => void;
  /** How long to wait for a detach before the delete. Default 60 s. */
  detachTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class LeakCollector {
  private readonly options: LeakCollectorOptions;
  /** When each candidate was first seen, for ENIs whose creation time ECS does not give. */
  private readonly firstSeen = new Map<string, number>();

  constructor(options: LeakCollectorOptions) {
    this.options = options;
  }

  /** One pass: lists this cluster's ENIs, collects the leaked ones; returns their ids. */
  async collect(): Promise<string[]> {
    const { store, clusterId } = this.options;
    const enis = await store.listOwned(clusterId);
    const leaked = enis.filter((eni) => this.isLeaked(eni));
    const collected: string[] = [];
    for (const eni of leaked) {
      if (await this.release(eni)) collected.push(eni.id);
    }
    return collected;
  }

  private isLeaked(eni: Eni): boolean {
    const { clusterId, clock } = this.options;
    if (!isOwnedByCluster(eni, clusterId) || eni.type !== 'Secondary') return false;
    const claims = this.options.claims();
    const uid = claimUidOf(eni);
    const owned = claims.some(
      (c) => c.metadata.uid === uid || c.spec.networkInterfaceId === eni.id || c.status?.networkInterfaceId === eni.id,
    );
    if (owned) {
      this.firstSeen.delete(eni.id);
      return false;
    }
    const now = clock.now();
    const created = eni.creationTime ? Date.parse(eni.creationTime) : Number.NaN;
    const since = Number.isNaN(created) ? (this.firstSeen.get(eni.id) ?? now) : created;
    this.firstSeen.set(eni.id, since);
    return now - since >= (this.options.graceMs ?? 600_000);
  }

  /** Detach (waiting for Available), then delete. False when it did not get that far this time. */
  private async release(eni: Eni): Promise<boolean> {
    const { port, store, logger } = this.options;
    try {
      if (eni.status === 'InUse' && eni.instanceId) {
        await port.detachNetworkInterface(eni.id, eni.instanceId);
        if (!(await this.waitAvailable(eni.id))) return false;
      } else if (eni.status !== 'Available') {
        return false;
      }
      await port.deleteNetworkInterface(eni.id);
      store.markGone(eni.id);
      this.firstSeen.delete(eni.id);
      this.options.collected?.(eni);
      logger.info({ eniId: eni.id, claimUid: claimUidOf(eni), claimName: eni.tags[TAG_CLAIM_NAME] }, 'collected a leaked ENI');
      return true;
    } catch (err) {
      logger.warn({ err, eniId: eni.id }, 'collecting a leaked ENI failed; trying again next pass');
      return false;
    }
  }

  private async waitAvailable(eniId: string): Promise<boolean> {
    const { port, clock } = this.options;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = clock.now() + (this.options.detachTimeoutMs ?? 60_000);
    while (clock.now() < deadline) {
      await sleep(500);
      const [eni] = await port.describeNetworkInterfaces({ ids: [eniId] });
      if (!eni || eni.status === 'Available') return true;
    }
    return false;
  }
}
