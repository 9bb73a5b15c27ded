// The simulator's read actions through the real SDK over HTTP: filters, NextToken/MaxResults and
// PageNumber/PageSize paging, 1–100 NetworkInterfaceId.N, DescribeInstances' JSON InstanceIds,
// DescribeInstanceTypes from the catalogue, and VPC DescribeVSwitches on the same listener.
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
    { id: 'vsw-h', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.0.0/20' },
    { id: 'vsw-i', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-i', cidrBlock: '192.168.16.0/24' },
  ],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }, { id: 'sg-b', vpcId: 'vpc-a' }],
  instances: [
    { id: 'i-1', instanceType: 'ecs.g7.xlarge', vSwitchId: 'vsw-h' },
    { id: 'i-2', instanceType: 'ecs.g6.large', vSwitchId: 'vsw-h', status: 'Stopped' },
    { id: 'i-3', instanceType: 'ecs.c7.large', vSwitchId: 'vsw-i' },
  ],
};

let running: RunningSimulator;
let ecs: InstanceType<typeof Ecs.default>;
let vpc: InstanceType<typeof Vpc.default>;
const tagged: string[] = [];
const all: string[] = [];

before(async () => {
  running = await startSimulator({ world: WORLD });
  const config = new $OpenApiUtil.Config({ endpoint: running.endpoint, protocol: 'http', regionId: REGION, accessKeyId: 'AKID', accessKeySecret: 'SECRET' });
  ecs = new Ecs.default(config);
  vpc = new Vpc.default(config);
  for (let i = 0; i < 130; i++) {
    const tag = i % 2 === 0 ? [new $Ecs.CreateNetworkInterfaceRequestTag({ key: 'parity', value: 'even' })] : [];
    const res = await ecs.createNetworkInterface(
      new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-h', securityGroupIds: [i % 3 === 0 ? 'sg-b' : 'sg-a'], tag }),
    );
    const id = res.body?.networkInterfaceId as string;
    all.push(id);
    if (i % 2 === 0) tagged.push(id);
  }
});
after(() => running.close());

async function rejectsWith(call: Promise<unknown>, code: string, statusCode: number): Promise<void> {
  await assert.rejects(call, (error: { code?: string; statusCode?: number }) => error.code === code && error.statusCode === statusCode);
}

function describeEnis(fields: Partial<$Ecs.DescribeNetworkInterfacesRequest>): Promise<$Ecs.DescribeNetworkInterfacesResponse> {
  return ecs.describeNetworkInterfaces(new $Ecs.DescribeNetworkInterfacesRequest({ regionId: REGION, ...fields }));
}

function idsOf(res: $Ecs.DescribeNetworkInterfacesResponse): string[] {
  return (res.body?.networkInterfaceSets?.networkInterfaceSet ?? []).map((e) => e.networkInterfaceId as string);
}

/** Every page, following NextToken. */
async function describeAll(fields: Partial<$Ecs.DescribeNetworkInterfacesRequest>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const res = await describeEnis({ ...fields, ...(nextToken ? { nextToken } : {}) });
    ids.push(...idsOf(res));
    nextToken = res.body?.nextToken || undefined;
    pages++;
  } while (nextToken);
  return { ids, pages };
}

