import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { realClock } from '../kube/clock.ts';
import { KernelMonitor } from './monitor.ts';

test('a burst of events is folded into one call per window', async () => {
  let calls = 0;
  const monitor = new KernelMonitor({
    command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo event $i; done; sleep 0.3; echo late; exec sleep 5'],
    clock: realClock,
    windowMs: 50,
    onChange: () => calls++,
  });
  monitor.start();
  try {
    await sleep(200);
    assert.equal(calls, 1);
    await sleep(300);
    assert.equal(calls, 2);
  } finally {
    monitor.stop();
  }
});

test('a monitor that dies is started again, and a reconcile is asked for', async () => {
  let calls = 0;
  const exits: string[] = [];
  const monitor = new KernelMonitor({
    command: ['sleep', '5'],
    clock: realClock,
    windowMs: 10,
    restartDelayMs: 50,
    onChange: () => calls++,
    onExit: (detail) => exits.push(detail),
  });
  monitor.start();
  try {
    await sleep(100);
    const first = monitor.pid();
    assert.ok(first);
    process.kill(first, 'SIGKILL');
    await sleep(200);
    assert.equal(exits.length, 1);
    assert.match(exits[0] ?? '', /SIGKILL/);
    assert.ok(monitor.pid() !== undefined && monitor.pid() !== first, 'a new child runs');
    assert.equal(calls, 1);
  } finally {
    monitor.stop();
  }
});
