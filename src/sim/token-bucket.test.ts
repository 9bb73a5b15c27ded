import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('lets a burst of its capacity through, then refuses with the time until the next token', () => {
    const bucket = new TokenBucket(60, 0); // one a second, burst 60
    for (let i = 0; i < 60; i++) assert.deepEqual(bucket.take(0), { ok: true });
    assert.deepEqual(bucket.take(0), { ok: false, retryAfterMs: 1000 });
    assert.deepEqual(bucket.take(400), { ok: false, retryAfterMs: 600 });
    assert.deepEqual(bucket.take(1000), { ok: true });
  });

  it('refills at perMinute/60 a second and never beyond its capacity', () => {
    const bucket = new TokenBucket(120, 0, 2);
    bucket.take(0);
    bucket.take(0);
    assert.equal(bucket.take(0).ok, false);
    // An hour later it holds 2 tokens, not 7,200.
    assert.equal(bucket.take(3_600_000).ok, true);
    assert.equal(bucket.take(3_600_000).ok, true);
    assert.equal(bucket.take(3_600_000).ok, false);
    assert.equal(bucket.take(3_600_500).ok, true);
  });

  it('does not mint tokens when the clock goes backwards', () => {
    const bucket = new TokenBucket(60, 10_000, 1);
    assert.equal(bucket.take(10_000).ok, true);
    assert.equal(bucket.take(5_000).ok, false);
    assert.equal(bucket.take(10_999).ok, false);
    assert.equal(bucket.take(11_000).ok, true);
  });

  it('rejects a rate or capacity that could never pass a request', () => {
    assert.throws(() => new TokenBucket(0, 0), RangeError);
    assert.throws(() => new TokenBucket(10, 0, 0), RangeError);
  });
});
