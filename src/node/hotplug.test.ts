import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../kube/clock.ts';
import { InterfaceWaits } from './hotplug.ts';

const policy = { graceMs: 10_000, fastRetryMs: 1_000, slowRetryMs: 60_000 };

test('a missing interface is retried quietly for the grace period, then reported and retried slowly', () => {
  const clock = new FakeClock();
  const waits = new InterfaceWaits(clock, policy);
  assert.deepEqual(waits.missing('a', 'm1'), { report: false, retryAfterMs: 1_000 });
  clock.advance(9_500);
  assert.deepEqual(waits.missing('a', 'm1'), { report: false, retryAfterMs: 500 });
  clock.advance(500);
  assert.deepEqual(waits.missing('a', 'm1'), { report: true, retryAfterMs: 60_000 });
});

test('a new MAC, or a found interface, starts the wait again', () => {
  const clock = new FakeClock();
  const waits = new InterfaceWaits(clock, policy);
  waits.missing('a', 'm1');
  clock.advance(20_000);
  assert.equal(waits.missing('a', 'm2').report, false);
  waits.forget('a');
  assert.equal(waits.missing('a', 'm1').report, false);
});
