// Time, injected: the work queue, the rate limiters and the reconcile loop read the clock through
// this interface, so that backoff is tested by advancing a fake clock instead of sleeping.

/** Cancels a pending `after` callback; calling it after the callback ran (or twice) is harmless. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds; monotonic for the real clock, so differences are durations. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now (at once for ms ≤ 0, on a later tick). */
  after(ms: number, fn: () => void): Cancel;
}

// setTimeout fires at once (with a warning) beyond 2^31-1 ms, so longer waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;

function realAfter(ms: number, fn: () => void): Cancel {
  let cancelled = false;
  let timer: NodeJS.Timeout;
  const arm = (remaining: number): void => {
    const step = Math.min(Math.max(remaining, 0), MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (cancelled) return;
      if (remaining > step) arm(remaining - step);
      else fn();
    }, step);
  };
  arm(ms);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  after: realAfter,
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that moves only when told to: `advance(ms)` fires the timers that fall due, in order. */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): Cancel {
    const timer = { at: this.current + Math.max(ms, 0), seq: this.seq++, fn };
    this.timers.add(timer);
    return () => {
      this.timers.delete(timer);
    };
  }

  /** Timers not yet fired nor cancelled. */
  pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing each timer due by then at its own time, earliest first
   * (ties in the order they were set). Timers set by a firing callback fire too if due.
   */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.timers.delete(next);
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }

  /** Like `advance`, but lets promise callbacks run after each timer, as the event loop would. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.timers.delete(next);
      this.current = next.at;
      next.fn();
      await flushMicrotasks();
    }
    this.current = target;
  }

  private nextDue(target: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.at <= target && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  }
}

/** Resolves after every promise callback queued so far (and those they queue) has run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
