// TagResources and UntagResources (ResourceType eni) through the real SDK over HTTP: tags added,
// overwritten and removed as DescribeNetworkInterfaces then lists and filters them; the documented
// errors, with nothing changed by a call that fails; counts, faults and rate limits like every
// action; and the state file holding the change by the time the answer arrives.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil, ServerError, ThrottlingError } from '@alicloud/openapi-core';
import { TAG_CLAIM_NAME, TAG_CLAIM_UID, TAG_CLUSTER_ID, TERWAY_EXCLUDED_TAG } from '../../src/api/names.ts';
import { startSimulator } from '../../src/sim/index.ts';
import type { RunningSimulator, WorldSpec } from '../../src/sim/index.ts';

const REGION = 'cn-hangzhou';
const WORLD: WorldSpec = {
  regionId: REGION,
  accessKeys: [{ id: 'AKID', secret: 'SECRET' }],
  vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
  vSwitches: [{ id: 'vsw-a', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-h', cidrBlock: '192.168.0.0/24' }],
  securityGroups: [{ id: 'sg-a', vpcId: 'vpc-a' }],
};

type Client = InstanceType<typeof Ecs.default>;
type Tags = Record<string, string>;

let running: RunningSimulator;
let ecs: Client;

function clientFor(r: RunningSimulator): Client {
  return new Ecs.default(new $OpenApiUtil.Config({ endpoint: r.endpoint, protocol: 'http', regionId: REGION, accessKeyId: 'AKID', accessKeySecret: 'SECRET' }));
}

before(async () => {
  running = await startSimulator({ world: WORLD });
  ecs = clientFor(running);
});
after(() => running.close());
afterEach(() => {
  running.sim.clearFaults();
  running.sim.setRateLimits({});
  running.sim.resetCounts();
});

async function create(tags: Tags, client: Client = ecs): Promise<string> {
  const tag = Object.entries(tags).map(([key, value]) => new $Ecs.CreateNetworkInterfaceRequestTag({ key, value }));
  const res = await client.createNetworkInterface(new $Ecs.CreateNetworkInterfaceRequest({ regionId: REGION, vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], tag }));
  return res.body?.networkInterfaceId as string;
}

function tag(ids: string[], tags: Tags, resourceType = 'eni', client: Client = ecs): Promise<$Ecs.TagResourcesResponse> {
  const tag = Object.entries(tags).map(([key, value]) => new $Ecs.TagResourcesRequestTag({ key, value }));
  return client.tagResources(new $Ecs.TagResourcesRequest({ regionId: REGION, resourceType, resourceId: ids, tag }));
}

function untag(ids: string[], fields: Partial<$Ecs.UntagResourcesRequest>): Promise<$Ecs.UntagResourcesResponse> {
  return ecs.untagResources(new $Ecs.UntagResourcesRequest({ regionId: REGION, resourceType: 'eni', resourceId: ids, ...fields }));
}

/** The ENI's tags as DescribeNetworkInterfaces lists them, in order. */
async function tagsOf(id: string): Promise<[string, string][]> {
  const res = await ecs.describeNetworkInterfaces(new $Ecs.DescribeNetworkInterfacesRequest({ regionId: REGION, networkInterfaceId: [id] }));
  const eni = res.body?.networkInterfaceSets?.networkInterfaceSet?.[0];
  assert.ok(eni, `${id} is listed`);
  return (eni.tags?.tag ?? []).map((t) => [t.tagKey as string, t.tagValue as string]);
}

async function idsTagged(key: string, value: string): Promise<string[]> {
  const filter = [new $Ecs.DescribeNetworkInterfacesRequestTag({ key, value })];
  const res = await ecs.describeNetworkInterfaces(new $Ecs.DescribeNetworkInterfacesRequest({ regionId: REGION, tag: filter }));
  return (res.body?.networkInterfaceSets?.networkInterfaceSet ?? []).map((e) => e.networkInterfaceId as string).sort();
}

async function rejectsWith(call: Promise<unknown>, code: string, statusCode: number): Promise<void> {
  await assert.rejects(call, (error: { code?: string; statusCode?: number }) => {
    assert.equal(`${error.code} ${error.statusCode}`, `${code} ${statusCode}`);
    return true;
  });
}

function manyTags(count: number, prefix: string): Tags {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, String(i)]));
}

describe('TagResources', () => {
  it('adds tags to several ENIs in one call; a key an ENI has keeps its place and takes the new value', async () => {
    const one = await create({ team: 'storage', tier: 'a' });
    const two = await create({});
    await tag([one, two], { tier: 'b', run: 'tag-several' });
    assert.deepEqual(await tagsOf(one), [['team', 'storage'], ['tier', 'b'], ['run', 'tag-several']]);
    assert.deepEqual(await tagsOf(two), [['tier', 'b'], ['run', 'tag-several']]);
    assert.deepEqual(await idsTagged('run', 'tag-several'), [one, two].sort());
    assert.equal(running.sim.counts.count('TagResources', 'OK'), 1);
  });

  it('refuses a 21st tag on an ENI with OperationDenied.QuotaExceed, and then tags none of the ENIs named', async () => {
    const full = await create(manyTags(19, 'k'));
    const roomy = await create({});
    await tag([full], { k0: 'overwriting is no new tag' }); // still 19
    await rejectsWith(tag([roomy, full], { extra1: 'x', extra2: 'y' }), 'OperationDenied.QuotaExceed', 400);
    assert.equal((await tagsOf(full)).length, 19);
    assert.deepEqual(await tagsOf(roomy), []);
    await tag([full], { extra1: 'x' });
    assert.equal((await tagsOf(full)).length, 20);
  });

  it('answers unknown ENIs, resource types and malformed tags with the documented codes, changing nothing', async () => {
    const eni = await create({ keep: 'me' });
    await rejectsWith(tag(['eni-nosuchthing'], { a: 'b' }), 'InvalidResourceId.NotFound', 404);
    await rejectsWith(tag([eni, 'eni-nosuchthing'], { a: 'b' }), 'InvalidResourceId.NotFound', 404);
    await rejectsWith(tag([eni], { a: 'b' }, 'instance'), 'InvalidResourceType.NotFound', 404);
    await rejectsWith(tag([eni], { 'aliyun:reserved': 'b' }), 'InvalidTagKey.Malformed', 400);
    await rejectsWith(tag([eni], manyTags(21, 'k')), 'InvalidParameter', 400);
    await rejectsWith(tag([eni], {}), 'MissingParameter', 400);
    await rejectsWith(tag([], { a: 'b' }), 'MissingParameter', 400);
    await rejectsWith(tag(Array.from({ length: 51 }, () => eni), { a: 'b' }), 'InvalidParameter', 400);
    assert.deepEqual(await tagsOf(eni), [['keep', 'me']]);
  });
});

