import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './informer.ts';

describe('informer restart backoff', () => {
  it('starts at 1 s and doubles to a 30 s ceiling', () => {
    const backoff = new Backoff({}, () => 0);
    const delays = Array.from({ length: 8 }, (_, i) => backoff.next(i * 1_000));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('jitters each delay downwards by at most 20 %, never above the ceiling', () => {
    const high = new Backoff({}, () => 0.999_999);
    const low = new Backoff({}, () => 0);
    for (let i = 0; i < 10; i++) {
      const [h, l] = [high.next(i), low.next(i)];
      assert.ok(h >= l * 0.8 && h <= l, `${h} within [${l * 0.8}, ${l}]`);
      assert.ok(h <= 30_000);
    }
  });

  it('starts again from 1 s after 2 min without a failure, not before', () => {
    const backoff = new Backoff({}, () => 0);
    for (let t = 0; t < 5; t++) backoff.next(t * 1_000);
    assert.equal(backoff.next(4_000 + 120_000), 30_000, 'exactly 2 min later still counts as the same outage');
    assert.equal(backoff.next(4_000 + 240_001), 1_000);
  });
});
