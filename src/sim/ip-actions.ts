// AssignPrivateIpAddresses, UnassignPrivateIpAddresses, ModifyNetworkInterfaceAttribute.
import { SimError, invalid } from './errors.ts';
import type { ActionContext } from './eni-actions.ts';
import { idempotent } from './idempotency.ts';
import type { Answer } from './idempotency.ts';
import type { SimModel } from './model.ts';
import type { Params } from './params.ts';
import { MAX_ADDRESSES_UNATTACHED, allocateFree, claimGiven, descriptionOf, nameOf, securityGroupsIn } from './rules.ts';
import type { EniRecord } from './state.ts';

function requireUsable(eni: EniRecord): void {
  if (eni.status !== 'Available' && eni.status !== 'InUse') {
    throw new SimError('InvalidOperation.InvalidEniState', `The network interface ${eni.id} is ${eni.status}; the operation needs it Available or InUse.`);
  }
}

/** An attached ENI is capped by its instance type; a loose one by the create-time maximum. */
function checkAddressQuota(model: SimModel, eni: EniRecord, adding: number): void {
  const total = 1 + eni.secondaryIps.length + adding;
  const instance = eni.instanceId === undefined ? undefined : model.state.instances.get(eni.instanceId);
  if (instance) {
    const type = model.instanceType(instance);
    if (total > type.eniPrivateIpAddressQuantity) {
      throw new SimError('InvalidOperation.Ipv4CountExceeded', `${type.id} allows ${type.eniPrivateIpAddressQuantity} private IPv4 addresses per network interface; this would make ${total}.`);
    }
  } else if (total > MAX_ADDRESSES_UNATTACHED) {
    throw new SimError('QuotaExceeded.PrivateIpAddress', `A network interface has at most ${MAX_ADDRESSES_UNATTACHED} private IPv4 addresses; this would make ${total}.`);
  }
}

function assign(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const eni = model.eni(params.required('NetworkInterfaceId'));
  const given = params.list('PrivateIpAddress', MAX_ADDRESSES_UNATTACHED);
  const count = params.int('SecondaryPrivateIpAddressCount', 1, MAX_ADDRESSES_UNATTACHED);
  if ((given.length > 0) === (count !== undefined)) {
    throw invalid('SecondaryPrivateIpAddressCount', 'give exactly one of PrivateIpAddress.N and SecondaryPrivateIpAddressCount');
  }
  requireUsable(eni);
  checkAddressQuota(model, eni, given.length || (count as number));
  const added = given.length > 0 ? claimGiven(model, eni.vSwitchId, given, 'PrivateIpAddress') : allocateFree(model, eni.vSwitchId, count as number);
  eni.secondaryIps.push(...added);
  return { AssignedPrivateIpAddressesSet: { NetworkInterfaceId: eni.id, PrivateIpSet: { PrivateIpAddress: added } } };
}

export function assignPrivateIpAddresses(ctx: ActionContext, params: Params): Answer {
  return idempotent(ctx.model.state.idempotency, 'AssignPrivateIpAddresses', params.raw, () => assign(ctx, params));
}

export function unassignPrivateIpAddresses(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const eni = model.eni(params.required('NetworkInterfaceId'));
  const ips = params.list('PrivateIpAddress', MAX_ADDRESSES_UNATTACHED);
  if (ips.length === 0) throw new SimError('MissingParameter', 'The input parameter "PrivateIpAddress.N" that is mandatory for processing this request is not supplied.');
  requireUsable(eni);
  for (const ip of ips) {
    if (ip === eni.primaryIp) throw invalid('PrivateIpAddress', `${ip} is the primary address, which cannot be unassigned`);
    if (!eni.secondaryIps.includes(ip)) throw new SimError('InvalidIp.IpUnassigned', `The address ${ip} is not assigned to ${eni.id}.`);
  }
  eni.secondaryIps = eni.secondaryIps.filter((ip) => !ips.includes(ip));
  for (const ip of ips) model.pool(eni.vSwitchId).release(ip);
  return {};
}

export function modifyNetworkInterfaceAttribute(ctx: ActionContext, params: Params): Answer {
  const { model } = ctx;
  const eni = model.eni(params.required('NetworkInterfaceId'));
  const groupIds = params.list('SecurityGroupId', 100);
  const groups = groupIds.length > 0 ? securityGroupsIn(model, groupIds, eni.vpcId, 'SecurityGroupId.N') : undefined;
  const name = nameOf(params);
  const description = descriptionOf(params);
  const deleteOnRelease = params.bool('DeleteOnRelease');
  if (eni.status === 'Deleting') throw new SimError('InvalidOperation.InvalidEniState', `The network interface ${eni.id} is Deleting.`);
  if (name !== undefined) eni.name = name;
  if (description !== undefined) eni.description = description;
  if (deleteOnRelease !== undefined) eni.deleteOnRelease = deleteOnRelease;
  if (groups) ctx.lifecycle.changeSecurityGroups(eni, groups);
  return {};
}
