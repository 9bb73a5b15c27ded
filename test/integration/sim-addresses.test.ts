// Private addresses through the real SDK over HTTP: allocation from the vSwitch CIDR without the
// reserved addresses, exhaustion of a /28, given addresses, Assign/Unassign with the per-type and
// per-ENI caps, and ModifyNetworkInterfaceAttribute's security groups (applied after a delay).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import Vpc, * as $Vpc from '@alicloud/vpc20160428';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';

const REGION = 'cn-hangzhou';
const WORLD: WorldSpec = {
  regionId: REGION,
  accessKeys: [{ id: 'AKID', secret: 'SECRET' }],
  vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
  vSwitches: [
    { id: 'vsw-small', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.3.0/28' },
    { id: 'vsw-big', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.4.0/24' },
  ],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }, { id: 'sg-b', vpcId: 'vpc-a' }],
  instanceTypes: [{ id: 'ecs.g7.large' }],
  instances: [{ id: 'i-g7', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-big', primaryIpAddress: '192.168.4.10' }],
  latencyMs: { modify: 60 },
};

let running: RunningSimulator;
let ecs: InstanceType<typeof Ecs.default>;
let vpc: InstanceType<typeof Vpc.default>;

before(async () => {
  running = await startSimulator({ world: WORLD });
  const config = new $OpenApiUtil.Config({ endpoint: running.endpoint, protocol: 'http', regionId: REGION, accessKeyId: 'AKID', accessKeySecret: 'SECRET' });
  ecs = new Ecs.default(config);
  vpc = new Vpc.default(config);
});
after(() => running.close());

async function rejectsWith(call: Promise<unknown>, code: string, statusCode: number): Promise<void> {
  await assert.rejects(call, (error: { code?: string; statusCode?: number }) => {
    assert.equal(`${error.code} ${error.statusCode}`, `${code} ${statusCode}`);
    return true;
  });
}

async function create(vSwitchId: string, extra: Partial<$Ecs.CreateNetworkInterfaceRequest> = {}): Promise<$Ecs.CreateNetworkInterfaceResponseBody> {
  const res = await ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId, securityGroupIds: ['sg-a'], ...extra }));
  return res.body as $Ecs.CreateNetworkInterfaceResponseBody;
}

function addressesOf(body: { privateIpSets?: { privateIpSet?: { privateIpAddress?: string }[] } } | undefined): string[] {
  return (body?.privateIpSets?.privateIpSet ?? []).map((s) => s.privateIpAddress as string);
}

async function available(vSwitchId: string): Promise<number | undefined> {
  const res = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: REGION, vSwitchId }));
  return res.body?.vSwitches?.vSwitch?.[0]?.availableIpAddressCount;
}

function assign(eniId: string, fields: Partial<$Ecs.AssignPrivateIpAddressesRequest>): Promise<$Ecs.AssignPrivateIpAddressesResponse> {
  return ecs.assignPrivateIpAddresses(new $Ecs.AssignPrivateIpAddressesRequest({ regionId: REGION, networkInterfaceId: eniId, ...fields }));
}

describe('a /28 vSwitch', () => {
  it('hands out its 12 usable addresses (never .0 or the last three), then answers InvalidVSwitchId.IpNotEnough', async () => {
    assert.equal(await available('vsw-small'), 12);
    const first = await create('vsw-small', { secondaryPrivateIpAddressCount: 5 });
    const second = await create('vsw-small', { secondaryPrivateIpAddressCount: 5 });
    assert.equal(await available('vsw-small'), 0);
    const addresses = [...addressesOf(first), ...addressesOf(second)];
    assert.equal(new Set(addresses).size, 12);
    for (const reserved of ['192.168.3.0', '192.168.3.13', '192.168.3.14', '192.168.3.15']) assert.ok(!addresses.includes(reserved), reserved);
    assert.ok(addresses.every((ip) => /^192\.168\.3\.([1-9]|1[0-2])$/.test(ip)), addresses.join());
    await rejectsWith(create('vsw-small'), 'InvalidVSwitchId.IpNotEnough', 403);
    await rejectsWith(assign(first.networkInterfaceId as string, { secondaryPrivateIpAddressCount: 1 }), 'InvalidVSwitchId.IpNotEnough', 403);
    // Deleting an ENI gives its addresses back.
    await ecs.deleteNetworkInterface(new $Ecs.DeleteNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: second.networkInterfaceId }));
    assert.equal(await available('vsw-small'), 6);
    assert.equal(addressesOf(await create('vsw-small', { secondaryPrivateIpAddressCount: 5 })).length, 6);
  });
});

