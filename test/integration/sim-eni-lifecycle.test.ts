// The simulator's ENI lifecycle through the real @alicloud SDK over HTTP: create, attach, detach,
// delete with their latencies and state timestamps, subscriber events, the rules ECS enforces on
// attach (quota, zone, VPC, stopped-only types), idempotency, and releasing an instance.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { SimAdminClient, parseWorld, startSimulator } from '../../src/sim/index.ts';
import type { AttachmentEvent, RunningSimulator } from '../../src/sim/index.ts';

const WORLD = `
regionId: cn-hangzhou
accessKeys: [{id: AKID, secret: SECRET}]
vpcs: [{id: vpc-a, cidrBlock: 192.168.0.0/16}, {id: vpc-b, cidrBlock: 10.0.0.0/8}]
vSwitches:
  - {id: vsw-h, vpcId: vpc-a, zoneId: cn-hangzhou-h, cidrBlock: 192.168.1.0/24}
  - {id: vsw-i, vpcId: vpc-a, zoneId: cn-hangzhou-i, cidrBlock: 192.168.2.0/24}
  - {id: vsw-b, vpcId: vpc-b, zoneId: cn-hangzhou-h, cidrBlock: 10.1.0.0/24}
securityGroups: [{id: sg-a, vpcId: vpc-a}, {id: sg-b, vpcId: vpc-b}]
instanceTypes: [{id: ecs.g7.large}]
instances:
  - {id: i-g7, instanceType: ecs.g7.large, vSwitchId: vsw-h}
  - {id: i-quota, instanceType: ecs.g7.large, vSwitchId: vsw-h}
  - {id: i-t6, instanceType: ecs.t6-c1m1.large, vSwitchId: vsw-h}
  - {id: i-doomed, instanceType: ecs.g7.large, vSwitchId: vsw-h}
latencyMs: {api: 0, attach: 40, detach: 40, delete: 40}
`;
const REGION = 'cn-hangzhou';

let running: RunningSimulator;
let ecs: InstanceType<typeof Ecs.default>;
let admin: SimAdminClient;

before(async () => {
  running = await startSimulator({ world: parseWorld(WORLD) });
  ecs = new Ecs.default(
    new $OpenApiUtil.Config({ endpoint: running.endpoint, protocol: 'http', regionId: REGION, accessKeyId: 'AKID', accessKeySecret: 'SECRET' }),
  );
  admin = new SimAdminClient(running.url);
});
after(() => running.close());

async function rejectsWith(call: Promise<unknown>, code: string, statusCode: number): Promise<void> {
  await assert.rejects(call, (error: { code?: string; statusCode?: number; name?: string }) => {
    assert.equal(error.code, code);
    assert.equal(error.statusCode, statusCode);
    return true;
  });
}

async function create(vSwitchId = 'vsw-h', extra: Partial<$Ecs.CreateNetworkInterfaceRequest> = {}): Promise<string> {
  const securityGroupIds = [vSwitchId === 'vsw-b' ? 'sg-b' : 'sg-a'];
  const res = await ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId, securityGroupIds, ...extra }));
  return res.body?.networkInterfaceId as string;
}

async function status(eniId: string): Promise<string | undefined> {
  return (await ecs.describeNetworkInterfaceAttribute(new $Ecs.DescribeNetworkInterfaceAttributeRequest({ regionId: REGION, networkInterfaceId: eniId }))).body?.status;
}

function attach(eniId: string, instanceId: string): Promise<unknown> {
  return ecs.attachNetworkInterface(new $Ecs.AttachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: eniId, instanceId }));
}

function detach(eniId: string, instanceId: string): Promise<unknown> {
  return ecs.detachNetworkInterface(new $Ecs.DetachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: eniId, instanceId }));
}

function remove(eniId: string): Promise<unknown> {
  return ecs.deleteNetworkInterface(new $Ecs.DeleteNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: eniId }));
}

function nextEvent(match: (e: AttachmentEvent) => boolean): Promise<AttachmentEvent> {
  return new Promise((resolve) => {
    const unsubscribe = running.sim.subscribe((event) => {
      if (match(event)) {
        unsubscribe();
        resolve(event);
      }
    });
  });
}

