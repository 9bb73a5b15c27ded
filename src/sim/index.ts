// The ECS simulator's public face: start one on a local port, point the real @alicloud SDK clients
// at `endpoint` (protocol http) with `accessKey`, and drive or observe it through `sim` (in process)
// or the admin API under /_sim/ (over HTTP, see admin-api.ts and admin-client.ts).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createSimServer } from './http-server.ts';
import { StateFile } from './persistence.ts';
import type { RateLimitProfile } from './rate-limits.ts';
import { Simulator } from './simulator.ts';
import { fromSnapshot } from './state.ts';
import { resolveWorld } from './world.ts';
import type { WorldSpec } from './world.ts';

export { Simulator } from './simulator.ts';
export type { SimInstance } from './simulator.ts';
export { SimAdminClient } from './admin-client.ts';
export { loadWorldFile, parseWorld, resolveWorld, WorldError } from './world.ts';
export type { InstanceSpec, InstanceStatus, LatencyMs, NetworkInterfaceSpec, WorldSpec } from './world.ts';
export { INSTANCE_TYPE_CATALOGUE } from './instance-types.ts';
export type { InstanceTypeInfo } from './instance-types.ts';
export { REALISTIC_RATE_LIMITS_PER_MINUTE } from './rate-limits.ts';
export type { RateLimitProfile, RateLimitsPerMinute } from './rate-limits.ts';
export type { Fault, FaultSpec } from './faults.ts';
export type { AttachmentEvent, AttachmentListener } from './lifecycle.ts';
export type { SimEni } from './views.ts';
export type { HistoryEntry, HistoryStatus } from './state.ts';
export type { CallCountTable } from './counts.ts';
export { CONNECTION_DROPPED, OK } from './counts.ts';
export { ERROR_STATUS } from './errors.ts';
export { ECS_VERSION, VPC_VERSION } from './actions.ts';
export { authorizationHeader } from './signature.ts';

export interface StartSimulatorOptions {
  /** The world as an object; for a YAML file use `await loadWorldFile(path)` (or `parseWorld(text)`). */
  world: WorldSpec;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Keep the state in this file across restarts (written atomically after every change). */
  statePath?: string;
  /** Overrides the world's rateLimitProfile. */
  rateLimitProfile?: RateLimitProfile;
}

export interface RunningSimulator {
  /** `host:port`, what the SDK's Config.endpoint takes (with protocol 'http'). */
  endpoint: string;
  /** `http://host:port`, for the admin API. */
  url: string;
  regionId: string;
  /** The world's first access key. */
  accessKey: { id: string; secret: string };
  sim: Simulator;
  close(): Promise<void>;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSimulator(options: StartSimulatorOptions): Promise<RunningSimulator> {
  const world = resolveWorld(options.rateLimitProfile ? { ...options.world, rateLimitProfile: options.rateLimitProfile } : options.world);
  const stateFile = options.statePath === undefined ? undefined : new StateFile(options.statePath);
  const saved = await stateFile?.load();
  const sim: Simulator = new Simulator({
    world,
    ...(saved ? { state: fromSnapshot(saved) } : {}),
    ...(stateFile ? { persist: () => stateFile.save(() => sim.snapshot()) } : {}),
  });
  if (stateFile && !saved) await sim.persist();
  const server = createSimServer(sim);
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    sim.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `${hostForUrl(host)}:${port}`;
  const [id, secret] = [...world.accessKeys][0] as [string, string];
  return {
    endpoint,
    url: `http://${endpoint}`,
    regionId: world.regionId,
    accessKey: { id, secret },
    sim,
    async close(): Promise<void> {
      sim.close();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
      await sim.persist();
    },
  };
}
