// A cache of slow answers that asks once per key: concurrent callers for the same key share one
// request, answers live for a TTL chosen per answer, failures are not remembered.

interface Entry<V> {
  value: Promise<V>;
  /** Until when the answer holds; Infinity while the request is in flight. */
  expiresAt: number;
}

export class SingleFlightCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly ttlMs: (value: V) => number;
  private readonly now: () => number;

  constructor(ttlMs: (value: V) => number, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  get(key: K, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.value;
    const fresh: Entry<V> = { value: load(), expiresAt: Infinity };
    this.entries.set(key, fresh);
    fresh.value.then(
      (value) => {
        fresh.expiresAt = this.now() + this.ttlMs(value);
      },
      () => {
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      },
    );
    return fresh.value;
  }

  /** Forgets a key, e.g. after the cloud said the cached answer no longer holds. */
  delete(key: K): void {
    this.entries.delete(key);
  }
}
