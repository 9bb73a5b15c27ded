// The claim gauges (ecseni_claims{phase}, ecseni_claim_conditions, ecseni_claim_not_ready_seconds,
// ecseni_enis_managed), recomputed from the informer's cache: what the alert rules read.
import type { NetworkInterfaceClaim, Phase } from '../api/claim.ts';
import { findCondition } from '../api/conditions.ts';
import type { ControllerProcessMetrics } from '../metrics.ts';

type ClaimGauges = Pick<ControllerProcessMetrics, 'claims' | 'claimConditions' | 'claimNotReadySeconds' | 'enisManaged'>;

const PHASES: Phase[] = ['Pending', 'Creating', 'Attaching', 'Configuring', 'Ready', 'Detaching', 'Deleting', 'Failed'];

export function recordClaimMetrics(metrics: ClaimGauges, claims: ReadonlyArray<NetworkInterfaceClaim>, nowMs: number): void {
  const phases = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  const conditions = new Map<string, { type: string; status: string; reason: string; n: number }>();
  metrics.claimNotReadySeconds.reset();
  let managed = 0;
  for (const claim of claims) {
    const phase = claim.status?.phase ?? 'Pending';
    phases.set(phase, (phases.get(phase) ?? 0) + 1);
    for (const c of claim.status?.conditions ?? []) {
      const key = `${c.type}\0${c.status}\0${c.reason}`;
      const entry = conditions.get(key) ?? { type: c.type, status: c.status, reason: c.reason, n: 0 };
      entry.n += 1;
      conditions.set(key, entry);
    }
    if (claim.status?.networkInterfaceId && findCondition(claim.status.conditions, 'Created')?.status === 'True') managed += 1;
    const ready = findCondition(claim.status?.conditions, 'Ready');
    if (ready?.status !== 'True') {
      const since = Date.parse(ready?.lastTransitionTime ?? String(claim.metadata.creationTimestamp ?? ''));
      const seconds = Number.isNaN(since) ? 0 : Math.max(0, (nowMs - since) / 1000);
      metrics.claimNotReadySeconds.set({ claim: claim.metadata.name ?? '', reason: ready?.reason ?? 'Pending' }, seconds);
    }
  }
  for (const [phase, n] of phases) metrics.claims.set({ phase }, n);
  metrics.claimConditions.reset();
  for (const c of conditions.values()) metrics.claimConditions.set({ type: c.type, status: c.status, reason: c.reason }, c.n);
  metrics.enisManaged.set(managed);
}
