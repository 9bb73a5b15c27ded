// Benchmark (not a test): how fast the node agent turns "attached" into "configured".
// A real kube-apiserver, a "node" network namespace (test/support/netns.ts) and the agent as its own
// process (`ecs-eni-controller node-agent --netns …`), so that its memory and CPU are its alone.
// Latency: from the moment the claim's status carries the MAC (the controller's status write is
// sent) to the moment a watch sees Configured=True; for 1 ENI at a time and for 8 at once.
// Then the agent's RSS, and its CPU while nothing happens.
// Goals (issue 5): p50 ≤ 100 ms, p99 ≤ 500 ms for 1 and 8 ENIs; RSS ≤ 60 MB; CPU at rest ~0.
//   node bench/agent-configure.ts [rounds1] [rounds8] [restSeconds] [compiled|sources] [node flags…]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { NetworkInterfaceClaim } from '../src/api/claim.ts';
import { CONTROLLER_FIELD_MANAGER, NODE_LABEL } from '../src/api/names.ts';
import { ClaimClient, claimInformer } from '../src/kube/claims.ts';
import { freePort, startControlPlane } from '../test/support/controlplane.ts';
import { applyCrds } from '../test/support/crds.ts';
import { ENI_SUBNET, createTopology, removeStaleNamespaces, type Topology } from '../test/support/netns.ts';
import { spawnGroup, type GroupProcess } from '../test/support/process-group.ts';

export const GOALS = { p50Ms: 100, p99Ms: 500, rssMb: 60 } as const;

export interface LatencyFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface AgentBenchmarkResult {
  oneEni: LatencyFigures;
  eightEnis: LatencyFigures;
  /** Resident memory of the agent process after the runs, MB. */
  rssMb: number;
  /** … and once it was ready, before any claim. */
  rssAtStartMb: number;
  /** Extra node flags the agent ran with (e.g. V8 heap limits). */
  nodeFlags: string[];
  /** CPU of the agent process while idle, percent of one core. */
  cpuAtRestPercent: number;
  /** What ran: the compiled CLI (as in the image) or the TypeScript sources. */
  entry: 'compiled' | 'sources';
  restSeconds: number;
  goals: typeof GOALS;
  /** figure ÷ goal (≤ 1 meets it). */
  ratios: { oneP50: number; oneP99: number; eightP50: number; eightP99: number; rss: number };
}

const NODE = 'bench-node';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_CLI = join(ROOT, 'src', 'cli.ts');

/**
 * The agent as the image runs it: compiled JavaScript (type stripping of the .ts sources costs
 * ~17 MB of RSS by itself), built into a temporary directory that borrows node_modules.
 */
