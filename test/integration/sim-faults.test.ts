// Faults, rate limits and call counts, seen through the real SDK over HTTP and set through the
// admin API: injected errors by count and probability, added delay, cutting the connection before
// or after the change is committed, and throttling as the SDK's ThrottlingError with retryAfter.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import Vpc, * as $Vpc from '@alicloud/vpc20160428';
import { $OpenApiUtil, ClientError, ServerError, ThrottlingError } from '@alicloud/openapi-core';
import { CONNECTION_DROPPED, REALISTIC_RATE_LIMITS_PER_MINUTE, SimAdminClient, startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';

const REGION = 'cn-hangzhou';
const WORLD: WorldSpec = {
  regionId: REGION,
  accessKeys: [{ id: 'AKID', secret: 'SECRET' }],
  vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
  vSwitches: [{ id: 'vsw-a', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.0.0/20' }],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }],
};

let running: RunningSimulator;
let ecs: InstanceType<typeof Ecs.default>;
let admin: SimAdminClient;

function clientsFor(r: RunningSimulator): { ecs: InstanceType<typeof Ecs.default>; vpc: InstanceType<typeof Vpc.default> } {
  const config = new $OpenApiUtil.Config({ endpoint: r.endpoint, protocol: 'http', regionId: REGION, accessKeyId: r.accessKey.id, accessKeySecret: r.accessKey.secret });
  return { ecs: new Ecs.default(config), vpc: new Vpc.default(config) };
}

before(async () => {
  running = await startSimulator({ world: WORLD });
  ecs = clientsFor(running).ecs;
  admin = new SimAdminClient(running.url);
});
after(() => running.close());
beforeEach(async () => {
  await admin.clearFaults();
  await admin.setRateLimits({});
  await admin.resetCounts();
});

function create(clientToken?: string): Promise<$Ecs.CreateNetworkInterfaceResponse> {
  return ecs.createNetworkInterface(
    new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], ...(clientToken ? { clientToken } : {}) }),
  );
}

function describeEnis(): Promise<$Ecs.DescribeNetworkInterfacesResponse> {
  return ecs.describeNetworkInterfaces(new $Ecs.DescribeNetworkInterfacesRequest({ regionId: REGION, maxResults: 10 }));
}