async function waitForStatus(eniId: string, wanted: string): Promise<void> {
  for (let i = 0; i < 100 && (await status(eniId)) !== wanted; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(await status(eniId), wanted);
}

describe('ENI lifecycle', () => {
  it('creates an Available ENI with a unique 00:16:3e MAC, an address from the vSwitch and the given tags', async () => {
    const res = await ecs.createNetworkInterface(
      new $Ecs.CreateNetworkInterfaceRequest({
        regionId: REGION,
        vSwitchId: 'vsw-h',
        securityGroupIds: ['sg-a'],
        description: 'storage net',
        networkInterfaceName: 'db0',
        tag: [new $Ecs.CreateNetworkInterfaceRequestTag({ key: 'ecseni.io/claim-uid', value: 'u-1' })],
      }),
    );
    const body = res.body as $Ecs.CreateNetworkInterfaceResponseBody;
    assert.match(body.networkInterfaceId ?? '', /^eni-[a-z0-9]{20}$/);
    assert.equal(body.status, 'Available');
    assert.equal(body.type, 'Secondary');
    assert.match(body.macAddress ?? '', /^00:16:3e(:[0-9a-f]{2}){3}$/);
    assert.match(body.privateIpAddress ?? '', /^192\.168\.1\.\d+$/);
    assert.deepEqual(body.securityGroupIds?.securityGroupId, ['sg-a']);
    assert.deepEqual(body.tags?.tag?.map((t) => [t.tagKey, t.tagValue]), [['ecseni.io/claim-uid', 'u-1']]);
    assert.equal(body.vpcId, 'vpc-a');
    assert.equal(body.zoneId, 'cn-hangzhou-h');
    const macs = (await admin.enis()).map((e) => e.macAddress);
    assert.equal(new Set(macs).size, macs.length);
  });

  it('attaches asynchronously: Attaching at once, InUse after the latency, when subscribers hear of it', async () => {
    const eniId = await create();
    const attached = nextEvent((e) => e.eniId === eniId && e.kind === 'attach');
    const sentAt = Date.now();
    await attach(eniId, 'i-g7');
    assert.equal(await status(eniId), 'Attaching');
    const event = await attached;
    assert.ok(event.at - sentAt >= 35, `InUse after ${event.at - sentAt} ms`);
    assert.equal(event.instanceId, 'i-g7');
    assert.equal(event.macAddress, running.sim.getEni(eniId)?.macAddress);
    const attribute = (await ecs.describeNetworkInterfaceAttribute(new $Ecs.DescribeNetworkInterfaceAttributeRequest({ regionId: REGION, networkInterfaceId: eniId }))).body;
    assert.equal(attribute?.status, 'InUse');
    assert.equal(attribute?.instanceId, 'i-g7');
    assert.equal(attribute?.attachment?.instanceId, 'i-g7');
    const { history } = await admin.eni(eniId);
    assert.deepEqual(history.map((h) => h.status), ['Available', 'Attaching', 'InUse']);
    assert.equal((history[2]?.at ?? 0) - (history[1]?.at ?? 0) >= 35, true);
  });

  it('streams attach and detach events over the admin API', async () => {
    const eniId = await create();
    const events: AttachmentEvent[] = [];
    const stop = await admin.events((event) => {
      if (event.eniId === eniId) events.push(event);
    });
    try {
      await attach(eniId, 'i-g7');
      await waitForStatus(eniId, 'InUse');
      await detach(eniId, 'i-g7');
      await waitForStatus(eniId, 'Available');
      for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      const mac = running.sim.getEni(eniId)?.macAddress;
      assert.deepEqual(
        events.map((e) => [e.kind, e.instanceId, e.macAddress]),
        [
          ['attach', 'i-g7', mac],
          ['detach', 'i-g7', mac],
        ],
      );
    } finally {
      stop();
    }
  });

  it('detaches (the detach event comes as the ENI leaves InUse) and deletes, after which the ENI is not found', async () => {
    const eniId = await create();
    await attach(eniId, 'i-g7');
    await waitForStatus(eniId, 'InUse');
    const detached = nextEvent((e) => e.eniId === eniId && e.kind === 'detach');
    await detach(eniId, 'i-g7');
    assert.equal((await detached).instanceId, 'i-g7');
    assert.equal(await status(eniId), 'Detaching');
    await detach(eniId, 'i-g7'); // a repeated detach while Detaching is accepted
    await waitForStatus(eniId, 'Available');
    assert.equal(running.sim.getEni(eniId)?.instanceId, undefined);
    await remove(eniId);
    assert.equal(await status(eniId), 'Deleting');
    for (let i = 0; i < 100 && running.sim.getEni(eniId); i++) await new Promise((r) => setTimeout(r, 10));
    await rejectsWith(status(eniId), 'InvalidEniId.NotFound', 404);
    await rejectsWith(remove(eniId), 'InvalidEniId.NotFound', 404);
    const { eni, history } = await admin.eni(eniId);
    assert.equal(eni, null);
    assert.deepEqual(history.map((h) => h.status), ['Available', 'Attaching', 'InUse', 'Detaching', 'Available', 'Deleting', 'Deleted']);
    for (let i = 1; i < history.length; i++) assert.ok((history[i]?.at ?? 0) >= (history[i - 1]?.at ?? 0));
  });

  it('refuses operations in the wrong state and on the primary ENI', async () => {
    const eniId = await create();
    await rejectsWith(detach(eniId, 'i-g7'), 'InvalidOperation.InvalidEniState', 400);
    await attach(eniId, 'i-g7');
    await rejectsWith(attach(eniId, 'i-g7'), 'InvalidOperation.InvalidEniState', 400);
    await rejectsWith(remove(eniId), 'InvalidOperation.InvalidEniState', 400);
    const primary = running.sim.listInstances().find((i) => i.id === 'i-g7')?.primaryEniId as string;
    await rejectsWith(detach(primary, 'i-g7'), 'InvalidOperation.DetachPrimaryEniNotAllowed', 400);
    await rejectsWith(remove(primary), 'InvalidOperation.InvalidEniState', 400);
    await waitForStatus(eniId, 'InUse');
    await detach(eniId, 'i-g7');
    await waitForStatus(eniId, 'Available');
  });

  it('answers unknown IDs with the documented NotFound codes', async () => {
    const eniId = await create();
    await rejectsWith(attach('eni-doesnotexist', 'i-g7'), 'InvalidEniId.NotFound', 404);
    await rejectsWith(attach(eniId, 'i-nope'), 'InvalidInstanceId.NotFound', 403);
    await rejectsWith(detach(eniId, 'i-nope'), 'InvalidEcsId.NotFound', 404);
    await rejectsWith(create('vsw-nope'), 'InvalidVSwitchId.NotFound', 404);
    await rejectsWith(
      ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-h', securityGroupIds: ['sg-nope'] })),
      'InvalidSecurityGroupId.NotFound',
      404,
    );
  });

  it('answers missing and invalid parameters with MissingParameter and InvalidParameter', async () => {
    await rejectsWith(ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, securityGroupIds: ['sg-a'] })), 'MissingParameter', 400);
    await rejectsWith(ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-h' })), 'MissingParameter', 400);
    await rejectsWith(create('vsw-h', { secondaryPrivateIpAddressCount: 50 }), 'InvalidParameter', 400);
    await rejectsWith(create('vsw-h', { securityGroupId: 'sg-a' }), 'InvalidParameter', 400); // both forms at once
    await rejectsWith(create('vsw-h', { description: 'https://example.com' }), 'InvalidParameter', 400);
    await rejectsWith(create('vsw-h', { clientToken: 'x'.repeat(65) }), 'InvalidParameter', 400);
    await rejectsWith(attach('', 'i-g7'), 'MissingParameter', 400);
    await rejectsWith(
      ecs.deleteNetworkInterface(new $Ecs.DeleteNetworkInterfaceRequest({ regionId: 'cn-beijing', networkInterfaceId: 'eni-x' })),
      'InvalidRegionId.NotFound',
      404,
    );
  });

  it('enforces the tag rules', async () => {
    const tags = (n: number, key = (i: number): string => `k${i}`): $Ecs.CreateNetworkInterfaceRequestTag[] =>
      Array.from({ length: n }, (_, i) => new $Ecs.CreateNetworkInterfaceRequestTag({ key: key(i), value: 'v' }));
    await rejectsWith(create('vsw-h', { tag: tags(21) }), 'QuotaExceed.Tags', 403);
    await rejectsWith(create('vsw-h', { tag: tags(1, () => 'aliyun-x') }), 'InvalidTagKey.Malformed', 400);
    assert.match(await create('vsw-h', { tag: tags(20) }), /^eni-/);
  });
});

