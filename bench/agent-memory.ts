// Benchmark (not a test): where the node agent's memory goes, to decide how to bring its RSS
// toward the 60 MB goal (issue 5). Each probe is a fresh Node.js process that loads something and
// reports its RSS (anonymous and file-backed) once settled:
// - bare Node.js;
// - @kubernetes/client-node whole, and the deep imports the agent could use instead (the package
//   has no `exports` map, so they are allowed) — dist/config.js (KubeConfig) imports gen/index.js,
//   the whole generated API, so a deep import saves nothing;
// - the agent's process without client-node (logger, metrics, HTTP endpoints, the datapath and the
//   engine, started): the floor that a purpose-built API client could reach, before its own code;
// - the same with client-node: what the agent is today;
// each under plain `node` and under V8 flags that trade speed for memory.
//   node bench/agent-memory.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli } from './agent-configure.ts';

export interface MemoryProbe {
  name: string;
  nodeFlags: string[];
  rssMb: number;
  anonMb: number;
  fileMb: number;
  heapUsedMb: number;
}

const CLIENT = '@kubernetes/client-node';
export const FLAG_SETS: readonly string[][] = [[], ['--max-semi-space-size=1', '--max-old-space-size=64'], ['--lite-mode']];

/** Reads this process's memory once timers, promises and GC have settled; prints one JSON line. */
const REPORT = `
await new Promise((resolve) => setTimeout(resolve, 500));
const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
const kb = (key) => Number(new RegExp(key + ':\\\\s+(\\\\d+)').exec(status)[1]);
console.log(JSON.stringify({ rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), heapUsed: process.memoryUsage().heapUsed }));
`;

/** The agent's process minus the Kubernetes client: what it loads and starts besides. */
function agentWithoutClient(dist: string): string {
  const mod = (path: string): string => JSON.stringify(pathToFileURL(join(dist, path)).href);
  return `
const { createLogger } = await import(${mod('logging.js')});
const { createMetrics } = await import(${mod('metrics.js')});
const { startHttpServer } = await import(${mod('health.js')});
const { KernelDatapath } = await import(${mod('node/datapath.js')});
const { IpRoute } = await import(${mod('node/iproute.js')});
const { Sysctls } = await import(${mod('node/sysctl.js')});
for (const m of [${['node/monitor.js', 'node/hotplug.js', 'node/intent.js', 'node/report.js', 'node/outcome.js', 'node/flags.js', 'kube/runner.js', 'kube/workqueue.js'].map(mod).join(', ')}]) await import(m);
await import('node:https');
const logger = createLogger({ level: 'info', name: 'probe' });
const metrics = createMetrics('node-agent');
const http = await startHttpServer({ address: '127.0.0.1:0', registry: metrics.registry, readiness: () => true, logger });
await new KernelDatapath(new IpRoute(), new Sysctls()).reconcile({ configure: [], release: [] });
await metrics.registry.metrics();
setTimeout(() => void http.close(), 2000);
`;
}

function probe(name: string, cwd: string, code: string, nodeFlags: string[]): MemoryProbe {
  const result = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', code + REPORT], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${name}: ${result.stderr}`);
  const line = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { rss: number; anon: number; file: number; heapUsed: number };
  return { name, nodeFlags, rssMb: line.rss / 1024, anonMb: line.anon / 1024, fileMb: line.file / 1024, heapUsedMb: line.heapUsed / 1048576 };
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
    const probes: [string, string][] = [
      ['node, nothing loaded', ''],
      [CLIENT, imports(CLIENT)],
      [`${CLIENT}/dist/config.js (KubeConfig)`, imports(`${CLIENT}/dist/config.js`)],
      [`${CLIENT}/dist/watch.js`, imports(`${CLIENT}/dist/watch.js`)],
      [`${CLIENT}/dist/cache.js (ListWatch)`, imports(`${CLIENT}/dist/cache.js`)],
      [`${CLIENT}/dist/gen/apis/CustomObjectsApi.js`, imports(`${CLIENT}/dist/gen/apis/CustomObjectsApi.js`)],
      ['agent without client-node', agentWithoutClient(dist)],
      ['agent with client-node', imports(CLIENT) + agentWithoutClient(dist)],
    ];
    return FLAG_SETS.flatMap((flags) => probes.map(([name, code]) => probe(name, dir, code, flags)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`agent-memory: ${CLIENT} exports map: ${JSON.stringify(clientExports()) ?? 'none (deep imports allowed)'}`);
  for (const p of runAgentMemoryBenchmark()) {
    const flags = p.nodeFlags.length > 0 ? p.nodeFlags.join(' ') : '(no flags)';
    console.log(
      `agent-memory: ${p.name.padEnd(58)} ${flags.padEnd(48)} RSS ${p.rssMb.toFixed(1).padStart(6)} MB ` +
        `(anon ${p.anonMb.toFixed(1)}, file ${p.fileMb.toFixed(1)}; heap used ${p.heapUsedMb.toFixed(1)})`,
    );
  }
}