describe('UntagResources', () => {
  it("removes the controller's ownership tags and keeps Terway's: the cluster's tag filter no longer finds the ENI", async () => {
    const owned = {
      [TAG_CLUSTER_ID]: 'cluster-untag',
      [TAG_CLAIM_UID]: 'uid-1',
      [TAG_CLAIM_NAME]: 'db-0',
      [TERWAY_EXCLUDED_TAG.key]: TERWAY_EXCLUDED_TAG.value,
      team: 'storage',
    };
    const retained = await create(owned);
    const other = await create(owned);
    assert.deepEqual(await idsTagged(TAG_CLUSTER_ID, 'cluster-untag'), [retained, other].sort());
    // A key the ENI does not carry is no error.
    await untag([retained], { tagKey: [TAG_CLUSTER_ID, TAG_CLAIM_UID, TAG_CLAIM_NAME, 'not-there'] });
    assert.deepEqual(await tagsOf(retained), [[TERWAY_EXCLUDED_TAG.key, TERWAY_EXCLUDED_TAG.value], ['team', 'storage']]);
    assert.deepEqual(await idsTagged(TAG_CLUSTER_ID, 'cluster-untag'), [other]);
    // Again: the tags are gone already, and the answer is the same.
    await untag([retained], { tagKey: [TAG_CLUSTER_ID, TAG_CLAIM_UID, TAG_CLAIM_NAME] });
    assert.equal(running.sim.counts.count('UntagResources', 'OK'), 2);
  });

  it('All=true removes every tag; All with TagKey.N, or neither, is refused', async () => {
    const eni = await create({ a: '1', b: '2' });
    await rejectsWith(untag([eni], {}), 'MissingParameter', 400);
    await rejectsWith(untag([eni], { all: true, tagKey: ['a'] }), 'InvalidParameter', 400);
    await untag([eni], { all: true });
    assert.deepEqual(await tagsOf(eni), []);
  });

  it('an unknown ENI is InvalidResourceId.NotFound (404), and the known ENIs of that call keep their tags', async () => {
    const eni = await create({ a: '1' });
    await rejectsWith(untag(['eni-nosuchthing'], { tagKey: ['a'] }), 'InvalidResourceId.NotFound', 404);
    await rejectsWith(untag([eni, 'eni-nosuchthing'], { tagKey: ['a'] }), 'InvalidResourceId.NotFound', 404);
    await rejectsWith(untag([eni], { resourceType: 'disk', tagKey: ['a'] }), 'InvalidResourceType.NotFound', 404);
    assert.deepEqual(await tagsOf(eni), [['a', '1']]);
    assert.deepEqual(running.sim.counts.snapshot().UntagResources, { 'InvalidResourceId.NotFound': 2, 'InvalidResourceType.NotFound': 1 });
  });
});

describe('like every action', () => {
  it('an injected fault answers instead and changes nothing; a rate limit throttles with retry-after', async () => {
    const eni = await create({ a: '1' });
    running.sim.addFault({ action: 'UntagResources', errorCode: 'InternalError', count: 1 });
    await assert.rejects(untag([eni], { tagKey: ['a'] }), (e: unknown) => e instanceof ServerError && e.code === 'InternalError');
    assert.deepEqual(await tagsOf(eni), [['a', '1']]);

    running.sim.setRateLimits({ TagResources: 1 });
    await tag([eni], { b: '2' });
    await assert.rejects(tag([eni], { c: '3' }), (e: unknown) => e instanceof ThrottlingError && e.code === 'Throttling.User' && (e.retryAfter ?? 0) > 50_000);
    assert.deepEqual(await tagsOf(eni), [['a', '1'], ['b', '2']]);
    await untag([eni], { tagKey: ['a'] }); // UntagResources has a bucket of its own
    assert.deepEqual(running.sim.counts.snapshot(), {
      CreateNetworkInterface: { OK: 1 },
      DescribeNetworkInterfaces: { OK: 2 },
      UntagResources: { InternalError: 1, OK: 1 },
      TagResources: { OK: 1, 'Throttling.User': 1 },
    });
  });

  it('the state file holds a tag change by the time the answer arrives', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-tags-'));
    const statePath = join(dir, 'state.json');
    const stateful = await startSimulator({ world: WORLD, statePath });
    try {
      const client = clientFor(stateful);
      const eni = await create({ a: '1' }, client);
      await tag([eni], { b: '2' }, 'eni', client);
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as { enis: { id: string; tags: { key: string; value: string }[] }[] };
      assert.deepEqual(saved.enis.find((e) => e.id === eni)?.tags, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    } finally {
      await stateful.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
