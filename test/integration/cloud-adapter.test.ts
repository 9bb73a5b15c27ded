// The ECS adapter through the real @alicloud SDK against the ECS simulator: signed HTTP requests,
// real error answers, call counts read from the simulator. Nothing below the port is mocked.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import CredentialModule, * as $Credentials from '@alicloud/credentials';
import { AlibabaCloudEcs } from '../../src/cloud/alicloud.ts';
import type { AlibabaCloudEcsOptions } from '../../src/cloud/alicloud.ts';
import type { EcsCallMetrics } from '../../src/cloud/call.ts';
import { cidrContains, gatewayOf } from '../../src/cloud/cidr.ts';
import { CloudError, ECS_ERROR_CODES } from '../../src/cloud/errors.ts';
import type { CloudReason, RetryClass } from '../../src/cloud/errors.ts';
import type { Eni, EniStatus } from '../../src/cloud/port.ts';
import { ERROR_STATUS, startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';
import { ECS_SUCCESS_CODE } from '../../src/metrics.ts';
import { TAG_CLAIM_NAME, TAG_CLAIM_UID, TAG_CLUSTER_ID, TERWAY_EXCLUDED_TAG } from '../../src/api/names.ts';

const WORLD: WorldSpec = {
  regionId: 'cn-hangzhou',
  accessKeys: [{ id: 'AKIDTEST', secret: 'the-secret-of-the-test' }],
  vpcs: [
    { id: 'vpc-test', cidrBlock: '192.168.0.0/16' },
    { id: 'vpc-other', cidrBlock: '10.0.0.0/16' },
  ],
  vSwitches: [
    { id: 'vsw-a', vpcId: 'vpc-test', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.0.0/22' },
    { id: 'vsw-i', vpcId: 'vpc-test', zoneId: 'cn-hangzhou-i', cidrBlock: '192.168.8.0/24' },
    { id: 'vsw-other', vpcId: 'vpc-other', zoneId: 'cn-hangzhou-h', cidrBlock: '10.0.1.0/24' },
  ],
  securityGroups: [
    { id: 'sg-a', vpcId: 'vpc-test' },
    { id: 'sg-b', vpcId: 'vpc-test' },
    { id: 'sg-other', vpcId: 'vpc-other' },
  ],
  instanceTypes: [{ id: 'ecs.test.one-secondary', eniQuantity: 2, eniPrivateIpAddressQuantity: 3 }],
  instances: [
    { id: 'i-a', instanceType: 'ecs.g7.large', vSwitchId: 'vsw-a' },
    { id: 'i-small', instanceType: 'ecs.test.one-secondary', vSwitchId: 'vsw-a' },
    { id: 'i-t6', instanceType: 'ecs.t6-c1m1.large', vSwitchId: 'vsw-a' },
  ],
  latencyMs: { api: 0, attach: 30, detach: 30, delete: 30, modify: 0 },
};

let simulator: RunningSimulator;

before(async () => {
  simulator = await startSimulator({ world: WORLD });
});

after(async () => {
  await simulator.close();
});

afterEach(() => {
  simulator.sim.clearFaults();
  simulator.sim.setRateLimits({});
  simulator.sim.resetCounts();
});

function accessKeyCredential(id: string, secret: string): InstanceType<typeof CredentialModule.default> {
  return new CredentialModule.default(new $Credentials.Config({ type: 'access_key', accessKeyId: id, accessKeySecret: secret }));
}

function adapter(options: Partial<AlibabaCloudEcsOptions> = {}): AlibabaCloudEcs {
  return new AlibabaCloudEcs({
    regionId: simulator.regionId,
    ecsEndpoint: simulator.endpoint,
    vpcEndpoint: simulator.endpoint,
    protocol: 'http',
    credential: accessKeyCredential(simulator.accessKey.id, simulator.accessKey.secret),
    timeoutMs: 5_000,
    ...options,
  });
}

function calls(action: string, code?: string): number {
  return simulator.sim.counts.count(action, code);
}

async function failure(promise: Promise<unknown>): Promise<CloudError> {
  const err = await promise.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CloudError, `expected a CloudError, got ${String(err)}`);
  return err;
}

function assertClass(err: CloudError, code: string, retryClass: RetryClass, reason: CloudReason): void {
  assert.deepEqual([err.code, err.retryClass, err.reason], [code, retryClass, reason], err.message);
}

async function waitForStatus(ecs: AlibabaCloudEcs, id: string, status: EniStatus | 'gone'): Promise<Eni | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const [eni] = await ecs.describeNetworkInterfaces({ ids: [id] });
    if (status === 'gone' ? eni === undefined : eni?.status === status) return eni;
    if (Date.now() > deadline) assert.fail(`ENI ${id} did not become ${status} (is ${eni?.status ?? 'gone'})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let tokens = 0;
function createInput(tags: Record<string, string>, extra: { vSwitchId?: string; securityGroupIds?: string[]; secondary?: number } = {}) {
  return {
    vSwitchId: extra.vSwitchId ?? 'vsw-a',
    securityGroupIds: extra.securityGroupIds ?? ['sg-a'],
    secondaryPrivateIpAddressCount: extra.secondary ?? 0,
    tags,
    clientToken: `token-${process.pid}-${++tokens}`,
  };
}

describe('ENI lifecycle through the SDK', () => {
  test('create, describe, attach, detach, delete: a round trip with every field read back', async () => {
    const ecs = adapter();
    const created = await ecs.createNetworkInterface({
      ...createInput({ 'ecseni.io/cluster-id': 'c1', team: 'storage' }, { securityGroupIds: ['sg-a', 'sg-b'], secondary: 2 }),
      description: 'round trip',
    });
    assert.match(created.id, /^eni-/);
    assert.equal(created.status, 'Available');
    assert.equal(created.type, 'Secondary');
    assert.match(created.macAddress, /^00:16:3e(:[0-9a-f]{2}){3}$/);
    assert.ok(cidrContains('192.168.0.0/22', created.primaryIpAddress));
    assert.notEqual(created.primaryIpAddress, gatewayOf('192.168.0.0/22'));
    assert.equal(created.secondaryIpAddresses.length, 2);
    assert.deepEqual([created.vpcId, created.vSwitchId, created.zoneId], ['vpc-test', 'vsw-a', 'cn-hangzhou-h']);
    assert.deepEqual(created.securityGroupIds, ['sg-a', 'sg-b']);
    assert.deepEqual(created.tags, { 'ecseni.io/cluster-id': 'c1', team: 'storage' });
    assert.equal(created.instanceId, undefined);
    // what the adapter always sends: a secondary ENI that outlives its instance
    assert.equal(simulator.sim.snapshot().enis.find((e) => e.id === created.id)?.deleteOnRelease, false);

    const [described] = await ecs.describeNetworkInterfaces({ ids: [created.id] });
    assert.deepEqual({ ...described, creationTime: undefined }, { ...created, creationTime: undefined, description: 'round trip' });

    await ecs.attachNetworkInterface(created.id, 'i-a');
    const inUse = await waitForStatus(ecs, created.id, 'InUse');
    assert.equal(inUse?.instanceId, 'i-a');
    const onInstance = await ecs.describeNetworkInterfaces({ instanceId: 'i-a' });
    assert.deepEqual(onInstance.map((e) => e.type).sort(), ['Primary', 'Secondary']);

    await ecs.detachNetworkInterface(created.id, 'i-a');
    const available = await waitForStatus(ecs, created.id, 'Available');
    assert.equal(available?.instanceId, undefined);

    await ecs.deleteNetworkInterface(created.id);
    await waitForStatus(ecs, created.id, 'gone');
    // NotFound on delete and detach of an ENI that is gone is success
    await ecs.deleteNetworkInterface(created.id);
    await ecs.detachNetworkInterface(created.id, 'i-a');
    assert.equal(calls('DeleteNetworkInterface', 'InvalidEniId.NotFound'), 1);
    assert.equal(calls('DetachNetworkInterface', 'InvalidEniId.NotFound'), 1);
  });

  test('the same ClientToken returns the same ENI; other parameters with it are an IdempotencyConflict', async () => {
    const ecs = adapter();
    const input = createInput({ run: 'idempotency' });
    const first = await ecs.createNetworkInterface(input);
    const second = await ecs.createNetworkInterface(input);
    assert.equal(second.id, first.id);
    assert.equal((await ecs.describeNetworkInterfaces({ tags: { run: 'idempotency' } })).length, 1);
    const err = await failure(ecs.createNetworkInterface({ ...input, securityGroupIds: ['sg-b'] }));
    assertClass(err, 'IdempotentParameterMismatch', 'permanent', 'IdempotencyConflict');
  });

  test('secondary addresses and security groups change in place', async () => {
    const ecs = adapter();
    const eni = await ecs.createNetworkInterface(createInput({ run: 'in-place' }));
    const added = await ecs.assignPrivateIpAddresses(eni.id, 2, `assign-${eni.id}`);
    assert.equal(added.length, 2);
    for (const ip of added) assert.ok(cidrContains('192.168.0.0/22', ip));
    let [now] = await ecs.describeNetworkInterfaces({ ids: [eni.id] });
    assert.deepEqual(now?.secondaryIpAddresses.slice().sort(), added.slice().sort());

    await ecs.unassignPrivateIpAddresses(eni.id, [added[0] as string]);
    await ecs.unassignPrivateIpAddresses(eni.id, []); // nothing to do: no call
    [now] = await ecs.describeNetworkInterfaces({ ids: [eni.id] });
    assert.deepEqual(now?.secondaryIpAddresses, [added[1]]);
    assert.equal(calls('UnassignPrivateIpAddresses'), 1);

    await ecs.modifySecurityGroups(eni.id, ['sg-b']);
    [now] = await ecs.describeNetworkInterfaces({ ids: [eni.id] });
    assert.deepEqual(now?.securityGroupIds, ['sg-b']);
    await ecs.deleteNetworkInterface(eni.id);
  });

  test('describeInstance reads type, zone and network; an unknown instance is undefined', async () => {
    const ecs = adapter();
    assert.deepEqual(await ecs.describeInstance('i-a'), {
      id: 'i-a',
      instanceType: 'ecs.g7.large',
      status: 'Running',
      zoneId: 'cn-hangzhou-h',
      vpcId: 'vpc-test',
      vSwitchId: 'vsw-a',
    });
    assert.equal(await ecs.describeInstance('i-nosuchthing'), undefined);
  });
});

describe('batching, paging and caches', () => {
  test('250 ids take 3 calls; 520 ENIs under one tag come back in 2 pages', async () => {
    const ecs = adapter({ rateLimitsPerMinute: { CreateNetworkInterface: Infinity, DeleteNetworkInterface: Infinity } });
    const created = await Promise.all(Array.from({ length: 520 }, () => ecs.createNetworkInterface(createInput({ run: 'paging' }))));
    const ids = created.map((e) => e.id);
    simulator.sim.resetCounts();

    const batch = await ecs.describeNetworkInterfaces({ ids: ids.slice(0, 250) });
    assert.equal(calls('DescribeNetworkInterfaces'), 3);
    assert.deepEqual(batch.map((e) => e.id).sort(), ids.slice(0, 250).sort());

    simulator.sim.resetCounts();
    const tagged = await ecs.describeNetworkInterfaces({ tags: { run: 'paging' } });
    assert.equal(calls('DescribeNetworkInterfaces'), 2);
    assert.equal(tagged.length, 520);
    assert.equal(new Set(tagged.map((e) => e.id)).size, 520);

    simulator.sim.resetCounts();
    assert.deepEqual(await ecs.describeNetworkInterfaces({ ids: [] }), []);
    assert.equal(calls('DescribeNetworkInterfaces'), 0);

    await Promise.all(ids.map((id) => ecs.deleteNetworkInterface(id)));
  });

  test('instance type quotas: ten concurrent callers, one DescribeInstanceTypes; an unknown type fails', async () => {
    const ecs = adapter();
    const answers = await Promise.all(Array.from({ length: 10 }, () => ecs.instanceTypeQuota('ecs.g7.large')));
    assert.equal(calls('DescribeInstanceTypes'), 1);
    for (const quota of answers) assert.deepEqual(quota, { instanceType: 'ecs.g7.large', eniQuantity: 3, eniPrivateIpAddressQuantity: 6 });
    await ecs.instanceTypeQuota('ecs.g7.large');
    assert.equal(calls('DescribeInstanceTypes'), 1);
    assert.deepEqual(await ecs.instanceTypeQuota('ecs.test.one-secondary'), { instanceType: 'ecs.test.one-secondary', eniQuantity: 2, eniPrivateIpAddressQuantity: 3 });
    assert.equal(calls('DescribeInstanceTypes'), 2);
    assertClass(await failure(ecs.instanceTypeQuota('ecs.nonexistent.large')), 'InstanceTypeNotFound', 'permanent', 'InstanceTypeNotFound');
  });

  test('vSwitches: one call per vSwitch, its CIDR and gateway; an unknown one is undefined, also cached', async () => {
    const ecs = adapter();
    const [first, second] = await Promise.all([ecs.describeVSwitch('vsw-i'), ecs.describeVSwitch('vsw-i')]);
    assert.deepEqual(first, second);
    assert.equal(first?.cidrBlock, '192.168.8.0/24');
    assert.equal(first?.zoneId, 'cn-hangzhou-i');
    assert.equal(first?.vpcId, 'vpc-test');
    assert.ok((first?.availableIpAddressCount ?? 0) > 200);
    assert.equal(gatewayOf(first?.cidrBlock ?? ''), '192.168.8.253');
    await ecs.describeVSwitch('vsw-i');
    assert.equal(calls('DescribeVSwitches'), 1);
    assert.equal(await ecs.describeVSwitch('vsw-missing'), undefined);
    assert.equal(await ecs.describeVSwitch('vsw-missing'), undefined);
    assert.equal(calls('DescribeVSwitches'), 2);
  });
});

describe('errors from the simulator, classified', () => {
  test('unknown vSwitch or security group are permanent NotFound reasons', async () => {
    const ecs = adapter();
    assertClass(await failure(ecs.createNetworkInterface(createInput({}, { vSwitchId: 'vsw-missing' }))), 'InvalidVSwitchId.NotFound', 'permanent', 'VSwitchNotFound');
    const sg = await failure(ecs.createNetworkInterface(createInput({}, { securityGroupIds: ['sg-missing'] })));
    assertClass(sg, 'InvalidSecurityGroupId.NotFound', 'permanent', 'SecurityGroupNotFound');
    assert.equal(sg.statusCode, 404);
    assert.equal(sg.action, 'CreateNetworkInterface');
    assert.ok(sg.requestId);
  });

  test('quota, zone, VPC and stopped-instance rules', async () => {
    const ecs = adapter();
    const enis = await Promise.all([
      ecs.createNetworkInterface(createInput({ run: 'rules' })),
      ecs.createNetworkInterface(createInput({ run: 'rules' })),
      ecs.createNetworkInterface(createInput({ run: 'rules' }, { vSwitchId: 'vsw-i' })),
      ecs.createNetworkInterface(createInput({ run: 'rules' }, { vSwitchId: 'vsw-other', securityGroupIds: ['sg-other'] })),
    ]);
    const [one, two, otherZone, otherVpc] = enis.map((e) => e.id) as [string, string, string, string];
    await ecs.attachNetworkInterface(one, 'i-small');
    await waitForStatus(ecs, one, 'InUse');
    assertClass(await failure(ecs.attachNetworkInterface(two, 'i-small')), 'EniPerInstanceLimitExceeded', 'permanent', 'InstanceENIQuotaExceeded');
    assertClass(await failure(ecs.attachNetworkInterface(otherZone, 'i-a')), 'InvalidOperation.AvailabilityZoneMismatch', 'permanent', 'ZoneMismatch');
    assertClass(await failure(ecs.attachNetworkInterface(otherVpc, 'i-a')), 'InvalidOperation.VpcMismatch', 'permanent', 'VpcMismatch');
    assertClass(await failure(ecs.attachNetworkInterface(two, 'i-t6')), 'IncorrectInstanceStatus', 'permanent', 'InstanceMustBeStopped');
    assertClass(await failure(ecs.deleteNetworkInterface(one)), 'InvalidOperation.InvalidEniState', 'conflict', 'InvalidEniState');
    assertClass(await failure(ecs.assignPrivateIpAddresses(one, 5, `too-many-${one}`)), 'InvalidOperation.Ipv4CountExceeded', 'permanent', 'PrivateIpQuotaExceeded');

    await ecs.detachNetworkInterface(one, 'i-small');
    await waitForStatus(ecs, one, 'Available');
    await Promise.all(enis.map((e) => ecs.deleteNetworkInterface(e.id)));
  });

  test("the simulator's throttling is throttled, with the server's retry-after, and counted", async () => {
    const observed: [string, string][] = [];
    const throttled: string[] = [];
    const metrics: EcsCallMetrics = { observeCall: (a, code) => void observed.push([a, code]), observeThrottled: (a) => void throttled.push(a) };
    const ecs = adapter({ metrics });
    simulator.sim.setRateLimits({ DescribeInstances: 2 });
    await ecs.describeInstance('i-a');
    await ecs.describeInstance('i-a');
    const err = await failure(ecs.describeInstance('i-a'));
    assertClass(err, 'Throttling.User', 'throttled', 'Throttled');
    assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 20_000 && err.retryAfterMs <= 30_000, `retryAfterMs ${err.retryAfterMs}`);
    assert.deepEqual(observed, [['DescribeInstances', ECS_SUCCESS_CODE], ['DescribeInstances', ECS_SUCCESS_CODE], ['DescribeInstances', 'Throttling.User']]);
    assert.deepEqual(throttled, ['DescribeInstances']);

    simulator.sim.addFault({ action: 'AttachNetworkInterface', errorCode: 'Throttling', retryAfterMs: 1234, count: 1 });
    const fault = await failure(ecs.attachNetworkInterface('eni-whatever', 'i-a'));
    assertClass(fault, 'Throttling', 'throttled', 'Throttled');
    assert.equal(fault.retryAfterMs, 1234);
  });

  test('5xx answers, cut connections and slow answers are transient; a create cut after commit is found again by its token', async () => {
    const ecs = adapter({ timeoutMs: 200 });
    simulator.sim.addFault({ action: 'DescribeInstances', errorCode: 'InternalError', count: 1 });
    assertClass(await failure(ecs.describeInstance('i-a')), 'InternalError', 'transient', 'CloudUnavailable');
    simulator.sim.addFault({ action: 'DescribeInstances', errorCode: 'SomethingNew', httpStatus: 502, count: 1 });
    assertClass(await failure(ecs.describeInstance('i-a')), 'SomethingNew', 'transient', 'CloudUnavailable');
    simulator.sim.addFault({ action: 'DescribeInstances', delayMs: 1_000, count: 1 });
    const started = performance.now();
    assertClass(await failure(ecs.describeInstance('i-a')), 'Timeout', 'transient', 'CloudUnavailable');
    assert.ok(performance.now() - started < 900);
    await until(() => calls('DescribeInstances') === 3); // the slow call still ends on the server; let it, before the next test counts

    simulator.sim.addFault({ action: 'CreateNetworkInterface', dropConnection: 'afterCommit', count: 1 });
    const input = createInput({ run: 'commit-then-drop' });
    assertClass(await failure(ecs.createNetworkInterface(input)), 'NetworkError', 'transient', 'CloudUnavailable');
    const retried = await ecs.createNetworkInterface(input);
    const tagged = await ecs.describeNetworkInterfaces({ tags: { run: 'commit-then-drop' } });
    assert.deepEqual(tagged.map((e) => e.id), [retried.id]);
    await ecs.deleteNetworkInterface(retried.id);
  });

  test('every code the simulator answers with is in the table, with the same HTTP status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      if (code === 'InvalidAction.NotFound') continue; // an SDK/simulator mismatch, not something ECS says
      assert.equal(ECS_ERROR_CODES[code]?.status, status, code);
    }
  });
});

describe('rate limits and credentials', () => {
  test('at 60 a minute the 61st call of a burst waits about a second; the simulator sees all 61', async () => {
    const ecs = adapter({ rateLimitsPerMinute: { DescribeInstances: 60 } });
    const started = performance.now();
    const finished: number[] = [];
    await Promise.all(Array.from({ length: 61 }, () => ecs.describeInstance('i-a').then(() => finished.push(performance.now() - started))));
    finished.sort((a, b) => a - b);
    assert.ok((finished[59] ?? Infinity) < 900, `the burst of 60 took ${finished[59]} ms`);
    assert.ok((finished[60] ?? 0) >= 950, `the 61st finished after ${finished[60]} ms`);
    assert.equal(calls('DescribeInstances', 'OK'), 61);
  });

  test("credentials from the default chain's environment variables", async () => {
    const saved = { id: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID, secret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET };
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = simulator.accessKey.id;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = simulator.accessKey.secret;
    try {
      const ecs = new AlibabaCloudEcs({ regionId: simulator.regionId, ecsEndpoint: simulator.endpoint, vpcEndpoint: simulator.endpoint, protocol: 'http' });
      assert.equal((await ecs.describeInstance('i-a'))?.id, 'i-a');
      assert.equal((await ecs.describeVSwitch('vsw-a'))?.id, 'vsw-a');
    } finally {
      restoreEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', saved.id);
      restoreEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', saved.secret);
    }
  });

  test('a wrong secret or an unknown key is CloudAuthFailed, and no message carries the secret', async () => {
    const wrongSecret = adapter({ credential: accessKeyCredential(simulator.accessKey.id, 'not-the-secret-xyz') });
    const err = await failure(wrongSecret.describeInstance('i-a'));
    assertClass(err, 'SignatureDoesNotMatch', 'auth', 'CloudAuthFailed');
    assert.doesNotMatch(`${err.message} ${JSON.stringify(err)}`, /not-the-secret-xyz/);
    const unknownKey = adapter({ credential: accessKeyCredential('AKIDUNKNOWN', 'whatever') });
    assertClass(await failure(unknownKey.createNetworkInterface(createInput({}))), 'InvalidAccessKeyId.NotFound', 'auth', 'CloudAuthFailed');
    assert.equal(calls('CreateNetworkInterface', 'InvalidAccessKeyId.NotFound'), 1);
    assert.equal(calls('CreateNetworkInterface', 'OK'), 0);
  });
});

describe('untagging', () => {
  test("untagNetworkInterface drops the ownership tags and keeps the rest; a gone ENI is success; failures still fail", async () => {
    const ecs = adapter();
    const owned = { [TAG_CLUSTER_ID]: 'c-untag', [TAG_CLAIM_UID]: 'uid-1', [TAG_CLAIM_NAME]: 'db-0', [TERWAY_EXCLUDED_TAG.key]: TERWAY_EXCLUDED_TAG.value, team: 'storage' };
    const eni = await ecs.createNetworkInterface(createInput(owned));
    await ecs.untagNetworkInterface(eni.id, [TAG_CLUSTER_ID, TAG_CLAIM_UID, TAG_CLAIM_NAME]);
    const [now] = await ecs.describeNetworkInterfaces({ ids: [eni.id] });
    assert.deepEqual(now?.tags, { [TERWAY_EXCLUDED_TAG.key]: TERWAY_EXCLUDED_TAG.value, team: 'storage' });
    assert.deepEqual(await ecs.describeNetworkInterfaces({ tags: { [TAG_CLUSTER_ID]: 'c-untag' } }), []);
    assert.equal(calls('UntagResources', 'OK'), 1);

    await ecs.untagNetworkInterface(eni.id, []); // nothing to do: no call
    assert.equal(calls('UntagResources'), 1);
    // UntagResources takes at most 20 TagKey.N: 25 keys go in two calls.
    await ecs.untagNetworkInterface(eni.id, Array.from({ length: 25 }, (_, i) => `absent-${i}`));
    assert.equal(calls('UntagResources', 'OK'), 3);

    simulator.sim.addFault({ action: 'UntagResources', errorCode: 'InternalError', count: 1 });
    assertClass(await failure(ecs.untagNetworkInterface(eni.id, ['team'])), 'InternalError', 'transient', 'CloudUnavailable');

    await ecs.deleteNetworkInterface(eni.id);
    await waitForStatus(ecs, eni.id, 'gone');
    await ecs.untagNetworkInterface(eni.id, [TAG_CLUSTER_ID]);
    assert.equal(calls('UntagResources', 'InvalidResourceId.NotFound'), 1);
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
