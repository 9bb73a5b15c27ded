// A token bucket with reservations (golang.org/x/time/rate's Reserve): n tokens a minute, a
// burst of n, and each caller told how long to wait for its own token, first come first served.
//
// Why not p-queue's `{ intervalCap: n, interval: 60000 }`: that is a fixed window, so after a
// burst of n the next call waits for the window to end (up to a minute) and then n more go out at
// once, which a server-side bucket of n/min throttles. p-queue's `strict` sliding window never
// exceeds the server's bucket but makes call n+1 wait a whole minute instead of 60/n seconds.
// Terway and ECS both count with a bucket, so the client does too.
import { setTimeout as sleep } from 'node:timers/promises';

export class TokenBucket {
  readonly perMinute: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  /** `perMinute` tokens a minute with a burst of as many; Infinity means no limit. */
  constructor(perMinute: number, now: () => number = Date.now) {
    if (!(perMinute > 0)) throw new RangeError(`a rate limit must be positive, got ${perMinute}`);
    this.perMinute = perMinute;
    this.now = now;
    this.tokens = perMinute;
    this.last = now();
  }

  /** Takes a token and returns how many milliseconds to wait before using it (0: at once). */
  reserve(): number {
    if (this.perMinute === Infinity) return 0;
    const now = this.now();
    const perMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.perMinute, this.tokens + Math.max(0, now - this.last) * perMs);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / perMs);
  }

  /** Resolves when the caller may go. */
  async take(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await sleep(waitMs);
  }
}
