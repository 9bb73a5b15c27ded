// The demo's cloud: one VPC, the vSwitch the example claims use, three nodes of instance types
// with different ENI quotas (one that attaches only while stopped), and an ENI made by hand
// before the cluster existed (the one deploy/examples/adopt-existing.yaml adopts).
import type { WorldSpec } from '../src/sim/index.ts';
import type { SystemNode } from '../test/support/system.ts';

export const DEMO_NODES: (SystemNode & { instanceType: string })[] = [
  { name: 'node-a', instanceId: 'i-node-a', instanceType: 'ecs.g7.xlarge' }, // 4 ENIs: 3 secondary
  { name: 'node-b', instanceId: 'i-node-b', instanceType: 'ecs.g6.large' }, // 2 ENIs: 1 secondary
  { name: 'node-c', instanceId: 'i-node-c', instanceType: 'ecs.t6-c1m1.large' }, // attaches only while Stopped
];

export const DEMO_VSWITCH = 'vsw-demo-a';
export const ADOPTED_ENI = 'eni-demo-existing';

export function demoWorld(): WorldSpec {
  return {
    regionId: 'cn-hangzhou',
    accessKeys: [{ id: 'demo-access-key', secret: 'demo-access-secret' }],
    vpcs: [{ id: 'vpc-demo', cidrBlock: '192.168.0.0/16' }],
    vSwitches: [
      { id: 'vsw-demo-nodes', vpcId: 'vpc-demo', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.0.0/24' },
      { id: DEMO_VSWITCH, vpcId: 'vpc-demo', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.10.0/24' },
    ],
    securityGroups: [{ id: 'sg-demo-nodes', vpcId: 'vpc-demo' }, { id: 'sg-demo-web', vpcId: 'vpc-demo' }, { id: 'sg-demo-db', vpcId: 'vpc-demo' }],
    instanceTypes: DEMO_NODES.map((n) => ({ id: n.instanceType })),
    instances: DEMO_NODES.map((n) => ({ id: n.instanceId, instanceType: n.instanceType, vSwitchId: 'vsw-demo-nodes', status: 'Running' as const })),
    networkInterfaces: [{ id: ADOPTED_ENI, vSwitchId: DEMO_VSWITCH, securityGroupIds: ['sg-demo-web'], description: 'made by hand before the cluster' }],
    // Shorter than ECS's seconds, so that the walk-through stays brisk; the order of events is the same.
    latencyMs: { api: 10, attach: 800, detach: 500, delete: 300, modify: 300 },
  };
}
