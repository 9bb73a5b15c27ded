// Carries out the one action decide() chose, and keeps the controller's view of ECS in step with
// what the call did (the store, the slot counts, the state watch). Returns when to look again.
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { AGENT_FINALIZER, CONTROLLER_FINALIZER } from '../api/names.ts';
import type { EcsPort, Eni } from '../cloud/port.ts';
import type { ReconcileResult } from '../kube/runner.ts';
import type { Action } from './actions.ts';
import type { ClaimWriter } from './claim-writer.ts';
import { CLOUD_ACTIONS, type CloudBudget } from './cloud-budget.ts';
import type { EniStore } from './eni-store.ts';
import type { EniWatch } from './eni-watch.ts';
import type { ClaimFacts } from './facts.ts';
import type { InstanceSlots } from './instance-slots.ts';

export interface ExecutorDeps {
  port: EcsPort;
  store: EniStore;
  watch: EniWatch;
  slots: InstanceSlots;
  writer: ClaimWriter;
  budget: CloudBudget;
  /** A look at a claim whose ENI is in transit even if the watch never wakes it. */
  safetyRequeueMs: number;
}

/** Next step at once (the store already shows the result; no watch event will come). */
const NEXT: ReconcileResult = { requeueAfterMs: 1 };
/** Our own write to the claim wakes it through the informer. */
const DONE: ReconcileResult = {};

export interface Outcome {
  result: ReconcileResult;
  /** False when the call's rate-limit token lies in the future and the step was put off. */
  acted: boolean;
}

export class Executor {
  private readonly deps: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.deps = deps;
  }

  /** The claim is gone: drop what was kept for it. */
  forget(key: string): void {
    this.deps.budget.forget(key);
  }

  async run(key: string, action: Action, facts: ClaimFacts): Promise<Outcome> {
    // Not now: the call's token is due later. Come back then instead of holding a worker.
    const ecsAction = CLOUD_ACTIONS[action.type];
    const waitMs = ecsAction ? this.deps.budget.admit(key, ecsAction) : 0;
    if (waitMs > 0) return { result: { requeueAfterMs: waitMs }, acted: false };
    return { result: await this.step(key, action, facts), acted: true };
  }

  private async step(key: string, action: Action, facts: ClaimFacts): Promise<ReconcileResult> {
    const { claim } = facts;
    switch (action.type) {
      case 'AddFinalizer':
        await this.deps.writer.addFinalizer(claim, CONTROLLER_FINALIZER);
        return DONE;
      case 'RemoveFinalizer':
        await this.deps.writer.removeFinalizer(claim, CONTROLLER_FINALIZER);
        return DONE;
      case 'RemoveAgentFinalizer':
        await this.deps.writer.removeFinalizer(claim, AGENT_FINALIZER);
        return DONE;
      case 'WatchEni':
        this.deps.watch.watch(action.eniId, key, action.status, eniOf(facts)?.instanceId);
        return { requeueAfterMs: this.deps.safetyRequeueMs };
      case 'WaitForQuota':
        this.deps.slots.waitForSlot(action.instanceId, key);
        return { requeueAfterMs: action.requeueAfterMs };
      case 'Wait':
        return action.requeueAfterMs ? { requeueAfterMs: action.requeueAfterMs } : DONE;
      default:
        return this.cloud(key, action, claim, facts);
    }
  }

  private async cloud(key: string, action: Action, claim: NetworkInterfaceClaim, facts: ClaimFacts): Promise<ReconcileResult> {
    const { port, store } = this.deps;
    const eni = eniOf(facts);
    switch (action.type) {
      case 'Create':
        store.mutate(await port.createNetworkInterface(action.input));
        return NEXT;
      case 'ModifySecurityGroups':
        await port.modifySecurityGroups(action.eniId, action.securityGroupIds);
        if (eni) store.mutate({ ...eni, securityGroupIds: [...action.securityGroupIds] });
        return NEXT;
      case 'AssignIps': {
        const added = await port.assignPrivateIpAddresses(action.eniId, action.count, action.clientToken);
        if (eni) store.mutate({ ...eni, secondaryIpAddresses: [...new Set([...eni.secondaryIpAddresses, ...added])] });
        return NEXT;
      }
      case 'UnassignIps':
        await port.unassignPrivateIpAddresses(action.eniId, action.ips);
        if (eni) store.mutate({ ...eni, secondaryIpAddresses: eni.secondaryIpAddresses.filter((ip) => !action.ips.includes(ip)) });
        return NEXT;
      case 'Attach':
        return this.attach(key, action, eni, facts);
      case 'Detach':
        await port.detachNetworkInterface(action.eniId, action.instanceId);
        if (eni) store.mutate({ ...eni, status: 'Detaching' });
        this.deps.watch.watch(action.eniId, key, 'Detaching', action.instanceId);
        return { requeueAfterMs: this.deps.safetyRequeueMs };
      case 'Untag':
        await port.untagNetworkInterface(action.eniId, action.tagKeys);
        if (eni) store.mutate({ ...eni, tags: Object.fromEntries(Object.entries(eni.tags).filter(([k]) => !action.tagKeys.includes(k))) });
        return NEXT;
      case 'Delete':
        await port.deleteNetworkInterface(action.eniId);
        store.markGone(action.eniId);
        return NEXT;
      default:
        throw new Error(`claim ${claim.metadata.name}: no executor for action ${action.type}`);
    }
  }

  private async attach(key: string, action: Extract<Action, { type: 'Attach' }>, eni: Eni | undefined, facts: ClaimFacts): Promise<ReconcileResult> {
    const { port, store, slots, watch } = this.deps;
    const limit = facts.attach?.quota?.eniQuantity ?? Number.POSITIVE_INFINITY;
    // Another claim took the last slot since the facts were read: decide again with the new count.
    if (!slots.reserve(action.instanceId, action.eniId, limit)) return NEXT;
    try {
      await port.attachNetworkInterface(action.eniId, action.instanceId);
    } catch (err) {
      slots.release(action.instanceId, action.eniId);
      throw err;
    }
    if (eni) store.mutate({ ...eni, status: 'Attaching', instanceId: action.instanceId });
    watch.watch(action.eniId, key, 'Attaching', action.instanceId);
    return { requeueAfterMs: this.deps.safetyRequeueMs };
  }
}

function eniOf(facts: ClaimFacts): Eni | undefined {
  return facts.eni.kind === 'present' ? facts.eni.eni : undefined;
}
