// The node agent's process must never load @kubernetes/client-node: importing it costs 50–80 MB of
// RSS (its generated API), more than the agent's whole memory goal. Type-only imports are fine
// (erased). This runs the real entry point, `cli.ts node-agent --help`, under a resolve hook that
// records every module resolved, so both the static graph and cli.ts's dynamic dispatch count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const HOOK = `
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.startsWith('file:')) process.stderr.write('RESOLVED ' + resolved.url + ' FROM ' + (context.parentURL ?? '') + '\\n');
    return resolved;
  },
});
`;

test('the node agent process loads no @kubernetes/client-node module, and its own code is what it loads', async () => {
  const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
  const hook = `data:text/javascript,${encodeURIComponent(HOOK)}`;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', hook, cli, 'node-agent', '--help']);
  assert.match(stdout, /--node-name/, 'the agent printed its usage: the command really loaded');
  const resolved = stderr.split('\n').filter((line) => line.startsWith('RESOLVED '));
  assert.ok(resolved.some((line) => line.includes('/src/node/agent.ts')), 'the agent module graph was resolved');
  const offending = resolved.filter((line) => line.includes('/@kubernetes/client-node/'));
  assert.deepEqual(offending, [], 'client-node is reached from these imports');
});

test("the node agent's modules do not load undici (an ES import of node:http would, through its lazy WebSocket getter: ≈ 4 MB)", async () => {
  const main = new URL('./main.ts', import.meta.url).href;
  const probe = `const before = new Set(process.moduleLoadList);
await import(${JSON.stringify(main)});
process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe]);
  const loaded = JSON.parse(stdout) as string[];
  assert.ok(loaded.some((m) => m.includes('child_process')), 'the agent module graph was loaded');
  assert.deepEqual(loaded.filter((m) => m.includes('undici')), []);
});
