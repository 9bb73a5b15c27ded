import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FailureBook, slowRetryDelayMs } from './backoff.ts';

describe('slowRetryDelayMs', () => {
  it('starts at 30 s and doubles to a 10 min ceiling', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50, 5000].map((n) => slowRetryDelayMs(n)), [30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000, 600_000]);
  });

  it('takes other bounds', () => {
    assert.deepEqual([1, 2, 3].map((n) => slowRetryDelayMs(n, { baseMs: 100, maxMs: 250 })), [100, 200, 250]);
  });
});

describe('FailureBook', () => {
  const failure = { step: 'Create' as const, generation: 1, reason: 'VSwitchNotFound', message: 'x' };

  it('counts repeated failures of one step and generation, and schedules the next attempt', () => {
    const book = new FailureBook();
    assert.equal(book.record('a', failure, 1_000).retryAtMs, 31_000);
    const second = book.record('a', failure, 31_000);
    assert.equal(second.attempts, 2);
    assert.equal(second.retryAtMs, 91_000);
  });

  it('starts over for another step or a new generation, and hides an old generation', () => {
    const book = new FailureBook();
    book.record('a', failure, 0);
    book.record('a', failure, 0);
    assert.equal(book.record('a', { ...failure, step: 'Attach' }, 0).attempts, 1);
    assert.equal(book.record('a', { ...failure, step: 'Attach', generation: 2 }, 0).attempts, 1);
    assert.equal(book.get('a', 1), undefined);
    assert.equal(book.get('a', 2)?.step, 'Attach');
    book.clear('a');
    assert.equal(book.get('a', 2), undefined);
  });
});