describe('DescribeNetworkInterfaces', () => {
  it('pages with MaxResults and NextToken through every ENI once, in creation order', async () => {
    const { ids, pages } = await describeAll({ maxResults: 50, vSwitchId: 'vsw-h', type: 'Secondary' });
    assert.deepEqual(ids, all);
    assert.equal(pages, 3);
    const first = await describeEnis({ maxResults: 50, vSwitchId: 'vsw-h', type: 'Secondary' });
    assert.equal(first.body?.totalCount, 130);
  });

  it('keeps a NextToken valid when ENIs before it are deleted', async () => {
    const first = await describeEnis({ maxResults: 10, tag: [new $Ecs.DescribeNetworkInterfacesRequestTag({ key: 'parity', value: 'even' })] });
    assert.deepEqual(idsOf(first), tagged.slice(0, 10));
    const victim = tagged[0] as string;
    await ecs.deleteNetworkInterface(new $Ecs.DeleteNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: victim }));
    const second = await describeEnis({ maxResults: 10, nextToken: first.body?.nextToken, tag: [new $Ecs.DescribeNetworkInterfacesRequestTag({ key: 'parity', value: 'even' })] });
    assert.deepEqual(idsOf(second), tagged.slice(10, 20));
    tagged.shift();
    all.splice(all.indexOf(victim), 1);
  });

  it('pages by PageNumber/PageSize when no token is asked for, 10 a page by default', async () => {
    assert.equal(idsOf(await describeEnis({ type: 'Secondary' })).length, 10);
    const page3 = await describeEnis({ type: 'Secondary', pageNumber: 3, pageSize: 20 });
    assert.deepEqual(idsOf(page3), all.slice(40, 60));
    assert.equal(page3.body?.pageNumber, 3);
    assert.equal(page3.body?.nextToken, undefined);
  });

  it('rejects MaxResults outside 10–500 and a NextToken it did not hand out', async () => {
    await rejectsWith(describeEnis({ maxResults: 501 }), 'InvalidParameter', 400);
    await rejectsWith(describeEnis({ maxResults: 5 }), 'InvalidParameter', 400);
    await rejectsWith(describeEnis({ maxResults: 10, nextToken: 'bm9wZQ' }), 'InvalidParameter', 400);
  });

  it('takes 1 to 100 NetworkInterfaceId.N, and refuses 101', async () => {
    const hundred = all.slice(0, 100);
    const { ids } = await describeAll({ networkInterfaceId: hundred, maxResults: 500 });
    assert.deepEqual(ids, hundred);
    assert.deepEqual(idsOf(await describeEnis({ networkInterfaceId: [all[7] as string], maxResults: 10 })), [all[7]]);
    await rejectsWith(describeEnis({ networkInterfaceId: all.slice(0, 101), maxResults: 500 }), 'InvalidParameter', 400);
  });

  it('filters by tag, security group, status, instance and address; all given filters must match', async () => {
    assert.deepEqual((await describeAll({ maxResults: 500, tag: [new $Ecs.DescribeNetworkInterfacesRequestTag({ key: 'parity', value: 'even' })] })).ids, tagged);
    assert.deepEqual((await describeAll({ maxResults: 500, tag: [new $Ecs.DescribeNetworkInterfacesRequestTag({ key: 'parity' })] })).ids, tagged);
    const sgB = (await describeAll({ maxResults: 500, securityGroupId: 'sg-b', type: 'Secondary' })).ids;
    assert.ok(sgB.length > 0 && sgB.every((id) => running.sim.getEni(id)?.securityGroupIds.includes('sg-b')));
    const both = (await describeAll({ maxResults: 500, securityGroupId: 'sg-b', tag: [new $Ecs.DescribeNetworkInterfacesRequestTag({ key: 'parity', value: 'even' })] })).ids;
    assert.deepEqual(both, sgB.filter((id) => tagged.includes(id)));
    const primaries = await describeAll({ maxResults: 500, type: 'Primary' });
    assert.equal(primaries.ids.length, 3);
    assert.deepEqual((await describeAll({ maxResults: 500, instanceId: 'i-3' })).ids, primaries.ids.slice(2));
    const one = running.sim.getEni(all[5] as string);
    assert.deepEqual((await describeAll({ maxResults: 500, privateIpAddress: [one?.primaryIpAddress as string] })).ids, [all[5]]);
    assert.deepEqual((await describeAll({ maxResults: 500, status: 'InUse', type: 'Secondary' })).ids, []);
  });
});

