import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorldError, parseWorld, resolveWorld } from './world.ts';
import type { WorldSpec } from './world.ts';

// The example of the simulator's issue, verbatim.
const ISSUE_EXAMPLE = `
regionId: cn-hangzhou
accessKeys: [{id: AKID, secret: SECRET}]
vpcs: [{id: vpc-test, cidrBlock: 192.168.0.0/16}]
vSwitches: [{id: vsw-a, vpcId: vpc-test, zoneId: cn-hangzhou-h, cidrBlock: 192.168.1.0/24}]
securityGroups: [{id: sg-a, vpcId: vpc-test}]
instanceTypes: [{id: ecs.g7.large, eniQuantity: 3, eniPrivateIpAddressQuantity: 6, attachRequiresStopped: false}]
instances: [{id: i-a, instanceType: ecs.g7.large, zoneId: cn-hangzhou-h, vSwitchId: vsw-a, status: Running}]
latencyMs: {api: 20, attach: 1500, detach: 1000, delete: 500}
rateLimitsPerMinute: {}          # e.g. {CreateNetworkInterface: 500}
`;

function base(): WorldSpec {
  return {
    regionId: 'cn-hangzhou',
    accessKeys: [{ id: 'AK', secret: 'S' }],
    vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
    vSwitches: [{ id: 'vsw-a', vpcId: 'vpc-a', zoneId: 'z-h', cidrBlock: '192.168.1.0/24' }],
    securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }],
  };
}

describe('world file', () => {
  it('reads the issue example', () => {
    const world = resolveWorld(parseWorld(ISSUE_EXAMPLE));
    assert.equal(world.regionId, 'cn-hangzhou');
    assert.equal(world.accessKeys.get('AKID'), 'SECRET');
    assert.deepEqual(world.latencyMs, { api: 20, attach: 1500, detach: 1000, delete: 500, modify: 0 });
    assert.deepEqual(world.instances, [
      { id: 'i-a', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-a', zoneId: 'cn-hangzhou-h', status: 'Running', securityGroupIds: ['sg-a'], primaryIpAddress: '' },
    ]);
  });

  it('takes catalogue figures for a type given by id only, and lets the world override them', () => {
    const world = resolveWorld({ ...base(), instanceTypes: [{ id: 'ecs.g7.large' }, { id: 'ecs.g6.large', eniQuantity: 5 }] });
    assert.deepEqual(
      [world.instanceTypes.get('ecs.g7.large')?.eniQuantity, world.instanceTypes.get('ecs.g7.large')?.eniPrivateIpAddressQuantity],
      [3, 6],
    );
    assert.equal(world.instanceTypes.get('ecs.g6.large')?.eniQuantity, 5);
    assert.equal(world.instanceTypes.get('ecs.t6-c1m1.large')?.attachRequiresStopped, true);
  });

  it('defaults latencies to 0 and rate limits to off', () => {
    const world = resolveWorld(base());
    assert.deepEqual(world.latencyMs, { api: 0, attach: 0, detach: 0, delete: 0, modify: 0 });
    assert.equal(world.rateLimitProfile, 'none');
    assert.deepEqual(world.rateLimitsPerMinute, {});
  });

  it('names what is wrong', () => {
    const cases: [Partial<WorldSpec>, RegExp][] = [
      [{ accessKeys: [] }, /accessKeys/],
      [{ vSwitches: [{ id: 'v', vpcId: 'vpc-x', zoneId: 'z', cidrBlock: '192.168.1.0/24' }] }, /unknown vpcId vpc-x/],
      [{ vSwitches: [{ id: 'v', vpcId: 'vpc-a', zoneId: 'z', cidrBlock: '10.0.0.0/24' }] }, /outside VPC/],
      [{ vSwitches: [{ id: 'v', vpcId: 'vpc-a', zoneId: 'z', cidrBlock: '192.168.1.0/30' }] }, /\/16 to \/29/],
      [{ instanceTypes: [{ id: 'ecs.unknown.large' }] }, /eniQuantity is required/],
      [{ instances: [{ id: 'i', instanceType: 'ecs.nope', vSwitchId: 'vsw-a' }] }, /unknown instanceType/],
      [{ instances: [{ id: 'i', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-a', zoneId: 'z-i' }] }, /zone z-i is not the zone/],
      [{ instances: [{ id: 'i', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-a' }, { id: 'i', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-a' }] }, /duplicate id i/],
      [{ latencyMs: { attach: -1 } }, /latencyMs.attach/],
      [{ networkInterfaces: [{ id: 'nic-1', vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'] }] }, /id must start with eni-/],
      [{ networkInterfaces: [{ id: 'eni-1', vSwitchId: 'vsw-x', securityGroupIds: ['sg-a'] }] }, /unknown vSwitchId vsw-x/],
      [{ networkInterfaces: [{ id: 'eni-1', vSwitchId: 'vsw-a', securityGroupIds: [] }] }, /at least one/],
      [{ networkInterfaces: [{ id: 'eni-1', vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], primaryIpAddress: '10.0.0.5' }] }, /not in vSwitch vsw-a/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => resolveWorld({ ...base(), ...change }), (e: unknown) => e instanceof WorldError && message.test(e.message), String(message));
    }
  });
});
