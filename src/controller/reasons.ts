// Condition and Event reasons the controller itself chooses (CamelCase, as Kubernetes conventions
// want). Reasons that come from a failed cloud call are CloudError.reason (src/cloud/error-codes.ts).
export const REASONS = {
  // Progress
  Pending: 'Pending',
  Creating: 'Creating',
  Created: 'Created',
  Adopted: 'Adopted',
  Attaching: 'Attaching',
  Attached: 'Attached',
  Moving: 'Moving',
  Detaching: 'Detaching',
  Detached: 'Detached',
  Releasing: 'Releasing',
  Deleted: 'Deleted',
  Retained: 'Retained',
  WaitingForNodeAgent: 'WaitingForNodeAgent',
  Configured: 'Configured',
  RoutingDisabled: 'RoutingDisabled',
  SecurityGroupsChanged: 'SecurityGroupsChanged',
  PrivateIpsChanged: 'PrivateIpsChanged',
  // Problems a person has to look at
  EniNotFound: 'EniNotFound',
  EniAttachedElsewhere: 'EniAttachedElsewhere',
  NodeNotFound: 'NodeNotFound',
  NodeHasNoProviderID: 'NodeHasNoProviderID',
  NodeHasInvalidProviderID: 'NodeHasInvalidProviderID',
  NodeInOtherRegion: 'NodeInOtherRegion',
  InstanceNotFound: 'InstanceNotFound',
  ZoneMismatch: 'ZoneMismatch',
  VpcMismatch: 'VpcMismatch',
  InstanceENIQuotaExceeded: 'InstanceENIQuotaExceeded',
  /** Release went ahead without the node agent (its node is gone or NotReady too long). */
  NodeAgentFinalizerRemoved: 'NodeAgentFinalizerRemoved',
  /** reclaimPolicy Delete, but the ENI lacks this cluster's tag: it is never deleted. */
  ForeignEniKept: 'ForeignEniKept',
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS];
