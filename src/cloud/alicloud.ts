// The ECS port implemented with Alibaba Cloud's SDK. Every request goes through EcsCaller (rate
// limit, timeout, metric, classified errors); this file only builds requests and reads answers.
// VPC's DescribeVSwitches, the one VPC action needed, goes through openapi-core's generic client
// (the class the ECS SDK extends: the same signature, credential chain and endpoint rules) instead
// of @alicloud/vpc20160428, whose ~1,000 models cost ≈ 26 MB of resident memory for one call.
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import OpenApi, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import { RuntimeOptions } from '@darabonba/typescript';
import CredentialModule from '@alicloud/credentials';
import { EcsCaller, DEFAULT_TIMEOUT_MS } from './call.ts';
import type { CallerOptions } from './call.ts';
import { isCloudError, localCloudError } from './errors.ts';
import { eniFromSdk, instanceFromSdk, quotaFromSdk, vSwitchFromApi, type ApiVSwitch } from './mapping.ts';
import { SingleFlightCache } from './single-flight-cache.ts';
import type { CreateEniInput, EcsPort, Eni, EniFilter, Instance, InstanceTypeQuota, VSwitch } from './port.ts';

export type AlibabaCredential = InstanceType<typeof CredentialModule.default>;

export interface AlibabaCloudEcsOptions extends CallerOptions {
  regionId: string;
  /** Host[:port] of the ECS API; by default the SDK's endpoint for the region. */
  ecsEndpoint?: string;
  /** Host[:port] of the VPC API (DescribeVSwitches). */
  vpcEndpoint?: string;
  /** `https` unless told otherwise (the simulator speaks `http`). */
  protocol?: 'http' | 'https';
  /** Default: Alibaba's default chain (env AK/SK, RRSA/OIDC, profile, ECS RAM role). */
  credential?: AlibabaCredential;
}

/** DescribeNetworkInterfaces takes 1–100 NetworkInterfaceId.N and pages of up to 500. */
const IDS_PER_DESCRIBE = 100;
const DESCRIBE_PAGE_SIZE = 500;
/** UntagResources takes 1–20 TagKey.N. */
const KEYS_PER_UNTAG = 20;
/** Instance type quotas change only with a new generation of hardware (Terway keeps them 15 days). */
const INSTANCE_TYPE_TTL_MS = 24 * 3600_000;
/** A vSwitch's CIDR and zone never change; one that does not exist may be created soon. */
const VSWITCH_TTL_MS = 24 * 3600_000;
const MISSING_VSWITCH_TTL_MS = 30_000;

/** DescribeVSwitches as @alicloud/vpc20160428 7.3.2 sends it (describeVSwitchesWithOptions). */
const DESCRIBE_VSWITCHES = new $OpenApiUtil.Params({
  action: 'DescribeVSwitches',
  version: '2016-04-28',
  protocol: 'HTTPS',
  pathname: '/',
  method: 'POST',
  authType: 'AK',
  style: 'RPC',
  reqBodyType: 'formData',
  bodyType: 'json',
});
/** The VPC SDK's endpoint map for public regions; elsewhere its regional rule, vpc.<region>.aliyuncs.com. */
const VPC_CENTRAL_ENDPOINT_REGIONS = new Set(['cn-hangzhou', 'cn-hangzhou-finance', 'cn-shanghai-finance-1', 'cn-shenzhen-finance-1', 'cn-north-2-gov-1', 'cn-wuhan', 'cn-fujian', 'cn-zhangbei']);

export function vpcEndpoint(regionId: string): string {
  return VPC_CENTRAL_ENDPOINT_REGIONS.has(regionId) ? 'vpc.aliyuncs.com' : OpenApiUtil.getEndpointRules('vpc', regionId, 'regional', '', '');
}

export class AlibabaCloudEcs implements EcsPort {
  private readonly regionId: string;
  private readonly ecs: InstanceType<typeof Ecs.default>;
  private readonly vpc: InstanceType<typeof OpenApi.default>;
  private readonly caller: EcsCaller;
  private readonly quotas = new SingleFlightCache<string, InstanceTypeQuota>(() => INSTANCE_TYPE_TTL_MS);
  private readonly vSwitches = new SingleFlightCache<string, VSwitch | undefined>((v) => (v ? VSWITCH_TTL_MS : MISSING_VSWITCH_TTL_MS));

