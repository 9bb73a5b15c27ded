// `npm run test:prepare`: fetch and build everything the tests need ahead of time. Idempotent:
// a second run finds the cache and returns at once.
import { spawnSync } from 'node:child_process';
import { cacheDir, ensureBinaries } from './binaries.ts';

const TOOLS: Record<string, string> = {
  openssl: 'openssl',
  ip: 'iproute2',
  ping: 'iputils-ping',
  promtool: 'prometheus',
};

const started = Date.now();
const binaries = ensureBinaries((line) => console.log(line));
for (const [name, path] of Object.entries(binaries)) console.log(`${name.padEnd(15)} ${path}`);

const missing = Object.entries(TOOLS).filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.error(`missing tools: ${missing.map(([t]) => t).join(', ')}; install with: apt-get install -y ${missing.map(([, p]) => p).join(' ')}`);
  process.exitCode = 1;
}
console.log(`test:prepare done in ${((Date.now() - started) / 1000).toFixed(1)} s (cache: ${cacheDir()})`);