function buildCli(dir: string): string {
  const out = join(dir, 'dist');
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const built = spawnSync(tsc, ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`tsc failed: ${built.stdout}${built.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(out, 'cli.js');
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function figures(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? Number.NaN };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) / 1024;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

/** Times from "status carries the MAC" to "a watch saw Configured=True", per claim. */
class ConfiguredWatch {
  private readonly waiting = new Map<string, { sentAt: number; resolve: (ms: number) => void }>();

  constructor(informer: ReturnType<typeof claimInformer>) {
    const check = (claim: NetworkInterfaceClaim): void => {
      const name = claim.metadata.name ?? '';
      const entry = this.waiting.get(name);
      if (!entry || !claim.status?.conditions?.some((c) => c.type === 'Configured' && c.status === 'True')) return;
      this.waiting.delete(name);
      entry.resolve(performance.now() - entry.sentAt);
    };
    informer.on('add', check);
    informer.on('update', check);
  }

  expect(name: string, sentAt: number): Promise<number> {
    return new Promise((resolve) => this.waiting.set(name, { sentAt, resolve }));
  }
}

interface Rig {
  topology: Topology;
  client: ClaimClient;
  watch: ConfiguredWatch;
  sequence: number;
}

/** One round: n ENIs plugged and claimed, their statuses written at once, each timed; then all released. */
async function round(rig: Rig, n: number): Promise<number[]> {
  const names: string[] = [];
  const macs: string[] = [];
  for (let i = 0; i < n; i++) {
    const eni = await rig.topology.plugEni();
    const name = `bench-${rig.sequence++}`;
    await rig.client.create({ metadata: { name, labels: { [NODE_LABEL]: NODE } }, spec: { nodeName: NODE, vSwitchId: 'vsw-bench1', securityGroupIds: ['sg-bench1'] } });
    names.push(name);
    macs.push(eni.mac);
  }
  await sleep(200); // the agent has seen the claims (and found nothing to do) before the clock starts
  const timings = names.map((name, i) => {
    const sentAt = performance.now();
    const done = rig.watch.expect(name, sentAt);
    const write = rig.client.applyStatus(name, CONTROLLER_FIELD_MANAGER, {
      nodeName: NODE,
      macAddress: macs[i] as string,
      primaryIpAddress: `192.168.50.${10 + (rig.sequence % 200) + i}`,
      secondaryPrivateIpAddresses: [],
      cidrBlock: ENI_SUBNET.cidr,
      gateway: ENI_SUBNET.gateway,
      conditions: [{ type: 'Attached', status: 'True', reason: 'Attached', message: '', lastTransitionTime: new Date().toISOString() }],
    });
    return Promise.all([done, write]).then(([ms]) => ms);
  });
  const samples = await Promise.all(timings);
  await Promise.all(names.map((name) => rig.client.delete(name)));
  for (const name of names) {
    while ((await rig.client.get(name)) !== undefined) await sleep(20);
  }
  for (const mac of macs) await rig.topology.unplugEni(mac);
  return samples;
}

export interface AgentBenchmarkOptions {
  rounds1?: number;
  rounds8?: number;
  restSeconds?: number;
  /** Run the compiled CLI (default) or the .ts sources. */
  entry?: 'compiled' | 'sources';
  /** Extra node flags for the agent process, e.g. ['--max-semi-space-size=1']. */
  nodeFlags?: string[];
}

export async function runAgentBenchmark(options: AgentBenchmarkOptions = {}): Promise<AgentBenchmarkResult> {
  const { rounds1 = 30, rounds8 = 8, restSeconds = 20, entry = 'compiled', nodeFlags = [] } = options;
  await removeStaleNamespaces();
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-agent-bench-'));
  const cli = entry === 'compiled' ? buildCli(dir) : SOURCE_CLI;
  const cp = await startControlPlane();
  let topology: Topology | undefined;
  let agent: GroupProcess | undefined;
  const informer = claimInformer(cp.kubeConfig, { logger: pino({ level: 'silent' }), labelSelector: `${NODE_LABEL}=${NODE}` });
  try {
    await applyCrds(cp.kubeConfig);
    topology = await createTopology();
    const port = await freePort();
    const args = [...nodeFlags, cli, 'node-agent', '--node-name', NODE, '--netns', topology.node, '--kubeconfig', cp.kubeconfigPath, '--metrics-bind-address', `127.0.0.1:${port}`, '--log-level', 'warn'];
    agent = spawnGroup('node-agent', process.execPath, args, { logFile: join(dir, 'agent.log') });
    for (let ready = false; !ready; await sleep(50)) ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    await sleep(1_000);
    const rssAtStartMb = rssMb(agent.pid);
    informer.start();
    await informer.waitForSync(30_000);
    const rig: Rig = { topology, client: new ClaimClient(cp.kubeConfig), watch: new ConfiguredWatch(informer), sequence: 0 };
    await round(rig, 1); // warm-up: JIT, connections
    const one: number[] = [];
    for (let i = 0; i < rounds1; i++) one.push(...(await round(rig, 1)));
    const eight: number[] = [];
    for (let i = 0; i < rounds8; i++) eight.push(...(await round(rig, 8)));
    await sleep(2_000);
    const ticksBefore = cpuTicks(agent.pid);
    await sleep(restSeconds * 1000);
    const cpuAtRestPercent = ((cpuTicks(agent.pid) - ticksBefore) / CLOCK_TICKS / restSeconds) * 100;
    const rss = rssMb(agent.pid);
    const oneEni = figures(one);
    const eightEnis = figures(eight);
    return {
      oneEni,
      eightEnis,
      rssMb: rss,
      rssAtStartMb,
      nodeFlags,
      cpuAtRestPercent,
      restSeconds,
      entry,
      goals: GOALS,
      ratios: {
        oneP50: oneEni.p50Ms / GOALS.p50Ms,
        oneP99: oneEni.p99Ms / GOALS.p99Ms,
        eightP50: eightEnis.p50Ms / GOALS.p50Ms,
        eightP99: eightEnis.p99Ms / GOALS.p99Ms,
        rss: rss / GOALS.rssMb,
      },
    };
  } finally {
    await informer.stop();
    await agent?.stop();
    await topology?.destroy();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function verdict(ratio: number): string {
  return `ratio ${ratio.toFixed(2)} (${ratio <= 1 ? 'met' : 'NOT met'})`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rounds1 = '30', rounds8 = '8', rest = '20', entry = 'compiled', ...nodeFlags] = process.argv.slice(2);
  const r = await runAgentBenchmark({
    rounds1: Number(rounds1),
    rounds8: Number(rounds8),
    restSeconds: Number(rest),
    entry: entry === 'sources' ? 'sources' : 'compiled',
    nodeFlags,
  });
  const flags = r.nodeFlags.length > 0 ? ` and ${r.nodeFlags.join(' ')}` : '';
  console.log(`agent-configure: the ${r.entry === 'compiled' ? 'compiled CLI (as in the image)' : 'TypeScript sources'} with --netns (sysctls through ip netns exec)${flags}`);
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  console.log(`agent-configure: 1 ENI  (${r.oneEni.samples} samples): p50 ${ms(r.oneEni.p50Ms)}, p99 ${ms(r.oneEni.p99Ms)}, max ${ms(r.oneEni.maxMs)}`);
  console.log(`agent-configure: 8 ENIs (${r.eightEnis.samples} samples): p50 ${ms(r.eightEnis.p50Ms)}, p99 ${ms(r.eightEnis.p99Ms)}, max ${ms(r.eightEnis.maxMs)}`);
  console.log(`agent-configure: p50 goal ≤ ${GOALS.p50Ms} ms — 1 ENI ${verdict(r.ratios.oneP50)}, 8 ENIs ${verdict(r.ratios.eightP50)}`);
  console.log(`agent-configure: p99 goal ≤ ${GOALS.p99Ms} ms — 1 ENI ${verdict(r.ratios.oneP99)}, 8 ENIs ${verdict(r.ratios.eightP99)}`);
  console.log(`agent-configure: RSS ${r.rssMb.toFixed(1)} MB after the runs (${r.rssAtStartMb.toFixed(1)} MB when ready), goal ≤ ${GOALS.rssMb} MB — ${verdict(r.ratios.rss)}`);
  console.log(`agent-configure: CPU at rest ${r.cpuAtRestPercent.toFixed(2)}% of one core over ${r.restSeconds} s (goal ~0)`);
}
