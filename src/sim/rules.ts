// Input rules that ECS enforces on ENI parameters (../shared/reference/ecs-api.md, "Other limits"),
// shared by the create, modify and tag actions.
import { SimError, invalid } from './errors.ts';
import type { SimModel } from './model.ts';
import type { Params } from './params.ts';
import type { EniRecord } from './state.ts';

export const MAX_SECURITY_GROUPS = 5;
export const MAX_TAGS = 20;
/** Secondary addresses an ENI may get at create time (49 + the primary = 50 addresses). */
export const MAX_SECONDARY_AT_CREATE = 49;
/** Addresses on an ENI that is not attached, where no instance type caps them. */
export const MAX_ADDRESSES_UNATTACHED = MAX_SECONDARY_AT_CREATE + 1;

const URL_PREFIX = /^https?:\/\//;

/** 1 to 5 distinct security groups that exist and belong to the VPC. */
export function securityGroupsIn(model: SimModel, ids: string[], vpcId: string, name: string): string[] {
  if (ids.length === 0) throw new SimError('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
  if (ids.length > MAX_SECURITY_GROUPS) throw invalid(name, `at most ${MAX_SECURITY_GROUPS} security groups`);
  if (new Set(ids).size !== ids.length) throw invalid(name, 'duplicate security group');
  for (const id of ids) {
    const group = model.world.securityGroups.get(id);
    if (!group) throw new SimError('InvalidSecurityGroupId.NotFound', `The specified SecurityGroupId ${id} does not exist.`);
    if (group.vpcId !== vpcId) throw new SimError('InvalidOperation.VpcMismatch', `Security group ${id} is not in VPC ${vpcId}.`);
  }
  return ids;
}

/** CreateNetworkInterface's Tag.N: at most 20, each within the rules of checkTags. */
export function tagsOf(params: Params): EniRecord['tags'] {
  const tags = params.tags();
  if (tags.length > MAX_TAGS) throw new SimError('QuotaExceed.Tags', `At most ${MAX_TAGS} tags.`);
  checkTags(tags);
  return tags;
}

/** Keys and values within ECS's tag rules, no key twice. */
export function checkTags(tags: EniRecord['tags']): void {
  const keys = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length > 128 || /^(aliyun|acs:)/i.test(key) || URL_PREFIX.test(key)) {
      throw new SimError('InvalidTagKey.Malformed', `The tag key ${key} is not valid.`);
    }
    if (value.length > 128 || URL_PREFIX.test(value)) throw invalid('Tag.N.Value', `bad value for tag ${key}`);
    if (keys.has(key)) throw invalid('Tag.N.Key', `duplicate tag key ${key}`);
    keys.add(key);
  }
}

export function nameOf(params: Params): string | undefined {
  const name = params.str('NetworkInterfaceName');
  if (name !== undefined && (!/^[\p{L}]/u.test(name) || name.length < 2 || name.length > 128 || URL_PREFIX.test(name))) {
    throw invalid('NetworkInterfaceName', '2 to 128 characters, starting with a letter, not a URL');
  }
  return name;
}

export function descriptionOf(params: Params): string | undefined {
  const description = params.str('Description');
  if (description !== undefined && (description.length < 2 || description.length > 256 || URL_PREFIX.test(description))) {
    throw invalid('Description', '2 to 256 characters, not a URL');
  }
  return description;
}

/** `count` free addresses of the vSwitch, all or none. */
export function allocateFree(model: SimModel, vSwitchId: string, count: number): string[] {
  const taken = model.pool(vSwitchId).allocateMany(count);
  if (!taken) throw new SimError('InvalidVSwitchId.IpNotEnough', `The specified VSwitch ${vSwitchId} does not have enough IP addresses.`);
  return taken;
}

/** The given addresses, which must be usable in the vSwitch and free; all or none. */
export function claimGiven(model: SimModel, vSwitchId: string, ips: string[], name: string): string[] {
  const pool = model.pool(vSwitchId);
  if (new Set(ips).size !== ips.length) throw invalid(name, 'duplicate address');
  for (const ip of ips) {
    if (!pool.isUsable(ip)) throw invalid(name, `${ip} is not a usable address of vSwitch ${vSwitchId}`);
    if (pool.isUsed(ip)) throw new SimError('InvalidPrivateIpAddress.Duplicated', `The private IP address ${ip} is already in use.`);
  }
  for (const ip of ips) pool.claim(ip);
  return ips;
}
