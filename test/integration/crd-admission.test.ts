// The CRD's validation as a real kube-apiserver applies it: a bad manifest is rejected at once,
// with a message that says what to fix; immutable fields stay put; unknown fields are pruned;
// two writers can each own their own condition; the printer columns read the status.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { parse } from 'yaml';
import {
  ApisApi,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import {
  AGENT_FIELD_MANAGER,
  API_VERSION,
  CONTROLLER_FIELD_MANAGER,
  CRD_NAME,
  GROUP,
  KIND,
  PLURAL,
  TAG_PREFIX,
  VERSION,
} from '../../src/api/names.ts';
import type { ClaimSpec, Condition, NetworkInterfaceClaim } from '../../src/api/claim.ts';

/** A spec as a manifest may carry it, valid or not. */
type Spec = object;

/** kubebuilder's naming: crds/<group>_<plural>.yaml. */
const CRD_FILE = new URL(`../../crds/${GROUP}_${PLURAL}.yaml`, import.meta.url);
const EXAMPLES = new URL('../../deploy/examples/', import.meta.url);

const validSpec: ClaimSpec = {
  nodeName: 'node-a',
  vSwitchId: 'vsw-demo-a',
  securityGroupIds: ['sg-demo-web', 'sg-demo-db'],
  primaryIpAddress: '192.168.10.20',
  secondaryPrivateIpAddressCount: 2,
  description: 'storage traffic',
  tags: { team: 'storage' },
  reclaimPolicy: 'Delete',
  routing: { mode: 'Policy', tableId: 1001, mtu: 1500 },
};

const adoptSpec: ClaimSpec = { nodeName: 'node-b', networkInterfaceId: 'eni-demo-existing' };

/** Each bad manifest is the valid one with one fault; `says` is part of what the API server must answer. */
const rejected: { fault: string; spec: Spec; says: string }[] = [
  { fault: 'no nodeName', spec: without(validSpec, 'nodeName'), says: 'spec.nodeName: Required value' },
  { fault: 'nodeName not a node name', spec: { ...validSpec, nodeName: 'Node_A' }, says: "nodeName must be a node's name" },
  { fault: 'neither vSwitchId nor networkInterfaceId', spec: without(validSpec, 'vSwitchId'), says: 'set exactly one of vSwitchId' },
  { fault: 'both vSwitchId and networkInterfaceId', spec: { ...validSpec, networkInterfaceId: 'eni-demo-existing' }, says: 'set exactly one of vSwitchId' },
  { fault: 'vSwitchId in upper case', spec: { ...validSpec, vSwitchId: 'VSW-demo-a' }, says: 'vSwitchId must look like vsw-' },
  { fault: 'vSwitchId of another kind', spec: { ...validSpec, vSwitchId: 'vpc-demo' }, says: 'vSwitchId must look like vsw-' },
  { fault: 'vSwitchId without security groups', spec: without(validSpec, 'securityGroupIds'), says: 'securityGroupIds is required with vSwitchId' },
  { fault: 'no security group in the list', spec: { ...validSpec, securityGroupIds: [] }, says: 'should have at least 1 items' },
  { fault: 'six security groups', spec: { ...validSpec, securityGroupIds: ['sg-a1', 'sg-a2', 'sg-a3', 'sg-a4', 'sg-a5', 'sg-a6'] }, says: 'must have at most 5 items' },
  { fault: 'a security group twice', spec: { ...validSpec, securityGroupIds: ['sg-demo-web', 'sg-demo-web'] }, says: 'Duplicate value: "sg-demo-web"' },
  { fault: 'security group id malformed', spec: { ...validSpec, securityGroupIds: ['sg_demo'] }, says: 'each securityGroupIds entry must look like sg-' },
  { fault: 'networkInterfaceId malformed', spec: { ...adoptSpec, networkInterfaceId: 'eni-' }, says: 'networkInterfaceId must look like eni-' },
  { fault: 'primaryIpAddress out of range', spec: { ...validSpec, primaryIpAddress: '192.168.10.256' }, says: 'primaryIpAddress must be an IPv4 address' },
  { fault: 'primaryIpAddress IPv6', spec: { ...validSpec, primaryIpAddress: 'fd00::20' }, says: 'primaryIpAddress must be an IPv4 address' },
  { fault: 'primaryIpAddress with leading zeros', spec: { ...validSpec, primaryIpAddress: '192.168.010.20' }, says: 'primaryIpAddress must be an IPv4 address' },
  { fault: '50 secondary addresses', spec: { ...validSpec, secondaryPrivateIpAddressCount: 50 }, says: 'secondaryPrivateIpAddressCount in body should be less than or equal to 49' },
  { fault: 'negative secondary addresses', spec: { ...validSpec, secondaryPrivateIpAddressCount: -1 }, says: 'should be greater than or equal to 0' },
  { fault: 'unknown reclaimPolicy', spec: { ...validSpec, reclaimPolicy: 'Keep' }, says: 'supported values: "Delete", "Retain"' },
  { fault: 'routing mode in the wrong case', spec: { ...validSpec, routing: { mode: 'policy' } }, says: 'supported values: "Policy", "Addresses", "None"' },
  { fault: 'the main route table', spec: { ...validSpec, routing: { tableId: 254 } }, says: 'tableId must not be 253, 254 or 255' },
  { fault: 'the local route table', spec: { ...validSpec, routing: { tableId: 255 } }, says: 'the kernel reserves them' },
  { fault: 'route table 0', spec: { ...validSpec, routing: { tableId: 0 } }, says: 'tableId in body should be greater than or equal to 1' },
  { fault: 'route table beyond 32 bits', spec: { ...validSpec, routing: { tableId: 4294967296 } }, says: 'tableId in body should be less than or equal to 4294967295' },
  { fault: 'MTU above 9000', spec: { ...validSpec, routing: { mtu: 9001 } }, says: 'mtu in body should be less than or equal to 9000' },
  { fault: 'MTU below IPv4 minimum', spec: { ...validSpec, routing: { mtu: 67 } }, says: 'mtu in body should be greater than or equal to 68' },
  { fault: '21 tags', spec: { ...validSpec, tags: manyTags(21) }, says: 'must have at most 20 items' },
  { fault: "a tag under the controller's prefix", spec: { ...validSpec, tags: { [`${TAG_PREFIX}claim-uid`]: 'x' } }, says: `tag keys must not start with ${TAG_PREFIX}` },
  { fault: 'a tag key starting with aliyun', spec: { ...validSpec, tags: { 'Aliyun-team': 'x' } }, says: 'tag keys must not start with aliyun, acs:' },
  { fault: 'a tag key starting with acs:', spec: { ...validSpec, tags: { 'acs:owner': 'x' } }, says: 'ECS reserves them' },
  { fault: 'a tag key that is a URL', spec: { ...validSpec, tags: { 'https://example.com': 'x' } }, says: 'ECS reserves them' },
  { fault: 'a tag key of 129 characters', spec: { ...validSpec, tags: { ['k'.repeat(129)]: 'x' } }, says: 'tag keys must be 1 to 128 characters long' },
  { fault: 'an empty tag key', spec: { ...validSpec, tags: { '': 'x' } }, says: 'tag keys must be 1 to 128 characters long' },
  { fault: 'a tag value of 129 characters', spec: { ...validSpec, tags: { team: 'v'.repeat(129) } }, says: 'may not be more than 128' },
  { fault: 'a one-letter description', spec: { ...validSpec, description: 'x' }, says: 'description in body should be at least 2 chars long' },
  { fault: 'a description that is a URL', spec: { ...validSpec, description: 'http://example.com/storage' }, says: 'description must not start with http:// or https://' },
];

/** Updates of a stored claim: `from` is created, `to` replaces its spec. */
const immutable: { change: string; from: Spec; to: Spec; says: string }[] = [
  { change: 'another vSwitch', from: validSpec, to: { ...validSpec, vSwitchId: 'vsw-demo-b' }, says: 'vSwitchId is immutable' },
  { change: 'vSwitch swapped for an ENI to adopt', from: validSpec, to: { ...without(validSpec, 'vSwitchId'), networkInterfaceId: 'eni-demo-existing' }, says: 'vSwitchId is immutable' },
  { change: 'another ENI to adopt', from: adoptSpec, to: { ...adoptSpec, networkInterfaceId: 'eni-demo-other' }, says: 'networkInterfaceId is immutable' },
  { change: 'another primary address', from: validSpec, to: { ...validSpec, primaryIpAddress: '192.168.10.21' }, says: 'primaryIpAddress is immutable' },
  { change: 'primary address removed', from: validSpec, to: without(validSpec, 'primaryIpAddress'), says: 'primaryIpAddress is immutable' },
  { change: 'primary address added', from: without(validSpec, 'primaryIpAddress'), to: validSpec, says: 'primaryIpAddress is immutable' },
];

function without(spec: ClaimSpec, field: keyof ClaimSpec): Spec {
  const copy: Record<string, unknown> = { ...spec };
  delete copy[field];
  return copy;
}

function manyTags(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`key-${i}`, 'v']));
}

