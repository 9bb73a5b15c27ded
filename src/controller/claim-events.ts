// Which claim events are worth a reconcile. Every status write the controller makes comes back as
// an update event; reconciling each echo doubles the work for nothing. A claim is enqueued when
// something it does not write itself changed: its spec (generation), deletion, finalizers (the
// agent's, or our own add, which the next step waits for), or the agent's Configured condition —
// and, whatever changed, when it has not been looked at for a long time (the informer's periodic
// resync, which re-delivers every claim as an update, must get through).
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { findCondition } from '../api/conditions.ts';

export const DEFAULT_RELOOK_MS = 30 * 60_000;

interface Seen {
  signature: string;
  at: number;
}

export class ClaimEventFilter {
  private readonly seen = new Map<string, Seen>();
  private readonly relookMs: number;

  constructor(relookMs = DEFAULT_RELOOK_MS) {
    this.relookMs = relookMs;
  }

  /** True when this version of the claim should be reconciled. */
  worthReconciling(claim: NetworkInterfaceClaim, nowMs: number): boolean {
    const name = claim.metadata.name ?? '';
    const signature = signatureOf(claim);
    const previous = this.seen.get(name);
    if (previous && previous.signature === signature && nowMs - previous.at < this.relookMs) return false;
    this.seen.set(name, { signature, at: nowMs });
    return true;
  }

  forget(name: string): void {
    this.seen.delete(name);
  }
}

function signatureOf(claim: NetworkInterfaceClaim): string {
  const { metadata, status } = claim;
  const configured = findCondition(status?.conditions, 'Configured');
  return JSON.stringify([
    metadata.uid,
    metadata.generation,
    metadata.deletionTimestamp ? String(metadata.deletionTimestamp) : null,
    [...(metadata.finalizers ?? [])].sort(),
    configured ? [configured.status, configured.reason, configured.message, configured.observedGeneration] : null,
  ]);
}
