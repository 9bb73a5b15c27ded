// The world file: the cloud a simulator run starts from (YAML or a plain object). Validated once,
// with errors that name the offending key, and resolved against the instance-type catalogue.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { contains, parseCidr, parseIpv4 } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import { INSTANCE_TYPE_CATALOGUE } from './instance-types.ts';
import type { InstanceTypeInfo } from './instance-types.ts';
import type { RateLimitProfile, RateLimitsPerMinute } from './rate-limits.ts';

export const INSTANCE_STATUSES = ['Pending', 'Starting', 'Running', 'Stopping', 'Stopped'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export interface InstanceSpec {
  id: string;
  instanceType: string;
  vSwitchId: string;
  /** Defaults to the vSwitch's zone; must equal it. */
  zoneId?: string;
  status?: InstanceStatus;
  /** Of the primary ENI; defaults to the first security group of the VPC. */
  securityGroupIds?: string[];
  primaryIpAddress?: string;
}

/** An ENI that exists before the run (Available, not attached), e.g. one a claim adopts. */
export interface NetworkInterfaceSpec {
  id: string;
  vSwitchId: string;
  securityGroupIds: string[];
  primaryIpAddress?: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface LatencyMs {
  /** Added to every API call. */
  api: number;
  /** Attaching → InUse. */
  attach: number;
  /** Detaching → Available. */
  detach: number;
  /** Deleting → gone. */
  delete: number;
  /** ModifyNetworkInterfaceAttribute's security groups take effect after this. */
  modify: number;
}

export interface WorldSpec {
  regionId: string;
  accessKeys: { id: string; secret: string }[];
  vpcs: { id: string; cidrBlock: string }[];
  vSwitches: { id: string; vpcId: string; zoneId: string; cidrBlock: string }[];
  securityGroups: { id: string; vpcId: string }[];
  /** An entry with only `id` takes the catalogue's figures; other keys override them. */
  instanceTypes?: (Partial<InstanceTypeInfo> & { id: string })[];
  instances?: InstanceSpec[];
  networkInterfaces?: NetworkInterfaceSpec[];
  latencyMs?: Partial<LatencyMs>;
  rateLimitsPerMinute?: RateLimitsPerMinute;
  rateLimitProfile?: RateLimitProfile;
  /** ENIs per account in the region (MaxEniCountExceeded beyond it); unlimited when unset. */
  maxNetworkInterfaces?: number;
}

export interface VSwitchInfo {
  id: string;
  vpcId: string;
  zoneId: string;
  cidrBlock: string;
  cidr: Cidr;
}

/** A validated world: lookups by id, instance types resolved, defaults filled. */
export interface World {
  regionId: string;
  accessKeys: Map<string, string>;
  vpcs: Map<string, { id: string; cidrBlock: string }>;
  vSwitches: Map<string, VSwitchInfo>;
  securityGroups: Map<string, { id: string; vpcId: string }>;
  instanceTypes: Map<string, InstanceTypeInfo>;
  instances: Required<InstanceSpec>[];
  networkInterfaces: NetworkInterfaceSpec[];
  latencyMs: LatencyMs;
  rateLimitsPerMinute: RateLimitsPerMinute;
  rateLimitProfile: RateLimitProfile;
  maxNetworkInterfaces: number;
}

export class WorldError extends Error {
  readonly code = 'SIM_INVALID_WORLD';
  constructor(message: string) {
    super(`invalid world: ${message}`);
    this.name = 'WorldError';
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new WorldError(message);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function list<T>(value: T[] | undefined, name: string): T[] {
  check(value === undefined || Array.isArray(value), `${name} must be a list`);
  return value ?? [];
}

function byId<T extends { id: string }>(items: T[], name: string): Map<string, T> {
  const map = new Map<string, T>();
  items.forEach((item, i) => {
    check(item && nonEmptyString(item.id), `${name}[${i}].id must be a non-empty string`);
    check(!map.has(item.id), `${name}: duplicate id ${item.id}`);
    map.set(item.id, item);
  });
  return map;
}

function cidrOf(text: unknown, where: string): Cidr {
  const cidr = typeof text === 'string' ? parseCidr(text) : undefined;
  check(cidr, `${where}.cidrBlock ${String(text)} is not an IPv4 CIDR`);
  return cidr;
}

function resolveVSwitches(spec: WorldSpec, vpcs: World['vpcs']): Map<string, VSwitchInfo> {
  const vSwitches = new Map<string, VSwitchInfo>();
  for (const [id, v] of byId(list(spec.vSwitches, 'vSwitches'), 'vSwitches')) {
    const vpc = vpcs.get(v.vpcId);
    check(vpc, `vSwitch ${id}: unknown vpcId ${v.vpcId}`);
    check(nonEmptyString(v.zoneId), `vSwitch ${id}: zoneId is required`);
    const cidr = cidrOf(v.cidrBlock, `vSwitch ${id}`);
    check(cidr.prefixLength >= 16 && cidr.prefixLength <= 29, `vSwitch ${id}: CIDR must be /16 to /29`);
    check(contains(cidrOf(vpc.cidrBlock, `vpc ${vpc.id}`), cidr), `vSwitch ${id}: ${v.cidrBlock} is outside VPC ${vpc.id}`);
    vSwitches.set(id, { id, vpcId: v.vpcId, zoneId: v.zoneId, cidrBlock: v.cidrBlock, cidr });
  }
  return vSwitches;
}

function resolveInstanceType(entry: Partial<InstanceTypeInfo> & { id: string }): InstanceTypeInfo {
  const merged = { ...INSTANCE_TYPE_CATALOGUE.get(entry.id), ...entry };
  const positive = (n: unknown): boolean => Number.isInteger(n) && (n as number) > 0;
  check(positive(merged.eniQuantity), `instance type ${entry.id}: eniQuantity is required (not in the catalogue)`);
  check(positive(merged.eniPrivateIpAddressQuantity), `instance type ${entry.id}: eniPrivateIpAddressQuantity is required (not in the catalogue)`);
  return {
    ...merged,
    family: merged.family ?? entry.id.slice(0, entry.id.lastIndexOf('.')),
    attachRequiresStopped: merged.attachRequiresStopped ?? false,
  } as InstanceTypeInfo;
}

function resolveInstanceTypes(spec: WorldSpec): Map<string, InstanceTypeInfo> {
  const types = new Map(INSTANCE_TYPE_CATALOGUE);
  for (const entry of byId(list(spec.instanceTypes, 'instanceTypes'), 'instanceTypes').values()) {
    types.set(entry.id, resolveInstanceType(entry));
  }
  return types;
}

/** Checks one instance against the world and fills its defaults. */
export function resolveInstance(world: Omit<World, 'instances' | 'networkInterfaces'>, spec: InstanceSpec): Required<InstanceSpec> {
  const where = `instance ${spec.id}`;
  check(nonEmptyString(spec.id), 'an instance needs an id');
  check(world.instanceTypes.has(spec.instanceType), `${where}: unknown instanceType ${spec.instanceType}`);
  const vSwitch = world.vSwitches.get(spec.vSwitchId);
  check(vSwitch, `${where}: unknown vSwitchId ${spec.vSwitchId}`);
  const zoneId = spec.zoneId ?? vSwitch.zoneId;
  check(zoneId === vSwitch.zoneId, `${where}: zone ${zoneId} is not the zone of vSwitch ${vSwitch.id} (${vSwitch.zoneId})`);
  const status = spec.status ?? 'Running';
  check(INSTANCE_STATUSES.includes(status), `${where}: status must be one of ${INSTANCE_STATUSES.join(', ')}`);
  const defaultGroup = [...world.securityGroups.values()].find((g) => g.vpcId === vSwitch.vpcId);
  const securityGroupIds = spec.securityGroupIds ?? (defaultGroup ? [defaultGroup.id] : []);
  for (const id of securityGroupIds) check(world.securityGroups.get(id)?.vpcId === vSwitch.vpcId, `${where}: security group ${id} is not in VPC ${vSwitch.vpcId}`);
  check(spec.primaryIpAddress === undefined || parseIpv4(spec.primaryIpAddress) !== undefined, `${where}: bad primaryIpAddress`);
  return { id: spec.id, instanceType: spec.instanceType, vSwitchId: vSwitch.id, zoneId, status, securityGroupIds, primaryIpAddress: spec.primaryIpAddress ?? '' };
}

function resolveNetworkInterface(world: Omit<World, 'instances' | 'networkInterfaces'>, spec: NetworkInterfaceSpec): NetworkInterfaceSpec {
  const where = `network interface ${spec.id}`;
  check(/^eni-[a-z0-9-]+$/.test(spec.id), `${where}: id must start with eni-`);
  const vSwitch = world.vSwitches.get(spec.vSwitchId);
  check(vSwitch, `${where}: unknown vSwitchId ${spec.vSwitchId}`);
  check(Array.isArray(spec.securityGroupIds) && spec.securityGroupIds.length > 0, `${where}: securityGroupIds needs at least one`);
  for (const id of spec.securityGroupIds) check(world.securityGroups.get(id)?.vpcId === vSwitch.vpcId, `${where}: security group ${id} is not in VPC ${vSwitch.vpcId}`);
  check(spec.primaryIpAddress === undefined || contains(vSwitch.cidr, parseCidr(`${spec.primaryIpAddress}/32`) as Cidr), `${where}: primaryIpAddress is not in vSwitch ${vSwitch.id}`);
  return spec;
}

function resolveLatency(spec: WorldSpec): LatencyMs {
  const latency: LatencyMs = { api: 0, attach: 0, detach: 0, delete: 0, modify: 0, ...spec.latencyMs };
  for (const [key, value] of Object.entries(latency)) check(Number.isFinite(value) && value >= 0, `latencyMs.${key} must be a number ≥ 0`);
  return latency;
}

export function resolveWorld(spec: WorldSpec): World {
  check(spec && typeof spec === 'object', 'the world must be a mapping');
  check(nonEmptyString(spec.regionId), 'regionId is required');
  const keys = list(spec.accessKeys, 'accessKeys');
  check(keys.length > 0, 'accessKeys needs at least one {id, secret}');
  for (const key of keys) check(nonEmptyString(key?.id) && nonEmptyString(key.secret), 'each access key needs an id and a secret');
  const vpcs = byId(list(spec.vpcs, 'vpcs'), 'vpcs');
  for (const vpc of vpcs.values()) cidrOf(vpc.cidrBlock, `vpc ${vpc.id}`);
  const securityGroups = byId(list(spec.securityGroups, 'securityGroups'), 'securityGroups');
  for (const g of securityGroups.values()) check(vpcs.has(g.vpcId), `security group ${g.id}: unknown vpcId ${g.vpcId}`);
  const profile = spec.rateLimitProfile ?? 'none';
  check(profile === 'none' || profile === 'realistic', 'rateLimitProfile must be none or realistic');
  const maxNetworkInterfaces = spec.maxNetworkInterfaces ?? Number.POSITIVE_INFINITY;
  check(maxNetworkInterfaces > 0, 'maxNetworkInterfaces must be positive');
  const base = {
    regionId: spec.regionId,
    accessKeys: new Map(keys.map((k) => [k.id, k.secret])),
    vpcs,
    vSwitches: resolveVSwitches(spec, vpcs),
    securityGroups,
    instanceTypes: resolveInstanceTypes(spec),
    latencyMs: resolveLatency(spec),
    rateLimitsPerMinute: { ...spec.rateLimitsPerMinute },
    rateLimitProfile: profile,
    maxNetworkInterfaces,
  };
  const instances = [...byId(list(spec.instances, 'instances'), 'instances').values()].map((i) => resolveInstance(base, i));
  const networkInterfaces = [...byId(list(spec.networkInterfaces, 'networkInterfaces'), 'networkInterfaces').values()]
    .map((n) => resolveNetworkInterface(base, n));
  return { ...base, instances, networkInterfaces };
}

export function parseWorld(yamlText: string): WorldSpec {
  return parseYaml(yamlText) as WorldSpec;
}

export async function loadWorldFile(path: string): Promise<WorldSpec> {
  return parseWorld(await readFile(path, 'utf8'));
}
