import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBatchFailures } from './iproute.ts';

test('batch failures are matched to their commands by line number', () => {
  const commands = ['link set dev ens6 up', 'route add 1.2.3.0/24 dev nope table 30000', 'rule add from 10.0.0.5/32 table 30000'];
  const stderr = 'Cannot find device "nope"\nCommand failed -:2\nRTNETLINK answers: File exists\nCommand failed -:3\n';
  assert.deepEqual(parseBatchFailures(stderr, commands), [
    { index: 1, command: commands[1], message: 'Cannot find device "nope"' },
    { index: 2, command: commands[2], message: 'RTNETLINK answers: File exists' },
  ]);
});

test('a batch that failed without naming a command yields no failures (the caller raises)', () => {
  assert.deepEqual(parseBatchFailures('Cannot open network namespace "x": No such file or directory\n', ['link show']), []);
});
