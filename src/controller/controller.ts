// The claim controller assembled: informers on claims and Nodes feed a work queue; workers run
// ClaimReconciler; the ENI store, the state watch and the instance slots stand between it and
// ECS; the leak collector and the claim gauges run on timers. main.ts adds flags, credentials,
// the HTTP endpoints and leader election; tests and the benchmark start this class in process.
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import type { EcsPort } from '../cloud/port.ts';
import type { EcsAction } from '../cloud/rate-limits.ts';
import { ClaimClient, claimInformer } from '../kube/claims.ts';
import { realClock, type Cancel, type Clock } from '../kube/clock.ts';
import { apiEventSink, CONTROLLER_REPORTER, EventRecorder } from '../kube/events.ts';
import { Backoff, type Informer } from '../kube/informer.ts';
import { nodeInformer } from '../kube/nodes.ts';
import { Controller } from '../kube/runner.ts';
import { WorkQueue } from '../kube/workqueue.ts';
import type { ControllerProcessMetrics } from '../metrics.ts';
import { DEFAULT_SLOW_RETRY, FailureBook, type SlowRetryOptions } from './backoff.ts';
import { recordClaimMetrics } from './claim-metrics.ts';
import { ClaimEventFilter } from './claim-events.ts';
import { ClaimWriter, slim } from './claim-writer.ts';
import { CloudBudget } from './cloud-budget.ts';
import { EniStore } from './eni-store.ts';
import { EniWatch, type Settled } from './eni-watch.ts';
import { Executor } from './execute.ts';
import { LeakCollector } from './gc.ts';
import { InstanceSlots } from './instance-slots.ts';
import { reuseApiConnections } from './kube-connections.ts';
import { NodeIndex, nodeFacts } from './node-index.ts';
import { ClaimReconciler } from './reconcile.ts';

export const CONTROLLER_NAME = 'networkinterfaceclaim';

export interface ClaimControllerOptions {
  kubeConfig: KubeConfig;
  port: EcsPort;
  clusterId: string;
  regionId: string;
  logger: Logger;
  metrics?: ControllerProcessMetrics;
  clock?: Clock;
  /** Reconciles at once. Default 4. */
  workers?: number;
  /** How long a NotReady node's agent is waited for on release. Default 2 min. */
  nodeGraceMs?: number;
  /** The longest wait for a node agent's cleanup on a Ready node. Default 10 min. */
  agentTimeoutMs?: number;
  /** Retry interval while waiting for ENI quota or a node. Default 60 s. */
  waitRetryMs?: number;
  /** Look at a claim whose ENI is in transit at least this often. Default 30 s. */
  safetyRequeueMs?: number;
  slowRetry?: SlowRetryOptions;
  /** Poll interval of ENIs in transit. Default 250 ms. */
  watchIntervalMs?: number;
  /** Leak collection: how often (0: never) and the minimum age. Defaults 10 min, 10 min. */
  gcIntervalMs?: number;
  gcGraceMs?: number;
  /** ECS calls a minute per action, as given to the adapter (Terway's defaults for the rest). */
  rateLimitsPerMinute?: Partial<Record<EcsAction, number>>;
  /** Pod name, for Events. */
  reportingInstance?: string;
  /** Give up waiting for the informers after this long. Default 2 min. */
  cacheSyncTimeoutMs?: number;
  /** Abort a reconcile after this long. Default 60 s. */
  reconcileTimeoutMs?: number;
}

const METRICS_INTERVAL_MS = 15_000;
/** Work-queue priority of a claim whose ENI has just finished attaching or detaching (others: 0). */
const SETTLED_PRIORITY = 10;

export class ClaimController {
  readonly store: EniStore;
  readonly watch: EniWatch;
  private readonly options: ClaimControllerOptions;
  private readonly clock: Clock;
  private readonly claims: Informer<NetworkInterfaceClaim>;
  private readonly nodes: Informer<V1Node>;
  private readonly nodeIndex: NodeIndex;
  private readonly queue: WorkQueue;
  private readonly runner: Controller;
  private readonly events: EventRecorder;
  private readonly gc: LeakCollector;
  private readonly slots: InstanceSlots;
  private readonly nodeSignatures = new Map<string, string>();
  /** ENI id → the claim whose status names it, so that a change seen in ECS wakes that claim. */
  private readonly eniOwners = new Map<string, string>();
  private readonly claimEvents = new ClaimEventFilter();
  private readonly writer: ClaimWriter;
  /** The pending timer of each periodic task. */
  private readonly timers = new Map<string, Cancel>();
  private primedPromise: Promise<void> | undefined;
  private primed = false;
  private stopped = false;

