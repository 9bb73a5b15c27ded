import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ReconcilePanicError, ReconcileTimeoutError } from '../errors.ts';
import { createLogger } from '../logging.ts';
import { createMetrics } from '../metrics.ts';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { Controller, TerminalError, isTerminalError, retryAfterMsOf, type Reconciler } from './runner.ts';
import { WorkQueue } from './workqueue.ts';

interface Harness {
  controller: Controller;
  queue: WorkQueue;
  clock: FakeClock;
  /** Value of a controller_runtime_* series with labels {controller="test"[,result]}. */
  count: (family: string, result?: string) => Promise<number>;
  logs: () => Record<string, unknown>[];
}

function harness(reconcile: Reconciler, options: { workers?: number; reconcileTimeoutMs?: number } = {}): Harness {
  const clock = new FakeClock();
  const metrics = createMetrics('controller');
  const queue = new WorkQueue({ name: 'test', clock, metrics: metrics.forQueue('test') });
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out += chunk.toString();
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const controller = new Controller({
    name: 'test',
    queue,
    reconcile,
    logger,
    clock,
    metrics: metrics.forController('test'),
    ...options,
  });
  const count = async (family: string, result?: string): Promise<number> => {
    const labels = result === undefined ? '{controller="test"}' : `{controller="test",result="${result}"}`;
    const text = await metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${family}${labels} `));
    assert.ok(line, `${family}${labels} missing`);
    return Number(line.split(' ')[1]);
  };
  const logs = (): Record<string, unknown>[] =>
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { controller, queue, clock, count, logs };
}

/** Lets the workers run until nothing more happens without time moving. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await flushMicrotasks();
};

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('success: reconciled once, backoff forgotten, counted as success', async () => {
  const seen: string[] = [];
  const h = harness(async (key) => {
    seen.push(key);
    return {};
  });
  h.controller.start();
  h.queue.add('a');
  h.queue.add('b');
  await settle();
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'success'), 2);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'error'), 0);
  assert.equal(await h.count('controller_runtime_max_concurrent_reconciles'), 1);
  await h.controller.stop({ drain: true });
});

test('error: retried with backoff 5, 10, 20 ms, then success forgets the failures', async () => {
  const calls: number[] = [];
  const h = harness(async () => {
    calls.push(h.clock.now());
    if (calls.length <= 3) throw new Error('cloud unavailable');
    return {};
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(100);
  await settle();
  assert.deepEqual(calls, [0, 5, 15, 35]);
  assert.equal(h.queue.numRequeues('a'), 0);
  assert.equal(await h.count('controller_runtime_reconcile_errors_total'), 3);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'error'), 3);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'success'), 1);
  const errorLine = h.logs().find((l) => l.level === 'error');
  assert.equal((errorLine?.err as { message: string }).message, 'cloud unavailable');
  await h.controller.stop({ drain: true });
});

test('terminal error: not retried, counted as error and terminal', async () => {
  let calls = 0;
  const h = harness(async () => {
    calls++;
    throw new Error('wrapped', { cause: new TerminalError('spec.vSwitchId is invalid') });
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(10_000);
  assert.equal(calls, 1);
  assert.equal(h.queue.numRequeues('a'), 0);
  assert.equal(h.queue.delayedLen(), 0);
  assert.equal(await h.count('controller_runtime_terminal_reconcile_errors_total'), 1);
  assert.equal(await h.count('controller_runtime_reconcile_errors_total'), 1);
  await h.controller.stop({ drain: true });
});

test('an error with retryAfterMs waits at least that long, and longer if the backoff says so', async () => {
  const calls: number[] = [];
  const h = harness(async () => {
    calls.push(h.clock.now());
    const retryAfterMs = [500, 1][calls.length - 1];
    if (retryAfterMs !== undefined) throw Object.assign(new Error('Throttling.User'), { retryAfterMs });
    return {};
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(499);
  assert.deepEqual(calls, [0], 'the backoff (5 ms) is shorter than Retry-After (500 ms)');
  await h.clock.advanceAsync(1);
  await settle();
  assert.deepEqual(calls, [0, 500]);
  await h.clock.advanceAsync(1000);
  assert.deepEqual(calls, [0, 500, 510], 'the backoff (10 ms) is longer than Retry-After (1 ms)');
  await h.controller.stop({ drain: true });
});

test('requeueAfterMs: looked at again after the delay, counted as requeue_after, backoff forgotten', async () => {
  const calls: number[] = [];
  const h = harness(async () => {
    calls.push(h.clock.now());
    if (calls.length === 1) throw new Error('first try fails');
    return calls.length < 4 ? { requeueAfterMs: 1000 } : {};
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(5);
  assert.equal(h.queue.numRequeues('a'), 0, 'requeueAfter forgets the earlier failure');
  await h.clock.advanceAsync(5000);
  assert.deepEqual(calls, [0, 5, 1005, 2005]);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'requeue_after'), 2);
  await h.controller.stop({ drain: true });
});

test('requeue: true backs off like an error without counting one', async () => {
  const calls: number[] = [];
  const h = harness(async () => {
    calls.push(h.clock.now());
    return { requeue: calls.length < 3 };
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(100);
  assert.deepEqual(calls, [0, 5, 15]);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'requeue'), 2);
  assert.equal(await h.count('controller_runtime_reconcile_errors_total'), 0);
  await h.controller.stop({ drain: true });
});

test('panics (programming errors, thrown non-errors, synchronous throws) become retried errors', async () => {
  const failures: Array<() => never> = [
    () => {
      const claim = undefined as unknown as { spec: { nodeName: string } };
      return claim.spec.nodeName as never;
    },
    () => {
      throw 'a string';
    },
  ];
  let calls = 0;
  const h = harness(((_key: string) => {
    const fail = failures[calls++];
    if (fail) fail();
    return Promise.resolve({});
  }) as Reconciler);
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(100);
  assert.equal(calls, 3);
  assert.equal(await h.count('controller_runtime_reconcile_panics_total'), 2);
  assert.equal(await h.count('controller_runtime_reconcile_errors_total'), 2);
  const errs = h.logs().filter((l) => l.level === 'error').map((l) => l.err as { type: string; message: string });
  assert.deepEqual(
    errs.map((e) => e.type),
    ['ReconcilePanicError', 'ReconcilePanicError'],
  );
  assert.match(errs[1]?.message ?? '', /panic: a string/);
  await h.controller.stop({ drain: true });
});

test('an I/O failure wrapped in a TypeError with a cause is an error, not a panic', async () => {
  let calls = 0;
  const h = harness(async () => {
    if (calls++ === 0) throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
    return {};
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(10);
  assert.equal(await h.count('controller_runtime_reconcile_panics_total'), 0);
  assert.equal(await h.count('controller_runtime_reconcile_errors_total'), 1);
  await h.controller.stop({ drain: true });
});

test('one key never reconciles twice at once, while different keys run in parallel', async () => {
  const active = new Map<string, number>();
  let maxSameKey = 0;
  let maxAll = 0;
  let calls = 0;
  const h = harness(
    async (key) => {
      calls++;
      active.set(key, (active.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, active.get(key) ?? 0);
      maxAll = Math.max(maxAll, [...active.values()].reduce((a, b) => a + b, 0));
      h.queue.add(key); // an event arrives for the key while it is being reconciled
      await new Promise<void>((resolve) => setImmediate(resolve));
      active.set(key, (active.get(key) ?? 1) - 1);
      return {};
    },
    { workers: 4 },
  );
  h.controller.start();
  for (let round = 0; round < 3; round++) for (const key of ['a', 'b', 'c', 'd']) h.queue.add(key);
  while (calls < 40) await flushMicrotasks();
  assert.equal(maxSameKey, 1);
  assert.ok(maxAll > 1, 'workers ran different keys at once');
  assert.equal(await h.count('controller_runtime_max_concurrent_reconciles'), 4);
  await h.controller.stop({ drain: true });
  assert.equal(await h.count('controller_runtime_active_workers'), 0);
});

test('each reconcile logs with controller, key and its own short reconcileId', async () => {
  const h = harness(async (key, ctx) => {
    ctx.logger.info('working');
    assert.equal(ctx.reconcileId.length, 8);
    return key === 'a' ? {} : { requeueAfterMs: 0 };
  });
  h.controller.start();
  h.queue.add('a');
  h.queue.add('b');
  await settle();
  const lines = h.logs().filter((l) => l.msg === 'working');
  assert.deepEqual(
    lines.map((l) => [l.controller, l.key]),
    [
      ['test', 'a'],
      ['test', 'b'],
    ],
  );
  assert.match(String(lines[0]?.reconcileId), /^[0-9a-f]{8}$/);
  assert.notEqual(lines[0]?.reconcileId, lines[1]?.reconcileId);
  await h.controller.stop({ drain: true });
});

test('reconcile timeout aborts the signal with a coded error, and the key is retried', async () => {
  let calls = 0;
  const h = harness(
    (_key, ctx) => {
      calls++;
      if (calls > 1) return Promise.resolve({});
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    },
    { reconcileTimeoutMs: 50 },
  );
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.clock.advanceAsync(49);
  assert.equal(calls, 1);
  await h.clock.advanceAsync(1);
  await settle();
  const err = h.logs().find((l) => l.level === 'error')?.err as { type: string; code: string };
  assert.equal(err.type, 'ReconcileTimeoutError');
  assert.equal(err.code, 'ECSENI_RECONCILE_TIMEOUT');
  await h.clock.advanceAsync(5);
  assert.equal(calls, 2);
  assert.equal(h.clock.pending(), 0, 'no timeout timer left behind');
  await h.controller.stop({ drain: true });
});

test('stop with drain: the reconcile in flight finishes unaborted, queued keys do not start', async () => {
  const gate = deferred();
  const started: string[] = [];
  let aborted = false;
  const h = harness(async (key, ctx) => {
    started.push(key);
    await gate.promise;
    aborted = ctx.signal.aborted;
    return {};
  });
  h.controller.start();
  h.queue.add('a');
  h.queue.add('b');
  await settle();
  let stopped = false;
  const stopping = h.controller.stop({ drain: true }).then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false, 'stop waits for the reconcile in flight');
  gate.resolve();
  await stopping;
  assert.deepEqual(started, ['a']);
  assert.equal(aborted, false);
  assert.equal(await h.count('controller_runtime_reconcile_total', 'success'), 1);
});

test('stop without drain aborts the reconcile in flight and waits for it to end', async () => {
  let ended = false;
  const h = harness(async (_key, ctx) => {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    ended = true;
    throw ctx.signal.reason;
  });
  h.controller.start();
  h.queue.add('a');
  await settle();
  await h.controller.stop();
  assert.equal(ended, true);
  assert.equal(h.queue.shuttingDown(), true);
});

test('helpers: terminal and retryAfterMs are found through the cause chain', () => {
  assert.equal(isTerminalError(new TerminalError('x')), true);
  assert.equal(isTerminalError(new Error('x')), false);
  assert.equal(retryAfterMsOf(new Error('outer', { cause: Object.assign(new Error('t'), { retryAfterMs: 250 }) })), 250);
  assert.equal(retryAfterMsOf(Object.assign(new Error('t'), { retryAfterMs: -1 })), undefined);
  assert.equal(retryAfterMsOf(Object.assign(new Error('t'), { retryAfterMs: '5' })), undefined);
  assert.ok(new ReconcilePanicError('x') instanceof Error);
  assert.equal(new ReconcileTimeoutError(5).retry, 'transient');
});

test('workers must be a positive integer; start twice is refused', () => {
  const reconcile: Reconciler = async () => ({});
  assert.throws(() => harness(reconcile, { workers: 0 }), RangeError);
  const h = harness(reconcile);
  h.controller.start();
  assert.throws(() => h.controller.start(), /already started/);
  return h.controller.stop({ drain: true });
});
