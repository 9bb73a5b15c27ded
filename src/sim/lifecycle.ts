// The ENI state machine: Available → Attaching → InUse → Detaching → Available → Deleting → gone,
// each asynchronous step after its configured latency (0 = at once, within the call). Every change
// is recorded in the ENI's history; subscribers hear of an attach when the ENI becomes InUse and of
// a detach when it leaves InUse. A transition in flight is part of the state (`pending`), so a
// restart from a state file finishes it.
import type { SimModel } from './model.ts';
import type { EniRecord } from './state.ts';
import type { LatencyMs } from './world.ts';

export interface AttachmentEvent {
  kind: 'attach' | 'detach';
  eniId: string;
  instanceId: string;
  macAddress: string;
  /** Epoch milliseconds. */
  at: number;
}

export type AttachmentListener = (event: AttachmentEvent) => void;

type Target = NonNullable<EniRecord['pending']>['to'];

export class Lifecycle {
  private readonly model: SimModel;
  private readonly latency: LatencyMs;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<AttachmentListener>();
  /** Called after a change that happens outside a request (a timer firing), for persistence. */
  private readonly changed: () => void;

  constructor(model: SimModel, latency: LatencyMs, changed: () => void) {
    this.model = model;
    this.latency = latency;
    this.changed = changed;
  }

  subscribe(listener: AttachmentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  startAttach(eni: EniRecord, instanceId: string, deviceIndex: number): void {
    this.model.placeOn(eni, instanceId, deviceIndex);
    this.enter(eni, 'Attaching');
    this.schedule(eni, 'InUse', this.latency.attach);
  }

  startDetach(eni: EniRecord): void {
    this.enter(eni, 'Detaching');
    this.schedule(eni, 'Available', this.latency.detach);
  }

  startDelete(eni: EniRecord): void {
    this.enter(eni, 'Deleting');
    this.schedule(eni, 'Deleted', this.latency.delete);
  }

  /** Security groups given to ModifyNetworkInterfaceAttribute take effect after the modify latency. */
  changeSecurityGroups(eni: EniRecord, ids: string[]): void {
    if (this.latency.modify === 0) {
      eni.securityGroupIds = ids;
      delete eni.pendingSecurityGroups;
      return;
    }
    eni.pendingSecurityGroups = { ids, dueAt: this.model.now() + this.latency.modify };
    this.armSecurityGroups(eni);
  }

  /** Instance released: secondary ENIs fall back to Available, the primary ENI goes with it. */
  releaseInstance(instanceId: string): void {
    for (const eni of this.model.enisOn(instanceId)) {
      this.cancel(eni);
      if (eni.type === 'Primary') {
        this.model.removeEni(eni);
        continue;
      }
      this.enter(eni, 'Available');
      this.model.placeOn(eni, undefined);
    }
    this.model.state.instances.delete(instanceId);
  }

  /** After loading a state file: re-arm the transitions that were in flight. */
  resume(): void {
    for (const eni of this.model.state.enis.values()) {
      if (eni.pending) this.arm(eni);
      if (eni.pendingSecurityGroups) this.armSecurityGroups(eni);
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private enter(eni: EniRecord, status: EniRecord['status']): void {
    const wasInUse = eni.status === 'InUse';
    eni.status = status;
    this.model.record(eni.id, status);
    if (status === 'InUse' && !wasInUse) this.emit('attach', eni);
    if (wasInUse && status !== 'InUse') this.emit('detach', eni);
  }

  private emit(kind: AttachmentEvent['kind'], eni: EniRecord): void {
    const event: AttachmentEvent = { kind, eniId: eni.id, instanceId: eni.instanceId as string, macAddress: eni.macAddress, at: this.model.now() };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A subscriber's bug must not break the simulated cloud.
        console.error('simulator: attachment listener failed', error);
      }
    }
  }

  private schedule(eni: EniRecord, to: Target, latencyMs: number): void {
    eni.pending = { to, dueAt: this.model.now() + latencyMs };
    if (latencyMs === 0) this.complete(eni);
    else this.arm(eni);
  }

  private arm(eni: EniRecord): void {
    const due = eni.pending?.dueAt ?? 0;
    const timer = setTimeout(() => {
      this.timers.delete(eni.id);
      this.complete(eni);
      this.changed();
    }, Math.max(0, due - this.model.now()));
    this.timers.set(eni.id, timer);
  }

  private armSecurityGroups(eni: EniRecord): void {
    const key = `${eni.id}/sg`;
    clearTimeout(this.timers.get(key));
    const pending = eni.pendingSecurityGroups;
    if (!pending) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (eni.pendingSecurityGroups !== pending) return;
      eni.securityGroupIds = pending.ids;
      delete eni.pendingSecurityGroups;
      this.changed();
    }, Math.max(0, pending.dueAt - this.model.now()));
    this.timers.set(key, timer);
  }

  private complete(eni: EniRecord): void {
    const to = eni.pending?.to;
    delete eni.pending;
    if (to === 'InUse') {
      this.enter(eni, 'InUse');
    } else if (to === 'Available') {
      this.enter(eni, 'Available');
      this.model.placeOn(eni, undefined);
    } else if (to === 'Deleted') {
      this.cancel(eni);
      this.model.removeEni(eni);
    }
  }

  private cancel(eni: EniRecord): void {
    for (const key of [eni.id, `${eni.id}/sg`]) {
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
    }
    delete eni.pending;
  }
}