function manifest(name: string, spec: Spec, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec, ...extra };
}

/** The API server's message for a failed call (client-node keeps the Status in `body`). */
function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body !== 'string') return String(err);
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

void describe('NetworkInterfaceClaim admission on a real kube-apiserver', () => {
  let cp: ControlPlane;
  let api: CustomObjectsApi;
  let serial = 0;
  const nextName = (): string => `claim-${++serial}`;
  const ref = { group: GROUP, version: VERSION, plural: PLURAL };

  const create = (name: string, spec: Spec, extra?: Record<string, unknown>): Promise<NetworkInterfaceClaim> =>
    api.createClusterCustomObject({ ...ref, body: manifest(name, spec, extra) }) as Promise<NetworkInterfaceClaim>;
  const get = (name: string): Promise<NetworkInterfaceClaim> =>
    api.getClusterCustomObject({ ...ref, name }) as Promise<NetworkInterfaceClaim>;

  async function replaceSpec(name: string, spec: Spec): Promise<NetworkInterfaceClaim> {
    const current = await get(name);
    return (await api.replaceClusterCustomObject({ ...ref, name, body: { ...current, spec } })) as NetworkInterfaceClaim;
  }

  async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
    const err = await call.then(
      () => assert.fail('the API server accepted it'),
      (e: unknown) => e,
    );
    return { code: (err as { code?: number }).code ?? 0, message: apiMessage(err) };
  }

  before(async () => {
    cp = await startControlPlane();
    await applyCrds(cp.kubeConfig);
    api = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => cp?.stop());

  void test('the API server holds the schema exactly as crds/ writes it (rules, enums, list types intact)', async () => {
    const stored = await getJson<V1CustomResourceDefinition>(cp.kubeConfig, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    const source = parse(readFileSync(CRD_FILE, 'utf8')) as V1CustomResourceDefinition;
    assert.deepEqual(stored.spec.versions, source.spec.versions);
  });

  void test('a valid claim to create an ENI and one to adopt an ENI are accepted as written', async () => {
    const created = await create(nextName(), validSpec);
    assert.deepEqual(created.spec, validSpec);
    const adopted = await create(nextName(), adoptSpec);
    assert.deepEqual(adopted.spec, adoptSpec);
  });

  void test('every example of deploy/examples/ is accepted as written', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 5);
    for (const file of files) {
      const example = parse(readFileSync(new URL(file, EXAMPLES), 'utf8')) as NetworkInterfaceClaim;
      const stored = (await api.createClusterCustomObject({ ...ref, body: example })) as NetworkInterfaceClaim;
      assert.deepEqual(stored.spec, example.spec, file);
    }
  });

  void test('the CRD is discoverable by its short name and category', async () => {
    const resources = await cp.kubeConfig.makeApiClient(ApisApi).getAPIVersions();
    assert.ok(resources.groups.some((g) => g.name === GROUP));
    const list = await discovery(cp.kubeConfig, `/apis/${GROUP}/${VERSION}`);
    const claims = list.resources.find((r) => r.name === PLURAL);
    assert.deepEqual(claims?.shortNames, ['nic']);
    assert.deepEqual(claims?.categories, ['ecseni']);
    assert.equal(claims?.namespaced, false);
  });

  for (const { fault, spec, says } of rejected) {
    void test(`rejected with a message that says what to fix: ${fault}`, async () => {
      const { code, message } = await rejection(create(nextName(), spec));
      assert.equal(code, 422, message);
      assert.ok(message.includes(says), `expected the message to contain ${JSON.stringify(says)}, got:\n${message}`);
    });
  }

  for (const { change, from, to, says } of immutable) {
    void test(`an update is rejected: ${change}`, async () => {
      const name = nextName();
      await create(name, from);
      const { code, message } = await rejection(replaceSpec(name, to));
      assert.equal(code, 422, message);
      assert.ok(message.includes(says), `expected the message to contain ${JSON.stringify(says)}, got:\n${message}`);
      assert.deepEqual((await get(name)).spec, from);
    });
  }

  void test('fields that may change do change: node, security groups, secondary addresses, tags, routing', async () => {
    const name = nextName();
    await create(name, validSpec);
    const changed: ClaimSpec = {
      ...validSpec,
      nodeName: 'node-b',
      securityGroupIds: ['sg-demo-db'],
      secondaryPrivateIpAddressCount: 0,
      tags: { team: 'db', owner: 'ops' },
      reclaimPolicy: 'Retain',
      routing: { mode: 'Addresses' },
    };
    assert.deepEqual((await replaceSpec(name, changed)).spec, changed);
  });

  void test('unknown fields are pruned, or rejected when the client asks for strict validation', async () => {
    const name = nextName();
    const stored = await create(name, { ...validSpec, secondaryIps: 3, routing: { mode: 'Policy', table: 7 } }, { extra: true });
    assert.deepEqual(stored.spec, { ...validSpec, routing: { mode: 'Policy' } });
    assert.equal((stored as unknown as Record<string, unknown>).extra, undefined);

    const strict = api.createClusterCustomObject({
      ...ref, fieldValidation: 'Strict', body: manifest(nextName(), { ...validSpec, secondaryIps: 3 }),
    });
    assert.match((await rejection(strict)).message, /unknown field "spec.secondaryIps"/);
  });

  void test('the controller and the node agent each own their own condition under server-side apply', async () => {
    const name = nextName();
    await create(name, validSpec);
    await applyStatus(name, CONTROLLER_FIELD_MANAGER, { phase: 'Ready', conditions: [condition('Ready', 'True', 'Configured')] });
    await applyStatus(name, AGENT_FIELD_MANAGER, { interface: { name: 'eth1', routeTable: 1001 }, conditions: [condition('Configured', 'True', 'Applied')] });
    const status = (await get(name)).status;
    assert.deepEqual(status?.conditions?.map((c) => c.type).sort(), ['Configured', 'Ready']);
    assert.equal(status?.phase, 'Ready');
    assert.deepEqual(status?.interface, { name: 'eth1', routeTable: 1001 });
  });

  void test('a condition reason that is not a CamelCase word is rejected', async () => {
    const name = nextName();
    await create(name, validSpec);
    const bad = applyStatus(name, CONTROLLER_FIELD_MANAGER, { conditions: [condition('Ready', 'False', 'not found')] });
    assert.match((await rejection(bad)).message, /status\.conditions\[0\]\.reason.*should match/);
  });

  void test('printer columns show node, ENI, primary IP, phase and the Ready condition', async () => {
    const name = nextName();
    await create(name, validSpec);
    await applyStatus(name, CONTROLLER_FIELD_MANAGER, {
      phase: 'Ready', networkInterfaceId: 'eni-demo-1', primaryIpAddress: '192.168.10.20',
      conditions: [condition('Ready', 'True', 'Configured')],
    });
    const table = await tableRow(cp.kubeConfig, name);
    assert.deepEqual(
      pick(table, ['Name', 'Node', 'ENI', 'Primary IP', 'Phase', 'Ready']),
      [name, 'node-a', 'eni-demo-1', '192.168.10.20', 'Ready', 'True'],
    );
    assert.ok(table.columns.includes('Age'));
  });

  function applyStatus(name: string, fieldManager: string, status: Record<string, unknown>): Promise<unknown> {
    return api.patchClusterCustomObjectStatus(
      { ...ref, name, fieldManager, force: true, body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, status } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }
});

