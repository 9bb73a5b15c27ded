// CreateNetworkInterface, AttachNetworkInterface, DetachNetworkInterface, DeleteNetworkInterface:
// the checks real ECS makes, in the order it is likely to make them, then the state change.
import { SimError, invalid } from './errors.ts';
import { idempotent } from './idempotency.ts';
import type { Answer } from './idempotency.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { SimModel } from './model.ts';
import type { Params } from './params.ts';
import { MAX_SECONDARY_AT_CREATE, allocateFree, claimGiven, descriptionOf, nameOf, securityGroupsIn, tagsOf } from './rules.ts';
import type { EniRecord, InstanceRecord } from './state.ts';
import { createdEniJson } from './views.ts';

export interface ActionContext {
  model: SimModel;
  lifecycle: Lifecycle;
}

function wrongEniState(eni: EniRecord, wanted: string): SimError {
  return new SimError('InvalidOperation.InvalidEniState', `The network interface ${eni.id} is ${eni.status}; the operation needs it ${wanted}.`);
}

function secondaryRequest(params: Params): { given: string[]; count: number } {
  const given = params.list('PrivateIpAddress', MAX_SECONDARY_AT_CREATE);
  const count = params.int('SecondaryPrivateIpAddressCount', 1, MAX_SECONDARY_AT_CREATE);
  if (given.length > 0 && count !== undefined) throw invalid('SecondaryPrivateIpAddressCount', 'give either PrivateIpAddress.N or SecondaryPrivateIpAddressCount');
  return { given, count: count ?? given.length };
}

/** The new ENI's addresses: the given ones and enough free ones; on failure the pool is as it was. */
function takeEniAddresses(model: SimModel, vSwitchId: string, primary: string | undefined, secondary: { given: string[]; count: number }): { primaryIp: string; secondaryIps: string[] } {
  const wanted = primary === undefined ? secondary.given : [primary, ...secondary.given];
  const claimed = claimGiven(model, vSwitchId, wanted, primary === undefined ? 'PrivateIpAddress' : 'PrimaryIpAddress');
  const freeNeeded = (primary === undefined ? 1 : 0) + (secondary.given.length > 0 ? 0 : secondary.count);
  let fresh: string[];
  try {
    fresh = allocateFree(model, vSwitchId, freeNeeded);
  } catch (error) {
    for (const ip of claimed) model.pool(vSwitchId).release(ip);
    throw error;
  }
  const primaryIp = primary ?? (fresh.shift() as string);
  return { primaryIp, secondaryIps: secondary.given.length > 0 ? secondary.given : fresh };
}

function createEni(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const vSwitch = model.vSwitch(params.required('VSwitchId'));
  const groups = securityGroupsIn(model, params.oneOrList('SecurityGroupId', 'SecurityGroupIds', 100), vSwitch.vpcId, 'SecurityGroupIds');
  const type = params.str('InstanceType') ?? 'Secondary';
  if (type !== 'Secondary' && type !== 'Trunk') throw invalid('InstanceType', 'Secondary or Trunk');
  const tags = tagsOf(params);
  const name = nameOf(params);
  const description = descriptionOf(params);
  const deleteOnRelease = params.bool('DeleteOnRelease') ?? true;
  const secondary = secondaryRequest(params);
  if (model.state.enis.size >= model.world.maxNetworkInterfaces) {
    throw new SimError('MaxEniCountExceeded', 'The maximum number of network interfaces in this region has been reached.');
  }
  const { primaryIp, secondaryIps } = takeEniAddresses(model, vSwitch.id, params.str('PrimaryIpAddress'), secondary);
  const eni = model.addEni({
    type,
    status: 'Available',
    vpcId: vSwitch.vpcId,
    vSwitchId: vSwitch.id,
    zoneId: vSwitch.zoneId,
    primaryIp,
    secondaryIps,
    securityGroupIds: groups,
    tags,
    deleteOnRelease,
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
  });
  return createdEniJson(eni);
}

export function createNetworkInterface(ctx: ActionContext, params: Params): Answer {
  return idempotent(ctx.model.state.idempotency, 'CreateNetworkInterface', params.raw, () => createEni(ctx, params));
}

