// Benchmark (not a test): how fast the node agent turns "attached" into "configured".
// A real kube-apiserver, a "node" network namespace (test/support/netns.ts) and the agent as its own
// process (`ecs-eni-controller node-agent --netns …`), so that its memory and CPU are its alone.
// Latency: from the moment the claim's status carries the MAC (the controller's status write is
// sent) to the moment a watch sees Configured=True; for 1 ENI at a time and for 8 at once.
// Then the agent's RSS, and its CPU while nothing happens.
// Goals (issue 5): p50 ≤ 100 ms, p99 ≤ 500 ms for 1 and 8 ENIs; RSS ≤ 60 MB; CPU at rest ~0.
// With a baseline (BASELINE=<git revision>), that revision's agent runs beside this one, each on
// its own "node", their rounds taking turns: the machine is shared and noisy, so a before/after
// comparison is only fair within one run. BASELINE_NODE_FLAGS (default: the same node flags)
// compares flags instead, e.g. BASELINE=HEAD BASELINE_NODE_FLAGS= … --lite-mode.
// Node flags default to the chart's (the DaemonSet's command line, read from its template), so
// that the figures are those of the agent as deployed (and so does its MALLOC_ARENA_MAX, for both
// agents); pass `none` for plain node.
// AGENT_LOG_LEVEL=debug KEEP_LOGS=1 keep the agents' logs (each pass's timings) for a look.
//   [BASELINE=rev [BASELINE_NODE_FLAGS=…]] node bench/agent-configure.ts [rounds1] [rounds8] [restSeconds] [compiled|sources] [node flags…|none]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import type { NetworkInterfaceClaim } from '../src/api/claim.ts';
import { CONTROLLER_FIELD_MANAGER, NODE_LABEL } from '../src/api/names.ts';
import { ClaimClient, claimInformer } from '../src/kube/claims.ts';
import { freePort, startControlPlane, type ControlPlane } from '../test/support/controlplane.ts';
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

export interface AgentBenchmarkResult extends AgentFigures {
  /** Extra node flags the agent ran with (e.g. V8 heap limits). */
  nodeFlags: string[];
  /** What ran: the compiled CLI (as in the image) or the TypeScript sources. */
  entry: 'compiled' | 'sources';
  restSeconds: number;
  goals: typeof GOALS;
  /** figure ÷ goal (≤ 1 meets it). */
  ratios: { oneP50: number; oneP99: number; eightP50: number; eightP99: number; rss: number };
  /** The same figures of the baseline revision's agent, measured in the same run. */
  baseline?: AgentFigures & { revision: string; nodeFlags: string[] };
}

