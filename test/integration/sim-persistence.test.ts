// `--state FILE` across restarts, through the real SDK over HTTP: ENIs, addresses, MACs,
// idempotency tokens, released instances and transitions in flight survive; the file is replaced
// atomically. And the `ecs-eni-controller sim` command end to end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import Vpc, * as $Vpc from '@alicloud/vpc20160428';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { SimAdminClient, startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';

const REGION = 'cn-hangzhou';
const WORLD: WorldSpec = {
  regionId: REGION,
  accessKeys: [{ id: 'AKID', secret: 'SECRET' }],
  vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
  vSwitches: [{ id: 'vsw-a', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.1.0/24' }],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }],
  instanceTypes: [{ id: 'ecs.g7.xlarge' }],
  instances: [
    { id: 'i-keep', instanceType: 'ecs.g7.xlarge', vSwitchId: 'vsw-a' },
    { id: 'i-gone', instanceType: 'ecs.g7.xlarge', vSwitchId: 'vsw-a' },
  ],
  latencyMs: { attach: 300 },
};

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-state-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function clients(r: { endpoint: string }): { ecs: InstanceType<typeof Ecs.default>; vpc: InstanceType<typeof Vpc.default> } {
  const config = new $OpenApiUtil.Config({ endpoint: r.endpoint, protocol: 'http', regionId: REGION, accessKeyId: 'AKID', accessKeySecret: 'SECRET' });
  return { ecs: new Ecs.default(config), vpc: new Vpc.default(config) };
}

async function create(ecs: InstanceType<typeof Ecs.default>, clientToken: string): Promise<string> {
  const tag = [new $Ecs.CreateNetworkInterfaceRequestTag({ key: 'owner', value: clientToken })];
  const res = await ecs.createNetworkInterface(
    new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], clientToken, tag, secondaryPrivateIpAddressCount: 2 }),
  );
  return res.body?.networkInterfaceId as string;
}

async function availableIps(vpc: InstanceType<typeof Vpc.default>): Promise<number | undefined> {
  return (await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: REGION, vSwitchId: 'vsw-a' }))).body?.vSwitches?.vSwitch?.[0]?.availableIpAddressCount;
}

describe('persistence', () => {
  it('keeps ENIs, addresses, tokens and released instances across a restart, and finishes transitions in flight', async () => {
    const statePath = join(dir, 'state.json');
    let running: RunningSimulator = await startSimulator({ world: WORLD, statePath });
    let { ecs, vpc } = clients(running);
    const settled = await create(ecs, 'tok-settled');
    const inFlight = await create(ecs, 'tok-in-flight');
    const onGone = await create(ecs, 'tok-on-gone');
    await ecs.attachNetworkInterface(new $Ecs.AttachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: onGone, instanceId: 'i-gone' }));
    await new Promise((r) => setTimeout(r, 350));
    await running.sim.releaseInstance('i-gone');
    await ecs.attachNetworkInterface(new $Ecs.AttachNetworkInterfaceRequest({ regionId: REGION, networkInterfaceId: inFlight, instanceId: 'i-keep' }));
    const enisBefore = running.sim.listEnis();
    const freeBefore = await availableIps(vpc);
    await running.close(); // the attach of inFlight is still under way

    running = await startSimulator({ world: WORLD, statePath });
    try {
      ({ ecs, vpc } = clients(running));
      assert.deepEqual(
        running.sim.listEnis().map((e) => ({ ...e, status: e.id === inFlight ? 'Attaching' : e.status })),
        enisBefore,
      );
      assert.equal(await availableIps(vpc), freeBefore);
      assert.deepEqual(running.sim.listInstances().map((i) => i.id), ['i-keep']);
      assert.equal(running.sim.getEni(onGone)?.status, 'Available');
      // The same ClientToken still gives the same ENI; new ENIs take new addresses.
      assert.equal(await create(ecs, 'tok-settled'), settled);
      const fresh = running.sim.getEni(await create(ecs, 'tok-fresh'));
      const taken = new Set(enisBefore.flatMap((e) => [e.primaryIpAddress, ...e.secondaryIpAddresses]));
      assert.ok(fresh && ![fresh.primaryIpAddress, ...fresh.secondaryIpAddresses].some((ip) => taken.has(ip)));
      for (let i = 0; i < 100 && running.sim.getEni(inFlight)?.status !== 'InUse'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(running.sim.getEni(inFlight)?.status, 'InUse');
      assert.deepEqual(running.sim.eniHistory(inFlight).map((h) => h.status), ['Available', 'Attaching', 'InUse']);
    } finally {
      await running.close();
    }
  });

  it('has every answered change on disk already, written by rename (no temporary file left)', async () => {
    const statePath = join(dir, 'atomic.json');
    const running = await startSimulator({ world: WORLD, statePath });
    try {
      const { ecs } = clients(running);
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => create(ecs, `tok-${i}`)));
      const onDisk = JSON.parse(await readFile(statePath, 'utf8')) as { enis: { id: string }[] };
      for (const id of ids) assert.ok(onDisk.enis.some((e) => e.id === id), id);
      assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('atomic.json.')), []);
    } finally {
      await running.close();
    }
  });
});

describe('ecs-eni-controller sim', () => {
  it('prints its endpoint, serves the SDK and the admin API, and exits 0 on SIGTERM', async () => {
    const worldPath = join(dir, 'world.yaml');
    await writeFile(worldPath, JSON.stringify(WORLD)); // JSON is YAML
    const child = spawn(process.execPath, ['src/cli.ts', 'sim', '--world', worldPath, '--listen', '127.0.0.1:0', '--state', join(dir, 'cli.json'), '--rate-limits', 'realistic'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => (output += chunk));
      for (let i = 0; i < 200 && !/http:\/\/127\.0\.0\.1:\d+/.test(output); i++) await new Promise((r) => setTimeout(r, 25));
      const url = /http:\/\/(127\.0\.0\.1:\d+)/.exec(output)?.[1];
      assert.ok(url, `no endpoint in: ${output}`);
      const { ecs } = clients({ endpoint: url });
      assert.match(await create(ecs, 'cli'), /^eni-/);
      assert.equal((await new SimAdminClient(`http://${url}`).rateLimits()).DescribeVSwitches, 300);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      assert.match(output, /stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 with usage when --world is missing', async () => {
    const child = spawn(process.execPath, ['src/cli.ts', 'sim'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /usage: ecs-eni-controller sim --world/);
  });
});
