// Benchmark (not a test): the claim controller at scale, against a real kube-apiserver and the ECS
// simulator with Terway's per-minute rate limits enforced server-side and realistic latencies.
// The controller runs as its own process (the compiled CLI, as in the image), so that its memory
// is its alone and the simulator's CPU is not in its event loop.
//
// Figures (issue 4):
// - makespan from the first claim applied to the last claim Attached, ÷ the lower bound that the
//   Create and Attach rate limits, the API latency and the attach latency imply (goal ≤ 1.15);
// - ECS calls per claim over create → attach → delete, every action and failure counted (≤ 5);
// - lag from the simulator's InUse to a watch seeing Attached=True, p50/p99 (goal p50 ≤ 0.5 s),
//   beside the lag Terway's schedule (first look 3 s after the attach, then ×1.5 with jitter 0.5)
//   would have had on the same attach and InUse times;
// - the controller's resident memory with 10,000 claims Ready (goal ≤ 200 MB).
//   node bench/controller.ts [claims] [nodes] [rssClaims] [workers] [node flags for the controller…]
// (default flags: RECOMMENDED_NODE_FLAGS, and MALLOC_ARENA_MAX=2 in its environment)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import type { NetworkInterfaceClaim } from '../src/api/claim.ts';
import { TAG_CLUSTER_ID } from '../src/api/names.ts';
import { ClaimClient, claimInformer } from '../src/kube/claims.ts';
import { REALISTIC_RATE_LIMITS_PER_MINUTE, startSimulator, type RunningSimulator, type WorldSpec } from '../src/sim/index.ts';
import { freePort, startControlPlane, type ControlPlane } from '../test/support/controlplane.ts';
import { applyCrds } from '../test/support/crds.ts';
import { spawnGroup, type GroupProcess } from '../test/support/process-group.ts';
import { createNode, instanceIdOf, worldSpec } from '../test/support/sim-world.ts';

export const GOALS = { makespanRatio: 1.15, ecsCallsPerClaim: 5, attachLagP50Ms: 500, controllerRssMb10k: 200 } as const;

/** Latencies of the run (ms): an ECS call ~60 ms, an attach or detach 1.5 s, a delete 0.5 s. */
export const REALISTIC_LATENCY_MS = { api: 60, attach: 1_500, detach: 1_500, delete: 500, modify: 200 } as const;

/**
 * How the controller process runs here: as the chart runs it (helm values `controller.nodeFlags`,
 * the one source): V8 without its optimising compiler, a small young generation, a bounded old one,
 * and glibc limited to two malloc arenas (otherwise each thread that allocates gets its own).
 */
export const RECOMMENDED_NODE_FLAGS: readonly string[] = (
  parseYaml(readFileSync(new URL('../helm/ecs-eni-controller/values.yaml', import.meta.url), 'utf8')) as { controller: { nodeFlags: string[] } }
).controller.nodeFlags;
export const RECOMMENDED_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** Attaches this long after the first claim is applied count as steady state (past the token burst). */
const STEADY_AFTER_MS = 20_000;

/** Terway's schedule for waiting on an ENI status (pkg/backoff: 3 s, ×1.5, jitter 0.5, 8 steps). */
const TERWAY_WAIT = { firstMs: 3_000, factor: 1.5, jitter: 0.5, steps: 8 } as const;

export interface ControllerBenchmarkOptions {
  claims?: number;
  nodes?: number;
  /** Claims for the memory figure; 0 skips it. */
  rssClaims?: number;
  workers?: number;
  /** Node flags for the controller process. Default RECOMMENDED_NODE_FLAGS. */
  nodeFlags?: string[];
  log?: (line: string) => void;
}