describe('given addresses', () => {
  it('takes a free PrimaryIpAddress and refuses a used, reserved or foreign one', async () => {
    const eni = await create('vsw-big', { primaryIpAddress: '192.168.4.20', privateIpAddress: ['192.168.4.21', '192.168.4.22'] });
    assert.deepEqual(addressesOf(eni), ['192.168.4.20', '192.168.4.21', '192.168.4.22']);
    await rejectsWith(create('vsw-big', { primaryIpAddress: '192.168.4.20' }), 'InvalidPrivateIpAddress.Duplicated', 400);
    await rejectsWith(create('vsw-big', { primaryIpAddress: '192.168.4.10' }), 'InvalidPrivateIpAddress.Duplicated', 400); // the instance's
    await rejectsWith(create('vsw-big', { primaryIpAddress: '192.168.4.253' }), 'InvalidParameter', 400); // the gateway
    await rejectsWith(create('vsw-big', { primaryIpAddress: '10.0.0.5' }), 'InvalidParameter', 400);
    // A failed create leaves no address taken.
    const before = await available('vsw-big');
    await rejectsWith(create('vsw-big', { primaryIpAddress: '192.168.4.30', privateIpAddress: ['192.168.4.21'] }), 'InvalidPrivateIpAddress.Duplicated', 400);
    assert.equal(await available('vsw-big'), before);
    assert.equal(addressesOf(await create('vsw-big', { primaryIpAddress: '192.168.4.30' }))[0], '192.168.4.30');
  });
});

describe('AssignPrivateIpAddresses and UnassignPrivateIpAddresses', () => {
  it('assigns by count or by address, lists them on the ENI and releases them on unassign', async () => {
    const eni = await create('vsw-big');
    const eniId = eni.networkInterfaceId as string;
    const byCount = await assign(eniId, { secondaryPrivateIpAddressCount: 2 });
    const counted = byCount.body?.assignedPrivateIpAddressesSet?.privateIpSet?.privateIpAddress ?? [];
    assert.equal(counted.length, 2);
    assert.equal(byCount.body?.assignedPrivateIpAddressesSet?.networkInterfaceId, eniId);
    await assign(eniId, { privateIpAddress: ['192.168.4.200'] });
    const attribute = await ecs.describeNetworkInterfaceAttribute(new $Ecs.DescribeNetworkInterfaceAttributeRequest({ regionId: REGION, networkInterfaceId: eniId }));
    assert.deepEqual(addressesOf(attribute.body), [eni.privateIpAddress, ...counted, '192.168.4.200']);
    const before = await available('vsw-big');
    await ecs.unassignPrivateIpAddresses(new $Ecs.UnassignPrivateIpAddressesRequest({ regionId: REGION, networkInterfaceId: eniId, privateIpAddress: ['192.168.4.200'] }));
    assert.equal(await available('vsw-big'), (before as number) + 1);
    await rejectsWith(
      ecs.unassignPrivateIpAddresses(new $Ecs.UnassignPrivateIpAddressesRequest({ regionId: REGION, networkInterfaceId: eniId, privateIpAddress: ['192.168.4.200'] })),
      'InvalidIp.IpUnassigned',
      400,
    );
    await rejectsWith(
      ecs.unassignPrivateIpAddresses(new $Ecs.UnassignPrivateIpAddressesRequest({ regionId: REGION, networkInterfaceId: eniId, privateIpAddress: [eni.privateIpAddress as string] })),
      'InvalidParameter',
      400,
    );
  });

  it('caps an attached ENI at its instance type (ecs.g7.large: 6 addresses) and a loose one at 50', async () => {
    const eniId = (await create('vsw-big', { secondaryPrivateIpAddressCount: 3 })).networkInterfaceId as string;
    await ecs.attachNetworkInterface(new $Ecs.AttachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: eniId, instanceId: 'i-g7' }));
    await assign(eniId, { secondaryPrivateIpAddressCount: 2 });
    await rejectsWith(assign(eniId, { secondaryPrivateIpAddressCount: 1 }), 'InvalidOperation.Ipv4CountExceeded', 403);
    const loose = (await create('vsw-big', { secondaryPrivateIpAddressCount: 49 })).networkInterfaceId as string;
    await rejectsWith(assign(loose, { secondaryPrivateIpAddressCount: 1 }), 'QuotaExceeded.PrivateIpAddress', 403);
    // An ENI with more addresses than the type allows cannot be attached to it.
    await rejectsWith(
      ecs.attachNetworkInterface(new $Ecs.AttachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: loose, instanceId: 'i-g7' })),
      'InvalidOperation.Ipv4CountExceeded',
      403,
    );
  });

  it('gives the same addresses for a repeated ClientToken, and refuses it with other parameters', async () => {
    const eniId = (await create('vsw-big')).networkInterfaceId as string;
    const first = await assign(eniId, { secondaryPrivateIpAddressCount: 2, clientToken: 'assign-1' });
    const again = await assign(eniId, { secondaryPrivateIpAddressCount: 2, clientToken: 'assign-1' });
    assert.deepEqual(again.body?.assignedPrivateIpAddressesSet, first.body?.assignedPrivateIpAddressesSet);
    assert.equal(running.sim.getEni(eniId)?.secondaryIpAddresses.length, 2);
    await rejectsWith(assign(eniId, { secondaryPrivateIpAddressCount: 3, clientToken: 'assign-1' }), 'IdempotentParameterMismatch', 400);
  });

  it('needs exactly one of the count and the list', async () => {
    const eniId = (await create('vsw-big')).networkInterfaceId as string;
    await rejectsWith(assign(eniId, {}), 'InvalidParameter', 400);
    await rejectsWith(assign(eniId, { secondaryPrivateIpAddressCount: 1, privateIpAddress: ['192.168.4.201'] }), 'InvalidParameter', 400);
  });
});

