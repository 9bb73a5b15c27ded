// A token bucket: `capacity` tokens, refilled continuously at `perMinute / 60` tokens a second,
// full at the start (so a burst of `capacity` passes at once, as in Terway's limiter: n per minute,
// burst n). Pure: the caller passes the time.

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export class TokenBucket {
  readonly capacity: number;
  private readonly tokensPerMs: number;
  private tokens: number;
  private updatedAt: number;

  constructor(perMinute: number, nowMs: number, capacity = perMinute) {
    if (!(perMinute > 0) || !(capacity >= 1)) throw new RangeError(`token bucket needs a positive rate and capacity (got ${perMinute}, ${capacity})`);
    this.capacity = capacity;
    this.tokensPerMs = perMinute / 60_000;
    this.tokens = capacity;
    this.updatedAt = nowMs;
  }

  take(nowMs: number): TakeResult {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - this.tokens) / this.tokensPerMs) };
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.tokensPerMs);
    this.updatedAt = Math.max(this.updatedAt, nowMs);
  }
}