describe('injected errors', () => {
  it('fails the next N calls of an action with the given code and status, then expires', async () => {
    await admin.addFault({ action: 'CreateNetworkInterface', errorCode: 'InternalError', count: 2 });
    const before = (await admin.enis()).length;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(create(), (e: unknown) => e instanceof ServerError && e.code === 'InternalError' && e.statusCode === 500);
    }
    assert.equal((await admin.enis()).length, before);
    assert.deepEqual(await admin.faults(), []);
    assert.match((await create()).body?.networkInterfaceId ?? '', /^eni-/);
    await describeEnis(); // other actions were never affected
    assert.deepEqual((await admin.counts()).CreateNetworkInterface, { InternalError: 2, OK: 1 });
  });

  it('answers any code, with a status of its own when given', async () => {
    await admin.addFault({ action: '*', errorCode: 'Operation.Conflict', count: 1 });
    await assert.rejects(describeEnis(), (e: unknown) => e instanceof ClientError && e.code === 'Operation.Conflict' && e.statusCode === 403);
    await admin.addFault({ action: 'DescribeNetworkInterfaces', errorCode: 'ServiceUnavailable', httpStatus: 503, message: 'try later', count: 1 });
    await assert.rejects(describeEnis(), (e: unknown) => e instanceof ServerError && e.statusCode === 503 && /try later/.test(e.message));
  });

  it('hits about the given share of calls when given a probability', async () => {
    const fault = await admin.addFault({ action: 'DescribeNetworkInterfaces', errorCode: 'InternalError', probability: 0.5 });
    let failed = 0;
    for (let i = 0; i < 200; i++) await describeEnis().catch(() => failed++);
    assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed`);
    assert.equal((await admin.faults()).find((f) => f.id === fault.id)?.fired, failed);
  });

  it('delays calls by delayMs', async () => {
    await admin.addFault({ action: 'DescribeNetworkInterfaces', delayMs: 80, count: 1 });
    const started = performance.now();
    await describeEnis();
    assert.ok(performance.now() - started >= 75);
  });

  it('adds latencyMs.api to every call', async () => {
    const slow = await startSimulator({ world: { ...WORLD, latencyMs: { api: 60 } } });
    try {
      const started = performance.now();
      await clientsFor(slow).ecs.describeNetworkInterfaces(new $Ecs.DescribeNetworkInterfacesRequest({ regionId: REGION }));
      assert.ok(performance.now() - started >= 55);
    } finally {
      await slow.close();
    }
  });

  it('refuses a malformed fault with 400', async () => {
    await assert.rejects(admin.addFault({ action: 'X', probability: 2, errorCode: 'InternalError' }), (e: { status?: number }) => e.status === 400);
    await assert.rejects(admin.addFault({ action: 'X' }), (e: { status?: number }) => e.status === 400);
  });
});

describe('dropped connections', () => {
  it('commit then drop: the client sees a socket error, the ENI exists, and a retry with the same ClientToken returns it', async () => {
    await admin.addFault({ action: 'CreateNetworkInterface', dropConnection: 'afterCommit', count: 1 });
    const before = new Set((await admin.enis()).map((e) => e.id));
    await assert.rejects(create('token-dropped'), (e: { code?: string; message?: string }) => {
      assert.ok(!(e instanceof ClientError) && !(e instanceof ServerError), `expected a socket error, got ${e.code}`);
      assert.match(`${e.code} ${e.message}`, /ECONNRESET|socket hang up|other side closed/i);
      return true;
    });
    const created = (await admin.enis()).filter((e) => !before.has(e.id));
    assert.equal(created.length, 1);
    const retry = await create('token-dropped');
    assert.equal(retry.body?.networkInterfaceId, created[0]?.id);
    assert.deepEqual((await admin.counts()).CreateNetworkInterface, { [CONNECTION_DROPPED]: 1, OK: 1 });
  });

  it('drop before commit: the client sees a socket error and nothing changed', async () => {
    await admin.addFault({ action: 'CreateNetworkInterface', dropConnection: 'beforeCommit', count: 1 });
    const before = (await admin.enis()).length;
    await assert.rejects(create(), (e: unknown) => !(e instanceof ClientError) && !(e instanceof ServerError));
    assert.equal((await admin.enis()).length, before);
  });
});

describe('throttling', () => {
  it('answers Throttling.User with x-acs-retry-after past an action’s per-minute limit; the SDK makes it a ThrottlingError', async () => {
    await admin.setRateLimits({ DescribeNetworkInterfaces: 3 });
    for (let i = 0; i < 3; i++) await describeEnis();
    await assert.rejects(describeEnis(), (e: unknown) => {
      assert.ok(e instanceof ThrottlingError, String(e));
      assert.equal(e.code, 'Throttling.User');
      assert.equal(e.statusCode, 400);
      // 3 a minute: the next token is about 20 s away.
      assert.ok(e.retryAfter !== undefined && e.retryAfter > 15_000 && e.retryAfter <= 20_000, String(e.retryAfter));
      return true;
    });
    await create(); // another action has its own bucket
    assert.deepEqual((await admin.counts()).DescribeNetworkInterfaces, { OK: 3, 'Throttling.User': 1 });
  });

  it('throttles a faulted Throttling code too, with the fault’s retryAfterMs', async () => {
    await admin.addFault({ action: 'DescribeNetworkInterfaces', errorCode: 'Throttling.Api', retryAfterMs: 250, count: 1 });
    await assert.rejects(describeEnis(), (e: unknown) => e instanceof ThrottlingError && e.retryAfter === 250);
  });

  it('applies Terway’s per-minute table with the realistic profile (DescribeVSwitches: burst of 300)', async () => {
    const realistic = await startSimulator({ world: WORLD, rateLimitProfile: 'realistic' });
    try {
      assert.deepEqual(await new SimAdminClient(realistic.url).rateLimits(), REALISTIC_RATE_LIMITS_PER_MINUTE);
      const { vpc } = clientsFor(realistic);
      const call = (): Promise<unknown> => vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: REGION }));
      const started = Date.now();
      let passed = 0;
      let throttled: unknown;
      while (passed <= 400 && !throttled) await call().then(() => passed++, (e: unknown) => (throttled = e));
      assert.ok(throttled instanceof ThrottlingError && (throttled.retryAfter ?? 0) > 0 && (throttled.retryAfter ?? 0) <= 200, String(throttled));
      // The burst, plus what 300 a minute refilled meanwhile.
      const refilled = Math.ceil(((Date.now() - started) * 300) / 60_000);
      assert.ok(passed >= 300 && passed <= 300 + refilled, `${passed} passed, ${refilled} refilled`);
    } finally {
      await realistic.close();
    }
  });
});

describe('call counts', () => {
  it('counts each call under its action and result code, and resets', async () => {
    await create();
    await describeEnis();
    await ecs.deleteNetworkInterface(new $Ecs.DeleteNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: 'eni-missing' })).catch(() => {});
    assert.deepEqual(await admin.counts(), {
      CreateNetworkInterface: { OK: 1 },
      DescribeNetworkInterfaces: { OK: 1 },
      DeleteNetworkInterface: { 'InvalidEniId.NotFound': 1 },
    });
    await admin.resetCounts();
    assert.deepEqual(await admin.counts(), {});
  });
});
