// Test helpers for the claim controller: a simulator world of nodes and vSwitches, the real SDK
// adapter pointed at it, Nodes in the API server that name its instances, claims, and a
// controller run in process with short timings.
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import CredentialModule, * as $Credentials from '@alicloud/credentials';
import pino, { type Logger } from 'pino';
import type { ClaimSpec, NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { TAG_CLAIM_UID } from '../../src/api/names.ts';
import { AlibabaCloudEcs, type AlibabaCloudEcsOptions } from '../../src/cloud/alicloud.ts';
import type { ClaimClient } from '../../src/kube/claims.ts';
import { ClaimController, type ClaimControllerOptions } from '../../src/controller/controller.ts';
import type { InstanceSpec, RunningSimulator, SimEni, WorldSpec } from '../../src/sim/index.ts';

export const REGION = 'cn-hangzhou';
export const ZONE = 'cn-hangzhou-h';

export interface WorldOptions {
  /** Instances i-<name> on vsw-node, one per node name. */
  nodes?: string[];
  instanceType?: string;
  extraInstances?: InstanceSpec[];
  latencyMs?: WorldSpec['latencyMs'];
  rateLimitProfile?: WorldSpec['rateLimitProfile'];
}

/**
 * One VPC (192.168.0.0/16) with vsw-node (zone h, the nodes' own), vsw-a (zone h, for ENIs) and
 * vsw-i (zone i), security groups sg-a and sg-b; instance `i-<node>` for each node name.
 */
export function worldSpec(options: WorldOptions = {}): WorldSpec {
  const instances: InstanceSpec[] = (options.nodes ?? []).map((node) => ({
    id: instanceIdOf(node),
    instanceType: options.instanceType ?? 'ecs.g7.large',
    vSwitchId: 'vsw-node',
  }));
  return {
    regionId: REGION,
    accessKeys: [{ id: 'AKTEST', secret: 'SECRETTEST' }],
    vpcs: [{ id: 'vpc-a', cidrBlock: '192.168.0.0/16' }],
    vSwitches: [
      { id: 'vsw-node', vpcId: 'vpc-a', zoneId: ZONE, cidrBlock: '192.168.0.0/20' },
      { id: 'vsw-a', vpcId: 'vpc-a', zoneId: ZONE, cidrBlock: '192.168.16.0/20' },
      { id: 'vsw-i', vpcId: 'vpc-a', zoneId: 'cn-hangzhou-i', cidrBlock: '192.168.32.0/20' },
    ],
    securityGroups: [
      { id: 'sg-a', vpcId: 'vpc-a' },
      { id: 'sg-b', vpcId: 'vpc-a' },
    ],
    instances: [...instances, ...(options.extraInstances ?? [])],
    latencyMs: { api: 0, attach: 200, detach: 200, delete: 50, modify: 0, ...options.latencyMs },
    ...(options.rateLimitProfile ? { rateLimitProfile: options.rateLimitProfile } : {}),
  };
}

export function instanceIdOf(node: string): string {
  return `i-${node.replace(/[^a-z0-9]/g, '')}`;
}

/** The Alibaba Cloud adapter (the real SDK) talking to the simulator. */
export function simPort(sim: RunningSimulator, options: Partial<AlibabaCloudEcsOptions> = {}): AlibabaCloudEcs {
  return new AlibabaCloudEcs({
    regionId: sim.regionId,
    ecsEndpoint: sim.endpoint,
    vpcEndpoint: sim.endpoint,
    protocol: 'http',
    credential: new CredentialModule.default(
      new $Credentials.Config({ type: 'access_key', accessKeyId: sim.accessKey.id, accessKeySecret: sim.accessKey.secret }),
    ),
    timeoutMs: 5_000,
    ...options,
  });
}

/** A Node whose providerID names the simulator's instance (or none, with providerId: null). */
export async function createNode(kc: KubeConfig, name: string, providerId: string | null = `${REGION}.${instanceIdOf(name)}`): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  return core.createNode({ body: { metadata: { name }, spec: providerId ? { providerID: providerId } : {} } });
}

export async function deleteNode(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNode({ name });
}

export function claimManifest(name: string, spec: Partial<ClaimSpec> & { nodeName: string }): { metadata: { name: string }; spec: ClaimSpec } {
  return { metadata: { name }, spec: { vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], routing: { mode: 'None' }, ...spec } as ClaimSpec };
}

/** The simulator's ENIs created for one claim (by its UID tag). */
export function enisOfClaim(sim: RunningSimulator, claim: NetworkInterfaceClaim): SimEni[] {
  return sim.sim.listEnis().filter((e) => e.tags[TAG_CLAIM_UID] === claim.metadata.uid);
}

export const testLogger: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The controller in process with test timings: fast watch, short retries, no periodic GC. */
export async function startController(
  kubeConfig: KubeConfig,
  sim: RunningSimulator,
  options: Partial<ClaimControllerOptions> = {},
): Promise<ClaimController> {
  const controller = new ClaimController({
    kubeConfig,
    port: simPort(sim),
    clusterId: 'c-test',
    regionId: REGION,
    logger: testLogger,
    workers: 4,
    watchIntervalMs: 100,
    waitRetryMs: 5_000,
    safetyRequeueMs: 5_000,
    gcIntervalMs: 0,
    slowRetry: { baseMs: 2_000, maxMs: 8_000 },
    ...options,
  });
  await controller.start();
  return controller;
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a claim to satisfy `check`, reading it from the API server; a timeout shows where it stood. */
export async function waitForClaim(
  client: ClaimClient,
  name: string,
  what: string,
  check: (claim: NetworkInterfaceClaim) => boolean,
  timeoutMs?: number,
): Promise<NetworkInterfaceClaim> {
  let last: NetworkInterfaceClaim | undefined;
  try {
    return await waitFor(`claim ${name}: ${what}`, async () => {
      last = await client.get(name);
      return last && check(last) ? last : undefined;
    }, timeoutMs);
  } catch (err) {
    const where = last ? ` (phase ${last.status?.phase}, conditions ${JSON.stringify(last.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`))}, finalizers ${JSON.stringify(last.metadata.finalizers)})` : '';
    throw new Error(`${(err as Error).message}${where}`, { cause: err });
  }
}

export function conditionOf(claim: NetworkInterfaceClaim, type: string): { status: string; reason: string; message: string } | undefined {
  return claim.status?.conditions?.find((c) => c.type === type);
}
