import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { FakeClock } from './clock.ts';
import { LeaderElector, leaderIdentity, type LeaseRecord, type LeaseStore, type VersionedLease } from './leader.ts';

const logger = pino({ level: 'silent' });

/** One Lease shared by electors: an in-memory API server with resourceVersion preconditions. */
class MemoryLeaseStore {
  lease: VersionedLease | undefined;
  private version = 0;
  /** While set, every call fails (the API server is unreachable). */
  down = false;
  writes = 0;

  view(): LeaseStore {
    return {
      get: async () => {
        this.check();
        return this.lease && structuredClone(this.lease);
      },
      create: async (record) => {
        this.check();
        if (this.lease) throw Object.assign(new Error('exists'), { code: 409 });
        return this.put(record);
      },
      update: async (record, version) => {
        this.check();
        if (!this.lease || this.lease.version !== version) throw Object.assign(new Error('conflict'), { code: 409 });
        return this.put(record);
      },
    };
  }

  private check(): void {
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }

  private put(record: LeaseRecord): string {
    this.writes += 1;
    this.version += 1;
    this.lease = { record: structuredClone(record), version: String(this.version) };
    return this.lease.version;
  }
}

interface Probe {
  elector: LeaderElector;
  started: number[];
  stopped: number[];
  leaders: string[];
  gauge: Array<0 | 1>;
  signal?: AbortSignal;
  done: Promise<void>;
}

function campaign(store: MemoryLeaseStore, clock: FakeClock, identity: string, overrides: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {}): Probe {
  const probe = { started: [], stopped: [], leaders: [], gauge: [] } as unknown as Probe;
  probe.elector = new LeaderElector({
    store: store.view(),
    identity,
    name: 'ecs-eni-controller',
    logger,
    clock,
    random: () => 0.5,
    onStartedLeading: (signal) => {
      probe.started.push(clock.now());
      probe.signal = signal;
    },
    onStoppedLeading: () => probe.stopped.push(clock.now()),
    onNewLeader: (id) => probe.leaders.push(id),
    setLeaderGauge: (v) => probe.gauge.push(v),
    ...overrides,
  });
  probe.done = probe.elector.run();
  return probe;
}

