import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SingleFlightCache } from './single-flight-cache.ts';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('concurrent callers for one key share one load; other keys load on their own', async () => {
  const cache = new SingleFlightCache<string, number>(() => 60_000);
  let loads = 0;
  const pending = deferred<number>();
  const load = (): Promise<number> => (loads++, pending.promise);
  const answers = Array.from({ length: 10 }, () => cache.get('a', load));
  assert.equal(loads, 1);
  pending.resolve(7);
  assert.deepEqual(await Promise.all(answers), new Array(10).fill(7));
  assert.equal(await cache.get('a', load), 7);
  assert.equal(loads, 1);
  assert.equal(await cache.get('b', () => Promise.resolve(8)), 8);
});

test('answers expire after their own TTL', async () => {
  let now = 0;
  const cache = new SingleFlightCache<string, number | undefined>((v) => (v === undefined ? 1_000 : 60_000), () => now);
  let loads = 0;
  await cache.get('missing', async () => (loads++, undefined));
  await cache.get('found', async () => (loads++, 1));
  now = 1_001;
  await cache.get('missing', async () => (loads++, undefined)); // the short-lived negative answer is asked again
  await cache.get('found', async () => (loads++, 1)); // the long-lived one is not
  assert.equal(loads, 3);
  now = 60_001;
  await cache.get('found', async () => (loads++, 1));
  assert.equal(loads, 4);
});

test('a failure reaches every waiting caller and is not remembered', async () => {
  const cache = new SingleFlightCache<string, number>(() => 60_000);
  const pending = deferred<number>();
  const first = cache.get('a', () => pending.promise);
  const second = cache.get('a', () => Promise.resolve(99));
  pending.reject(new Error('boom'));
  await assert.rejects(first, /boom/);
  await assert.rejects(second, /boom/);
  assert.equal(await cache.get('a', () => Promise.resolve(5)), 5);
});

test('delete forgets a key', async () => {
  const cache = new SingleFlightCache<string, number>(() => 60_000);
  await cache.get('a', () => Promise.resolve(1));
  cache.delete('a');
  assert.equal(await cache.get('a', () => Promise.resolve(2)), 2);
});
