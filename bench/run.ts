// `npm run bench`: every benchmark in one run (the machine is shared and noisy, so figures are only
// compared within a run), one table of figures against their goals, and the same as JSON in
// bench/results/latest.json. How to read it: docs/performance.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { runControllerBenchmark, GOALS as CONTROLLER_GOALS } from './controller.ts';
import { runAgentBenchmark, GOALS as AGENT_GOALS } from './agent-configure.ts';
import { runSimBenchmark, GOAL_REQUESTS_PER_SECOND } from './sim-throughput.ts';

interface Figure {
  value: number | null;
  goal: number | null;
  unit: string;
  /** Which way is better: a figure meets its goal when value ≤ goal ('max') or ≥ goal ('min'). */
  goalIs: 'max' | 'min' | 'none';
}

function figure(value: number | undefined, goal: number | null, unit: string, goalIs: Figure['goalIs'] = 'max'): Figure {
  const rounded = value === undefined || !Number.isFinite(value) ? null : Math.round(value * 1000) / 1000;
  return { value: rounded, goal, unit, goalIs };
}

function verdict(f: Figure): string {
  if (f.value === null) return 'not measured';
  if (f.goal === null || f.goalIs === 'none') return '';
  const ratio = f.value / f.goal;
  const met = f.goalIs === 'max' ? f.value <= f.goal : f.value >= f.goal;
  return `${ratio.toFixed(2)} of goal ${met ? 'met' : 'NOT met'}`;
}

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const started = Date.now();

const parameters = {
  controller: { claims: quick ? 200 : 1_000, nodes: quick ? 40 : 200, rssClaims: quick ? 2_000 : 10_000 },
  agent: { rounds1: quick ? 10 : 30, rounds8: quick ? 3 : 8, restSeconds: quick ? 5 : 20 },
  sim: { durationMs: quick ? 3_000 : 10_000 },
};

log('controller benchmark…');
const controller = await runControllerBenchmark({ ...parameters.controller, log });
log('node agent benchmark…');
const agent = await runAgentBenchmark(parameters.agent);
log('simulator benchmark…');
const sim = await runSimBenchmark(parameters.sim);

const figures: Record<string, Figure> = {
  makespanRatio: figure(controller.makespanRatio, CONTROLLER_GOALS.makespanRatio, 'makespan ÷ lower bound'),
  ecsCallsPerClaim: figure(controller.ecsCallsPerClaim, CONTROLLER_GOALS.ecsCallsPerClaim, 'calls'),
  attachLagP50Ms: figure(controller.attachLagP50Ms, CONTROLLER_GOALS.attachLagP50Ms, 'ms'),
  attachLagP99Ms: figure(controller.attachLagP99Ms, null, 'ms', 'none'),
  steadyAttachLagP50Ms: figure(controller.steadyAttachLagP50Ms, null, 'ms', 'none'),
  steadyAttachLagP99Ms: figure(controller.steadyAttachLagP99Ms, null, 'ms', 'none'),
  terwayScheduleLagP50Ms: figure(controller.terwayScheduleLagP50Ms, null, 'ms', 'none'),
  terwayScheduleLagP99Ms: figure(controller.terwayScheduleLagP99Ms, null, 'ms', 'none'),
  controllerRssMb: figure(controller.controllerRssMb, null, 'MB', 'none'),
  controllerRssMb10k: figure(controller.controllerRssMb10k, CONTROLLER_GOALS.controllerRssMb10k, 'MB'),
  // The agent's goal holds for 1 and for 8 ENIs at once: the headline is the worse of the two.
  agentConfigureP50Ms: figure(Math.max(agent.oneEni.p50Ms, agent.eightEnis.p50Ms), AGENT_GOALS.p50Ms, 'ms'),
  agentConfigureP99Ms: figure(Math.max(agent.oneEni.p99Ms, agent.eightEnis.p99Ms), AGENT_GOALS.p99Ms, 'ms'),
  agentConfigure1EniP50Ms: figure(agent.oneEni.p50Ms, AGENT_GOALS.p50Ms, 'ms'),
  agentConfigure8EnisP50Ms: figure(agent.eightEnis.p50Ms, AGENT_GOALS.p50Ms, 'ms'),
  agentRssMb: figure(agent.rssMb, AGENT_GOALS.rssMb, 'MB'),
  agentRssAtRestMb: figure(agent.rssAtStartMb, AGENT_GOALS.rssMb, 'MB'),
  agentRssPeakMb: figure(agent.rssPeakMb, null, 'MB', 'none'),
  agentCpuAtRestPercent: figure(agent.cpuAtRestPercent, 1, '% of a core'),
  simRequestsPerCpuSecond: figure(sim.requestsPerCpuSecond, GOAL_REQUESTS_PER_SECOND, 'requests/s per core', 'min'),
  simRequestsPerSecond: figure(sim.requestsPerSecond, null, 'requests/s (wall clock, shared cores)', 'none'),
};

const report = {
  ...figures,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.versions.node },
  parameters: { ...parameters, controllerWorkers: controller.workers, agentEntry: agent.entry, quick },
  details: { ecsCallsByAction: controller.ecsCallsByAction, throttledCalls: controller.throttledCalls, makespanMs: controller.makespanMs, lowerBoundMs: controller.lowerBoundMs, agent: { oneEni: agent.oneEni, eightEnis: agent.eightEnis } },
  date: new Date().toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
};

const rows = Object.entries(figures).map(([key, f]) => [key, f.value === null ? '—' : String(f.value), f.unit, f.goal === null ? '' : `${f.goalIs === 'min' ? '≥' : '≤'} ${f.goal}`, verdict(f)]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
const line = (r: string[]): string => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ');
console.log(line(['figure', 'value', 'unit', 'goal', 'ratio']));
for (const r of rows) console.log(line(r));

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL(quick ? './results/quick.json' : './results/latest.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
log(`written to ${out.pathname} in ${report.durationSeconds} s`);
