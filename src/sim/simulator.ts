// The simulator as an object: the model of the region, the ENI state machine, authentication,
// rate limits, faults and call counts, and what tests and the demo do to it from outside the API
// (release or stop an instance, read histories, subscribe to attach/detach). No HTTP here.
import { actionDef } from './actions.ts';
import { Authenticator } from './auth.ts';
import { CallCounts } from './counts.ts';
import type { CallCountTable } from './counts.ts';
import { SimError } from './errors.ts';
import { Faults } from './faults.ts';
import type { Fault, FaultSpec } from './faults.ts';
import type { Answer } from './idempotency.ts';
import { Lifecycle } from './lifecycle.ts';
import type { AttachmentListener } from './lifecycle.ts';
import { SimModel } from './model.ts';
import { Params } from './params.ts';
import { RateLimiter, profileLimits } from './rate-limits.ts';
import type { RateLimitProfile, RateLimitsPerMinute } from './rate-limits.ts';
import type { Query } from './signature.ts';
import { emptyState, toSnapshot } from './state.ts';
import type { HistoryEntry, InstanceRecord, SimState, StateSnapshot } from './state.ts';
import { simEni } from './views.ts';
import type { SimEni } from './views.ts';
import { INSTANCE_STATUSES, resolveInstance } from './world.ts';
import type { InstanceSpec, InstanceStatus, World } from './world.ts';

export interface SimulatorOptions {
  world: World;
  /** State from a state file; without it, the world's instances are created afresh. */
  state?: SimState;
  now?: () => number;
  random?: () => number;
  /** Saves the state; awaited before a changing call is answered. */
  persist?: () => Promise<void>;
}

export type SimInstance = Omit<InstanceRecord, 'seq'>;

export class Simulator {
  readonly world: World;
  readonly counts = new CallCounts();
  readonly faults: Faults;
  readonly rateLimits: RateLimiter;
  readonly auth: Authenticator;
  private readonly model: SimModel;
  private readonly lifecycle: Lifecycle;
  private readonly persistFn: () => Promise<void>;

  constructor(options: SimulatorOptions) {
    const now = options.now ?? Date.now;
    this.world = options.world;
    this.persistFn = options.persist ?? (async () => {});
    this.model = new SimModel(options.world, options.state ?? emptyState(), now);
    this.lifecycle = new Lifecycle(this.model, options.world.latencyMs, () => this.persistInBackground());
    this.faults = new Faults(options.random);
    this.rateLimits = new RateLimiter({ ...profileLimits(options.world.rateLimitProfile), ...options.world.rateLimitsPerMinute }, now);
    this.auth = new Authenticator(options.world.accessKeys, now);
    if (options.state) this.lifecycle.resume();
    else {
      for (const instance of options.world.instances) this.model.addInstance(instance);
      for (const eni of options.world.networkInterfaces) this.model.addWorldEni(eni);
    }
  }

  /** Runs an authenticated API call; throws SimError with the ECS code on failure. */
  invoke(action: string, version: string | undefined, query: Query): Answer {
    const def = actionDef(action, version);
    if (!def) throw new SimError('InvalidAction.NotFound', `Specified api ${action} (version ${String(version)}) is not found.`);
    const params = new Params(query);
    if (def.needsRegion) {
      const region = params.required('RegionId');
      if (region !== this.world.regionId) throw new SimError('InvalidRegionId.NotFound', `The specified region ${region} does not exist.`);
    }
    return def.run({ model: this.model, lifecycle: this.lifecycle }, params);
  }

  isKnownAction(action: string, version: string | undefined): boolean {
    return actionDef(action, version) !== undefined;
  }

  isMutating(action: string, version: string | undefined): boolean {
    return actionDef(action, version)?.mutates ?? false;
  }

  persist(): Promise<void> {
    return this.persistFn();
  }

  snapshot(): StateSnapshot {
    return toSnapshot(this.model.state);
  }

  // --- observation ---------------------------------------------------------------------------

  listEnis(): SimEni[] {
    return [...this.model.state.enis.values()].sort((a, b) => a.seq - b.seq).map(simEni);
  }

  getEni(id: string): SimEni | undefined {
    const eni = this.model.findEni(id);
    return eni && simEni(eni);
  }

  /** Every state change of the ENI with its time (epoch ms), `Deleted` last once it is gone. */
  eniHistory(id: string): HistoryEntry[] {
    return (this.model.state.history.get(id) ?? []).map((h) => ({ ...h }));
  }

  listInstances(): SimInstance[] {
    return [...this.model.state.instances.values()].sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...rest }) => ({ ...rest }));
  }

  /** Told of every attach (ENI became InUse) and detach (ENI left InUse). Returns the unsubscribe. */
  subscribe(listener: AttachmentListener): () => void {
    return this.lifecycle.subscribe(listener);
  }

  callCounts(): CallCountTable {
    return this.counts.snapshot();
  }

  resetCounts(): void {
    this.counts.reset();
  }

  // --- control -------------------------------------------------------------------------------

  addFault(spec: FaultSpec): Fault {
    return this.faults.add(spec);
  }

  removeFault(id: string): boolean {
    return this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): Fault[] {
    return this.faults.list();
  }

  setRateLimits(limits: RateLimitsPerMinute, profile: RateLimitProfile = 'none'): void {
    this.rateLimits.set({ ...profileLimits(profile), ...limits });
  }

  async addInstance(spec: InstanceSpec): Promise<SimInstance> {
    const instance = this.model.addInstance(resolveInstance(this.world, spec));
    await this.persist();
    return this.listInstances().find((i) => i.id === instance.id) as SimInstance;
  }

  /** The instance is gone: its secondary ENIs become Available, its primary ENI goes with it. */
  async releaseInstance(id: string): Promise<void> {
    this.model.instance(id, 'InvalidInstanceId.NotFound');
    this.lifecycle.releaseInstance(id);
    await this.persist();
  }

  async setInstanceStatus(id: string, status: InstanceStatus): Promise<void> {
    if (!INSTANCE_STATUSES.includes(status)) throw new SimError('InvalidParameter', `instance status must be one of ${INSTANCE_STATUSES.join(', ')}`);
    this.model.instance(id, 'InvalidInstanceId.NotFound').status = status;
    await this.persist();
  }

  /** Stops the timers of transitions in flight (they resume from a state file). */
  close(): void {
    this.lifecycle.stop();
  }

  private persistInBackground(): void {
    this.persist().catch((error: unknown) => console.error('simulator: saving state failed', error));
  }
}
