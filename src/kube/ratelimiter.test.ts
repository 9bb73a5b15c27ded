import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  defaultControllerRateLimiter,
  maxOf,
} from './ratelimiter.ts';

test('exponential: 5 ms doubling per failure, per key, capped; forget starts again', () => {
  const limiter = new ItemExponentialFailureRateLimiter();
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.when('a')), [5, 10, 20, 40]);
  assert.equal(limiter.when('b'), 5, 'keys back off independently');
  assert.equal(limiter.numRequeues('a'), 4);
  limiter.forget('a');
  assert.equal(limiter.numRequeues('a'), 0);
  assert.equal(limiter.when('a'), 5);
});

test('exponential: the cap holds, even after enough failures to overflow 2^n', () => {
  const limiter = new ItemExponentialFailureRateLimiter({ baseDelayMs: 1000, maxDelayMs: 300_000 });
  const delays = Array.from({ length: 2000 }, () => limiter.when('a'));
  assert.deepEqual(delays.slice(0, 4), [1000, 2000, 4000, 8000]);
  assert.equal(delays[9], 300_000);
  assert.equal(delays.at(-1), 300_000);
});

test('exponential: client-go default cap is 1000 s', () => {
  const limiter = new ItemExponentialFailureRateLimiter();
  let last = 0;
  for (let i = 0; i < 40; i++) last = limiter.when('a');
  assert.equal(last, 1_000_000);
});

test('bucket: a burst of 100 passes, then 10 per second; tokens refill with time', () => {
  const clock = new FakeClock();
  const limiter = new BucketRateLimiter({ clock });
  for (let i = 0; i < 100; i++) assert.equal(limiter.when(`k${i}`), 0);
  assert.equal(limiter.when('x'), 100);
  assert.equal(limiter.when('y'), 200);
  clock.advance(1000); // 10 tokens back; 2 were borrowed
  for (let i = 0; i < 8; i++) assert.equal(limiter.when(`z${i}`), 0);
  assert.equal(limiter.when('w'), 100);
  assert.equal(limiter.numRequeues('w'), 0);
});

test('maxOf: the longest delay wins and every limiter counts the failure', () => {
  const clock = new FakeClock();
  const slow = new ItemExponentialFailureRateLimiter({ baseDelayMs: 50 });
  const fast = new ItemExponentialFailureRateLimiter({ baseDelayMs: 5 });
  const limiter = maxOf(fast, slow, new BucketRateLimiter({ clock, burst: 1, qps: 1 }));
  assert.equal(limiter.when('a'), 50);
  assert.equal(limiter.when('a'), 1000, 'the bucket (1 qps, burst 1) now dominates');
  assert.equal(fast.numRequeues('a'), 2);
  assert.equal(limiter.numRequeues('a'), 2);
  limiter.forget('a');
  assert.equal(slow.numRequeues('a'), 0);
  assert.equal(fast.numRequeues('a'), 0);
});

test('default controller limiter: 5, 10, 20 ms for one key; the bucket bites after 100 keys', () => {
  const clock = new FakeClock();
  const limiter = defaultControllerRateLimiter({ clock });
  assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('a')], [5, 10, 20]);
  for (let i = 0; i < 97; i++) limiter.when(`k${i}`);
  assert.equal(limiter.when('fresh'), 100, '101st retry within the same instant waits for a token');
});

test('default controller limiter: base and cap are configurable', () => {
  const limiter = defaultControllerRateLimiter({ clock: new FakeClock(), baseDelayMs: 100, maxDelayMs: 150 });
  assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('a')], [100, 150, 150]);
});