function condition(type: Condition['type'], status: Condition['status'], reason: string): Condition {
  return { type, status, reason, message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' };
}

interface Discovery {
  resources: { name: string; shortNames?: string[]; categories?: string[]; namespaced: boolean }[];
}

async function getJson<T>(kc: KubeConfig, path: string, accept = 'application/json'): Promise<T> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('no current cluster');
  const options: RequestOptions = { headers: { Accept: accept } };
  await kc.applyToHTTPSOptions(options);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    request(new URL(path, server), options, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    }).on('error', reject).end();
  });
  assert.equal(status, 200, `${path}: ${body}`);
  return JSON.parse(body) as T;
}

function discovery(kc: KubeConfig, path: string): Promise<Discovery> {
  return getJson<Discovery>(kc, path);
}

interface Table {
  columnDefinitions: { name: string }[];
  rows: { cells: unknown[] }[];
}

async function tableRow(kc: KubeConfig, name: string): Promise<{ columns: string[]; cells: unknown[] }> {
  const table = await getJson<Table>(
    kc, `/apis/${GROUP}/${VERSION}/${PLURAL}/${name}`, 'application/json;as=Table;v=v1;g=meta.k8s.io',
  );
  return { columns: table.columnDefinitions.map((c) => c.name), cells: table.rows[0]?.cells ?? [] };
}

function pick(table: { columns: string[]; cells: unknown[] }, names: string[]): unknown[] {
  return names.map((n) => table.cells[table.columns.indexOf(n)]);
}
