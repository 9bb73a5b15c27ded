// Records → the JSON that ECS answers with (PascalCase, lists wrapped as `{Tag: [...]}` and so on,
// as the SDK's response models name them), and → the camelCase view that in-process callers get.
import type { Eni } from '../cloud/port.ts';
import type { InstanceTypeInfo } from './instance-types.ts';
import type { SimModel } from './model.ts';
import type { EniRecord, InstanceRecord } from './state.ts';
import type { VSwitchInfo } from './world.ts';

type Json = Record<string, unknown>;

function privateIpSets(eni: EniRecord): Json {
  return {
    PrivateIpSet: [
      { PrivateIpAddress: eni.primaryIp, Primary: true },
      ...eni.secondaryIps.map((ip) => ({ PrivateIpAddress: ip, Primary: false })),
    ],
  };
}

/** One ENI as DescribeNetworkInterfaces lists it (and DescribeNetworkInterfaceAttribute unwraps it). */
export function eniJson(eni: EniRecord): Json {
  const json: Json = {
    NetworkInterfaceId: eni.id,
    Status: eni.status,
    Type: eni.type,
    MacAddress: eni.macAddress,
    PrivateIpAddress: eni.primaryIp,
    PrivateIpSets: privateIpSets(eni),
    SecurityGroupIds: { SecurityGroupId: [...eni.securityGroupIds] },
    Tags: { Tag: eni.tags.map((t) => ({ TagKey: t.key, TagValue: t.value })) },
    VSwitchId: eni.vSwitchId,
    VpcId: eni.vpcId,
    ZoneId: eni.zoneId,
    CreationTime: eni.creationTime,
    DeleteOnRelease: eni.deleteOnRelease,
  };
  if (eni.description !== undefined) json.Description = eni.description;
  if (eni.name !== undefined) json.NetworkInterfaceName = eni.name;
  if (eni.instanceId !== undefined) {
    json.InstanceId = eni.instanceId;
    json.Attachment = { InstanceId: eni.instanceId, DeviceIndex: eni.deviceIndex ?? 0, NetworkCardIndex: 0 };
  }
  return json;
}

/** CreateNetworkInterface's answer: the new ENI, without attachment fields. */
export function createdEniJson(eni: EniRecord): Json {
  const { Attachment: _a, InstanceId: _i, CreationTime: _c, DeleteOnRelease: _d, ...rest } = eniJson(eni);
  return rest;
}

export function instanceJson(model: SimModel, instance: InstanceRecord): Json {
  const type = model.instanceType(instance);
  const primary = model.findEni(instance.primaryEniId);
  const attached = model.enisOn(instance.id).filter((e) => e.type === 'Primary' || e.status === 'InUse');
  return {
    InstanceId: instance.id,
    InstanceName: instance.id,
    InstanceType: instance.instanceType,
    InstanceTypeFamily: type.family,
    Status: instance.status,
    RegionId: model.world.regionId,
    ZoneId: instance.zoneId,
    CreationTime: instance.creationTime,
    InstanceNetworkType: 'vpc',
    SecurityGroupIds: { SecurityGroupId: [...(primary?.securityGroupIds ?? [])] },
    VpcAttributes: {
      VpcId: instance.vpcId,
      VSwitchId: instance.vSwitchId,
      PrivateIpAddress: { IpAddress: primary ? [primary.primaryIp] : [] },
    },
    NetworkInterfaces: {
      NetworkInterface: attached.map((eni) => ({
        NetworkInterfaceId: eni.id,
        MacAddress: eni.macAddress,
        PrimaryIpAddress: eni.primaryIp,
        Type: eni.type,
        PrivateIpSets: privateIpSets(eni),
      })),
    },
  };
}

export function instanceTypeJson(type: InstanceTypeInfo): Json {
  return {
    InstanceTypeId: type.id,
    InstanceTypeFamily: type.family,
    EniQuantity: type.eniQuantity,
    EniPrivateIpAddressQuantity: type.eniPrivateIpAddressQuantity,
    ...(type.eniIpv6AddressQuantity === undefined ? {} : { EniIpv6AddressQuantity: type.eniIpv6AddressQuantity }),
    ...(type.eniTotalQuantity === undefined ? {} : { EniTotalQuantity: type.eniTotalQuantity }),
    EniTrunkSupported: type.eniTrunkSupported ?? false,
    NetworkCardQuantity: 1,
  };
}

export function vSwitchJson(vSwitch: VSwitchInfo, availableIpAddressCount: number): Json {
  return {
    VSwitchId: vSwitch.id,
    VSwitchName: vSwitch.id,
    VpcId: vSwitch.vpcId,
    ZoneId: vSwitch.zoneId,
    CidrBlock: vSwitch.cidrBlock,
    AvailableIpAddressCount: availableIpAddressCount,
    Status: 'Available',
    IsDefault: false,
    Tags: { Tag: [] },
  };
}

/** The in-process view (the cloud port's Eni, plus what only the simulator knows). */
export interface SimEni extends Eni {
  name?: string;
  deleteOnRelease: boolean;
  deviceIndex?: number;
}

export function simEni(eni: EniRecord): SimEni {
  return {
    id: eni.id,
    status: eni.status,
    type: eni.type,
    macAddress: eni.macAddress,
    primaryIpAddress: eni.primaryIp,
    secondaryIpAddresses: [...eni.secondaryIps],
    vpcId: eni.vpcId,
    vSwitchId: eni.vSwitchId,
    zoneId: eni.zoneId,
    securityGroupIds: [...eni.securityGroupIds],
    tags: Object.fromEntries(eni.tags.map((t) => [t.key, t.value])),
    creationTime: eni.creationTime,
    deleteOnRelease: eni.deleteOnRelease,
    ...(eni.instanceId === undefined ? {} : { instanceId: eni.instanceId }),
    ...(eni.deviceIndex === undefined ? {} : { deviceIndex: eni.deviceIndex }),
    ...(eni.description === undefined ? {} : { description: eni.description }),
    ...(eni.name === undefined ? {} : { name: eni.name }),
  };
}