describe('DescribeInstances', () => {
  it('takes InstanceIds as a JSON array and lists each instance with its VPC attributes and attached ENIs', async () => {
    const res = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify(['i-1', 'i-3', 'i-gone']) }));
    const instances = res.body?.instances?.instance ?? [];
    assert.deepEqual(instances.map((i) => i.instanceId), ['i-1', 'i-3']);
    const [first] = instances;
    assert.equal(first?.instanceType, 'ecs.g7.xlarge');
    assert.equal(first?.status, 'Running');
    assert.equal(first?.zoneId, 'cn-hangzhou-h');
    assert.equal(first?.vpcAttributes?.vpcId, 'vpc-a');
    assert.equal(first?.vpcAttributes?.vSwitchId, 'vsw-h');
    assert.equal(first?.networkInterfaces?.networkInterface?.[0]?.type, 'Primary');
    assert.match(first?.networkInterfaces?.networkInterface?.[0]?.macAddress ?? '', /^00:16:3e:/);
  });

  it('filters by status and pages with MaxResults/NextToken', async () => {
    const stopped = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, status: 'Stopped' }));
    assert.deepEqual(stopped.body?.instances?.instance?.map((i) => i.instanceId), ['i-2']);
    const page1 = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, maxResults: 2 }));
    const page2 = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, maxResults: 2, nextToken: page1.body?.nextToken }));
    assert.deepEqual([...(page1.body?.instances?.instance ?? []), ...(page2.body?.instances?.instance ?? [])].map((i) => i.instanceId), ['i-1', 'i-2', 'i-3']);
    assert.equal(page2.body?.nextToken, undefined);
  });

  it('rejects InstanceIds that are not a JSON array of at most 100', async () => {
    await rejectsWith(ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: 'i-1' })), 'InvalidParameter', 400);
    const many = JSON.stringify(Array.from({ length: 101 }, (_, i) => `i-${i}`));
    await rejectsWith(ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: many })), 'InvalidParameter', 400);
  });
});

describe('DescribeInstanceTypes', () => {
  it('answers the catalogue figures for real types (primary ENI included in EniQuantity)', async () => {
    const res = await ecs.describeInstanceTypes(new $Ecs.DescribeInstanceTypesRequest({ instanceTypes: ['ecs.g7.large', 'ecs.g7.xlarge', 'ecs.g6.large'] }));
    const byId = new Map((res.body?.instanceTypes?.instanceType ?? []).map((t) => [t.instanceTypeId, t]));
    assert.equal(byId.get('ecs.g7.large')?.eniQuantity, 3);
    assert.equal(byId.get('ecs.g7.large')?.eniPrivateIpAddressQuantity, 6);
    assert.equal(byId.get('ecs.g7.xlarge')?.eniQuantity, 4);
    assert.equal(byId.get('ecs.g7.xlarge')?.eniPrivateIpAddressQuantity, 15);
    assert.equal(byId.get('ecs.g7.xlarge')?.eniTotalQuantity, 20);
    assert.equal(byId.get('ecs.g6.large')?.eniQuantity, 2);
  });

  it('filters by family', async () => {
    const res = await ecs.describeInstanceTypes(new $Ecs.DescribeInstanceTypesRequest({ instanceTypeFamily: 'ecs.r7' }));
    const ids = (res.body?.instanceTypes?.instanceType ?? []).map((t) => t.instanceTypeId as string);
    assert.ok(ids.length >= 5 && ids.every((id) => id.startsWith('ecs.r7.')), ids.join());
  });
});

describe('DescribeVSwitches (VPC 2016-04-28)', () => {
  it('answers CIDR, zone and an AvailableIpAddressCount that follows allocations', async () => {
    const describe = async (): Promise<$Vpc.DescribeVSwitchesResponseBodyVSwitchesVSwitch | undefined> =>
      (await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: REGION, vSwitchId: 'vsw-h' }))).body?.vSwitches?.vSwitch?.[0];
    const before = await describe();
    assert.equal(before?.cidrBlock, '192.168.0.0/20');
    assert.equal(before?.zoneId, 'cn-hangzhou-h');
    assert.equal(before?.vpcId, 'vpc-a');
    // 4096 addresses, 4 reserved, 2 instance primaries, and the secondary ENIs still there.
    const used = 2 + running.sim.listEnis().filter((e) => e.vSwitchId === 'vsw-h' && e.type === 'Secondary').length;
    assert.equal(before?.availableIpAddressCount, 4092 - used);
    await ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-h', securityGroupIds: ['sg-a'], secondaryPrivateIpAddressCount: 3 }));
    assert.equal((await describe())?.availableIpAddressCount, 4092 - used - 4);
  });

  it('filters by zone and VPC', async () => {
    const res = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: REGION, zoneId: 'cn-hangzhou-i' }));
    assert.deepEqual(res.body?.vSwitches?.vSwitch?.map((v) => v.vSwitchId), ['vsw-i']);
    const none = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: REGION, vpcId: 'vpc-other' }));
    assert.deepEqual(none.body?.vSwitches?.vSwitch, []);
  });
});
