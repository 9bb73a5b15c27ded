// Authentication of the simulator over HTTP: the real SDK with a wrong secret or an unknown key,
// a real SDK request captured and replayed (nonce reuse), tampered, unsigned or stale requests,
// none of which changes state; and the admin API refusing non-loopback peers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { authorizationHeader, startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';

const REGION = 'cn-hangzhou';
const WORLD: WorldSpec = {
  regionId: REGION,
  accessKeys: [{ id: 'AKID', secret: 'SECRET' }, { id: 'AKID2', secret: 'SECRET2' }],
  vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
  vSwitches: [{ id: 'vsw-a', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.1.0/24' }],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }],
};

let running: RunningSimulator;

before(async () => {
  running = await startSimulator({ world: WORLD });
});
after(() => running.close());

function client(endpoint: string, accessKeyId: string, accessKeySecret: string): InstanceType<typeof Ecs.default> {
  return new Ecs.default(new $OpenApiUtil.Config({ endpoint, protocol: 'http', regionId: REGION, accessKeyId, accessKeySecret }));
}

function createRequest(): $Ecs.CreateNetworkInterfaceRequest {
  return new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'] });
}

async function rejectsWith(call: Promise<unknown>, code: string, statusCode: number): Promise<void> {
  await assert.rejects(call, (error: { code?: string; statusCode?: number }) => {
    assert.equal(`${error.code} ${error.statusCode}`, `${code} ${statusCode}`);
    return true;
  });
}

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** What the SDK sends for a call, captured by a stand-in server that answers `{}`. */
async function captureSdkRequest(call: (ecs: InstanceType<typeof Ecs.default>) => Promise<unknown>): Promise<Captured> {
  let captured: Captured | undefined;
  const recorder = createServer((req, res) => {
    captured = { method: req.method as string, url: req.url as string, headers: req.headers };
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  recorder.listen(0, '127.0.0.1');
  await once(recorder, 'listening');
  const { port } = recorder.address() as AddressInfo;
  await call(client(`127.0.0.1:${port}`, 'AKID', 'SECRET'));
  recorder.close();
  assert.ok(captured);
  return captured;
}

async function send(target: { host: string; port: number }, message: Captured): Promise<{ status: number; body: Record<string, unknown> }> {
  const req = request({ host: target.host, port: target.port, method: message.method, path: message.url, headers: message.headers });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode as number, body: JSON.parse(text) as Record<string, unknown> };
}

function simAddress(): { host: string; port: number } {
  const [host, port] = running.endpoint.split(':');
  return { host: host as string, port: Number(port) };
}

describe('signature checks', () => {
  it('answers SignatureDoesNotMatch to the SDK with a wrong secret, and changes nothing', async () => {
    const before = running.sim.listEnis().length;
    await rejectsWith(client(running.endpoint, 'AKID', 'WRONG').createNetworkInterface(createRequest()), 'SignatureDoesNotMatch', 400);
    assert.equal(running.sim.listEnis().length, before);
    assert.equal(running.sim.counts.count('CreateNetworkInterface', 'SignatureDoesNotMatch'), 1);
  });

  it('answers InvalidAccessKeyId.NotFound to an unknown key, and accepts every key of the world', async () => {
    await rejectsWith(client(running.endpoint, 'NOBODY', 'SECRET').createNetworkInterface(createRequest()), 'InvalidAccessKeyId.NotFound', 400);
    const res = await client(running.endpoint, 'AKID2', 'SECRET2').createNetworkInterface(createRequest());
    assert.match(res.body?.networkInterfaceId ?? '', /^eni-/);
  });

  it('answers SignatureNonceUsed when a real SDK request is replayed, and creates only one ENI', async () => {
    const captured = await captureSdkRequest((ecs) => ecs.createNetworkInterface(createRequest()));
    const before = running.sim.listEnis().length;
    const first = await send(simAddress(), captured);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const replay = await send(simAddress(), captured);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.Code, 'SignatureNonceUsed');
    assert.match(String(replay.body.RequestId), /^[0-9A-F-]{36}$/);
    assert.equal(running.sim.listEnis().length, before + 1);
  });

  it('answers SignatureDoesNotMatch when a signed parameter or header is changed on the way', async () => {
    const captured = await captureSdkRequest((ecs) => ecs.createNetworkInterface(createRequest()));
    const tamperedQuery = await send(simAddress(), { ...captured, url: captured.url.replace('vsw-a', 'vsw-b') });
    assert.equal(tamperedQuery.body.Code, 'SignatureDoesNotMatch');
    const fresh = await captureSdkRequest((ecs) => ecs.createNetworkInterface(createRequest()));
    const tamperedHeader = await send(simAddress(), { ...fresh, headers: { ...fresh.headers, 'x-acs-action': 'DeleteNetworkInterface' } });
    assert.equal(tamperedHeader.body.Code, 'SignatureDoesNotMatch');
  });

  it('answers IncompleteSignature to an unsigned request or one with an unsigned x-acs- header', async () => {
    const captured = await captureSdkRequest((ecs) => ecs.createNetworkInterface(createRequest()));
    const { authorization: _dropped, ...unsigned } = captured.headers;
    const before = running.sim.listEnis().length;
    const noAuth = await send(simAddress(), { ...captured, headers: unsigned });
    assert.deepEqual([noAuth.status, noAuth.body.Code], [400, 'IncompleteSignature']);
    const extra = await send(simAddress(), { ...captured, headers: { ...captured.headers, 'x-acs-extra': '1' } });
    assert.deepEqual([extra.status, extra.body.Code], [400, 'IncompleteSignature']);
    assert.equal(running.sim.listEnis().length, before);
  });

  it('refuses a correctly signed request whose date is more than 15 minutes off', async () => {
    const captured = await captureSdkRequest((ecs) => ecs.createNetworkInterface(createRequest()));
    const stale = new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(captured.headers)) if (name !== 'authorization') headers[name] = String(value);
    headers['x-acs-date'] = stale;
    const query = Object.fromEntries(new URLSearchParams(captured.url.slice(2)));
    headers.authorization = authorizationHeader('AKID', 'SECRET', { method: 'POST', path: '/', query, headers, payloadSha256Hex: headers['x-acs-content-sha256'] as string });
    const res = await send(simAddress(), { ...captured, headers });
    assert.deepEqual([res.status, res.body.Code], [400, 'InvalidTimeStamp.Expired']);
  });
});

describe('admin API access', () => {
  it('answers loopback peers and refuses others, while the signed API answers both', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    assert.ok(external, 'this test needs a non-loopback IPv4 address on the machine');
    const open = await startSimulator({ world: WORLD, host: '0.0.0.0' });
    try {
      const port = Number(open.endpoint.split(':')[1]);
      assert.equal((await fetch(`http://127.0.0.1:${port}/_sim/counts`)).status, 200);
      const refused = await fetch(`http://${external}:${port}/_sim/counts`);
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { Code: string }).Code, 'Forbidden');
      assert.equal((await fetch(`http://${external}:${port}/_sim/faults`, { method: 'POST', body: '{"action":"*","errorCode":"InternalError"}' })).status, 403);
      assert.deepEqual(open.sim.listFaults(), []);
      const res = await client(`${external}:${port}`, 'AKID', 'SECRET').createNetworkInterface(createRequest());
      assert.match(res.body?.networkInterfaceId ?? '', /^eni-/);
    } finally {
      await open.close();
    }
  });
});
