// From what the datapath did to what the claim's Configured condition says.
import { describe } from './changes.ts';
import type { ReconcileResult } from './datapath.ts';
import { RULE_PRIORITY } from './marks.ts';
import type { EniIntent } from './plan.ts';
import { CONFIGURED_REASONS, type Report } from './report.ts';

function configuredMessage(intent: EniIntent, name: string, table: number | undefined): string {
  const addresses = `${intent.addresses.length} address${intent.addresses.length === 1 ? '' : 'es'}`;
  if (table === undefined) return `${name} is up with ${addresses} (routing.mode Addresses)`;
  return `${name} is up with ${addresses}; route table ${table}, source rules at priority ${RULE_PRIORITY}`;
}

/** The report for one configured claim after a datapath pass. */
export function reportFor(intent: EniIntent, result: ReconcileResult): Report {
  const outcome = result.outcomes.get(intent.claim);
  const failed = result.failed.filter((f) => f.change.claim === intent.claim);
  const remaining = result.remaining.filter((c) => c.claim === intent.claim);
  if (failed[0]) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
    return { configured: false, reason: CONFIGURED_REASONS.ApplyFailed, message: `${failed[0].message}${more}` };
  }
  if (remaining[0]) {
    const message = `the kernel still differs after applying: ${describe(remaining[0])}`;
    return { configured: false, reason: CONFIGURED_REASONS.ApplyFailed, message };
  }
  if (!outcome) return { configured: false, reason: CONFIGURED_REASONS.ApplyFailed, message: 'the planner returned no outcome' };
  if (!outcome.configured) return { configured: false, reason: outcome.reason, message: outcome.message };
  const iface = { name: outcome.interface, ...(outcome.table === undefined ? {} : { routeTable: outcome.table }) };
  return {
    configured: true,
    reason: CONFIGURED_REASONS.Configured,
    message: configuredMessage(intent, outcome.interface, outcome.table),
    interface: iface,
  };
}
