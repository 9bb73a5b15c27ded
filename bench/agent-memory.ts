// Benchmark (not a test): where the node agent's memory goes, and which runtime settings bring its
// RSS to the 60 MB goal (issue 5). Each probe is a fresh Node.js process that loads something and
// reports its RSS (anonymous and file-backed) once settled:
// - bare Node.js, and each thing the agent loads on its own: pino, prom-client, node:http(s),
//   yaml, the lean Kubernetes client (src/kube/rest.ts and its informer and claim client);
// - @kubernetes/client-node, whole and by its cheapest deep import (what the agent no longer loads);
// - the agent's process (every module of src/node/main.ts's graph, the logger, metrics, HTTP
//   endpoints and one kernel pass; the lean client built but not connected);
// each under several settings: V8 flags (on node's command line) and MALLOC_ARENA_MAX (env).
//   node bench/agent-memory.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli, chartAgentEnv, chartNodeFlags } from './agent-configure.ts';

export interface MemoryProbe {
  name: string;
  setting: string;
  nodeFlags: string[];
  env: Record<string, string>;
  rssMb: number;
  anonMb: number;
  fileMb: number;
  heapUsedMb: number;
}

const CLIENT = '@kubernetes/client-node';
export interface RuntimeSetting {
  name: string;
  nodeFlags: string[];
  env?: Record<string, string>;
}

const HEAP_LIMITS = ['--max-semi-space-size=1', '--max-old-space-size=64'];

export const SETTINGS: readonly RuntimeSetting[] = [
  { name: 'plain', nodeFlags: [] },
  { name: 'heap limits', nodeFlags: HEAP_LIMITS },
  { name: 'lite + heap limits', nodeFlags: ['--lite-mode', ...HEAP_LIMITS] },
  { name: 'jitless + heap limits', nodeFlags: ['--jitless', ...HEAP_LIMITS] },
  { name: 'lite + no snapshot + heap limits (chart)', nodeFlags: chartNodeFlags() },
  { name: 'chart flags + its MALLOC_ARENA_MAX', nodeFlags: chartNodeFlags(), env: chartAgentEnv() },
];

/** Reads this process's memory once timers, promises and GC have settled; prints one JSON line. */
const REPORT = `
await new Promise((resolve) => setTimeout(resolve, 500));
const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
const kb = (key) => Number(new RegExp(key + ':\\\\s+(\\\\d+)').exec(status)[1]);
console.log(JSON.stringify({ rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), heapUsed: process.memoryUsage().heapUsed }));
`;

/**
 * The agent's process as main.ts assembles it, but not connected: its whole module graph, the
 * logger, metrics, the HTTP endpoints, the lean client and the NodeAgent built, one kernel pass.
 */
function agent(dist: string): string {
  const mod = (path: string): string => JSON.stringify(pathToFileURL(join(dist, path)).href);
  return `
await import(${mod('node/main.js')});
const { createLogger } = await import(${mod('logging.js')});
const { createMetrics } = await import(${mod('metrics.js')});
const { startHttpServer } = await import(${mod('health.js')});
const { KubeRest } = await import(${mod('kube/rest.js')});
const { NodeAgent } = await import(${mod('node/agent.js')});
const { KernelDatapath } = await import(${mod('node/datapath.js')});
const { IpRoute } = await import(${mod('node/iproute.js')});
const { Sysctls } = await import(${mod('node/sysctl.js')});
const logger = createLogger({ level: 'info', name: 'probe' });
const metrics = createMetrics('node-agent');
const http = await startHttpServer({ address: '127.0.0.1:0', registry: metrics.registry, readiness: () => true, logger });
const datapath = new KernelDatapath(new IpRoute(), new Sysctls());
new NodeAgent({ kube: new KubeRest({ server: 'https://127.0.0.1:1' }), nodeName: 'probe', datapath, logger, metrics });
await datapath.reconcile({ configure: [], release: [] });
await metrics.registry.metrics();
setTimeout(() => void http.close(), 2000);
`;
}

function probe(name: string, cwd: string, code: string, setting: RuntimeSetting): MemoryProbe {
  const { nodeFlags, env = {} } = setting;
  const result = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', code + REPORT], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${name}: ${result.stderr}`);
  const line = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { rss: number; anon: number; file: number; heapUsed: number };
  return { name, setting: setting.name, nodeFlags, env, rssMb: line.rss / 1024, anonMb: line.anon / 1024, fileMb: line.file / 1024, heapUsedMb: line.heapUsed / 1048576 };
}

/** The client's package.json `exports` (undefined: every file may be imported by its path). */
export function clientExports(): unknown {
  const require = createRequire(import.meta.url);
  const pkg = join(dirname(require.resolve(CLIENT)), '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { exports?: unknown }).exports;
}

export function runAgentMemoryBenchmark(): MemoryProbe[] {
  const dir = mkdtempSync(join(tmpdir(), 'ecseni-agent-memory-'));
  try {
    const dist = dirname(buildCli(dir));
    const imports = (...paths: string[]): string => paths.map((p) => `await import(${JSON.stringify(p)});`).join('\n');
    const own = (path: string): string => pathToFileURL(join(dist, path)).href;
    const probes: [string, string][] = [
      ['node, nothing loaded', ''],
      ['pino', imports('pino')],
      ['prom-client', imports('prom-client')],
      ['node:http + node:https', imports('node:http', 'node:https')],
      ['yaml', imports('yaml')],
      ['lean client (rest, rest-config, informer, claims)', imports(own('kube/claims.js'))],
      [CLIENT, imports(CLIENT)],
      [`${CLIENT}/dist/watch.js`, imports(`${CLIENT}/dist/watch.js`)],
      ['the agent (lean client), not connected', agent(dist)],
    ];
    return SETTINGS.flatMap((setting) => probes.map(([name, code]) => probe(name, dir, code, setting)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`agent-memory: ${CLIENT} exports map: ${JSON.stringify(clientExports()) ?? 'none (deep imports allowed)'}`);
  for (const p of runAgentMemoryBenchmark()) {
    console.log(
      `agent-memory: ${p.name.padEnd(50)} ${p.setting.padEnd(44)} RSS ${p.rssMb.toFixed(1).padStart(6)} MB ` +
        `(anon ${p.anonMb.toFixed(1)}, file ${p.fileMb.toFixed(1)}; heap used ${p.heapUsedMb.toFixed(1)})`,
    );
  }
}