describe('attach rules', () => {
  it('counts the primary ENI in the per-instance quota (ecs.g7.large: 3)', async () => {
    const [a, b, c] = [await create(), await create(), await create()];
    await attach(a, 'i-quota');
    await attach(b, 'i-quota'); // Attaching ENIs hold a slot too
    await rejectsWith(attach(c, 'i-quota'), 'EniPerInstanceLimitExceeded', 403);
    assert.equal(await status(c), 'Available');
  });

  it('refuses an ENI from another zone or another VPC', async () => {
    await rejectsWith(attach(await create('vsw-i'), 'i-g7'), 'InvalidOperation.AvailabilityZoneMismatch', 403);
    await rejectsWith(attach(await create('vsw-b'), 'i-g7'), 'InvalidOperation.VpcMismatch', 403);
    await rejectsWith(
      ecs.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-h', securityGroupIds: ['sg-b'] })),
      'InvalidOperation.VpcMismatch',
      403,
    );
  });

  it('attaches to a type without hot-plug only while the instance is Stopped', async () => {
    const eniId = await create();
    await rejectsWith(attach(eniId, 'i-t6'), 'IncorrectInstanceStatus', 403);
    await admin.stopInstance('i-t6');
    await attach(eniId, 'i-t6');
    await waitForStatus(eniId, 'InUse');
    await admin.startInstance('i-t6');
    await rejectsWith(detach(eniId, 'i-t6'), 'IncorrectInstanceStatus', 403);
    await admin.stopInstance('i-t6');
    await detach(eniId, 'i-t6');
    await waitForStatus(eniId, 'Available');
  });
});

