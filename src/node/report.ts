// What the agent writes on a claim (server-side apply under AGENT_FIELD_MANAGER): the Configured
// condition and status.interface, nothing else. Pure, so that "is it already reported?" is tested.
import type { ClaimStatus, InterfaceStatus, NetworkInterfaceClaim } from '../api/claim.ts';
import { findCondition, nextCondition } from '../api/conditions.ts';

export const CONFIGURED_REASONS = {
  Configured: 'Configured',
  InterfaceNotFound: 'InterfaceNotFound',
  RoutingConflict: 'RoutingConflict',
  AddressConflict: 'AddressConflict',
  /** The kernel refused a change (the message quotes it); retried with backoff. */
  ApplyFailed: 'ApplyFailed',
  /** routing.mode None: the agent leaves the kernel alone. */
  RoutingDisabled: 'RoutingDisabled',
} as const;

export type ConfiguredReason = (typeof CONFIGURED_REASONS)[keyof typeof CONFIGURED_REASONS];

export interface Report {
  configured: boolean;
  reason: ConfiguredReason;
  message: string;
  interface?: InterfaceStatus;
}

/** The complete set of status fields the agent owns, for applyStatus. */
export function agentStatus(claim: NetworkInterfaceClaim, report: Report, now: Date): Partial<ClaimStatus> {
  const generation = claim.metadata.generation;
  const condition = nextCondition(
    claim.status?.conditions,
    {
      type: 'Configured',
      status: report.configured ? 'True' : 'False',
      reason: report.reason,
      message: report.message,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    },
    now,
  );
  return { conditions: [condition], ...(report.interface ? { interface: report.interface } : {}) };
}

/** True when the claim shows any of the agent's fields. */
export function hasReport(claim: NetworkInterfaceClaim): boolean {
  return findCondition(claim.status?.conditions, 'Configured') !== undefined || claim.status?.interface !== undefined;
}

/** True when the claim already shows exactly this report (so that nothing is written). */
export function isReported(claim: NetworkInterfaceClaim, report: Report): boolean {
  const current = findCondition(claim.status?.conditions, 'Configured');
  if (!current) return false;
  const generation = claim.metadata.generation;
  return (
    current.status === (report.configured ? 'True' : 'False') &&
    current.reason === report.reason &&
    current.message === report.message &&
    (generation === undefined || current.observedGeneration === generation) &&
    sameInterface(claim.status?.interface, report.interface)
  );
}

function sameInterface(a: InterfaceStatus | undefined, b: InterfaceStatus | undefined): boolean {
  return a?.name === b?.name && a?.routeTable === b?.routeTable;
}
