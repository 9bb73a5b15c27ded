// How long the agent waits for a hot-plugged interface. The kernel lags the cloud's "attached"
// (Terway retries 10 × 1 s), so a missing link is first quietly retried; past the grace period the
// claim is told InterfaceNotFound and retried slowly. Either way a link event from `ip monitor`
// triggers a reconcile at once, so the timers are only a safety net and nothing polls in a loop.
import type { Clock } from '../kube/clock.ts';

export interface HotplugPolicy {
  /** How long a missing interface is waited for before InterfaceNotFound is reported. */
  graceMs: number;
  /** Retry period within the grace period. */
  fastRetryMs: number;
  /** Retry period after it. */
  slowRetryMs: number;
}

export const DEFAULT_HOTPLUG: HotplugPolicy = { graceMs: 10_000, fastRetryMs: 1_000, slowRetryMs: 60_000 };

export interface MissingVerdict {
  /** Report Configured=False InterfaceNotFound now (the grace period is over). */
  report: boolean;
  retryAfterMs: number;
}

export class InterfaceWaits {
  private readonly since = new Map<string, number>();
  private readonly clock: Clock;
  private readonly policy: HotplugPolicy;

  constructor(clock: Clock, policy: HotplugPolicy = DEFAULT_HOTPLUG) {
    this.clock = clock;
    this.policy = policy;
  }

  /** The interface with `mac` was not found for `claim` (another MAC starts a new wait). */
  missing(claim: string, mac: string): MissingVerdict {
    const key = `${claim}|${mac}`;
    const now = this.clock.now();
    const since = this.since.get(key) ?? now;
    this.since.set(key, since);
    const waited = now - since;
    if (waited >= this.policy.graceMs) return { report: true, retryAfterMs: this.policy.slowRetryMs };
    return { report: false, retryAfterMs: Math.min(this.policy.fastRetryMs, this.policy.graceMs - waited) };
  }

  /** The claim's interface was found, or the claim is gone: its wait ends. */
  forget(claim: string): void {
    for (const key of this.since.keys()) if (key.startsWith(`${claim}|`)) this.since.delete(key);
  }
}
