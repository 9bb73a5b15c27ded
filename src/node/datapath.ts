// The node's datapath as one interface: plan (read the kernel, decide), apply (one batch), check
// (read again, in the batch's own process: what still differs). The agent only talks to this;
// tests of the agent's logic can give it another implementation, and the kernel one is tested on
// real namespaces.
import { describe, ipCommand, type Change } from './changes.ts';
import type { IpRoute } from './iproute.ts';
import { eniLinkNames, plan, type EniIntent, type EniOutcome, type Plan, type PlanInput } from './plan.ts';
import type { Sysctls } from './sysctl.ts';
import { ENI_SYSCTLS } from './marks.ts';
import type { KernelState, SysctlName } from './kernel-state.ts';

export interface Intents {
  configure: readonly EniIntent[];
  release: readonly EniIntent[];
}

export interface FailedChange {
  change: Change;
  message: string;
}

export interface ReconcileResult {
  outcomes: Map<string, EniOutcome>;
  applied: Change[];
  failed: FailedChange[];
  /** Changes still needed after applying (read back from the kernel); empty when converged. */
  remaining: Change[];
}

export interface Datapath {
  plan(intents: Intents): Promise<Plan>;
  /** plan → apply → check, in one call. */
  reconcile(intents: Intents): Promise<ReconcileResult>;
}

const SYSCTL_NAMES = Object.keys(ENI_SYSCTLS) as SysctlName[];

export class KernelDatapath implements Datapath {
  private readonly ip: IpRoute;
  private readonly sysctls: Sysctls;

  constructor(ip: IpRoute, sysctls: Sysctls) {
    this.ip = ip;
    this.sysctls = sysctls;
  }

  async plan(intents: Intents): Promise<Plan> {
    return plan(await this.observe(intents));
  }

  private async observe(intents: Intents): Promise<PlanInput> {
    const { configure, release } = intents;
    if (this.sysctls.readsAllLinks()) {
      const [state, sysctls] = await Promise.all([this.ip.read(), this.sysctls.read(undefined, SYSCTL_NAMES)]);
      return { configure, release, state, sysctls };
    }
    const state = await this.ip.read();
    const sysctls = await this.sysctls.read(eniLinkNames([...configure, ...release], state), SYSCTL_NAMES);
    return { configure, release, state, sysctls };
  }

  /**
   * Applies the changes and reads the kernel back. Sysctls and the `ip` batch go at once, unless
   * an address is deleted: promote_secondaries must be on before that, or the kernel drops the
   * link's other addresses with it.
   */
  private async applyAndRead(changes: readonly Change[]): Promise<{ failed: FailedChange[]; state: KernelState }> {
    const batch = changes.filter((c) => ipCommand(c) !== undefined);
    const applyBatch = async (): Promise<{ failed: FailedChange[]; state: KernelState }> => {
      const { failures, state } = await this.ip.applyAndRead(batch.map((c) => ipCommand(c) ?? ''));
      const failed = failures.flatMap((failure) => {
        const change = batch[failure.index];
        return change ? [{ change, message: `${describe(change)}: ${failure.message}` }] : [];
      });
      return { failed, state };
    };
    const deletesAddress = changes.some((c) => c.op === 'addr-del');
    const [sysctlFailed, { failed, state }] = deletesAddress
      ? [await this.applySysctls(changes), await applyBatch()]
      : await Promise.all([this.applySysctls(changes), applyBatch()]);
    return { failed: [...sysctlFailed, ...failed], state };
  }

  private async applySysctls(changes: readonly Change[]): Promise<FailedChange[]> {
    const sysctlChanges = changes.filter((c) => c.op === 'sysctl-set');
    const failures = await this.sysctls.write(sysctlChanges.map(({ link, name, value }) => ({ link, name, value })));
    return failures.flatMap((failure) => {
      const change = sysctlChanges.find((c) => c.link === failure.write.link && c.name === failure.write.name);
      return change ? [{ change, message: failure.message }] : [];
    });
  }

  async reconcile(intents: Intents): Promise<ReconcileResult> {
    const observed = await this.observe(intents);
    const planned = plan(observed);
    if (planned.changes.length === 0) return { outcomes: planned.outcomes, applied: [], failed: [], remaining: [] };
    // The check reads links, addresses, routes and rules again, in the batch's own process; a
    // sysctl write that succeeded is taken at its word (re-reading them costs a process per
    // namespace for nothing).
    const { failed, state } = await this.applyAndRead(planned.changes);
    const applied = planned.changes.filter((c) => !failed.some((f) => f.change === c));
    const sysctls = structuredClone(observed.sysctls);
    for (const c of applied) if (c.op === 'sysctl-set') (sysctls[c.link] ??= {})[c.name] = c.value;
    const checked = plan({ ...observed, state, sysctls });
    return { outcomes: checked.outcomes, applied, failed, remaining: checked.changes };
  }
}