describe('LeaderElector', () => {
  it('creates an absent lease and leads at once, renewing every retry period', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryLeaseStore();
    const a = campaign(store, clock, 'a');
    await clock.advanceAsync(0);
    assert.deepEqual(a.started, [1_000_000]);
    assert.equal(a.elector.isLeader(), true);
    assert.deepEqual(a.gauge, [0, 1]);
    assert.deepEqual(a.leaders, ['a']);
    assert.equal(store.lease?.record.holderIdentity, 'a');
    assert.equal(store.lease?.record.leaseDurationSeconds, 15);
    const writes = store.writes;
    await clock.advanceAsync(10_000);
    assert.equal(store.writes - writes, 5, 'one renewal per 2 s retry period');
    assert.equal(store.lease?.record.acquireTime?.getTime(), 1_000_000, 'renewals keep acquireTime');
    assert.equal(store.lease?.record.leaseTransitions, 0);
    await a.elector.stop();
    await a.done;
  });

  it('does not take a lease that keeps being renewed, whatever its timestamps say', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryLeaseStore();
    const a = campaign(store, clock, 'a');
    await clock.advanceAsync(0);
    // a's clock runs an hour behind: its renewTime says the lease expired long ago, yet b sees it
    // change and so keeps away.
    const b = campaign(store, clock, 'b');
    let skewed: LeaseRecord | undefined;
    for (let t = 0; t < 60_000; t += 1_000) {
      const record = store.lease?.record;
      if (record && record !== skewed && record.renewTime) {
        record.renewTime = new Date(record.renewTime.getTime() - 3_600_000);
        skewed = record;
      }
      await clock.advanceAsync(1_000);
    }
    assert.deepEqual(b.started, []);
    assert.deepEqual(b.leaders, ['a']);
    await a.elector.stop();
    await b.elector.stop();
    await Promise.all([a.done, b.done]);
  });

  it('takes over a lease that stopped changing, leaseDuration after it last saw a change', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryLeaseStore();
    const a = campaign(store, clock, 'a');
    await clock.advanceAsync(0);
    const b = campaign(store, clock, 'b');
    await clock.advanceAsync(5_000);
    await a.elector.stop(); // a crash: no release
    const lastRenewal = 4_000;
    // A remote renewTime in the future must not delay b either.
    if (store.lease) store.lease.record.renewTime = new Date(10 ** 13);
    await clock.advanceAsync(30_000);
    assert.equal(b.started.length, 1);
    const takeover = (b.started[0] as number) - lastRenewal;
    // b sees the last change at most one jittered retry (2 s × (1 + 0.5 × 1.2) = 3.2 s) after it
    // happened, then waits 15 s, then acts at its next retry.
    assert.ok(takeover >= 15_000 && takeover <= 15_000 + 2 * 3_200, `took over ${takeover} ms after the last renewal`);
    assert.equal(store.lease?.record.holderIdentity, 'b');
    assert.equal(store.lease?.record.leaseTransitions, 1);
    assert.deepEqual(b.leaders, ['a', 'b']);
    assert.deepEqual(a.stopped.length, 1);
    await b.elector.stop();
    await Promise.all([a.done, b.done]);
  });

  it('after release, another replica takes over at its next retry', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryLeaseStore();
    const a = campaign(store, clock, 'a');
    await clock.advanceAsync(0);
    const b = campaign(store, clock, 'b');
    await clock.advanceAsync(5_000);
    const releasedAt = clock.now();
    await a.elector.release();
    assert.equal(store.lease?.record.holderIdentity, '');
    assert.equal(store.lease?.record.leaseDurationSeconds, 1);
    assert.equal(a.elector.isLeader(), false);
    assert.equal(a.signal?.aborted, true);
    assert.deepEqual(a.gauge, [0, 1, 0]);
    assert.deepEqual(b.gauge, [0], 'the standby exports 0 while it waits');
    await clock.advanceAsync(5_000);
    assert.equal(b.started.length, 1);
    assert.ok((b.started[0] as number) - releasedAt <= 3_200, 'within one jittered retry period');
    await b.elector.stop();
    await Promise.all([a.done, b.done]);
  });

  it('stops leading once no renewal succeeds within the renew deadline, before the lease expires for others', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryLeaseStore();
    const a = campaign(store, clock, 'a');
    await clock.advanceAsync(0);
    await clock.advanceAsync(4_000); // renewed at 2 s and 4 s
    store.down = true;
    await clock.advanceAsync(30_000);
    assert.equal(a.stopped.length, 1);
    const lostAfter = (a.stopped[0] as number) - 4_000;
    // Next attempt at 6 s, deadline 10 s later: stopped at 16 s, i.e. 12 s after the last renewal,
    // before anyone else may consider the 15 s lease expired.
    assert.equal(lostAfter, 12_000);
    assert.equal(a.signal?.aborted, true);
    assert.equal(a.elector.isLeader(), false);
    await a.done;
  });

  it('counts a renewal that hangs past the deadline as failed', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryLeaseStore();
    const view = store.view();
    let hang = false;
    const hanging: LeaseStore = {
      get: () => (hang ? new Promise(() => {}) : view.get()),
      create: (r) => view.create(r),
      update: (r, v) => (hang ? new Promise(() => {}) : view.update(r, v)),
    };
    const a = campaign(store, clock, 'a', { store: hanging });
    await clock.advanceAsync(2_000);
    hang = true;
    await clock.advanceAsync(20_000);
    assert.deepEqual(a.stopped, [14_000]);
    await a.done;
  });

  it('loses a race for the lease to a concurrent writer without claiming leadership', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryLeaseStore();
    const a = campaign(store, clock, 'a');
    const b = campaign(store, clock, 'b');
    await clock.advanceAsync(60_000);
    assert.equal(a.started.length + b.started.length, 1, 'exactly one leads');
    assert.equal(a.elector.isLeader() !== b.elector.isLeader(), true);
    await a.elector.stop();
    await b.elector.stop();
    await Promise.all([a.done, b.done]);
  });

  it('rejects timings client-go rejects', () => {
    const store = new MemoryLeaseStore().view();
    const base = { store, identity: 'x', name: 'l', logger, onStartedLeading: () => {}, onStoppedLeading: () => {} };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /lease duration/);
    assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renew deadline/);
    assert.throws(() => new LeaderElector({ ...base, identity: '' }), /identity/);
  });

  it('makes identities unique per process from the pod name', () => {
    const a = leaderIdentity('ctrl-0');
    assert.match(a, /^ctrl-0_[0-9a-f-]{36}$/);
    assert.notEqual(a, leaderIdentity('ctrl-0'));
  });
});
