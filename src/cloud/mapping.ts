// From the SDK's response models (camelCase, every field optional, lists wrapped in an object)
// to the port's plain types. Structural types, so that the Create and Describe shapes both fit.
import type { Eni, EniStatus, EniType, Instance, InstanceTypeQuota, VSwitch } from './port.ts';

export interface SdkEni {
  networkInterfaceId?: string;
  status?: string;
  type?: string;
  macAddress?: string;
  privateIpAddress?: string;
  privateIpSets?: { privateIpSet?: { privateIpAddress?: string; primary?: boolean }[] };
  vpcId?: string;
  vSwitchId?: string;
  zoneId?: string;
  securityGroupIds?: { securityGroupId?: string[] };
  instanceId?: string;
  attachment?: { instanceId?: string };
  tags?: { tag?: { tagKey?: string; tagValue?: string }[] };
  creationTime?: string;
  description?: string;
}

export function eniFromSdk(s: SdkEni): Eni {
  const ips = s.privateIpSets?.privateIpSet ?? [];
  const primaryIp = s.privateIpAddress ?? ips.find((ip) => ip.primary)?.privateIpAddress ?? '';
  const instanceId = s.instanceId || s.attachment?.instanceId;
  return {
    id: s.networkInterfaceId ?? '',
    status: (s.status ?? 'Available') as EniStatus,
    type: (s.type ?? 'Secondary') as EniType,
    macAddress: s.macAddress ?? '',
    primaryIpAddress: primaryIp,
    secondaryIpAddresses: ips.filter((ip) => !ip.primary && ip.privateIpAddress).map((ip) => ip.privateIpAddress as string),
    vpcId: s.vpcId ?? '',
    vSwitchId: s.vSwitchId ?? '',
    zoneId: s.zoneId ?? '',
    securityGroupIds: s.securityGroupIds?.securityGroupId ?? [],
    ...(instanceId ? { instanceId } : {}),
    tags: Object.fromEntries((s.tags?.tag ?? []).filter((t) => t.tagKey).map((t) => [t.tagKey as string, t.tagValue ?? ''])),
    ...(s.creationTime ? { creationTime: s.creationTime } : {}),
    ...(s.description ? { description: s.description } : {}),
  };
}

export interface SdkInstance {
  instanceId?: string;
  instanceType?: string;
  status?: string;
  zoneId?: string;
  vpcAttributes?: { vpcId?: string; vSwitchId?: string };
}

export function instanceFromSdk(s: SdkInstance): Instance {
  return {
    id: s.instanceId ?? '',
    instanceType: s.instanceType ?? '',
    status: s.status ?? '',
    zoneId: s.zoneId ?? '',
    vpcId: s.vpcAttributes?.vpcId ?? '',
    vSwitchId: s.vpcAttributes?.vSwitchId ?? '',
  };
}

export interface SdkInstanceType {
  instanceTypeId?: string;
  eniQuantity?: number;
  eniPrivateIpAddressQuantity?: number;
}

export function quotaFromSdk(s: SdkInstanceType): InstanceTypeQuota {
  return {
    instanceType: s.instanceTypeId ?? '',
    eniQuantity: s.eniQuantity ?? 0,
    eniPrivateIpAddressQuantity: s.eniPrivateIpAddressQuantity ?? 0,
  };
}

/** One vSwitch as VPC's DescribeVSwitches answers it in JSON (PascalCase; no SDK model, see alicloud.ts). */
export interface ApiVSwitch {
  VSwitchId?: string;
  VpcId?: string;
  ZoneId?: string;
  CidrBlock?: string;
  AvailableIpAddressCount?: number;
}

export function vSwitchFromApi(s: ApiVSwitch): VSwitch {
  return {
    id: s.VSwitchId ?? '',
    vpcId: s.VpcId ?? '',
    zoneId: s.ZoneId ?? '',
    cidrBlock: s.CidrBlock ?? '',
    availableIpAddressCount: s.AvailableIpAddressCount ?? 0,
  };
}
