// Defaults that the schema cannot express (they depend on other fields), in one place.
import type { ClaimSpec, ReclaimPolicy, RoutingMode } from './claim.ts';

export const DEFAULT_ROUTING_MODE: RoutingMode = 'Policy';

/** An adopted ENI was not ours to begin with, so release keeps it unless told otherwise. */
export function reclaimPolicyOf(spec: ClaimSpec): ReclaimPolicy {
  return spec.reclaimPolicy ?? (spec.networkInterfaceId ? 'Retain' : 'Delete');
}

export function routingModeOf(spec: ClaimSpec): RoutingMode {
  return spec.routing?.mode ?? DEFAULT_ROUTING_MODE;
}
