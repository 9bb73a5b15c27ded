import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.ts';

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('a burst of n goes at once; then one token every 60/n seconds, first come first served', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(60, clock.now);
  const waits = Array.from({ length: 63 }, () => bucket.reserve());
  assert.deepEqual(waits.slice(0, 60), new Array(60).fill(0));
  assert.deepEqual(waits.slice(60), [1000, 2000, 3000]);
});

test('tokens refill with time, up to the burst and no further', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(120, clock.now); // one token per 500 ms
  for (let i = 0; i < 120; i++) bucket.reserve();
  clock.advance(1000);
  assert.equal(bucket.reserve(), 0);
  assert.equal(bucket.reserve(), 0);
  assert.equal(bucket.reserve(), 500);
  clock.advance(10 * 60_000); // idle for ten minutes: still only a burst of 120
  const waits = Array.from({ length: 121 }, () => bucket.reserve());
  assert.equal(waits.filter((w) => w === 0).length, 120);
  assert.equal(waits[120], 500);
});

test('a queue of callers is spread at exactly the rate, in arrival order', () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(500, clock.now); // one token per 120 ms
  const waits = Array.from({ length: 1500 }, () => bucket.reserve());
  for (let i = 1; i < waits.length; i++) assert.ok((waits[i] ?? 0) >= (waits[i - 1] ?? 0));
  assert.equal(waits[499], 0);
  assert.equal(waits[500], 120);
  assert.equal(waits[1499], 1000 * 120); // 1,500 calls: the burst, then 1,000 at 500 a minute
});

test('Infinity means no limit; zero or negative limits are refused', () => {
  const bucket = new TokenBucket(Infinity);
  for (let i = 0; i < 10_000; i++) assert.equal(bucket.reserve(), 0);
  assert.throws(() => new TokenBucket(0), RangeError);
  assert.throws(() => new TokenBucket(-5), RangeError);
  assert.throws(() => new TokenBucket(Number.NaN), RangeError);
});

test('take() waits for the reserved slot', async () => {
  const bucket = new TokenBucket(600); // one token per 100 ms after a burst of 600
  for (let i = 0; i < 600; i++) bucket.reserve();
  const started = performance.now();
  await bucket.take();
  const waited = performance.now() - started;
  assert.ok(waited >= 90 && waited < 400, `waited ${waited} ms`);
});
