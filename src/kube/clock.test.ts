import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, realClock } from './clock.ts';

test('fake clock fires due timers in time order, ties in the order set, each at its own time', () => {
  const clock = new FakeClock(1000);
  const fired: string[] = [];
  clock.after(30, () => fired.push(`c@${clock.now()}`));
  clock.after(10, () => fired.push(`a@${clock.now()}`));
  clock.after(10, () => fired.push(`b@${clock.now()}`));
  clock.after(31, () => fired.push('late'));
  clock.advance(30);
  assert.deepEqual(fired, ['a@1010', 'b@1010', 'c@1030']);
  assert.equal(clock.now(), 1030);
  assert.equal(clock.pending(), 1);
});

test('fake clock: a timer set by a firing timer fires in the same advance if due; cancel works', () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  clock.after(5, () => clock.after(5, () => fired.push(clock.now())));
  const cancel = clock.after(7, () => fired.push(-1));
  cancel();
  cancel();
  clock.advance(10);
  assert.deepEqual(fired, [10]);
  assert.equal(clock.pending(), 0);
});

test('fake clock advanceAsync lets promise callbacks run between timers', async () => {
  const clock = new FakeClock();
  const seen: number[] = [];
  clock.after(10, () => {
    void Promise.resolve().then(() => clock.after(10, () => seen.push(clock.now())));
  });
  await clock.advanceAsync(20);
  assert.deepEqual(seen, [20]);
});

test('real clock fires after the delay and not once cancelled', async () => {
  const start = realClock.now();
  const elapsed = await new Promise<number>((resolve) => realClock.after(20, () => resolve(realClock.now() - start)));
  assert.ok(elapsed >= 19, `fired after ${elapsed} ms`);
  let fired = false;
  realClock.after(5, () => (fired = true))();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fired, false);
});
