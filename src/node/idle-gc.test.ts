import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { FakeClock } from '../kube/clock.ts';
import { IdleCollector } from './idle-gc.ts';

const MB = 1024 * 1024;

function collector(heap: { bytes: number }, options: { quietMs?: number; growthBytes?: number } = {}) {
  const clock = new FakeClock();
  const collections: number[] = [];
  const idle = new IdleCollector({
    clock,
    quietMs: options.quietMs ?? 5_000,
    growthBytes: options.growthBytes ?? 2 * MB,
    heapBytes: () => heap.bytes,
    collect: () => {
      collections.push(clock.now());
      heap.bytes = 8 * MB;
    },
  });
  return { clock, idle, collections };
}

test('collects once the work has been quiet for quietMs, and only then', () => {
  const heap = { bytes: 8 * MB };
  const { clock, idle, collections } = collector(heap);
  heap.bytes = 14 * MB;
  idle.worked();
  clock.advance(4_000);
  idle.worked(); // more work: the quiet period starts again
  clock.advance(4_999);
  assert.deepEqual(collections, []);
  clock.advance(1);
  assert.deepEqual(collections, [9_000]);
  clock.advance(60_000);
  assert.deepEqual(collections, [9_000], 'once per quiet period, not periodically');
});

test('does not collect a heap that has not grown by growthBytes since the last collection', () => {
  const heap = { bytes: 8 * MB };
  const { clock, idle, collections } = collector(heap);
  heap.bytes = 9.5 * MB;
  idle.worked();
  clock.advance(5_000);
  assert.deepEqual(collections, [], 'grown 1.5 MB: left alone');
  heap.bytes = 10 * MB;
  idle.worked();
  clock.advance(5_000);
  assert.deepEqual(collections, [10_000], 'grown 2 MB: collected');
});

test('growth counts from the smallest heap seen: a heap V8 shrank itself is not collected again at once', () => {
  const heap = { bytes: 12 * MB };
  const { clock, idle, collections } = collector(heap);
  heap.bytes = 6 * MB; // V8's own memory reducer ran
  idle.worked();
  clock.advance(5_000);
  heap.bytes = 7.5 * MB;
  idle.worked();
  clock.advance(5_000);
  assert.deepEqual(collections, []);
  heap.bytes = 8.5 * MB;
  idle.worked();
  clock.advance(5_000);
  assert.deepEqual(collections, [15_000]);
});

test('stop cancels a pending collection; without a collection (no --expose-gc) nothing is ever armed', () => {
  const heap = { bytes: 20 * MB };
  const { clock, idle, collections } = collector(heap);
  idle.worked();
  idle.stop();
  clock.advance(10_000);
  assert.deepEqual(collections, []);

  const inert = new IdleCollector({ clock, collect: undefined, heapBytes: () => heap.bytes });
  assert.equal(inert.enabled(), false);
  inert.worked();
  assert.equal(clock.pending(), 0);
});

/** A node process that grows its heap with garbage, then collects as the agent does; prints figures in MB. */
function measureCollection(nodeFlags: string[]): { heapBefore: number; heapAfter: number; rssBefore: number; rssAfter: number; available: boolean } {
  const script = `
    import { lastResortGc } from ${JSON.stringify(new URL('./idle-gc.ts', import.meta.url).href)};
    const kept = [];
    for (let i = 0; i < 300; i++) {
      kept.push(JSON.parse(JSON.stringify(Array.from({ length: 1000 }, (_, j) => ({ j, s: 'x' + j })))));
      if (kept.length > 10) kept.shift();
    }
    kept.length = 0;
    const mb = (n) => n / ${MB};
    const before = process.memoryUsage();
    const collect = lastResortGc();
    collect?.();
    const after = process.memoryUsage();
    console.log(JSON.stringify({ available: collect !== undefined, heapBefore: mb(before.heapTotal), heapAfter: mb(after.heapTotal), rssBefore: mb(before.rss), rssAfter: mb(after.rss) }));
  `;
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as ReturnType<typeof measureCollection>;
}

// Not under --lite-mode, which has no WebAssembly and so cannot strip the types of idle-gc.ts.
test("V8's last-resort collection gives the garbage's pages back to the system (node --expose-gc)", () => {
  const figures = measureCollection(['--expose-gc', '--max-semi-space-size=1']);
  assert.equal(figures.available, true);
  assert.ok(figures.heapBefore - figures.heapAfter >= 4, `heap ${figures.heapBefore.toFixed(1)} → ${figures.heapAfter.toFixed(1)} MB`);
  assert.ok(figures.rssBefore - figures.rssAfter >= 3, `RSS ${figures.rssBefore.toFixed(1)} → ${figures.rssAfter.toFixed(1)} MB`);
});

test('without --expose-gc there is no collection to call', () => {
  assert.equal(measureCollection([]).available, false);
});
