// The NetworkInterfaceClaim as TypeScript sees it. The schema itself (validation, descriptions)
// lives in crds/ecseni.io_networkinterfaceclaims.yaml; these types mirror it.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export type RoutingMode = 'Policy' | 'Addresses' | 'None';
export type ReclaimPolicy = 'Delete' | 'Retain';

export interface RoutingSpec {
  mode?: RoutingMode;
  tableId?: number;
  mtu?: number;
}

export interface ClaimSpec {
  nodeName: string;
  vSwitchId?: string;
  securityGroupIds?: string[];
  networkInterfaceId?: string;
  primaryIpAddress?: string;
  secondaryPrivateIpAddressCount?: number;
  description?: string;
  tags?: Record<string, string>;
  reclaimPolicy?: ReclaimPolicy;
  routing?: RoutingSpec;
}

export type ConditionType = 'Created' | 'Attached' | 'Configured' | 'Ready';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type Phase =
  | 'Pending'
  | 'Creating'
  | 'Attaching'
  | 'Configuring'
  | 'Ready'
  | 'Detaching'
  | 'Deleting'
  | 'Failed';

/** Written by the node agent: where the ENI lives in the node's kernel. */
export interface InterfaceStatus {
  name: string;
  routeTable?: number;
}

export interface ClaimStatus {
  phase?: Phase;
  observedGeneration?: number;
  networkInterfaceId?: string;
  macAddress?: string;
  primaryIpAddress?: string;
  secondaryPrivateIpAddresses?: string[];
  vpcId?: string;
  vSwitchId?: string;
  zoneId?: string;
  cidrBlock?: string;
  gateway?: string;
  securityGroupIds?: string[];
  instanceId?: string;
  nodeName?: string;
  interface?: InterfaceStatus;
  conditions?: Condition[];
}

export interface NetworkInterfaceClaim {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: ClaimSpec;
  status?: ClaimStatus;
}