  constructor(options: ClaimControllerOptions) {
    this.options = options;
    const clock = (this.clock = options.clock ?? realClock);
    const { logger, metrics, port } = options;
    const kubeConfig = reuseApiConnections(options.kubeConfig);
    this.claims = claimInformer(kubeConfig, { logger, clock });
    this.nodes = nodeInformer(kubeConfig, { logger, clock });
    this.nodeIndex = new NodeIndex(this.nodes);
    this.queue = new WorkQueue({ name: CONTROLLER_NAME, clock, ...(metrics ? { metrics: metrics.forQueue(CONTROLLER_NAME) } : {}) });
    this.store = new EniStore({ port, clock, logger, onObservedChange: (id) => this.eniChanged(id) });
    this.watch = new EniWatch({ port, store: this.store, clock, logger, intervalMs: options.watchIntervalMs ?? 250, onSettled: (s) => this.settled(s) });
    const slots = (this.slots = new InstanceSlots({ port, store: this.store, clock, wake: (key) => this.queue.add(key) }));
    this.events = new EventRecorder({
      sink: apiEventSink(kubeConfig),
      reportingController: CONTROLLER_REPORTER,
      reportingInstance: options.reportingInstance ?? 'ecs-eni-controller',
      logger,
      clock,
    });
    const writer = (this.writer = new ClaimWriter(new ClaimClient(kubeConfig)));
    const executor = new Executor({ port, store: this.store, watch: this.watch, slots, writer, budget: new CloudBudget(options.rateLimitsPerMinute ?? {}, clock), safetyRequeueMs: options.safetyRequeueMs ?? 30_000 });
    const reconciler = new ClaimReconciler({
      claims: this.claims,
      nodes: this.nodeIndex,
      port,
      store: this.store,
      slots,
      writer,
      executor,
      failures: new FailureBook(options.slowRetry ?? DEFAULT_SLOW_RETRY),
      events: this.events,
      clock,
      options: {
        clusterId: options.clusterId,
        regionId: options.regionId,
        nodeGraceMs: options.nodeGraceMs ?? 120_000,
        agentTimeoutMs: options.agentTimeoutMs ?? 600_000,
        waitRetryMs: options.waitRetryMs ?? 60_000,
      },
      primed: () => this.whenPrimed(),
    });
    this.runner = new Controller({
      name: CONTROLLER_NAME,
      queue: this.queue,
      reconcile: reconciler.reconcile,
      workers: options.workers ?? 4,
      logger,
      clock,
      reconcileTimeoutMs: options.reconcileTimeoutMs ?? 60_000,
      ...(metrics ? { metrics: metrics.forController(CONTROLLER_NAME) } : {}),
    });
    this.gc = new LeakCollector({
      clusterId: options.clusterId,
      port,
      store: this.store,
      clock,
      logger,
      claims: () => this.claims.list(),
      graceMs: options.gcGraceMs ?? 600_000,
      ...(metrics ? { collected: () => metrics.leakedEnisCollected.inc() } : {}),
    });
    this.wireEvents();
  }

  /** Starts the informers, waits for their caches, lists this cluster's ENIs, then the workers. */
  async start(): Promise<void> {
    this.claims.start();
    this.nodes.start();
    const timeout = this.options.cacheSyncTimeoutMs ?? 120_000;
    const synced = await Promise.all([this.claims.waitForSync(timeout), this.nodes.waitForSync(timeout)]);
    if (!synced.every(Boolean)) throw new Error(`informer caches did not sync within ${timeout} ms`);
    this.runner.start();
    void this.whenPrimed();
    this.schedule('gc', this.options.gcIntervalMs ?? 600_000, () => this.collectLeaks());
    const { metrics } = this.options;
    if (metrics) this.schedule('metrics', METRICS_INTERVAL_MS, async () => recordClaimMetrics(metrics, this.claims.list(), this.clock.now()));
  }

  /** Caches synced and this cluster's ENIs listed once (a cloud call that worked). */
  ready(): boolean {
    return this.primed && this.claims.hasSynced() && this.nodes.hasSynced();
  }