export interface ControllerBenchmarkResult {
  claims: number;
  nodes: number;
  workers: number;
  makespanMs: number;
  lowerBoundMs: number;
  makespanRatio: number;
  ecsCallsPerClaim: number;
  ecsCallsByAction: Record<string, number>;
  throttledCalls: number;
  attachLagP50Ms: number;
  attachLagP99Ms: number;
  /** The same lag for attaches past the initial burst (each rate-limit token as it comes). */
  steadyAttachLagP50Ms: number;
  steadyAttachLagP99Ms: number;
  terwayScheduleLagP50Ms: number;
  terwayScheduleLagP99Ms: number;
  releaseMs: number;
  controllerRssMb: number;
  controllerHeapUsedMb: number;
  controllerRssMb10k: number | undefined;
  controllerHeapUsedMb10k: number | undefined;
  rssClaims: number;
  nodeFlags: string[];
  goals: typeof GOALS;
  ratios: Record<'makespan' | 'ecsCalls' | 'attachLagP50' | 'rss10k', number | undefined>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_BIN = join(ROOT, 'node_modules', '.bin', 'node');
const silent = pino({ level: 'silent' });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The k-th (1-based) token of a bucket of `perMinute` with a burst as large, taken at the earliest. */
function tokenAtMs(k: number, perMinute: number): number {
  return (Math.max(0, k - perMinute) * 60_000) / perMinute;
}

/**
 * No controller can do better: claim i's create is admitted no earlier than its Create token, its
 * attach no earlier than its Attach token nor one API latency after the create; InUse follows
 * the attach latency later.
 */
export function makespanLowerBoundMs(claims: number, latency: { api: number; attach: number }, limits = REALISTIC_RATE_LIMITS_PER_MINUTE): number {
  const createRate = limits.CreateNetworkInterface ?? limits['*'] ?? Infinity;
  const attachRate = limits.AttachNetworkInterface ?? limits['*'] ?? Infinity;
  let bound = 0;
  for (let k = 1; k <= claims; k++) {
    const created = Math.max(latency.api, tokenAtMs(k, createRate));
    const attached = Math.max(created + latency.api, tokenAtMs(k, attachRate));
    bound = Math.max(bound, attached + latency.attach);
  }
  return bound;
}

/** When Terway would first see the ENI InUse: it looks 3 s after the attach, then ×1.5 with jitter. */
export function terwayLagMs(attachAt: number, inUseAt: number, random: () => number): number {
  let look = attachAt + TERWAY_WAIT.firstMs;
  let step = TERWAY_WAIT.firstMs;
  for (let i = 0; look < inUseAt && i < TERWAY_WAIT.steps; i++) {
    step *= TERWAY_WAIT.factor;
    look += step * (1 + TERWAY_WAIT.jitter * random());
  }
  return Math.max(0, look - inUseAt);
}

/** A small seeded generator, so that the Terway column is the same from run to run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) / 1024;
}

/** The compiled CLI (as the image runs it), built into a temporary directory that borrows node_modules. */
function buildCli(dir: string): string {
  const out = join(dir, 'dist');
  const built = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`tsc failed: ${built.stdout}${built.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(out, 'cli.js');
}

async function inBatches<T>(items: T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface Rig {
  plane: ControlPlane;
  cli: string;
  dir: string;
  nodeFlags: string[];
  log: (line: string) => void;
}

interface Controller {
  process: GroupProcess;
  metricsPort: number;
}

/** The controller's own view of its memory, from its /metrics (prom-client's process and V8 gauges). */
async function memoryOf(controller: Controller): Promise<{ rssMb: number; heapUsedMb: number }> {
  const text = await (await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`)).text();
  const gauge = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 1_048_576;
  return { rssMb: rssMb(controller.process.pid), heapUsedMb: gauge('nodejs_heap_size_used_bytes') };
}

async function startController(rig: Rig, sim: RunningSimulator, clusterId: string, workers: number, extraArgs: string[] = []): Promise<Controller> {
  const metricsPort = await freePort();
  const args = [
    rig.cli, 'controller', '--kubeconfig', rig.plane.kubeconfigPath, '--region', sim.regionId, '--ecs-endpoint', sim.endpoint,
    '--vpc-endpoint', sim.endpoint, '--protocol', 'http', '--cluster-id', clusterId, '--workers', String(workers),
    '--metrics-bind-address', `127.0.0.1:${metricsPort}`, '--gc-interval', '0', '--log-level', 'warn', ...extraArgs,
  ];
  const env = { ...process.env, ...RECOMMENDED_ENV, ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKey.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKey.secret };
  const process_ = spawnGroup(`controller-${clusterId}`, NODE_BIN, [...rig.nodeFlags, ...args], { logFile: join(rig.dir, `controller-${clusterId}.log`), env });
  await until('the controller ready', async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status === 200, 60_000);
  return { process: process_, metricsPort };
}

/** When a watch first saw each claim Attached=True (and Ready), by name. */
function watchClaims(kubeConfig: KubeConfig): { informer: ReturnType<typeof claimInformer>; attachedAt: Map<string, number>; readyAt: Map<string, number> } {
  const informer = claimInformer(kubeConfig, { logger: silent });
  const attachedAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const seen = (claim: NetworkInterfaceClaim): void => {
    const name = claim.metadata.name ?? '';
    const now = Date.now();
    for (const c of claim.status?.conditions ?? []) {
      if (c.type === 'Attached' && c.status === 'True' && !attachedAt.has(name)) attachedAt.set(name, now);
      if (c.type === 'Ready' && c.status === 'True' && !readyAt.has(name)) readyAt.set(name, now);
    }
  };
  informer.on('add', seen);
  informer.on('update', seen);
  return { informer, attachedAt, readyAt };
}