describe('idempotency', () => {
  it('returns the same ENI for a repeated ClientToken with the same parameters', async () => {
    const before = (await admin.enis()).length;
    const first = await create('vsw-h', { clientToken: 'claim-uid-1', description: 'same' });
    const again = await create('vsw-h', { clientToken: 'claim-uid-1', description: 'same' });
    assert.equal(again, first);
    assert.equal((await admin.enis()).length, before + 1);
  });

  it('answers IdempotentParameterMismatch when the token comes back with other parameters', async () => {
    await create('vsw-h', { clientToken: 'claim-uid-2', description: 'one' });
    const before = (await admin.enis()).length;
    await rejectsWith(create('vsw-h', { clientToken: 'claim-uid-2', description: 'two' }), 'IdempotentParameterMismatch', 400);
    assert.equal((await admin.enis()).length, before);
  });
});

describe('releasing an instance', () => {
  it('leaves its secondary ENIs Available (with a detach event) and removes the instance and its primary ENI', async () => {
    const eniId = await create();
    await attach(eniId, 'i-doomed');
    await waitForStatus(eniId, 'InUse');
    const primary = running.sim.listInstances().find((i) => i.id === 'i-doomed')?.primaryEniId as string;
    const detached = nextEvent((e) => e.eniId === eniId && e.kind === 'detach');
    await admin.releaseInstance('i-doomed');
    assert.equal((await detached).instanceId, 'i-doomed');
    assert.equal(await status(eniId), 'Available');
    await rejectsWith(status(primary), 'InvalidEniId.NotFound', 404);
    const instances = await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify(['i-doomed']) }));
    assert.deepEqual(instances.body?.instances?.instance, []);
    await rejectsWith(attach(eniId, 'i-doomed'), 'InvalidInstanceId.NotFound', 403);
  });
});