/** Instance types without hot-plug take ENIs only while Stopped; all others while Running or Stopped. */
function checkInstanceAcceptsChange(model: SimModel, instance: InstanceRecord): void {
  const type = model.instanceType(instance);
  if (type.attachRequiresStopped && instance.status !== 'Stopped') {
    throw new SimError('IncorrectInstanceStatus', `Instance type ${type.id} attaches and detaches network interfaces only while the instance is Stopped; ${instance.id} is ${instance.status}.`);
  }
  if (instance.status !== 'Running' && instance.status !== 'Stopped') {
    throw new SimError('IncorrectInstanceStatus', `The instance ${instance.id} is ${instance.status}; it must be Running or Stopped.`);
  }
}

function checkSameNetwork(eni: EniRecord, instance: InstanceRecord): void {
  if (eni.vpcId !== instance.vpcId) {
    throw new SimError('InvalidOperation.VpcMismatch', `The network interface ${eni.id} (VPC ${eni.vpcId}) and the instance ${instance.id} (VPC ${instance.vpcId}) are in different VPCs.`);
  }
  if (eni.zoneId !== instance.zoneId) {
    throw new SimError('InvalidOperation.AvailabilityZoneMismatch', `The network interface ${eni.id} (zone ${eni.zoneId}) and the instance ${instance.id} (zone ${instance.zoneId}) are in different zones.`);
  }
}

function freeDeviceIndex(enis: EniRecord[]): number {
  const used = new Set(enis.map((e) => e.deviceIndex));
  let index = 1;
  while (used.has(index)) index++;
  return index;
}

export function attachNetworkInterface(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const eni = model.eni(params.required('NetworkInterfaceId'));
  const instance = model.instance(params.required('InstanceId'), 'InvalidInstanceId.NotFound', 403);
  if (eni.status !== 'Available') throw wrongEniState(eni, 'Available');
  checkInstanceAcceptsChange(model, instance);
  checkSameNetwork(eni, instance);
  const type = model.instanceType(instance);
  const onInstance = model.enisOn(instance.id);
  if (onInstance.length >= type.eniQuantity) {
    throw new SimError('EniPerInstanceLimitExceeded', `Instance ${instance.id} (${type.id}) already has ${onInstance.length} of its ${type.eniQuantity} network interfaces, the primary included.`);
  }
  const addresses = 1 + eni.secondaryIps.length;
  if (addresses > type.eniPrivateIpAddressQuantity) {
    throw new SimError('InvalidOperation.Ipv4CountExceeded', `The network interface has ${addresses} private IPv4 addresses; ${type.id} allows ${type.eniPrivateIpAddressQuantity} per interface.`);
  }
  ctx.lifecycle.startAttach(eni, instance.id, freeDeviceIndex(onInstance));
  return {};
}

export function detachNetworkInterface(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const eni = model.eni(params.required('NetworkInterfaceId'));
  const instance = model.instance(params.required('InstanceId'), 'InvalidEcsId.NotFound');
  if (eni.type === 'Primary') throw new SimError('InvalidOperation.DetachPrimaryEniNotAllowed', 'The primary network interface cannot be detached.');
  if (eni.instanceId !== instance.id) {
    throw new SimError('InvalidOperation.InvalidEniState', `The network interface ${eni.id} is not attached to instance ${instance.id}.`);
  }
  if (eni.status === 'Detaching') return {}; // ECS accepts a repeated detach while one is under way
  if (eni.status !== 'InUse') throw wrongEniState(eni, 'InUse');
  checkInstanceAcceptsChange(model, instance);
  ctx.lifecycle.startDetach(eni);
  return {};
}

export function deleteNetworkInterface(ctx: ActionContext, params: Params): Answer {
  const eni = ctx.model.eni(params.required('NetworkInterfaceId'));
  if (eni.status === 'Deleting') return {};
  if (eni.type === 'Primary' || eni.status !== 'Available') throw wrongEniState(eni, 'Available');
  ctx.lifecycle.startDelete(eni);
  return {};
}
