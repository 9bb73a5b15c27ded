import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { ItemExponentialFailureRateLimiter } from './ratelimiter.ts';
import { WorkQueue, type QueueSnapshot, type WorkQueueMetrics } from './workqueue.ts';

function newQueue(clock = new FakeClock()): { queue: WorkQueue; clock: FakeClock } {
  return { queue: new WorkQueue({ name: 'test', clock }), clock };
}

/** Whether a promise has settled, without waiting for it. */
async function settled<T>(p: Promise<T>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await flushMicrotasks();
  return done;
}

test('a key already waiting is not queued twice', async () => {
  const { queue } = newQueue();
  queue.add('a');
  queue.add('b');
  queue.add('a');
  assert.equal(queue.len(), 2);
  assert.equal(await queue.get(), 'a');
  assert.equal(await queue.get(), 'b');
  assert.equal(queue.len(), 0);
});

test('a key held by a worker is not handed to a second worker; re-added, it comes back after done', async () => {
  const { queue } = newQueue();
  queue.add('a');
  assert.equal(await queue.get(), 'a');
  queue.add('a');
  queue.add('a');
  assert.equal(queue.len(), 0, 'held keys wait in dirty, not in the queue');
  const second = queue.get();
  assert.equal(await settled(second), false, 'the second worker must not get "a" while the first holds it');
  queue.done('a');
  assert.equal(await second, 'a');
  queue.done('a');
  assert.equal(queue.len(), 0, 'the two adds during processing made one re-queue');
});

test('other keys flow while one key is held', async () => {
  const { queue } = newQueue();
  queue.add('a');
  assert.equal(await queue.get(), 'a');
  queue.add('a');
  queue.add('b');
  assert.equal(await queue.get(), 'b');
  queue.done('b');
  queue.done('a');
  assert.equal(await queue.get(), 'a');
});

test('waiting workers are served in order, each with a different key', async () => {
  const { queue } = newQueue();
  const w1 = queue.get();
  const w2 = queue.get();
  queue.add('x');
  queue.add('y');
  assert.deepEqual(await Promise.all([w1, w2]), ['x', 'y']);
});

test('addAfter: not before its time, then once', async () => {
  const { queue, clock } = newQueue();
  queue.addAfter('a', 100);
  clock.advance(99);
  assert.equal(queue.len(), 0);
  clock.advance(1);
  assert.equal(queue.len(), 1);
  assert.equal(await queue.get(), 'a');
  assert.equal(clock.pending(), 0, 'no timer left behind');
});

test('addAfter: the earliest time wins for the same key, and it fires once', async () => {
  const { queue, clock } = newQueue();
  queue.addAfter('a', 100);
  queue.addAfter('a', 50);
  queue.addAfter('a', 200);
  assert.equal(queue.delayedLen(), 1);
  clock.advance(49);
  assert.equal(queue.len(), 0);
  clock.advance(1);
  assert.equal(await queue.get(), 'a');
  queue.done('a');
  clock.advance(1000);
  assert.equal(queue.len(), 0, 'the later requests were merged into the earlier one');
});

test('addAfter: keys come out in time order; ties in the order they were added; ≤ 0 is immediate', async () => {
  const { queue, clock } = newQueue();
  queue.addAfter('late', 30);
  queue.addAfter('tie1', 20);
  queue.addAfter('tie2', 20);
  queue.addAfter('early', 10);
  queue.addAfter('now', 0);
  assert.equal(queue.len(), 1);
  clock.advance(30);
  const order = [];
  while (queue.len() > 0) order.push(await queue.get());
  assert.deepEqual(order, ['now', 'early', 'tie1', 'tie2', 'late']);
});

test('addRateLimited: backoff 5, 10, 20 ms per failure; forget starts again at 5', async () => {
  const { queue, clock } = newQueue();
  const readyAfter = async (): Promise<number> => {
    const start = clock.now();
    queue.addRateLimited('a');
    while (queue.len() === 0) clock.advance(1);
    const key = await queue.get();
    queue.done(key as string);
    return clock.now() - start;
  };
  assert.deepEqual([await readyAfter(), await readyAfter(), await readyAfter()], [5, 10, 20]);
  assert.equal(queue.numRequeues('a'), 3);
  queue.forget('a');
  assert.equal(queue.numRequeues('a'), 0);
  assert.equal(await readyAfter(), 5);
});

test('addRateLimited: a minimum delay (Retry-After) wins over a shorter backoff', () => {
  const clock = new FakeClock();
  const queue = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter() });
  queue.addRateLimited('a', 300);
  clock.advance(299);
  assert.equal(queue.len(), 0);
  clock.advance(1);
  assert.equal(queue.len(), 1);
  assert.equal(queue.numRequeues('a'), 1, 'the failure still counts for the backoff');
});

test('shutDown releases every waiting get() with undefined and ignores later adds', async () => {
  const { queue, clock } = newQueue();
  const waiters = [queue.get(), queue.get()];
  queue.addAfter('later', 10);
  queue.shutDown();
  assert.deepEqual(await Promise.all(waiters), [undefined, undefined]);
  queue.add('a');
  queue.addAfter('b', 1);
  clock.advance(100);
  assert.equal(queue.len(), 0);
  assert.equal(await queue.get(), undefined);
  assert.equal(queue.shuttingDown(), true);
  assert.equal(clock.pending(), 0);
});

