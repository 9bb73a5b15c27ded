// The node agent assembled: an informer on this node's claims and an `ip monitor` feed one work
// queue with a single key, the node. Each reconcile looks at all of the node's claims at once,
// because the kernel is one shared thing (free tables, stale rules, addresses on other links):
// take the finalizer of claims bound here (ahead of the attach) while planning and applying for
// all of them, report each claim's outcome, and let go of released claims once nothing of theirs
// is left in the kernel. A periodic reconcile backs the event-driven one up; each pass is
// idempotent, so extra passes are harmless.
import type { Logger } from 'pino';
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { AGENT_FIELD_MANAGER, AGENT_FINALIZER, NODE_LABEL } from '../api/names.ts';
import { ClaimClient, claimInformer } from '../kube/claims.ts';
import { realClock, type Clock } from '../kube/clock.ts';
import type { Informer } from '../kube/informer.ts';
import { Controller, type ReconcileResult as QueueResult } from '../kube/runner.ts';
import type { KubeSource } from '../kube/rest.ts';
import { WorkQueue } from '../kube/workqueue.ts';
import type { NodeAgentProcessMetrics } from '../metrics.ts';
import { kindOf, type Change, type ChangeKind } from './changes.ts';
import type { Datapath, ReconcileResult } from './datapath.ts';
import { DEFAULT_HOTPLUG, InterfaceWaits, type HotplugPolicy } from './hotplug.ts';
import type { IdleCollector } from './idle-gc.ts';
import { roleOf, type ClaimRole } from './intent.ts';
import { KernelMonitor } from './monitor.ts';
import type { EniIntent } from './plan.ts';
import { agentStatus, CONFIGURED_REASONS, hasReport, isReported, type Report } from './report.ts';
import { reportFor } from './outcome.ts';

export const AGENT_CONTROLLER_NAME = 'node-agent';
const NODE_KEY = 'node';
/**
 * Claim events wait this long before a pass, so that a burst (the controller attaching several
 * ENIs at once) is configured in one pass rather than one pass per claim.
 */
const BURST_WINDOW_MS = 15;
/** How long a write just made (a report, a release) is trusted over a cache that does not show it yet. */
const WRITE_MEMORY_MS = 5_000;
const DRIFT_KINDS: readonly ChangeKind[] = ['link', 'address', 'route', 'rule', 'sysctl'];

export interface NodeAgentOptions {
  /** The lean client (the agent's process), or a client-node KubeConfig (in-process tests). */
  kube: KubeSource;
  nodeName: string;
  datapath: Datapath;
  /** The `ip monitor` command line (IpRoute.monitorCommand); unset: periodic reconciles only. */
  monitorCommand?: readonly string[];
  logger: Logger;
  metrics?: NodeAgentProcessMetrics;
  clock?: Clock;
  /** Full reconcile at least this often. Default 60 s. */
  resyncMs?: number;
  hotplug?: HotplugPolicy;
  /** Give up waiting for the informer after this long. Default 2 min. */
  cacheSyncTimeoutMs?: number;
  /** Abort a reconcile after this long. Default 30 s. */
  reconcileTimeoutMs?: number;
  /** Told of each pass, to give back the memory a burst of them grew once they stop. */
  idleCollector?: IdleCollector;
}

/** What the claim asks of the kernel; the recorded table is only a memory of the answer. */
function signature(intent: EniIntent): string {
  const { recordedTable: _recorded, ...asked } = intent;
  return JSON.stringify(asked);
}

/** Claims with a kernel change that failed or was not reached in this pass: not clean yet. */
function unfinishedClaims(result: ReconcileResult): Set<string | undefined> {
  return new Set([...result.failed.map((f) => f.change.claim), ...result.remaining.map((c) => c.claim)]);
}

type Role<R extends ClaimRole['role']> = Extract<ClaimRole, { role: R }> & { claim: NetworkInterfaceClaim };