function manifests(prefix: string, count: number, nodes: string[]) {
  return Array.from({ length: count }, (_, i) => ({
    metadata: { name: `${prefix}-${i}` },
    spec: { nodeName: nodes[i % nodes.length] as string, vSwitchId: 'vsw-a', securityGroupIds: ['sg-a'], routing: { mode: 'None' as const } },
  }));
}

interface LifecycleFigures {
  makespanMs: number;
  lags: number[];
  steadyLags: number[];
  terwayLags: number[];
  calls: Record<string, number>;
  throttled: number;
  releaseMs: number;
  rssMb: number;
  heapUsedMb: number;
}

interface Phase {
  sim: RunningSimulator;
  client: ClaimClient;
  watch: ReturnType<typeof watchClaims>;
}

/** What each phase starts with: the simulator of `world` (its vSwitch wide enough for 10,000 ENIs) and a synced watch. */
async function openPhase(rig: Rig, world: WorldSpec): Promise<Phase> {
  world.vSwitches = world.vSwitches.map((v) => (v.id === 'vsw-a' ? { ...v, cidrBlock: '192.168.64.0/18' } : v));
  const sim = await startSimulator({ world });
  const watch = watchClaims(rig.plane.kubeConfig);
  watch.informer.start();
  await watch.informer.waitForSync(30_000);
  return { sim, client: new ClaimClient(rig.plane.kubeConfig), watch };
}

async function closePhase(sim: RunningSimulator, watch: Phase['watch']): Promise<void> {
  await watch.informer.stop();
  await sim.close();
}

