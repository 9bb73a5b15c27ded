// A world can start with ENIs of its own (an account's existing ENIs, e.g. one a claim adopts):
// they are Available under the ids the world gives, hold their addresses, and behave as any other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';

const REGION = 'cn-hangzhou';
const WORLD: WorldSpec = {
  regionId: REGION,
  accessKeys: [{ id: 'AKID', secret: 'SECRET' }],
  vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
  vSwitches: [{ id: 'vsw-a', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.1.0/29' }],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }],
  instances: [{ id: 'i-a', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-a' }],
  networkInterfaces: [
    { id: 'eni-existing', vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], primaryIpAddress: '192.168.1.4', description: 'made by hand', tags: { owner: 'ops' } },
    { id: 'eni-other', vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'] },
  ],
};

describe('world ENIs', () => {
  let running: RunningSimulator;
  let ecs: InstanceType<typeof Ecs.default>;
  before(async () => {
    running = await startSimulator({ world: WORLD });
    ecs = new Ecs.default(new $OpenApiUtil.Config({ endpoint: running.endpoint, protocol: 'http', regionId: REGION, accessKeyId: 'AKID', accessKeySecret: 'SECRET' }));
  });
  after(() => running.close());

  it('are Available under their own ids with their addresses, description and tags', async () => {
    const res = await ecs.describeNetworkInterfaceAttribute(new $Ecs.DescribeNetworkInterfaceAttributeRequest({ regionId: REGION, networkInterfaceId: 'eni-existing' }));
    assert.equal(res.body?.status, 'Available');
    assert.equal(res.body?.privateIpAddress, '192.168.1.4');
    assert.equal(res.body?.description, 'made by hand');
    assert.deepEqual(res.body?.tags?.tag?.map((t) => [t.tagKey, t.tagValue]), [['owner', 'ops']]);
    assert.match(res.body?.macAddress ?? '', /^00:16:3e(:[0-9a-f]{2}){3}$/);
  });

  it('hold their addresses: a /29 has 4 usable, the instance and two world ENIs take 3', async () => {
    const create = (): Promise<unknown> => ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'] }));
    await create();
    await assert.rejects(create(), (e: { code?: string }) => e.code === 'InvalidVSwitchId.IpNotEnough');
  });

  it('attach like any other ENI', async () => {
    await ecs.attachNetworkInterface(new $Ecs.AttachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: 'eni-existing', instanceId: 'i-a' }));
    const eni = running.sim.getEni('eni-existing');
    assert.equal(eni?.status, 'InUse');
    assert.equal(eni?.instanceId, 'i-a');
  });
});