export class NodeAgent {
  private readonly options: NodeAgentOptions;
  private readonly clock: Clock;
  private readonly claims: Informer<NetworkInterfaceClaim>;
  private readonly client: ClaimClient;
  private readonly queue: WorkQueue;
  private readonly runner: Controller;
  private readonly monitor: KernelMonitor | undefined;
  private readonly waits: InterfaceWaits;
  /** Intent of each claim last reported Configured=True: changes for it now are drift repairs. */
  private readonly settled = new Map<string, string>();
  /** Last intent seen per claim, to release it even when its status no longer says where it was. */
  private readonly lastIntent = new Map<string, EniIntent>();
  /** What each claim asked of the agent when last seen: updates that change none of it are not work. */
  private readonly seen = new Map<string, string>();
  /** The last report written per claim, and when: the cache may not show it yet. */
  private readonly written = new Map<string, { key: string; at: number }>();
  /** When each claim was let go of: until the cache shows the finalizer gone, it is not let go again. */
  private readonly releasedAt = new Map<string, number>();
  private firstPassDone = false;

  constructor(options: NodeAgentOptions) {
    this.options = options;
    const clock = (this.clock = options.clock ?? realClock);
    const { kube, logger, metrics, nodeName } = options;
    this.claims = claimInformer(kube, { logger, clock, labelSelector: `${NODE_LABEL}=${nodeName}` });
    this.client = new ClaimClient(kube);
    this.queue = new WorkQueue({ name: AGENT_CONTROLLER_NAME, clock, ...(metrics ? { metrics: metrics.forQueue(AGENT_CONTROLLER_NAME) } : {}) });
    this.runner = new Controller({
      name: AGENT_CONTROLLER_NAME,
      queue: this.queue,
      reconcile: async () => {
        try {
          return await this.reconcile();
        } finally {
          options.idleCollector?.worked();
        }
      },
      logger: logger.child({ node: nodeName }),
      clock,
      reconcileTimeoutMs: options.reconcileTimeoutMs ?? 30_000,
      ...(metrics ? { metrics: metrics.forController(AGENT_CONTROLLER_NAME) } : {}),
    });
    this.waits = new InterfaceWaits(clock, options.hotplug ?? DEFAULT_HOTPLUG);
    if (options.monitorCommand) {
      this.monitor = new KernelMonitor({
        command: options.monitorCommand,
        clock,
        onChange: () => this.queue.add(NODE_KEY),
        onExit: (detail) => logger.warn({ detail }, 'ip monitor exited; restarting it'),
      });
    }
    for (const kind of DRIFT_KINDS) metrics?.agentDriftRepairs.inc({ kind }, 0);
    this.claims.on('add', (claim) => this.claimChanged(claim));
    this.claims.on('update', (claim) => this.claimChanged(claim));
    this.claims.on('delete', (claim) => {
      const name = claim.metadata.name ?? '';
      this.seen.delete(name);
      // A claim let go of has nothing left in the kernel; one that vanished while configured has.
      if (this.lastIntent.has(name)) this.queue.addAfter(NODE_KEY, BURST_WINDOW_MS);
    });
  }

  /** Starts the informer, waits for its cache (never reconciles on a partial view), then the rest. */
  async start(): Promise<void> {
    this.claims.start();
    const timeout = this.options.cacheSyncTimeoutMs ?? 120_000;
    if (!(await this.claims.waitForSync(timeout))) throw new Error(`claim informer did not sync within ${timeout} ms`);
    this.monitor?.start();
    this.runner.start();
    this.queue.add(NODE_KEY);
  }

  /**
   * Queues a reconcile when the claim asks something new of the agent. The agent's own status
   * writes change nothing it reads, so they do not cost a pass; a person editing the Configured
   * condition is corrected by the periodic pass. Nor does a claim that is not the agent's business
   * and never was, or one it already holds and has nothing in the kernel for (the controller's
   * progress while it creates and attaches the ENI): most claim events of a node are such.
   */
  private claimChanged(claim: NetworkInterfaceClaim): void {
    const name = claim.metadata.name ?? '';
    const role = roleOf(claim, this.options.nodeName);
    const asked = this.askedOf(claim, role);
    if (this.seen.get(name) === asked) return;
    this.seen.set(name, asked);
    const holding = claim.metadata.finalizers?.includes(AGENT_FINALIZER) ?? false;
    const nothingToDo = role.role === 'ignore' || (role.role === 'hold' && holding);
    if (nothingToDo && !this.lastIntent.has(name)) return;
    this.queue.addAfter(NODE_KEY, BURST_WINDOW_MS);
  }

