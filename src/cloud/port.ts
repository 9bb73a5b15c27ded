// The ECS port: everything the controller asks of the cloud, as an interface. One adapter
// implements it with the Alibaba Cloud SDK (alicloud.ts); the simulator (src/sim) stands behind
// that same adapter in tests, so nothing below this interface is ever mocked.

export type EniStatus = 'Available' | 'Attaching' | 'InUse' | 'Detaching' | 'Deleting';
export type EniType = 'Primary' | 'Secondary' | 'Trunk' | 'Member';

export interface Eni {
  id: string;
  status: EniStatus;
  type: EniType;
  macAddress: string;
  primaryIpAddress: string;
  /** Secondary private IPv4 addresses (the primary address excluded), in the order ECS lists them. */
  secondaryIpAddresses: string[];
  vpcId: string;
  vSwitchId: string;
  zoneId: string;
  securityGroupIds: string[];
  /** The instance it is attached to (or attaching/detaching from); undefined when Available. */
  instanceId?: string;
  tags: Record<string, string>;
  creationTime?: string;
  description?: string;
}

export interface CreateEniInput {
  vSwitchId: string;
  securityGroupIds: string[];
  primaryIpAddress?: string;
  secondaryPrivateIpAddressCount?: number;
  description?: string;
  tags: Record<string, string>;
  /** Idempotency token (≤ 64 ASCII): the same token and parameters return the same ENI. */
  clientToken: string;
}

export interface EniFilter {
  /** Any number: the adapter sends them in batches of 100 per call. */
  ids?: string[];
  instanceId?: string;
  /** All must match. */
  tags?: Record<string, string>;
}

export interface Instance {
  id: string;
  instanceType: string;
  status: string;
  zoneId: string;
  vpcId: string;
  vSwitchId: string;
}

export interface InstanceTypeQuota {
  instanceType: string;
  /** ENIs per instance, the primary ENI included. */
  eniQuantity: number;
  /** Private IPv4 addresses per ENI, its primary address included. */
  eniPrivateIpAddressQuantity: number;
}

export interface VSwitch {
  id: string;
  vpcId: string;
  zoneId: string;
  cidrBlock: string;
  /** As of when the vSwitch was fetched: describeVSwitch caches, so this can be stale. */
  availableIpAddressCount: number;
}

/**
 * Failures are thrown as CloudError (src/cloud/errors.ts), which carries the ECS code, a retry
 * class and the condition reason to show on the claim. NotFound on detach, delete and untag is success.
 */
export interface EcsPort {
  createNetworkInterface(input: CreateEniInput): Promise<Eni>;
  attachNetworkInterface(eniId: string, instanceId: string): Promise<void>;
  detachNetworkInterface(eniId: string, instanceId: string): Promise<void>;
  deleteNetworkInterface(eniId: string): Promise<void>;
  describeNetworkInterfaces(filter: EniFilter): Promise<Eni[]>;
  assignPrivateIpAddresses(eniId: string, count: number, clientToken: string): Promise<string[]>;
  unassignPrivateIpAddresses(eniId: string, ips: string[]): Promise<void>;
  modifySecurityGroups(eniId: string, securityGroupIds: string[]): Promise<void>;
  /**
   * Removes these tag keys from the ENI (UntagResources); keys it does not carry are no error. An
   * ENI that is gone needs no untagging: NotFound is success.
   */
  untagNetworkInterface(eniId: string, tagKeys: string[]): Promise<void>;
  describeInstance(instanceId: string): Promise<Instance | undefined>;
  /** Cached; one request per instance type even when many callers ask at once. */
  instanceTypeQuota(instanceType: string): Promise<InstanceTypeQuota>;
  /** Cached (CIDR and zone never change); undefined when the vSwitch does not exist. */
  describeVSwitch(vSwitchId: string): Promise<VSwitch | undefined>;
}