  constructor(options: AlibabaCloudEcsOptions) {
    this.regionId = options.regionId;
    this.caller = new EcsCaller(options);
    const credential = options.credential ?? new CredentialModule.default();
    const config = (endpoint: string | undefined): $OpenApiUtil.Config =>
      new $OpenApiUtil.Config({
        regionId: options.regionId,
        credential,
        ...(endpoint ? { endpoint } : {}),
        ...(options.protocol ? { protocol: options.protocol } : {}),
        // The SDK's own socket timeouts default to 3 s; keep them in line with the wrapper's.
        readTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        connectTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
    this.ecs = new Ecs.default(config(options.ecsEndpoint));
    this.vpc = new OpenApi.default(config(options.vpcEndpoint ?? vpcEndpoint(options.regionId)));
  }

  async createNetworkInterface(input: CreateEniInput): Promise<Eni> {
    const request = new $Ecs.CreateNetworkInterfaceRequest({
      regionId: this.regionId,
      vSwitchId: input.vSwitchId,
      securityGroupIds: input.securityGroupIds,
      instanceType: 'Secondary',
      // An ENI someone claimed outlives the instance it happens to be attached to.
      deleteOnRelease: false,
      clientToken: input.clientToken,
      tag: Object.entries(input.tags).map(([key, value]) => new $Ecs.CreateNetworkInterfaceRequestTag({ key, value })),
      primaryIpAddress: input.primaryIpAddress,
      secondaryPrivateIpAddressCount: input.secondaryPrivateIpAddressCount || undefined,
      description: input.description,
    });
    const response = await this.caller.call('CreateNetworkInterface', () => this.ecs.createNetworkInterface(request));
    return eniFromSdk(response.body ?? {});
  }

  async attachNetworkInterface(eniId: string, instanceId: string): Promise<void> {
    const request = new $Ecs.AttachNetworkInterfaceRequest({ regionId: this.regionId, networkInterfaceId: eniId, instanceId });
    await this.caller.call('AttachNetworkInterface', () => this.ecs.attachNetworkInterface(request));
  }

  async detachNetworkInterface(eniId: string, instanceId: string): Promise<void> {
    const request = new $Ecs.DetachNetworkInterfaceRequest({ regionId: this.regionId, networkInterfaceId: eniId, instanceId });
    await this.caller.remove('DetachNetworkInterface', () => this.ecs.detachNetworkInterface(request));
  }

  async deleteNetworkInterface(eniId: string): Promise<void> {
    const request = new $Ecs.DeleteNetworkInterfaceRequest({ regionId: this.regionId, networkInterfaceId: eniId });
    await this.caller.remove('DeleteNetworkInterface', () => this.ecs.deleteNetworkInterface(request));
  }

  async describeNetworkInterfaces(filter: EniFilter): Promise<Eni[]> {
    if (filter.ids === undefined) return this.describeAllPages(filter, undefined);
    const batches: string[][] = [];
    for (let i = 0; i < filter.ids.length; i += IDS_PER_DESCRIBE) batches.push(filter.ids.slice(i, i + IDS_PER_DESCRIBE));
    const pages = await Promise.all(batches.map((ids) => this.describeAllPages(filter, ids)));
    return pages.flat();
  }

  private async describeAllPages(filter: EniFilter, ids: string[] | undefined): Promise<Eni[]> {
    const enis: Eni[] = [];
    let nextToken: string | undefined;
    do {
      const request = new $Ecs.DescribeNetworkInterfacesRequest({
        regionId: this.regionId,
        networkInterfaceId: ids,
        instanceId: filter.instanceId,
        tag: Object.entries(filter.tags ?? {}).map(([key, value]) => new $Ecs.DescribeNetworkInterfacesRequestTag({ key, value })),
        maxResults: DESCRIBE_PAGE_SIZE,
        nextToken,
      });
      const response = await this.caller.call('DescribeNetworkInterfaces', () => this.ecs.describeNetworkInterfaces(request));
      enis.push(...(response.body?.networkInterfaceSets?.networkInterfaceSet ?? []).map(eniFromSdk));
      nextToken = response.body?.nextToken || undefined;
    } while (nextToken);
    return enis;
  }

  async assignPrivateIpAddresses(eniId: string, count: number, clientToken: string): Promise<string[]> {
    const request = new $Ecs.AssignPrivateIpAddressesRequest({
      regionId: this.regionId,
      networkInterfaceId: eniId,
      secondaryPrivateIpAddressCount: count,
      clientToken,
    });
    const response = await this.caller.call('AssignPrivateIpAddresses', () => this.ecs.assignPrivateIpAddresses(request));
    return response.body?.assignedPrivateIpAddressesSet?.privateIpSet?.privateIpAddress ?? [];
  }

  async unassignPrivateIpAddresses(eniId: string, ips: string[]): Promise<void> {
    if (ips.length === 0) return;
    const request = new $Ecs.UnassignPrivateIpAddressesRequest({ regionId: this.regionId, networkInterfaceId: eniId, privateIpAddress: ips });
    await this.caller.call('UnassignPrivateIpAddresses', () => this.ecs.unassignPrivateIpAddresses(request));
  }

  async modifySecurityGroups(eniId: string, securityGroupIds: string[]): Promise<void> {
    // SecurityGroupId.N replaces the whole set.
    const request = new $Ecs.ModifyNetworkInterfaceAttributeRequest({
      regionId: this.regionId,
      networkInterfaceId: eniId,
      securityGroupId: securityGroupIds,
    });
    await this.caller.call('ModifyNetworkInterfaceAttribute', () => this.ecs.modifyNetworkInterfaceAttribute(request));
  }

  async untagNetworkInterface(eniId: string, tagKeys: string[]): Promise<void> {
    for (let i = 0; i < tagKeys.length; i += KEYS_PER_UNTAG) {
      const request = new $Ecs.UntagResourcesRequest({
        regionId: this.regionId,
        resourceType: 'eni',
        resourceId: [eniId],
        tagKey: tagKeys.slice(i, i + KEYS_PER_UNTAG),
      });
      await this.caller.remove('UntagResources', () => this.ecs.untagResources(request));
    }
  }

  async describeInstance(instanceId: string): Promise<Instance | undefined> {
    const request = new $Ecs.DescribeInstancesRequest({ regionId: this.regionId, instanceIds: JSON.stringify([instanceId]) });
    try {
      const response = await this.caller.call('DescribeInstances', () => this.ecs.describeInstances(request));
      const found = response.body?.instances?.instance?.find((i) => i.instanceId === instanceId);
      return found ? instanceFromSdk(found) : undefined;
    } catch (err) {
      if (isCloudError(err, 'InstanceNotFound')) return undefined;
      throw err;
    }
  }

  instanceTypeQuota(instanceType: string): Promise<InstanceTypeQuota> {
    return this.quotas.get(instanceType, async () => {
      const request = new $Ecs.DescribeInstanceTypesRequest({ instanceTypes: [instanceType] });
      const response = await this.caller.call('DescribeInstanceTypes', () => this.ecs.describeInstanceTypes(request));
      const found = response.body?.instanceTypes?.instanceType?.find((t) => t.instanceTypeId === instanceType);
      if (!found) throw localCloudError('InstanceTypeNotFound', 'DescribeInstanceTypes', `instance type ${instanceType} is unknown in ${this.regionId}`);
      return quotaFromSdk(found);
    });
  }

  describeVSwitch(vSwitchId: string): Promise<VSwitch | undefined> {
    return this.vSwitches.get(vSwitchId, async () => {
      const request = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query({ RegionId: this.regionId, VSwitchId: vSwitchId, PageSize: 50 }) });
      try {
        const response = await this.caller.call('DescribeVSwitches', () => this.vpc.callApi(DESCRIBE_VSWITCHES, request, new RuntimeOptions({})));
        const body = response.body as { VSwitches?: { VSwitch?: ApiVSwitch[] } } | undefined;
        const found = body?.VSwitches?.VSwitch?.find((v) => v.VSwitchId === vSwitchId);
        return found ? vSwitchFromApi(found) : undefined;
      } catch (err) {
        if (isCloudError(err, 'VSwitchNotFound')) return undefined;
        throw err;
      }
    });
  }
}
