import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError } from '../errors.ts';
import { parseAgentFlags, USAGE, wantsHelp } from './flags.ts';

test('defaults, and the node name from NODE_NAME', () => {
  assert.deepEqual(parseAgentFlags([], { NODE_NAME: 'node-a' }), {
    nodeName: 'node-a',
    metricsBindAddress: ':9090',
    logLevel: 'info',
    resyncMs: 60_000,
    interfaceWaitMs: 10_000,
    cacheSyncTimeoutMs: 120_000,
  });
});

test('every flag', () => {
  const flags = parseAgentFlags(
    ['--node-name', 'n', '--netns', 'ns1', '--kubeconfig', '/k', '--metrics-bind-address', '127.0.0.1:0', '--log-level', 'debug', '--resync', '5s', '--interface-wait', '1s'],
    {},
  );
  assert.equal(flags.netns, 'ns1');
  assert.equal(flags.kubeconfig, '/k');
  assert.equal(flags.resyncMs, 5_000);
  assert.equal(flags.interfaceWaitMs, 1_000);
});

test('usage errors name the flag', () => {
  assert.throws(() => parseAgentFlags([], {}), (e: Error) => e instanceof FlagError && /--node-name/.test(e.message));
  assert.throws(() => parseAgentFlags(['--node-name', 'n', '--resync', '0'], {}), /--resync/);
  assert.throws(() => parseAgentFlags(['--node-name', 'n', '--bogus'], {}), FlagError);
});

test('--proc-sys-net: an absolute path, not with --netns', () => {
  assert.equal(parseAgentFlags(['--node-name', 'n', '--proc-sys-net=/host/proc/sys/net'], {}).procSysNet, '/host/proc/sys/net');
  assert.equal(parseAgentFlags(['--node-name', 'n'], {}).procSysNet, undefined, 'unset: the Sysctls default, /proc/sys/net');
  assert.throws(() => parseAgentFlags(['--node-name', 'n', '--proc-sys-net', 'host/proc'], {}), /--proc-sys-net: .* absolute/);
  assert.throws(() => parseAgentFlags(['--node-name', 'n', '--netns', 'ns1', '--proc-sys-net', '/host/proc/sys/net'], {}), /exclude each other/);
});

test('--help and -h ask for the usage, whatever else is on the line', () => {
  assert.equal(wantsHelp(['--help']), true);
  assert.equal(wantsHelp(['--bogus', '-h']), true);
  assert.equal(wantsHelp(['--node-name', 'n']), false);
  assert.match(USAGE, /--proc-sys-net PATH/);
});