  /** What the claim asks of the agent; the recorded table is the agent's own answer, not a question. */
  private askedOf(claim: NetworkInterfaceClaim, role = roleOf(claim, this.options.nodeName)): string {
    const { generation, finalizers, deletionTimestamp } = claim.metadata;
    return JSON.stringify([role, generation, finalizers, deletionTimestamp], (key, value: unknown) => (key === 'recordedTable' ? undefined : value));
  }

  /** The cache is synced and the first full pass over the kernel has run. */
  ready(): boolean {
    return this.claims.hasSynced() && this.firstPassDone;
  }

  async stop(): Promise<void> {
    this.monitor?.stop();
    this.options.idleCollector?.stop();
    await this.runner.stop({ drain: true });
    await this.claims.stop();
  }

  private async reconcile(): Promise<QueueResult> {
    const { nodeName, logger } = this.options;
    const roles = this.claims.list().map((claim) => ({ claim, ...roleOf(claim, nodeName) }));
    const errors: unknown[] = [];
    const attached = roles.filter((r): r is Role<'configure'> => r.role === 'configure');
    const held = roles.filter((r): r is Role<'hold'> => r.role === 'hold');
    const release = roles.filter((r): r is Role<'release'> => r.role === 'release');
    for (const { intent } of attached) this.lastIntent.set(intent.claim, intent);
    const releaseIntents = this.releaseIntents(release, held, attached);
    const started = this.clock.now();
    // The finalizer is taken as soon as a claim is bound here, so that the attach finds it held
    // (the controller's attach takes far longer than the write). A claim that is attached before
    // the agent holds it (an agent just started) gets it while the kernel is configured, not
    // before: one API round trip less. Safe, because kernel state of a claim without it is never
    // lost: a claim that vanishes is released by lastIntent, and after a crash by the stale sweep
    // (rules and routes with protocol 236 that no claim wants) or by the detach that takes the
    // link and its addresses away. Only a claim that holds it is reported configured, and only
    // such a claim is ever let go.
    const timings = { finalizersMs: 0, kernelMs: 0 };
    const took = (key: keyof typeof timings) => <T>(value: T): T => ((timings[key] = this.clock.now() - started), value);
    // Claims held ahead of the attach are on the way to no report: nothing waits for their writes.
    const holdingAhead = Promise.all(held.map(async (entry) => this.holdFinalizer(entry, errors)));
    const [configure, result] = await Promise.all([
      this.holdFinalizers(attached, errors).then(took('finalizersMs')),
      this.options.datapath.reconcile({ configure: attached.map((c) => c.intent), release: releaseIntents }).then(took('kernelMs')),
    ]);
    this.record(result, attached, timings.kernelMs / 1000);
    if (result.applied.length > 0) logger.info({ changes: result.applied.length, failed: result.failed.length }, 'kernel changed');
    let retryMs = this.options.resyncMs ?? 60_000;
    const writes: Promise<void>[] = [];
    for (const entry of configure) {
      const { report, retryAfterMs } = this.reportOf(entry.intent, result);
      if (retryAfterMs !== undefined) retryMs = Math.min(retryMs, retryAfterMs);
      if (report) writes.push(this.write(entry.claim, report).catch((err: unknown) => void errors.push(err)));
    }
    await Promise.all(writes);
    await holdingAhead;
    await this.standDown(held, result, errors);
    await this.letGo(release, result, releaseIntents, errors);
    await this.reportDisabled(roles.filter((r) => r.role === 'disabled').map((r) => r.claim), errors);
    this.firstPassDone = true;
    logger.debug({ claims: roles.length, changes: result.applied.length, ...timings, passMs: this.clock.now() - started }, 'pass done');
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} claim update(s) failed`);
    return result.failed.length > 0 || result.remaining.length > 0 ? { requeue: true } : { requeueAfterMs: retryMs };
  }

  /** The claims attached here that hold the agent's finalizer (added now where missing): only those are reported. */
  private async holdFinalizers(entries: Role<'configure'>[], errors: unknown[]): Promise<Role<'configure'>[]> {
    const held = await Promise.all(entries.map(async (entry) => this.holdFinalizer(entry, errors)));
    return held.filter((entry): entry is Role<'configure'> => entry !== undefined);
  }

  /**
   * Adds the agent's finalizer; a claim it failed for is retried (the pass fails and backs off).
   * The watch event of the agent's own write asks nothing new, so it costs no pass.
   */
  private async holdFinalizer<E extends { claim: NetworkInterfaceClaim }>(entry: E, errors: unknown[]): Promise<E | undefined> {
    if (entry.claim.metadata.finalizers?.includes(AGENT_FINALIZER)) return entry;
    // The watch event of this write can come before its response: it is expected from now on.
    const name = entry.claim.metadata.name ?? '';
    const finalizers = [...(entry.claim.metadata.finalizers ?? []), AGENT_FINALIZER];
    this.seen.set(name, this.askedOf({ ...entry.claim, metadata: { ...entry.claim.metadata, finalizers } }));
    try {
      const claim = await this.client.addFinalizer(entry.claim, AGENT_FINALIZER);
      this.seen.set(name, this.askedOf(claim));
      return { ...entry, claim };
    } catch (err) {
      errors.push(err);
      return undefined;
    }
  }

  /** Released claims, plus claims that vanished from the cache while the kernel may still carry their addresses. */
  private releaseIntents(release: Role<'release'>[], held: Role<'hold'>[], configure: Role<'configure'>[]): EniIntent[] {
    const present = new Set(this.claims.list().map((c) => c.metadata.name));
    const intents = release.flatMap((r) => r.intent ?? this.lastIntent.get(r.claim.metadata.name ?? '') ?? []);
    // Detached while configured (e.g. by hand in the console), the controller attaching it again.
    intents.push(...held.flatMap((h) => this.lastIntent.get(h.claim.metadata.name ?? '') ?? []));
    for (const [name, intent] of this.lastIntent) {
      if (!present.has(name) && !configure.some((c) => c.intent.claim === name)) intents.push(intent);
    }
    return intents;
  }

  private reportOf(intent: EniIntent, result: ReconcileResult): { report?: Report; retryAfterMs?: number } {
    const outcome = result.outcomes.get(intent.claim);
    if (outcome && !outcome.configured && outcome.reason === 'InterfaceNotFound') {
      const verdict = this.waits.missing(intent.claim, intent.mac);
      return verdict.report ? { report: reportFor(intent, result), retryAfterMs: verdict.retryAfterMs } : { retryAfterMs: verdict.retryAfterMs };
    }
    this.waits.forget(intent.claim);
    const report = reportFor(intent, result);
    if (report.configured) this.settled.set(intent.claim, signature(intent));
    else this.settled.delete(intent.claim);
    return { report };
  }

  private async write(claim: NetworkInterfaceClaim, report: Report): Promise<void> {
    if (isReported(claim, report)) return;
    const name = claim.metadata.name ?? '';
    const key = JSON.stringify([claim.metadata.generation, report]);
    const last = this.written.get(name);
    // The cache lags our own writes: the same report, just written, is not written again.
    if (last?.key === key && this.clock.now() - last.at < WRITE_MEMORY_MS) return;
    await this.client.applyStatus(name, AGENT_FIELD_MANAGER, agentStatus(claim, report, new Date(this.clock.now())));
    this.written.set(name, { key, at: this.clock.now() });
    this.options.logger.info({ claim: name, reason: report.reason, message: report.message }, 'reported Configured');
  }

  /**
   * Drops the finalizer of each released claim whose kernel state is all gone. A pass works on the
   * claims as they were when it began: one that the cache meanwhile shows gone or without the
   * finalizer, or that was let go of moments ago (the cache lags our own write), is left alone;
   * the cache's catching up wakes a pass if anything is left to do.
   */
  private async letGo(release: Role<'release'>[], result: ReconcileResult, intents: EniIntent[], errors: unknown[]): Promise<void> {
    const now = this.clock.now();
    for (const [name, at] of this.releasedAt) if (now - at >= WRITE_MEMORY_MS) this.releasedAt.delete(name);
    const pending = unfinishedClaims(result);
    const done = release.filter(({ claim }) => {
      const name = claim.metadata.name ?? '';
      const stillHeld = this.claims.get(name)?.metadata.finalizers?.includes(AGENT_FINALIZER) ?? false;
      return !pending.has(name) && stillHeld && !this.releasedAt.has(name);
    });
    await Promise.all(done.map(async (entry) => this.release(entry).catch((err: unknown) => void errors.push(err))));
    for (const intent of intents) if (!pending.has(intent.claim) && !release.some((r) => r.claim.metadata.name === intent.claim)) this.forget(intent.claim);
  }

  /**
   * Held claims the agent configured before (in its memory, or reported before a restart) whose
   * kernel state is now gone: their report is taken off (the claim is not configured any more),
   * the finalizer kept for the next attach.
   */
  private async standDown(held: Role<'hold'>[], result: ReconcileResult, errors: unknown[]): Promise<void> {
    const pending = unfinishedClaims(result);
    const configuredBefore = (claim: NetworkInterfaceClaim): boolean => this.lastIntent.has(claim.metadata.name ?? '') || hasReport(claim);
    const cleaned = held.filter(({ claim }) => configuredBefore(claim) && !pending.has(claim.metadata.name ?? ''));
    await Promise.all(
      cleaned.map(async ({ claim }) => {
        const name = claim.metadata.name ?? '';
        this.forget(name);
        await this.client.applyStatus(name, AGENT_FIELD_MANAGER, {}).catch((err: unknown) => void errors.push(err));
        this.options.logger.info({ claim: name }, 'cleaned up: the ENI is no longer attached; holding the claim for the next attach');
      }),
    );
  }

  private async release({ claim, why }: Role<'release'>): Promise<void> {
    const name = claim.metadata.name ?? '';
    // Its kernel state is gone: forgotten before the writes, whose watch events then cost no pass.
    this.forget(name);
    // A claim moved to another node keeps living: take the agent's fields off it first.
    if (!claim.metadata.deletionTimestamp) await this.client.applyStatus(name, AGENT_FIELD_MANAGER, {});
    await this.client.removeFinalizer(claim, AGENT_FINALIZER);
    this.releasedAt.set(name, this.clock.now());
    this.options.logger.info({ claim: name, why }, 'released the claim: its kernel state is gone');
  }

  private forget(name: string): void {
    this.lastIntent.delete(name);
    this.settled.delete(name);
    this.written.delete(name);
    this.waits.forget(name);
  }

  private async reportDisabled(claims: NetworkInterfaceClaim[], errors: unknown[]): Promise<void> {
    const report: Report = {
      configured: false,
      reason: CONFIGURED_REASONS.RoutingDisabled,
      message: "routing.mode None: the agent leaves the node's kernel alone",
    };
    await Promise.all(claims.map(async (claim) => this.write(claim, report).catch((err: unknown) => void errors.push(err))));
  }

  /** Metrics: drift repairs by kind (changes to claims already reported configured), apply time, count. */
  private record(result: ReconcileResult, configure: Role<'configure'>[], seconds: number): void {
    const { metrics } = this.options;
    if (!metrics) return;
    const touched = new Set(result.applied.map((c) => c.claim));
    for (const claim of touched) if (claim !== undefined) metrics.agentApplyDuration.observe(seconds);
    const intents = new Map(configure.map((c) => [c.intent.claim, signature(c.intent)]));
    const isRepair = (change: Change): boolean =>
      change.claim !== undefined && this.settled.get(change.claim) !== undefined && this.settled.get(change.claim) === intents.get(change.claim);
    for (const change of result.applied.filter(isRepair)) metrics.agentDriftRepairs.inc({ kind: kindOf(change) });
    metrics.agentInterfacesConfigured.set([...result.outcomes.values()].filter((o) => o.configured).length);
  }
}
