// Calls counted by action and result code ('OK' for success), for tests and benchmarks.

export const OK = 'OK';
/** The result code of a call whose connection a fault cut. */
export const CONNECTION_DROPPED = 'ConnectionDropped';

export type CallCountTable = Record<string, Record<string, number>>;

export class CallCounts {
  private table = new Map<string, Map<string, number>>();

  add(action: string, code: string): void {
    let byCode = this.table.get(action);
    if (!byCode) {
      byCode = new Map();
      this.table.set(action, byCode);
    }
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }

  /** `{ action: { code: n } }`. */
  snapshot(): CallCountTable {
    const out: CallCountTable = {};
    for (const [action, byCode] of this.table) out[action] = Object.fromEntries(byCode);
    return out;
  }

  /** Calls of one action (every action when omitted), optionally of one result code. */
  count(action?: string, code?: string): number {
    let total = 0;
    for (const [a, byCode] of this.table) {
      if (action !== undefined && a !== action) continue;
      for (const [c, n] of byCode) if (code === undefined || c === code) total += n;
    }
    return total;
  }

  reset(): void {
    this.table = new Map();
  }
}