export interface AgentFigures {
  oneEni: LatencyFigures;
  eightEnis: LatencyFigures;
  /** Resident memory of the agent process after the runs, MB. */
  rssMb: number;
  /** … and once it was ready, before any claim. */
  rssAtStartMb: number;
  /** … and its peak over the whole life of the process (VmHWM): during the 8-ENI bursts. */
  rssPeakMb: number;
  /** CPU of the agent process while idle, percent of one core. */
  cpuAtRestPercent: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_CLI = join(ROOT, 'src', 'cli.ts');
const AGENT_DAEMONSET = join(ROOT, 'helm', 'ecs-eni-controller', 'templates', 'agent-daemonset.yaml');

/** The node flags the chart gives the agent (helm values `nodeAgent.nodeFlags`): one place for them. */
export function chartNodeFlags(): string[] {
  const values = parseYaml(readFileSync(join(ROOT, 'helm', 'ecs-eni-controller', 'values.yaml'), 'utf8')) as { nodeAgent: { nodeFlags: string[] } };
  return values.nodeAgent.nodeFlags;
}

/** The allocator setting the chart gives the agent (its MALLOC_ARENA_MAX), as an environment. */
export function chartAgentEnv(): Record<string, string> {
  const match = /- name: MALLOC_ARENA_MAX\s+value: "(\d+)"/.exec(readFileSync(AGENT_DAEMONSET, 'utf8'));
  return match?.[1] ? { MALLOC_ARENA_MAX: match[1] } : {};
}

/**
 * The agent as the image runs it: compiled JavaScript (type stripping of the .ts sources costs
 * ~17 MB of RSS by itself), built into a temporary directory that borrows node_modules.
 */
export function buildCli(dir: string, sources = ROOT): string {
  const out = join(dir, 'dist');
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const built = spawnSync(tsc, ['-p', join(sources, 'tsconfig.build.json'), '--outDir', out], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`tsc failed: ${built.stdout}${built.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(out, 'cli.js');
}

/** The compiled CLI of a git revision: its src/ and tsconfig files exported (read-only) and built. */
function buildRevision(dir: string, revision: string): string {
  const sources = join(dir, 'sources');
  mkdirSync(sources, { recursive: true });
  const archive = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', revision, 'src', 'tsconfig.json', 'tsconfig.build.json', 'package.json']);
  execFileSync('tar', ['-x', '-C', sources], { input: archive });
  symlinkSync(join(ROOT, 'node_modules'), join(sources, 'node_modules'));
  return buildCli(dir, sources);
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

/** VmRSS (resident now) or VmHWM (the peak resident) of a process, MB. */
function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`)) ?? '';
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
  node: string;
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
    const name = `${rig.node}-${rig.sequence++}`;
    await rig.client.create({ metadata: { name, labels: { [NODE_LABEL]: rig.node } }, spec: { nodeName: rig.node, vSwitchId: 'vsw-bench1', securityGroupIds: ['sg-bench1'] } });
    names.push(name);
    macs.push(eni.mac);
  }
  // The agent sees the claims (and takes its finalizer) before the clock starts, as it does while
  // the controller attaches: the label comes with the attach decision, the MAC once the ENI is
  // InUse (seconds on ECS; ≈ 300 ms p50 against the simulator, bench/controller.ts).
  await sleep(200);
  const timings = names.map((name, i) => {
    const sentAt = performance.now();
    const done = rig.watch.expect(name, sentAt);
    const write = rig.client.applyStatus(name, CONTROLLER_FIELD_MANAGER, {
      nodeName: rig.node,
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
  /** Node flags for the agent process; default the chart's (chartNodeFlags). */
  nodeFlags?: string[];
  /** A git revision whose agent runs beside this one, taking turns round by round. */
  baseline?: string;
  /** Node flags of the baseline's agent; default nodeFlags. */
  baselineNodeFlags?: string[];
}

/** One agent process on its own "node" namespace, and what was measured of it. */
interface AgentUnderTest {
  rig: Rig;
  informer: ReturnType<typeof claimInformer>;
  process: GroupProcess;
  rssAtStartMb: number;
  one: number[];
  eight: number[];
}

const NODE = 'bench-node';

async function startAgentUnderTest(cp: ControlPlane, node: string, cli: string, nodeFlags: string[], logFile: string, topologies: Topology[]): Promise<AgentUnderTest> {
  const topology = await createTopology();
  topologies.push(topology);
  const port = await freePort();
  const args = [...nodeFlags, cli, 'node-agent', '--node-name', node, '--netns', topology.node, '--kubeconfig', cp.kubeconfigPath, '--metrics-bind-address', `127.0.0.1:${port}`, '--log-level', process.env.AGENT_LOG_LEVEL ?? 'warn'];
  const agent = spawnGroup(`node-agent ${node}`, process.execPath, args, { logFile, env: { ...process.env, ...chartAgentEnv() } });
  for (let ready = false; !ready; await sleep(50)) ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
  const informer = claimInformer(cp.kubeConfig, { logger: pino({ level: 'silent' }), labelSelector: `${NODE_LABEL}=${node}` });
  const rig: Rig = { node, topology, client: new ClaimClient(cp.kubeConfig), watch: new ConfiguredWatch(informer), sequence: 0 };
  return { rig, informer, process: agent, rssAtStartMb: 0, one: [], eight: [] };
}

function figuresOf(agent: AgentUnderTest, cpuAtRestPercent: number): AgentFigures {
  return { oneEni: figures(agent.one), eightEnis: figures(agent.eight), rssMb: rssMb(agent.process.pid), rssAtStartMb: agent.rssAtStartMb, rssPeakMb: rssMb(agent.process.pid, 'VmHWM'), cpuAtRestPercent };
}

export async function runAgentBenchmark(options: AgentBenchmarkOptions = {}): Promise<AgentBenchmarkResult> {
  const { rounds1 = 30, rounds8 = 8, restSeconds = 20, entry = 'compiled', nodeFlags = chartNodeFlags(), baseline, baselineNodeFlags = nodeFlags } = options;
  await removeStaleNamespaces();
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-agent-bench-'));
  const cli = entry === 'compiled' ? buildCli(join(dir, 'current')) : SOURCE_CLI;
  const baselineCli = baseline === undefined ? undefined : buildRevision(join(dir, 'baseline'), baseline);
  const cp = await startControlPlane();
  const topologies: Topology[] = [];
  const agents: AgentUnderTest[] = [];
  try {
    await applyCrds(cp.kubeConfig);
    agents.push(await startAgentUnderTest(cp, NODE, cli, nodeFlags, join(dir, 'agent.log'), topologies));
    if (baselineCli) agents.push(await startAgentUnderTest(cp, `${NODE}-baseline`, baselineCli, baselineNodeFlags, join(dir, 'baseline.log'), topologies));
    await sleep(1_000);
    for (const agent of agents) {
      agent.rssAtStartMb = rssMb(agent.process.pid);
      agent.informer.start();
      await agent.informer.waitForSync(30_000);
      await round(agent.rig, 1); // warm-up: JIT, connections
    }
    // Rounds take turns, and so does who goes first, so that load changes hit both alike.
    const turns = (i: number): AgentUnderTest[] => (i % 2 === 0 ? agents : [...agents].reverse());
    for (let i = 0; i < rounds1; i++) for (const agent of turns(i)) agent.one.push(...(await round(agent.rig, 1)));
    for (let i = 0; i < rounds8; i++) for (const agent of turns(i)) agent.eight.push(...(await round(agent.rig, 8)));
    await sleep(2_000);
    const ticksBefore = agents.map((agent) => cpuTicks(agent.process.pid));
    await sleep(restSeconds * 1000);
    const cpu = agents.map((agent, i) => ((cpuTicks(agent.process.pid) - (ticksBefore[i] ?? 0)) / CLOCK_TICKS / restSeconds) * 100);
    const [current, base] = agents.map((agent, i) => figuresOf(agent, cpu[i] ?? Number.NaN));
    if (!current) throw new Error('no agent ran');
    return {
      ...current,
      nodeFlags,
      restSeconds,
      entry,
      goals: GOALS,
      ratios: {
        oneP50: current.oneEni.p50Ms / GOALS.p50Ms,
        oneP99: current.oneEni.p99Ms / GOALS.p99Ms,
        eightP50: current.eightEnis.p50Ms / GOALS.p50Ms,
        eightP99: current.eightEnis.p99Ms / GOALS.p99Ms,
        rss: current.rssMb / GOALS.rssMb,
      },
      ...(base && baseline !== undefined ? { baseline: { ...base, revision: baseline, nodeFlags: baselineNodeFlags } } : {}),
    };
  } finally {
    for (const agent of agents) {
      await agent.informer.stop();
      await agent.process.stop();
    }
    for (const topology of topologies) await topology.destroy();
    await cp.stop();
    if (process.env.KEEP_LOGS) console.log(`agent-configure: logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function verdict(ratio: number): string {
  return `ratio ${ratio.toFixed(2)} (${ratio <= 1 ? 'met' : 'NOT met'})`;
}

function printFigures(label: string, f: AgentFigures, withGoals: boolean): void {
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  const goal = (figure: number, limit: number): string => (withGoals ? ` — ${verdict(figure / limit)}` : '');
  console.log(`agent-configure: ${label}1 ENI  (${f.oneEni.samples} samples): p50 ${ms(f.oneEni.p50Ms)}, p99 ${ms(f.oneEni.p99Ms)}, max ${ms(f.oneEni.maxMs)}`);
  console.log(`agent-configure: ${label}8 ENIs (${f.eightEnis.samples} samples): p50 ${ms(f.eightEnis.p50Ms)}, p99 ${ms(f.eightEnis.p99Ms)}, max ${ms(f.eightEnis.maxMs)}`);
  if (withGoals) {
    console.log(`agent-configure: ${label}p50 goal ≤ ${GOALS.p50Ms} ms — 1 ENI ${verdict(f.oneEni.p50Ms / GOALS.p50Ms)}, 8 ENIs ${verdict(f.eightEnis.p50Ms / GOALS.p50Ms)}`);
    console.log(`agent-configure: ${label}p99 goal ≤ ${GOALS.p99Ms} ms — 1 ENI ${verdict(f.oneEni.p99Ms / GOALS.p99Ms)}, 8 ENIs ${verdict(f.eightEnis.p99Ms / GOALS.p99Ms)}`);
  }
  console.log(`agent-configure: ${label}RSS ${f.rssMb.toFixed(1)} MB after the runs (${f.rssAtStartMb.toFixed(1)} MB when ready, peak ${f.rssPeakMb.toFixed(1)} MB)${goal(f.rssMb, GOALS.rssMb).replace(' — ', `, goal ≤ ${GOALS.rssMb} MB — `)}`);
  console.log(`agent-configure: ${label}CPU at rest ${f.cpuAtRestPercent.toFixed(2)}% of one core (goal ~0)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rounds1 = '30', rounds8 = '8', rest = '20', entry = 'compiled', ...flagArgs] = process.argv.slice(2);
  const nodeFlags = flagArgs.length === 0 ? chartNodeFlags() : flagArgs.filter((f) => f !== 'none');
  const baseline = process.env.BASELINE;
  const baselineFlags = process.env.BASELINE_NODE_FLAGS;
  const r = await runAgentBenchmark({
    rounds1: Number(rounds1),
    rounds8: Number(rounds8),
    restSeconds: Number(rest),
    entry: entry === 'sources' ? 'sources' : 'compiled',
    nodeFlags,
    ...(baseline ? { baseline } : {}),
    ...(baselineFlags === undefined ? {} : { baselineNodeFlags: baselineFlags.split(' ').filter((f) => f !== '') }),
  });
  const flags = r.nodeFlags.length > 0 ? ` and ${r.nodeFlags.join(' ')}` : '';
  console.log(`agent-configure: the ${r.entry === 'compiled' ? 'compiled CLI (as in the image)' : 'TypeScript sources'} with --netns (sysctls through ip netns exec)${flags}; CPU at rest over ${r.restSeconds} s`);
  printFigures(r.baseline ? 'this tree:     ' : '', r, true);
  if (r.baseline) {
    const flags = r.baseline.nodeFlags.join(' ') || 'no node flags';
    console.log(`agent-configure: baseline: revision ${r.baseline.revision} with ${flags}, taking turns with this tree round by round`);
    printFigures('baseline:      ', r.baseline, false);
  }
}