/** Phase 1: `claims` claims applied at once, to Attached; then all deleted, to gone. */
async function lifecycle(rig: Rig, claims: number, nodes: string[], workers: number): Promise<LifecycleFigures> {
  const world: WorldSpec = { ...worldSpec({ nodes, instanceType: 'ecs.g7.3xlarge', latencyMs: REALISTIC_LATENCY_MS }), rateLimitProfile: 'realistic' };
  const { sim, client, watch } = await openPhase(rig, world);
  const controller = await startController(rig, sim, 'c-bench', workers);
  try {
    sim.sim.resetCounts(); // ready: synced and listed; the clock starts with the first claim
    const list = manifests('bench', claims, nodes);
    const started = Date.now();
    await inBatches(list, 64, (m) => client.create(m));
    rig.log(`  ${claims} claims applied in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await until('every claim Attached', () => watch.attachedAt.size >= claims, 20 * 60_000);
    const makespanMs = Math.max(...watch.attachedAt.values()) - started;
    rig.log(`  all Attached after ${(makespanMs / 1000).toFixed(1)} s`);
    const memoryAt1k = await memoryOf(controller);

    const random = mulberry32(42);
    const lags: number[] = [];
    const steadyLags: number[] = [];
    const terwayLags: number[] = [];
    for (const claim of watch.informer.list()) {
      const eniId = claim.status?.networkInterfaceId;
      const history = eniId ? sim.sim.eniHistory(eniId) : [];
      const attaching = history.find((h) => h.status === 'Attaching')?.at;
      const inUse = history.find((h) => h.status === 'InUse')?.at;
      const seen = watch.attachedAt.get(claim.metadata.name ?? '');
      if (attaching === undefined || inUse === undefined || seen === undefined) continue;
      lags.push(seen - inUse);
      // After the first seconds, attaches come at the rate limit's pace instead of as one burst.
      if (attaching - started > STEADY_AFTER_MS) steadyLags.push(seen - inUse);
      terwayLags.push(terwayLagMs(attaching, inUse, random));
    }

    const releaseStarted = Date.now();
    await inBatches(list, 64, (m) => client.delete(m.metadata.name));
    await until('every claim gone', () => watch.informer.list().length === 0, 20 * 60_000);
    await until('every ENI deleted', () => !sim.sim.listEnis().some((e) => e.tags[TAG_CLUSTER_ID] === 'c-bench'), 60_000);
    const releaseMs = Date.now() - releaseStarted;
    rig.log(`  all released after ${(releaseMs / 1000).toFixed(1)} s`);
    const table = sim.sim.callCounts();
    const calls = Object.fromEntries(Object.entries(table).map(([action, byCode]) => [action, Object.values(byCode).reduce((a, b) => a + b, 0)]));
    const throttled = Object.values(table).reduce((sum, byCode) => sum + Object.entries(byCode).filter(([code]) => code.startsWith('Throttling')).reduce((a, [, n]) => a + n, 0), 0);
    return { makespanMs, lags, steadyLags, terwayLags, calls, throttled, releaseMs, rssMb: memoryAt1k.rssMb, heapUsedMb: memoryAt1k.heapUsedMb };
  } finally {
    await controller.process.stop('SIGTERM');
    await closePhase(sim, watch);
  }
}

/** Phase 2: the controller's memory with `count` claims Ready (no rate limits, short latencies). */
async function memory(rig: Rig, count: number, nodes: string[], workers: number): Promise<{ rssMb: number; heapUsedMb: number }> {
  const world = worldSpec({ nodes, instanceType: 'ecs.bench.huge', latencyMs: { api: 0, attach: 20, detach: 20, delete: 0 } });
  world.instanceTypes = [{ id: 'ecs.bench.huge', eniQuantity: Math.ceil(count / nodes.length) + 2, eniPrivateIpAddressQuantity: 10 }];
  const { sim, client, watch } = await openPhase(rig, world);
  // This phase measures memory, not rate limits: lift the controller's (the simulator has none here).
  const unlimited = ['CreateNetworkInterface', 'AttachNetworkInterface', 'DescribeNetworkInterfaces', 'DescribeInstances'].flatMap((a) => ['--rate-limit', `${a}=1000000`]);
  const controller = await startController(rig, sim, 'c-rss', workers, unlimited);
  try {
    const started = Date.now();
    await inBatches(manifests('rss', count, nodes), 64, (m) => client.create(m));
    await until(`${count} claims Ready`, () => watch.readyAt.size >= count, 60 * 60_000);
    rig.log(`  ${count} claims Ready after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    await sleep(10_000); // settled: informer events drained, caches steady
    return await memoryOf(controller);
  } finally {
    await controller.process.stop('SIGTERM');
    await closePhase(sim, watch);
  }
}

export async function runControllerBenchmark(options: ControllerBenchmarkOptions = {}): Promise<ControllerBenchmarkResult> {
  const claims = options.claims ?? 1_000;
  const nodeCount = options.nodes ?? 200;
  const rssClaims = options.rssClaims ?? 10_000;
  const workers = options.workers ?? 64;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-bench-controller-'));
  const plane = await startControlPlane();
  try {
    await applyCrds(plane.kubeConfig);
    const nodeFlags = options.nodeFlags ?? [...RECOMMENDED_NODE_FLAGS];
    const rig: Rig = { plane, cli: buildCli(dir), dir, nodeFlags, log };
    const nodes = Array.from({ length: nodeCount }, (_, i) => `node-${i}`);
    await inBatches(nodes, 20, (name) => createNode(plane.kubeConfig, name, `cn-hangzhou.${instanceIdOf(name)}`));
    log(`lifecycle: ${claims} claims on ${nodeCount} nodes, ${workers} workers, realistic rate limits and latencies`);
    const run = await lifecycle(rig, claims, nodes, workers);
    let at10k: { rssMb: number; heapUsedMb: number } | undefined;
    if (rssClaims > 0) {
      log(`memory: ${rssClaims} claims`);
      at10k = await memory(rig, rssClaims, nodes, workers);
    }
    const rss10k = at10k?.rssMb;
    const lowerBoundMs = makespanLowerBoundMs(claims, REALISTIC_LATENCY_MS);
    const totalCalls = Object.values(run.calls).reduce((a, b) => a + b, 0);
    const result = {
      claims,
      nodes: nodeCount,
      workers,
      makespanMs: run.makespanMs,
      lowerBoundMs,
      makespanRatio: run.makespanMs / lowerBoundMs,
      ecsCallsPerClaim: totalCalls / claims,
      ecsCallsByAction: run.calls,
      throttledCalls: run.throttled,
      attachLagP50Ms: percentile(run.lags, 50),
      attachLagP99Ms: percentile(run.lags, 99),
      steadyAttachLagP50Ms: percentile(run.steadyLags, 50),
      steadyAttachLagP99Ms: percentile(run.steadyLags, 99),
      terwayScheduleLagP50Ms: percentile(run.terwayLags, 50),
      terwayScheduleLagP99Ms: percentile(run.terwayLags, 99),
      releaseMs: run.releaseMs,
      controllerRssMb: run.rssMb,
      controllerHeapUsedMb: run.heapUsedMb,
      controllerRssMb10k: rss10k,
      controllerHeapUsedMb10k: at10k?.heapUsedMb,
      rssClaims,
      nodeFlags,
      goals: GOALS,
    };
    return {
      ...result,
      ratios: {
        makespan: result.makespanRatio / GOALS.makespanRatio,
        ecsCalls: result.ecsCallsPerClaim / GOALS.ecsCallsPerClaim,
        attachLagP50: result.attachLagP50Ms / GOALS.attachLagP50Ms,
        rss10k: rss10k === undefined ? undefined : rss10k / GOALS.controllerRssMb10k,
      },
    };
  } finally {
    await plane.stop();
    if (process.env.BENCH_KEEP) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

export function formatTable(r: ControllerBenchmarkResult): string {
  const row = (name: string, value: string, goal: string, ratio: number | undefined): string =>
    `${name.padEnd(42)} ${value.padStart(12)} ${goal.padStart(10)} ${ratio === undefined ? '' : ratio.toFixed(2).padStart(8)}`;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return [
    `claim controller: ${r.claims} claims on ${r.nodes} nodes, ${r.workers} workers, node ${r.nodeFlags.join(' ')}, MALLOC_ARENA_MAX=${RECOMMENDED_ENV.MALLOC_ARENA_MAX}`,
    `${'figure'.padEnd(42)} ${'value'.padStart(12)} ${'goal'.padStart(10)} ${'÷ goal'.padStart(8)}`,
    row('makespan to Attached', s(r.makespanMs), '', undefined),
    row('lower bound from rate limits and latencies', s(r.lowerBoundMs), '', undefined),
    row('makespan ÷ lower bound', r.makespanRatio.toFixed(3), `≤ ${GOALS.makespanRatio}`, r.ratios.makespan),
    row('ECS calls per claim (create→attach→delete)', r.ecsCallsPerClaim.toFixed(2), `≤ ${GOALS.ecsCallsPerClaim}`, r.ratios.ecsCalls),
    row('  of which throttled by the simulator', String(r.throttledCalls), '', undefined),
    row('InUse → Attached lag p50', `${r.attachLagP50Ms.toFixed(0)} ms`, `≤ ${GOALS.attachLagP50Ms} ms`, r.ratios.attachLagP50),
    row('InUse → Attached lag p99', `${r.attachLagP99Ms.toFixed(0)} ms`, '', undefined),
    row('  past the initial burst, p50', `${r.steadyAttachLagP50Ms.toFixed(0)} ms`, '', undefined),
    row('  past the initial burst, p99', `${r.steadyAttachLagP99Ms.toFixed(0)} ms`, '', undefined),
    row("Terway's schedule on the same runs, p50", `${r.terwayScheduleLagP50Ms.toFixed(0)} ms`, '', r.attachLagP50Ms / r.terwayScheduleLagP50Ms),
    row("Terway's schedule on the same runs, p99", `${r.terwayScheduleLagP99Ms.toFixed(0)} ms`, '', r.attachLagP99Ms / r.terwayScheduleLagP99Ms),
    row('release of all claims', s(r.releaseMs), '', undefined),
    row(`controller RSS (V8 heap used), ${r.claims} claims`, `${r.controllerRssMb.toFixed(0)} (${r.controllerHeapUsedMb.toFixed(0)}) MB`, '', undefined),
    row(
      `controller RSS (V8 heap used), ${r.rssClaims} claims`,
      r.controllerRssMb10k === undefined ? 'skipped' : `${r.controllerRssMb10k.toFixed(0)} (${(r.controllerHeapUsedMb10k ?? Number.NaN).toFixed(0)}) MB`,
      `≤ ${GOALS.controllerRssMb10k} MB`,
      r.ratios.rss10k,
    ),
    `ECS calls by action: ${JSON.stringify(r.ecsCallsByAction)}`,
    "(the Terway rows' ratio column is ours ÷ Terway's)",
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [claims, nodes, rssClaims, workers] = process.argv.slice(2, 6).map(Number);
  const nodeFlags = process.argv.slice(6);
  const result = await runControllerBenchmark({
    ...(nodeFlags.length > 0 ? { nodeFlags } : {}),
    ...(claims ? { claims } : {}),
    ...(nodes ? { nodes } : {}),
    ...(rssClaims !== undefined && !Number.isNaN(rssClaims) ? { rssClaims } : {}),
    ...(workers ? { workers } : {}),
  });
  process.stdout.write(`${formatTable(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
