// What a claim asks of this node's agent, read from the claim alone (pure): configure its ENI,
// hold it ahead of the attach, release what the agent set for it, or nothing.
import type { NetworkInterfaceClaim } from '../api/claim.ts';
import { isConditionTrue } from '../api/conditions.ts';
import { routingModeOf } from '../api/defaults.ts';
import { AGENT_FINALIZER } from '../api/names.ts';
import { parseCidr } from './ipv4.ts';
import type { EniIntent } from './plan.ts';

export type ClaimRole =
  /** Attached here, with everything the kernel needs: configure it. */
  | { role: 'configure'; intent: EniIntent }
  /**
   * Bound to this node, its ENI not attached here (yet): the agent takes its finalizer now, so
   * that the attach finds it held and only the kernel and the report stand between the attach and
   * Configured. What the agent configured for it before (a detach by hand) is cleaned up.
   */
  | { role: 'hold' }
  /** The agent holds its finalizer but should no longer configure it: clean up, then let go. */
  | { role: 'release'; intent?: EniIntent; why: string }
  /** routing.mode None, attached here, nothing of the agent's left: the kernel is left alone. */
  | { role: 'disabled' }
  /** Not (yet) the agent's business: not attached here, or the controller has not written all of it. */
  | { role: 'ignore' };

/** The ENI as the claim's status describes it; undefined while a field the kernel needs is missing. */
export function eniIntentOf(claim: NetworkInterfaceClaim): EniIntent | undefined {
  const { status, spec, metadata } = claim;
  const cidr = status?.cidrBlock === undefined ? undefined : parseCidr(status.cidrBlock);
  const mode = routingModeOf(spec);
  if (!metadata.name || !status?.macAddress || !status.primaryIpAddress || !cidr || !status.gateway) return undefined;
  const routing = spec.routing ?? {};
  const recordedTable = status.interface?.routeTable;
  return {
    claim: metadata.name,
    mac: status.macAddress.toLowerCase(),
    addresses: [status.primaryIpAddress, ...(status.secondaryPrivateIpAddresses ?? [])],
    cidr,
    gateway: status.gateway,
    // A None claim is only ever released, and release does not depend on the mode.
    mode: mode === 'None' ? 'Addresses' : mode,
    ...(routing.tableId === undefined ? {} : { tableId: routing.tableId }),
    ...(recordedTable === undefined ? {} : { recordedTable }),
    ...(routing.mtu === undefined ? {} : { mtu: routing.mtu }),
  };
}

/** Why the claim is no longer this node's to configure, or undefined while it is. */
function releaseReason(claim: NetworkInterfaceClaim, nodeName: string): string | undefined {
  if (claim.metadata.deletionTimestamp) return 'the claim is being deleted';
  if (claim.spec.nodeName !== nodeName) return `the claim now asks for node ${claim.spec.nodeName}`;
  if (claim.status?.nodeName !== undefined && claim.status.nodeName !== nodeName) {
    return `the ENI is attached to node ${claim.status.nodeName}`;
  }
  return undefined;
}

export function roleOf(claim: NetworkInterfaceClaim, nodeName: string): ClaimRole {
  const holding = claim.metadata.finalizers?.includes(AGENT_FINALIZER) ?? false;
  const intent = eniIntentOf(claim);
  const moved = releaseReason(claim, nodeName);
  const disabled = routingModeOf(claim.spec) === 'None';
  const why = moved ?? (disabled ? 'routing.mode is None' : undefined);
  if (why !== undefined && holding) return { role: 'release', why, ...(intent ? { intent } : {}) };
  if (why !== undefined) return moved === undefined && claim.status?.nodeName === nodeName ? { role: 'disabled' } : { role: 'ignore' };
  const attachedHere = claim.status?.nodeName === nodeName && isConditionTrue(claim.status.conditions, 'Attached');
  if (!attachedHere || !intent) return { role: 'hold' };
  return { role: 'configure', intent };
}