test('shutDown still hands out keys queued before it, as client-go does', async () => {
  const { queue } = newQueue();
  queue.add('a');
  queue.shutDown();
  assert.equal(await queue.get(), 'a');
  assert.equal(await queue.get(), undefined);
});

test('shutDownWithDrain resolves only once every key handed out is done', async () => {
  const { queue } = newQueue();
  queue.add('a');
  queue.add('b');
  const a = await queue.get();
  const b = await queue.get();
  const drained = queue.shutDownWithDrain();
  queue.done(a as string);
  assert.equal(await settled(drained), false);
  queue.done(b as string);
  assert.equal(await settled(drained), true);
});

test('shutDownWithDrain with nothing in flight resolves at once', async () => {
  const { queue } = newQueue();
  await queue.shutDownWithDrain();
});

test('metrics hooks: adds, retries, queue and work durations, depth and in-flight time', async () => {
  const clock = new FakeClock();
  const seen = { added: 0, retried: 0, queued: [] as number[], worked: [] as number[] };
  let snapshot: () => QueueSnapshot = () => assert.fail('watch() not called');
  const metrics: WorkQueueMetrics = {
    added: () => seen.added++,
    retried: () => seen.retried++,
    started: (s) => seen.queued.push(s),
    finished: (s) => seen.worked.push(s),
    watch: (fn) => (snapshot = fn),
  };
  const queue = new WorkQueue({ clock, metrics });
  queue.add('a');
  queue.add('a');
  queue.addAfter('b', 100);
  assert.equal(snapshot().depth, 1);
  clock.advance(2000);
  assert.equal(snapshot().depth, 2);
  await queue.get();
  clock.advance(500);
  await queue.get();
  clock.advance(1500);
  assert.deepEqual(snapshot(), { depth: 0, unfinishedWorkSeconds: 3.5, longestRunningProcessorSeconds: 2 });
  queue.done('a');
  queue.done('b');
  assert.deepEqual(seen, { added: 2, retried: 1, queued: [2, 2.4], worked: [2, 1.5] });
  assert.deepEqual(snapshot(), { depth: 0, unfinishedWorkSeconds: 0, longestRunningProcessorSeconds: 0 });
});

test('10,000 keys: adds, duplicates and gets stay fast and exact', async () => {
  const { queue } = newQueue();
  const n = 10_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) queue.add(`ns/claim-${i}`);
  for (let i = 0; i < n; i++) queue.add(`ns/claim-${i}`);
  assert.equal(queue.len(), n);
  for (let i = 0; i < n; i++) {
    const key = await queue.get();
    assert.equal(key, `ns/claim-${i}`);
    queue.done(key);
  }
  const ms = performance.now() - start;
  console.log(`10k adds + 10k duplicate adds + 10k get/done: ${ms.toFixed(1)} ms`);
  assert.equal(queue.len(), 0);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('10,000 delayed keys come out in time order, earliest time per key', async () => {
  const { queue, clock } = newQueue();
  const n = 10_000;
  const delays = Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 5000));
  const start = performance.now();
  delays.forEach((d, i) => queue.addAfter(`k${i}`, d + 1000));
  delays.forEach((d, i) => queue.addAfter(`k${i}`, d)); // earlier: must win
  delays.forEach((d, i) => queue.addAfter(`k${i}`, d + 2000)); // later: must be ignored
  clock.advance(5000);
  const out: string[] = [];
  while (queue.len() > 0) {
    const key = (await queue.get()) as string;
    out.push(key);
    queue.done(key);
  }
  const ms = performance.now() - start;
  console.log(`30k delayed adds of 10k keys + 10k get/done: ${ms.toFixed(1)} ms`);
  const expected = delays.map((d, i) => ({ d, i })).sort((a, b) => a.d - b.d || a.i - b.i);
  assert.deepEqual(out, expected.map(({ i }) => `k${i}`));
  clock.advance(10_000);
  assert.equal(queue.len(), 0, 'no key fires twice');
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('a higher priority is handed out first, FIFO within a priority, and a re-add with a higher one moves the key up', async () => {
  const { queue } = newQueue();
  for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
  queue.add('x', 10);
  queue.add('c', 10);
  queue.add('a', -1);
  assert.equal(queue.len(), 5, 'a key moved up is still one key');
  const order: string[] = [];
  for (let i = 0; i < 5; i++) order.push((await queue.get()) as string);
  assert.deepEqual(order, ['x', 'c', 'a', 'b', 'd'], 'a lower priority never moves a key down');
  assert.equal(queue.len(), 0);
});

test('a key added with a priority while a worker holds it comes back with that priority after done', async () => {
  const { queue } = newQueue();
  queue.add('held');
  assert.equal(await queue.get(), 'held');
  queue.add('held', 5);
  queue.add('other');
  queue.done('held');
  assert.equal(await queue.get(), 'held');
  queue.done('held');
  assert.equal(await queue.get(), 'other');
  queue.done('other');
  queue.add('first');
  queue.add('held');
  assert.equal(await queue.get(), 'first', 'the priority is forgotten once the key is handed out');
});
