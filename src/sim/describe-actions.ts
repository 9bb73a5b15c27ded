// The read-only actions: DescribeNetworkInterfaces, DescribeNetworkInterfaceAttribute,
// DescribeInstances, DescribeInstanceTypes and (VPC) DescribeVSwitches, with their filters and paging.
import { compareCodeUnits } from '../strings.ts';
import { invalid } from './errors.ts';
import type { ActionContext } from './eni-actions.ts';
import type { Answer } from './idempotency.ts';
import { page, pageByNumber, pageByToken } from './paging.ts';
import type { Params } from './params.ts';
import type { EniRecord, InstanceRecord } from './state.ts';
import { eniJson, instanceJson, instanceTypeJson, vSwitchJson } from './views.ts';

const MAX_IDS = 100;

type Filter<T> = (item: T) => boolean;

/** The filters given in the request; each one that is present must match. */
function eniFilters(params: Params): Filter<EniRecord>[] {
  const filters: Filter<EniRecord>[] = [];
  const ids = params.list('NetworkInterfaceId', MAX_IDS);
  if (ids.length > 0) {
    const set = new Set(ids);
    filters.push((e) => set.has(e.id));
  }
  const equal: [string, (e: EniRecord) => string | undefined][] = [
    ['InstanceId', (e) => e.instanceId],
    ['VSwitchId', (e) => e.vSwitchId],
    ['VpcId', (e) => e.vpcId],
    ['PrimaryIpAddress', (e) => e.primaryIp],
    ['Status', (e) => e.status],
    ['Type', (e) => e.type],
    ['NetworkInterfaceName', (e) => e.name],
  ];
  for (const [name, get] of equal) {
    const wanted = params.str(name);
    if (wanted !== undefined) filters.push((e) => get(e) === wanted);
  }
  const group = params.str('SecurityGroupId');
  if (group !== undefined) filters.push((e) => e.securityGroupIds.includes(group));
  const addresses = params.list('PrivateIpAddress', MAX_IDS);
  if (addresses.length > 0) filters.push((e) => addresses.some((ip) => ip === e.primaryIp || e.secondaryIps.includes(ip)));
  for (const tag of params.tags()) {
    filters.push((e) => e.tags.some((t) => t.key === tag.key && (tag.value === '' || t.value === tag.value)));
  }
  return filters;
}

function matching<T extends { seq: number }>(items: Iterable<T>, filters: Filter<T>[]): T[] {
  return [...items].filter((item) => filters.every((f) => f(item))).sort((a, b) => a.seq - b.seq);
}

/** The ENIs worth filtering: those named or on the named instance, when the request says so. */
function eniCandidates(ctx: ActionContext, params: Params): Iterable<EniRecord> {
  const ids = params.list('NetworkInterfaceId', MAX_IDS);
  if (ids.length > 0) return ids.map((id) => ctx.model.findEni(id)).filter((e) => e !== undefined);
  const instanceId = params.str('InstanceId');
  return instanceId === undefined ? ctx.model.state.enis.values() : ctx.model.enisOn(instanceId);
}

export function describeNetworkInterfaces(ctx: ActionContext, params: Params): Answer {
  const found = [...new Set(matching(eniCandidates(ctx, params), eniFilters(params)))];
  const { items, fields } = page(found, (e) => e.seq, params, { min: 10, max: 500, default: 10 });
  return { NetworkInterfaceSets: { NetworkInterfaceSet: items.map(eniJson) }, ...fields };
}

export function describeNetworkInterfaceAttribute(ctx: ActionContext, params: Params): Answer {
  return eniJson(ctx.model.eni(params.required('NetworkInterfaceId')));
}

function instanceIdsOf(params: Params): string[] | undefined {
  const text = params.str('InstanceIds');
  if (text === undefined) return undefined;
  let ids: unknown;
  try {
    ids = JSON.parse(text);
  } catch {
    throw invalid('InstanceIds', 'not a JSON array of instance IDs');
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw invalid('InstanceIds', 'not a JSON array of instance IDs');
  if (ids.length > MAX_IDS) throw invalid('InstanceIds', `at most ${MAX_IDS} IDs`);
  return ids as string[];
}

export function describeInstances(ctx: ActionContext, params: Params): Answer {
  const filters: Filter<InstanceRecord>[] = [];
  const ids = instanceIdsOf(params);
  if (ids) filters.push((i) => ids.includes(i.id));
  const equal: [string, (i: InstanceRecord) => string][] = [
    ['Status', (i) => i.status],
    ['VpcId', (i) => i.vpcId],
    ['VSwitchId', (i) => i.vSwitchId],
    ['ZoneId', (i) => i.zoneId],
    ['InstanceType', (i) => i.instanceType],
  ];
  for (const [name, get] of equal) {
    const wanted = params.str(name);
    if (wanted !== undefined) filters.push((i) => get(i) === wanted);
  }
  const found = matching(ctx.model.state.instances.values(), filters);
  const { items, fields } = page(found, (i) => i.seq, params, { min: 1, max: 100, default: 10 });
  return { Instances: { Instance: items.map((i) => instanceJson(ctx.model, i)) }, ...fields };
}

export function describeInstanceTypes(ctx: ActionContext, params: Params): Answer {
  const wanted = params.list('InstanceTypes', MAX_IDS);
  const family = params.str('InstanceTypeFamily');
  const types = [...ctx.model.world.instanceTypes.values()]
    .filter((t) => (wanted.length === 0 || wanted.includes(t.id)) && (family === undefined || t.family === family))
    .sort((a, b) => compareCodeUnits(a.id, b.id));
  const positioned = types.map((type, seq) => ({ type, seq }));
  const { items, fields } = pageByToken(positioned, (t) => t.seq, params, { min: 1, max: 1600, default: 1600 });
  return { InstanceTypes: { InstanceType: items.map((t) => instanceTypeJson(t.type)) }, ...fields };
}

export function describeVSwitches(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const id = params.str('VSwitchId');
  const vpcId = params.str('VpcId');
  const zoneId = params.str('ZoneId');
  const found = [...model.world.vSwitches.values()].filter(
    (v) => (id === undefined || v.id === id) && (vpcId === undefined || v.vpcId === vpcId) && (zoneId === undefined || v.zoneId === zoneId),
  );
  const { items, fields } = pageByNumber(found, params, 50);
  return { VSwitches: { VSwitch: items.map((v) => vSwitchJson(v, model.pool(v.id).available())) }, ...fields };
}