describe('ModifyNetworkInterfaceAttribute', () => {
  it('replaces the security groups after the modify latency, and name, description and DeleteOnRelease at once', async () => {
    const eniId = (await create('vsw-big')).networkInterfaceId as string;
    await ecs.modifyNetworkInterfaceAttribute(
      new $Ecs.ModifyNetworkInterfaceAttributeRequest({
        regionId: REGION,
        networkInterfaceId: eniId,
        securityGroupId: ['sg-b', 'sg-a'],
        description: 'changed',
        networkInterfaceName: 'renamed',
        deleteOnRelease: false,
      }),
    );
    const now = running.sim.getEni(eniId);
    assert.deepEqual(now?.securityGroupIds, ['sg-a']);
    assert.equal(now?.description, 'changed');
    assert.equal(now?.name, 'renamed');
    assert.equal(now?.deleteOnRelease, false);
    await new Promise((r) => setTimeout(r, 120));
    const attribute = await ecs.describeNetworkInterfaceAttribute(new $Ecs.DescribeNetworkInterfaceAttributeRequest({ regionId: REGION, networkInterfaceId: eniId }));
    assert.deepEqual(attribute.body?.securityGroupIds?.securityGroupId, ['sg-b', 'sg-a']);
  });

  it('refuses more than 5, unknown and duplicate security groups', async () => {
    const eniId = (await create('vsw-big')).networkInterfaceId as string;
    const modify = (ids: string[]): Promise<unknown> =>
      ecs.modifyNetworkInterfaceAttribute(new $Ecs.ModifyNetworkInterfaceAttributeRequest({ regionId: REGION, networkInterfaceId: eniId, securityGroupId: ids }));
    await rejectsWith(modify(['sg-a', 'sg-b', 'sg-a']), 'InvalidParameter', 400);
    await rejectsWith(modify(['sg-a', 'sg-b', 'sg-c', 'sg-d', 'sg-e', 'sg-f']), 'InvalidParameter', 400);
    await rejectsWith(modify(['sg-nope']), 'InvalidSecurityGroupId.NotFound', 404);
  });
});
