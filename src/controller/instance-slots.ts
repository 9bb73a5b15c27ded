// ENI slots per instance: how many ENIs an instance holds now (DescribeNetworkInterfaces with
// InstanceId, one call per instance shared by all its claims and kept for a short while), kept
// current locally as this controller attaches and detaches, and the claims waiting for a slot,
// woken when one frees up.
import type { EcsPort } from '../cloud/port.ts';
import type { Clock } from '../kube/clock.ts';
import type { EniStore } from './eni-store.ts';

export interface InstanceSlotsOptions {
  port: Pick<EcsPort, 'describeNetworkInterfaces'>;
  store: EniStore;
  clock: Clock;
  /**
   * How long a count is trusted before ECS is asked again. Default 10 min: this controller keeps
   * it current itself, and ECS refuses an attach past the quota anyway (which drops the count).
   */
  ttlMs?: number;
  /** Called for each claim waiting on an instance when one of its ENIs is released. */
  wake: (key: string) => void;
}

interface Count {
  ids: Set<string>;
  fetchedAt: number;
}

export class InstanceSlots {
  private readonly options: InstanceSlotsOptions;
  private readonly ttlMs: number;
  private readonly counts = new Map<string, Count>();
  private readonly inFlight = new Map<string, Promise<Count>>();
  /** ENIs this controller has attached, by instance, with when: a fresh count may not show them yet. */
  private readonly reserved = new Map<string, Map<string, number>>();
  private readonly waiters = new Map<string, Set<string>>();

  constructor(options: InstanceSlotsOptions) {
    this.options = options;
    this.ttlMs = options.ttlMs ?? 600_000;
  }

  /** ENIs on the instance, the primary included; one ECS call per instance per TTL at most. */
  async count(instanceId: string): Promise<number> {
    const cached = this.counts.get(instanceId);
    if (cached && this.options.clock.now() - cached.fetchedAt < this.ttlMs) return cached.ids.size;
    return (await this.fetch(instanceId)).ids.size;
  }

  /**
   * Takes a slot for `eniId` if the instance has one under `limit` (synchronously, so that two
   * claims cannot both take the last slot). True also when the ENI already holds one.
   */
  reserve(instanceId: string, eniId: string, limit: number): boolean {
    const count = this.counts.get(instanceId);
    if (!count) return false;
    if (!count.ids.has(eniId)) {
      if (count.ids.size >= limit) return false;
      count.ids.add(eniId);
    }
    const reserved = this.reserved.get(instanceId) ?? new Map<string, number>();
    reserved.set(eniId, this.options.clock.now());
    this.reserved.set(instanceId, reserved);
    return true;
  }

  /** The ENI no longer holds a slot (detached, or its attach failed): wakes the waiting claims. */
  release(instanceId: string, eniId: string): void {
    this.counts.get(instanceId)?.ids.delete(eniId);
    this.reserved.get(instanceId)?.delete(eniId);
    const waiting = this.waiters.get(instanceId);
    if (!waiting) return;
    this.waiters.delete(instanceId);
    for (const key of waiting) this.options.wake(key);
  }

  /** `key` waits for a slot on the instance. */
  waitForSlot(instanceId: string, key: string): void {
    const waiting = this.waiters.get(instanceId) ?? new Set<string>();
    waiting.add(key);
    this.waiters.set(instanceId, waiting);
  }

  /** Forgets the count, e.g. after ECS refused an attach for quota: the next count asks again. */
  invalidate(instanceId: string): void {
    this.counts.delete(instanceId);
  }

  private fetch(instanceId: string): Promise<Count> {
    const running = this.inFlight.get(instanceId);
    if (running) return running;
    const promise = this.load(instanceId).finally(() => this.inFlight.delete(instanceId));
    this.inFlight.set(instanceId, promise);
    return promise;
  }

  private async load(instanceId: string): Promise<Count> {
    const { clock, port, store } = this.options;
    const startedAt = clock.now();
    const enis = await port.describeNetworkInterfaces({ instanceId });
    store.observe(enis, startedAt);
    const ids = new Set(enis.filter((e) => e.status !== 'Available').map((e) => e.id));
    // Attaches made within the TTL may not show yet; keep them counted until they age out.
    const reserved = this.reserved.get(instanceId);
    for (const [id, at] of reserved ?? []) {
      if (startedAt - at < this.ttlMs) ids.add(id);
      else reserved?.delete(id);
    }
    const count = { ids, fetchedAt: clock.now() };
    this.counts.set(instanceId, count);
    return count;
  }
}
