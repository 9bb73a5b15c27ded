// One reconcile of one claim: gather the facts (informer caches, the ENI store, cached cloud
// lookups), decide() the one next step, carry it out, write the status and label that go with
// it, record its Event. Cloud failures that a person must fix become a condition and a slow,
// per-claim retry; throttling and passing failures are thrown to the work queue's backoff.
import type { Instance } from '../cloud/port.ts';
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { TAG_CLAIM_UID } from '../api/names.ts';
import { CloudError } from '../cloud/errors.ts';
import type { EcsPort } from '../cloud/port.ts';
import type { Clock } from '../kube/clock.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/runner.ts';
import { SingleFlightCache } from '../cloud/single-flight-cache.ts';
import type { Action, Decision } from './actions.ts';
import type { FailureBook } from './backoff.ts';
import type { ClaimWriter } from './claim-writer.ts';
import { attachTargetOf, decide } from './decide.ts';
import type { EniStore } from './eni-store.ts';
import type { Executor, Outcome } from './execute.ts';
import type { AttachFacts, ClaimFacts, DecideOptions, EniFact } from './facts.ts';
import type { InstanceSlots } from './instance-slots.ts';
import type { NodeIndex } from './node-index.ts';

export interface ClaimEventSink {
  event(regarding: NetworkInterfaceClaim, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ClaimReconcilerDeps {
  claims: { get(name: string): NetworkInterfaceClaim | undefined };
  nodes: NodeIndex;
  port: EcsPort;
  store: EniStore;
  slots: InstanceSlots;
  writer: ClaimWriter;
  executor: Executor;
  failures: FailureBook;
  events: ClaimEventSink;
  clock: Clock;
  options: DecideOptions;
  /** Resolves once the store has listed this cluster's ENIs (so tag adoption can be trusted). */
  primed: () => Promise<void>;
  /** How long an instance's type, zone and VPC are trusted (they never change). Default 10 min. */
  instanceTtlMs?: number;
}

export class ClaimReconciler {
  private readonly deps: ClaimReconcilerDeps;
  private readonly instances: SingleFlightCache<string, Instance | undefined>;
  /** Claims whose create may have happened unseen (a cut connection): look for their tag first. */
  private readonly uncertainCreates = new Set<string>();

  constructor(deps: ClaimReconcilerDeps) {
    this.deps = deps;
    const ttl = deps.instanceTtlMs ?? 600_000;
    this.instances = new SingleFlightCache((found) => (found ? ttl : Math.min(ttl, 10_000)), () => deps.clock.now());
  }

  readonly reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult> => {
    const { writer, failures } = this.deps;
    const claim = writer.freshest(key, this.deps.claims.get(key));
    if (!claim) {
      writer.forget(key);
      failures.clear(key);
      this.deps.executor.forget(key);
      return {};
    }
    await this.deps.primed();
    const facts = await this.gather(key, claim);
    const decision = decide(facts);
    ctx.logger.debug({ action: decision.action.type, phase: decision.status?.phase }, 'decided');
    let outcome: Outcome;
    try {
      outcome = await this.deps.executor.run(key, decision.action, facts);
    } catch (err) {
      return this.failed(key, facts, decision.action, err, ctx);
    }
    if (outcome.acted && isAttempt(decision.action)) failures.clear(key);
    const superseded = decision.statusOnlyIfDeferred && outcome.acted;
    await this.report(claim, superseded ? { ...decision, status: undefined } : decision);
    return outcome.result;
  };

  private async gather(key: string, claim: NetworkInterfaceClaim): Promise<ClaimFacts> {
    const { nodes, clock, options, failures } = this.deps;
    const eni = await this.eniFact(claim);
    const present = eni.kind === 'present' ? eni.eni : undefined;
    const facts: ClaimFacts = {
      claim,
      nowMs: clock.now(),
      eni,
      target: nodes.facts(claim.spec.nodeName),
      options,
      ...optional('holder', present?.instanceId ? nodes.holderOf(present.instanceId) : undefined),
      ...optional('vSwitch', present?.vSwitchId ? await this.deps.port.describeVSwitch(present.vSwitchId) : undefined),
      ...optional('failure', failures.get(key, claim.metadata.generation ?? 0)),
    };
    const instanceId = attachTargetOf(facts);
    if (instanceId) facts.attach = await this.attachFacts(instanceId);
    facts.nowMs = clock.now();
    return facts;
  }

  private async eniFact(claim: NetworkInterfaceClaim): Promise<EniFact> {
    const { store, port } = this.deps;
    const id = claim.spec.networkInterfaceId ?? claim.status?.networkInterfaceId;
    if (id) return store.get(id);
    const uid = claim.metadata.uid ?? '';
    if (this.uncertainCreates.has(uid)) {
      const startedAt = this.deps.clock.now();
      store.observe(await port.describeNetworkInterfaces({ tags: { [TAG_CLAIM_UID]: uid } }), startedAt);
      this.uncertainCreates.delete(uid);
    }
    const tagged = store.eniIdOfClaim(uid);
    return tagged ? store.get(tagged) : { kind: 'none' };
  }

  private async attachFacts(instanceId: string): Promise<AttachFacts> {
    const { port, slots } = this.deps;
    const instance = await this.instances.get(instanceId, () => port.describeInstance(instanceId));
    if (!instance) return { instance };
    const [quota, enisOnInstance] = await Promise.all([port.instanceTypeQuota(instance.instanceType), slots.count(instanceId)]);
    return { instance, quota, enisOnInstance };
  }

  private async report(claim: NetworkInterfaceClaim, decision: Decision): Promise<void> {
    const { writer, events } = this.deps;
    if (decision.status) await writer.status(claim, decision.status);
    if (decision.nodeLabel) await writer.label(claim, decision.nodeLabel);
    if (decision.event) events.event(claim, decision.event.type, decision.event.reason, decision.event.message);
  }

  /**
   * A failed action. Throttling, passing failures and conflicts go back to the work queue (its
   * backoff honours retryAfterMs). What a person must fix is shown on the claim and retried on
   * the claim's slow schedule, so a broken claim costs a bounded number of calls.
   */
  private async failed(key: string, facts: ClaimFacts, action: Action, err: unknown, ctx: ReconcileContext): Promise<ReconcileResult> {
    if (!(err instanceof CloudError)) throw err;
    const eniId = 'eniId' in action ? action.eniId : undefined;
    if (action.type === 'Attach') this.deps.slots.invalidate(action.instanceId);
    switch (err.retryClass) {
      case 'transient':
        if (action.type === 'Create') this.uncertainCreates.add(facts.claim.metadata.uid ?? '');
        throw err;
      case 'conflict':
        // Our view of the ENI is stale (e.g. it is not in the state we thought): read it again.
        if (eniId) this.deps.store.invalidate(eniId);
        throw err;
      case 'throttled':
        throw err;
      case 'notFound':
        if (err.reason === 'EniNotFound' && eniId) {
          this.deps.store.markGone(eniId);
          return { requeueAfterMs: 1 };
        }
        break;
      default:
        break;
    }
    const { failures, clock } = this.deps;
    const failure = failures.record(
      key,
      { step: action.type, generation: facts.claim.metadata.generation ?? 0, reason: err.reason, message: err.message },
      clock.now(),
    );
    ctx.logger.warn({ err, step: action.type, attempts: failure.attempts, retryInMs: failure.retryAtMs - clock.now() }, 'cloud call failed; retrying slowly');
    const decision = decide({ ...facts, failure, nowMs: clock.now() });
    await this.report(facts.claim, decision);
    return { requeueAfterMs: Math.max(1, failure.retryAtMs - clock.now()) };
  }
}

/** Actions that try something (as opposed to waiting): their success ends a failure streak. */
function isAttempt(action: Action): boolean {
  return !['Wait', 'WatchEni', 'WaitForQuota'].includes(action.type);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