  /** Stops taking work; with `drain` (default) reconciles in flight finish first. */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    await this.runner.stop({ drain: options.drain ?? true });
    this.watch.stop();
    await Promise.all([this.claims.stop(), this.nodes.stop()]);
    await this.events.flush();
  }

  /** One leak collection pass now (tests call it; the timer calls it every gcIntervalMs). */
  async collectLeaks(): Promise<string[]> {
    await this.whenPrimed();
    return this.gc.collect();
  }

  private wireEvents(): void {
    const enqueue = (claim: NetworkInterfaceClaim, deleted = false): void => {
      const name = claim.metadata.name;
      if (!name) return;
      // The informer's cache holds this very object: managed fields are most of its size, unread.
      slim(claim);
      this.writer.observe(claim);
      const eniId = claim.status?.networkInterfaceId ?? claim.spec.networkInterfaceId;
      if (eniId && deleted) this.eniOwners.delete(eniId);
      else if (eniId) this.eniOwners.set(eniId, name);
      if (deleted) this.claimEvents.forget(name);
      if (deleted || this.claimEvents.worthReconciling(claim, this.clock.now())) this.queue.add(name);
    };
    this.claims.on('add', (claim) => enqueue(claim));
    this.claims.on('update', (claim) => enqueue(claim));
    this.claims.on('delete', (claim) => enqueue(claim, true));
    this.nodes.on('add', (node) => this.nodeChanged(node, false));
    this.nodes.on('update', (node) => this.nodeChanged(node, false));
    this.nodes.on('delete', (node) => this.nodeChanged(node, true));
  }

  /** A node appeared, went, or changed what claims care about: wake the claims on it. */
  private nodeChanged(node: V1Node, deleted: boolean): void {
    const name = node.metadata?.name;
    if (!name) return;
    // Unread and large on real nodes: managed fields, and the list of every image on the node.
    slim(node);
    if (node.status?.images) delete node.status.images;
    this.nodeIndex.observe(node, deleted);
    const facts = nodeFacts(name, deleted ? undefined : node);
    const signature = JSON.stringify(facts.exists ? [facts.providerId, facts.ready] : null);
    if (this.nodeSignatures.get(name) === signature) return;
    if (deleted) this.nodeSignatures.delete(name);
    else this.nodeSignatures.set(name, signature);
    for (const claim of this.claims.list()) {
      if (claim.spec.nodeName === name || claim.status?.nodeName === name) this.queue.add(claim.metadata.name ?? '');
    }
  }

  private eniChanged(eniId: string): void {
    const owner = this.eniOwners.get(eniId);
    if (owner) this.queue.add(owner);
  }

  private settled(s: Settled): void {
    // A detach that finished (or an attach that fell back to Available) frees a slot on the instance.
    const freed = s.now.kind === 'gone' || s.now.eni.status === 'Available';
    if (freed && s.instanceId) this.slots.release(s.instanceId, s.eniId);
    // Ahead of new claims: its status write is all that stands between the ENI and its user.
    this.queue.add(s.key, SETTLED_PRIORITY);
  }

  private whenPrimed(): Promise<void> {
    this.primedPromise ??= this.prime();
    return this.primedPromise;
  }

  /** Lists this cluster's ENIs until it works: only then may tag adoption be trusted. */
  private async prime(): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    while (!this.stopped) {
      try {
        const enis = await this.store.listOwned(this.options.clusterId);
        this.primed = true;
        this.options.logger.info({ enis: enis.length }, "listed this cluster's ENIs");
        return;
      } catch (err) {
        const delayMs = backoff.next(this.clock.now());
        this.options.logger.warn({ err, delayMs }, "listing this cluster's ENIs failed; retrying");
        await new Promise<void>((resolve) => this.clock.after(delayMs, resolve));
      }
    }
  }

  private schedule(name: string, intervalMs: number, task: () => Promise<unknown>): void {
    if (!(intervalMs > 0)) return;
    const tick = (): void => {
      const cancel = this.clock.after(intervalMs, () => {
        task()
          .catch((err: unknown) => this.options.logger.warn({ err, task: name }, 'periodic task failed'))
          .finally(() => {
            if (!this.stopped) tick();
          });
      });
      this.timers.set(name, cancel);
    };
    tick();
  }
}
