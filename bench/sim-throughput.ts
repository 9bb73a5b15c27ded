// Benchmark (not a test): signed requests per second that the ECS simulator serves on its one core.
// The simulator runs in this process; the load comes from bench/sim-load.ts in a child process, so
// the simulator is measured alone. Two figures: requests/s by the wall clock (what this run got,
// on a machine that may be shared), and requests per CPU-second of the simulator's process (what
// one core serves when it is the simulator's alone: the figure the goal is about). The event-loop
// utilisation says whether the wall-clock run saturated the simulator.
// Goal (issue 3): ≥ 2,000 signed requests/s, so that the simulator is never the bottleneck.
//   node bench/sim-throughput.ts [durationSeconds] [connections]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator } from '../src/sim/index.ts';
import type { WorldSpec } from '../src/sim/index.ts';

export const GOAL_REQUESTS_PER_SECOND = 2000;

export interface SimBenchmarkResult {
  requestsPerSecond: number;
  /** Share of the window the simulator's event loop was busy (0–1). */
  eventLoopUtilization: number;
  /** Requests served per CPU-second of the simulator's process: one core's worth. */
  requestsPerCpuSecond: number;
  /** Requests answered with an error (should be 0). */
  errors: number;
  durationMs: number;
  goal: number;
  /** requestsPerCpuSecond ÷ goal. */
  ratio: number;
}

const WORLD: WorldSpec = {
  regionId: 'cn-hangzhou',
  accessKeys: [{ id: 'BENCHKEY', secret: 'BENCHSECRET' }],
  vpcs: [{ id: 'vpc-bench', cidrBlock: '10.0.0.0/8' }],
  vSwitches: [{ id: 'vsw-bench', vpcId: 'vpc-bench', zoneId: 'cn-hangzhou-h', cidrBlock: '10.1.0.0/16' }],
  securityGroups: [{ id: 'sg-bench', vpcId: 'vpc-bench' }],
  instances: Array.from({ length: 20 }, (_, i) => ({ id: `i-bench-${i}`, instanceType: 'ecs.g7.2xlarge', vSwitchId: 'vsw-bench' })),
};

/** Resolves on the first line that matches; the stream keeps flowing afterwards. */
function waitForLine(stream: NodeJS.ReadableStream, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: string): void => {
      buffered += chunk;
      const line = buffered.split('\n').find((l) => match(l));
      if (line === undefined) return;
      stream.off('data', onData);
      stream.resume();
      resolve(line);
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`load generator ended without the expected output: ${buffered}`)));
  });
}

export async function runSimBenchmark(options: { durationMs?: number; warmupMs?: number; connections?: number } = {}): Promise<SimBenchmarkResult> {
  const { durationMs = 5000, warmupMs = 1000, connections = 32 } = options;
  const running = await startSimulator({ world: WORLD });
  const loader = spawn(
    process.execPath,
    [fileURLToPath(new URL('./sim-load.ts', import.meta.url)), running.endpoint, running.accessKey.id, running.accessKey.secret, String(connections)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    loader.stdout.setEncoding('utf8');
    await waitForLine(loader.stdout, (l) => l === 'ready');
    await sleep(warmupMs);
    const servedBefore = running.sim.counts.count();
    const okBefore = running.sim.counts.count(undefined, 'OK');
    const eluBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await sleep(durationMs);
    const elapsed = performance.now() - started;
    const elu = performance.eventLoopUtilization(eluBefore).utilization;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const served = running.sim.counts.count() - servedBefore;
    const errors = served - (running.sim.counts.count(undefined, 'OK') - okBefore);
    const requestsPerSecond = (served * 1000) / elapsed;
    const requestsPerCpuSecond = served / cpuSeconds;
    loader.kill('SIGTERM');
    await once(loader, 'exit');
    return {
      requestsPerSecond,
      eventLoopUtilization: elu,
      requestsPerCpuSecond,
      errors,
      durationMs: elapsed,
      goal: GOAL_REQUESTS_PER_SECOND,
      ratio: requestsPerCpuSecond / GOAL_REQUESTS_PER_SECOND,
    };
  } finally {
    if (loader.exitCode === null) loader.kill('SIGKILL');
    await running.close();
  }
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [seconds = '5', connections = '32'] = process.argv.slice(2);
  const result = await runSimBenchmark({ durationMs: Number(seconds) * 1000, connections: Number(connections) });
  console.log(
    `sim-throughput: ${format(result.requestsPerCpuSecond)} signed requests per CPU-second of the simulator (one core's worth); ` +
      `${format(result.requestsPerSecond)}/s by the wall clock with its event loop ${(result.eventLoopUtilization * 100).toFixed(0)}% busy; ` +
      `${result.errors} errors; ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  console.log(`sim-throughput: goal ≥ ${format(result.goal)}/s on one core — ratio ${result.ratio.toFixed(2)} (${result.ratio >= 1 ? 'met' : 'NOT met'})`);
}
