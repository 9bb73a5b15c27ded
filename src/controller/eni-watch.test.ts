import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Eni, EniFilter } from '../cloud/port.ts';
import { FakeClock, flushMicrotasks } from '../kube/clock.ts';
import { EniStore } from './eni-store.ts';
import { EniWatch, type Settled } from './eni-watch.ts';
import { InstanceSlots } from './instance-slots.ts';

const silent = { debug: () => {}, warn: () => {} };

function eni(id: string, init: Partial<Eni> = {}): Eni {
  return {
    id, status: 'Available', type: 'Secondary', macAddress: '', primaryIpAddress: '', secondaryIpAddresses: [],
    vpcId: 'vpc-1', vSwitchId: 'vsw-1', zoneId: 'z', securityGroupIds: ['sg-1'], tags: {}, ...init,
  };
}

/** Just enough of ECS for these units: a table of ENIs, filters, and a log of the calls. */
class FakeEcs {
  readonly enis = new Map<string, Eni>();
  readonly calls: EniFilter[] = [];
  fail: Error | undefined;

  add(...enis: Eni[]): void {
    for (const e of enis) this.enis.set(e.id, e);
  }

  async describeNetworkInterfaces(filter: EniFilter): Promise<Eni[]> {
    this.calls.push(filter);
    if (this.fail) throw this.fail;
    return [...this.enis.values()].filter(
      (e) =>
        (!filter.ids || filter.ids.includes(e.id)) &&
        (!filter.instanceId || e.instanceId === filter.instanceId) &&
        Object.entries(filter.tags ?? {}).every(([k, v]) => e.tags[k] === v),
    );
  }
}

function setup(intervalMs = 250): { clock: FakeClock; ecs: FakeEcs; store: EniStore; watch: EniWatch; settled: Settled[] } {
  const clock = new FakeClock(1_000);
  const ecs = new FakeEcs();
  const store = new EniStore({ port: ecs, clock, logger: silent });
  const settled: Settled[] = [];
  const watch = new EniWatch({ port: ecs, store, clock, logger: silent, intervalMs, onSettled: (s) => settled.push(s) });
  return { clock, ecs, store, watch, settled };
}

describe('EniStore', () => {
  it('batches misses into one describe and remembers what ECS said, gone included', async () => {
    const { clock, ecs, store } = setup();
    ecs.add(eni('eni-1'), eni('eni-2'));
    const lookups = Promise.all(['eni-1', 'eni-2', 'eni-9', 'eni-1'].map((id) => store.get(id)));
    await clock.advanceAsync(10);
    const [a, b, c, d] = await lookups;
    assert.equal(ecs.calls.length, 1);
    assert.deepEqual(ecs.calls[0]?.ids?.sort(), ['eni-1', 'eni-2', 'eni-9']);
    assert.equal(a?.kind, 'present');
    assert.equal(b?.kind, 'present');
    assert.deepEqual(c, { kind: 'gone', id: 'eni-9' });
    assert.equal(d?.kind, 'present');
    await store.get('eni-1');
    assert.equal(ecs.calls.length, 1, 'a second get is answered from memory');
  });

  it('ignores a describe answer older than a local change', () => {
    const { clock, store } = setup();
    const requestedAt = clock.now();
    clock.advance(5);
    store.mutate(eni('eni-1', { status: 'Attaching', instanceId: 'i-1' }));
    store.observe([eni('eni-1', { status: 'Available' })], requestedAt, ['eni-1']);
    const now = store.peek('eni-1');
    assert.equal(now?.kind === 'present' ? now.eni.status : undefined, 'Attaching');
  });

  it("lists the cluster's ENIs, indexes them by claim UID, and marks vanished ones gone", async () => {
    const { ecs, store } = setup();
    const tags = { 'ecseni.io/cluster-id': 'c1', 'ecseni.io/claim-uid': 'u1' };
    ecs.add(eni('eni-1', { tags }), eni('eni-2', { tags: { 'ecseni.io/cluster-id': 'c2' } }));
    assert.deepEqual((await store.listOwned('c1')).map((e) => e.id), ['eni-1']);
    assert.equal(store.eniIdOfClaim('u1'), 'eni-1');
    ecs.enis.delete('eni-1');
    await store.listOwned('c1');
    assert.deepEqual(store.peek('eni-1'), { kind: 'gone', id: 'eni-1' });
    assert.equal(store.eniIdOfClaim('u1'), undefined);
  });

  it('tells of a change someone else made, not of its own mutations nor of new ENIs', () => {
    const clock = new FakeClock(1_000);
    const changed: string[] = [];
    const store = new EniStore({ port: new FakeEcs(), clock, logger: silent, onObservedChange: (id) => changed.push(id) });
    store.observe([eni('eni-1', { status: 'InUse', instanceId: 'i-1' })], clock.now());
    store.mutate(eni('eni-1', { status: 'InUse', instanceId: 'i-1', securityGroupIds: ['sg-2'] }));
    clock.advance(10);
    store.observe([eni('eni-1', { status: 'InUse', instanceId: 'i-1', securityGroupIds: ['sg-2'] })], clock.now());
    assert.deepEqual(changed, []);
    store.observe([], clock.now(), ['eni-1']);
    assert.deepEqual(changed, ['eni-1']);
  });

  it('asks ECS again for an ENI marked out of date, and still finds it by its claim', async () => {
    const { clock, ecs, store } = setup();
    const tags = { 'ecseni.io/cluster-id': 'c1', 'ecseni.io/claim-uid': 'u1' };
    ecs.add(eni('eni-1', { tags }));
    await store.listOwned('c1');
    ecs.enis.set('eni-1', eni('eni-1', { tags, status: 'Attaching', instanceId: 'i-1' }));
    store.invalidate('eni-1');
    assert.equal(store.peek('eni-1'), undefined);
    assert.equal(store.eniIdOfClaim('u1'), 'eni-1');
    const lookup = store.get('eni-1');
    await clock.advanceAsync(10);
    const now = await lookup;
    assert.equal(now.kind === 'present' ? now.eni.status : undefined, 'Attaching');
  });

  it('rejects every waiter of a failed describe, and asks again next time', async () => {
    const { clock, ecs, store } = setup();
    ecs.fail = new Error('throttled');
    const lookup = store.get('eni-1');
    const rejected = assert.rejects(lookup, /throttled/);
    await clock.advanceAsync(10);
    await rejected;
    ecs.fail = undefined;
    ecs.add(eni('eni-1'));
    const again = store.get('eni-1');
    await clock.advanceAsync(10);
    assert.equal((await again).kind, 'present');
  });
});

describe('EniWatch', () => {
  it('polls nothing while nothing is in transit', async () => {
    const { clock, ecs } = setup();
    await clock.advanceAsync(10_000);
    assert.equal(ecs.calls.length, 0);
  });

  it('settles an attaching ENI within one interval of it turning InUse, with one call for many ENIs', async () => {
    const { clock, ecs, store, watch, settled } = setup();
    for (let i = 0; i < 80; i++) {
      const attaching = eni(`eni-${i}`, { status: 'Attaching', instanceId: 'i-1' });
      ecs.add(attaching);
      store.mutate(attaching);
      watch.watch(attaching.id, `claim-${i}`, 'Attaching', 'i-1');
    }
    await clock.advanceAsync(250);
    assert.equal(ecs.calls.length, 1);
    assert.equal(ecs.calls[0]?.ids?.length, 80);
    ecs.enis.set('eni-7', { ...ecs.enis.get('eni-7')!, status: 'InUse' });
    await clock.advanceAsync(250);
    assert.equal(ecs.calls.length, 2);
    assert.deepEqual(settled.map((s) => [s.key, s.from, s.now.kind === 'present' ? s.now.eni.status : 'gone']), [['claim-7', 'Attaching', 'InUse']]);
    const inStore = store.peek('eni-7');
    assert.equal(inStore?.kind === 'present' ? inStore.eni.status : undefined, 'InUse');
    assert.equal(watch.size, 79);
    watch.stop();
  });

  it('splits a burst over concurrent calls of at most 100 ids, up to four a tick, the longest-unpolled first', async () => {
    const { clock, ecs, store, watch, settled } = setup();
    for (let i = 0; i < 450; i++) {
      const attaching = eni(`eni-${i}`, { status: 'Attaching', instanceId: 'i-1' });
      ecs.add(attaching);
      store.mutate(attaching);
      watch.watch(attaching.id, `claim-${i}`, 'Attaching', 'i-1');
    }
    await clock.advanceAsync(250);
    assert.deepEqual(ecs.calls.map((c) => c.ids?.length), [100, 100, 100, 100], 'four calls of 100 in one tick');
    await clock.advanceAsync(250);
    const second = ecs.calls.slice(4);
    assert.equal(second.length, 4);
    assert.ok(['eni-400', 'eni-449'].every((id) => second[0]?.ids?.includes(id)), 'the 50 not yet polled come first');
    ecs.enis.set('eni-420', { ...ecs.enis.get('eni-420')!, status: 'InUse' });
    await clock.advanceAsync(250);
    await clock.advanceAsync(250);
    assert.deepEqual(settled.map((s) => s.key), ['claim-420']);
    watch.stop();
  });

  it('looks at detaching ENIs less often than at attaching ones', async () => {
    const { clock, ecs, store, watch } = setup();
    store.mutate(eni('eni-d', { status: 'Detaching', instanceId: 'i-1' }));
    ecs.add(eni('eni-d', { status: 'Detaching', instanceId: 'i-1' }));
    watch.watch('eni-d', 'claim-d', 'Detaching', 'i-1');
    await clock.advanceAsync(2_000);
    assert.equal(ecs.calls.length, 2, 'once a second');
    store.mutate(eni('eni-a', { status: 'Attaching', instanceId: 'i-1' }));
    ecs.add(eni('eni-a', { status: 'Attaching', instanceId: 'i-1' }));
    watch.watch('eni-a', 'claim-a', 'Attaching', 'i-1');
    await clock.advanceAsync(1_000);
    assert.equal(ecs.calls.length, 2 + 4, 'every 250 ms while an attach is waited for');
    assert.equal(ecs.calls.filter((c) => c.ids?.includes('eni-d')).length, 3);
    watch.stop();
  });

  it('looks at detaches spread over time once a second in all, not at every tick', async () => {
    const { clock, ecs, store, watch } = setup();
    for (let i = 0; i < 8; i++) {
      const detaching = eni(`eni-${i}`, { status: 'Detaching', instanceId: 'i-1' });
      ecs.add(detaching);
      store.mutate(detaching);
      watch.watch(detaching.id, `claim-${i}`, 'Detaching', 'i-1');
      await clock.advanceAsync(250);
    }
    const before = ecs.calls.length;
    await clock.advanceAsync(4_000);
    assert.ok(ecs.calls.length - before <= 4, `${ecs.calls.length - before} calls in 4 s`);
    watch.stop();
  });

  it('settles an ENI that vanished, and stops polling once the set is empty', async () => {
    const { clock, ecs, store, watch, settled } = setup();
    store.mutate(eni('eni-1', { status: 'Detaching', instanceId: 'i-1' }));
    watch.watch('eni-1', 'claim-1', 'Detaching', 'i-1');
    await clock.advanceAsync(1_100);
    assert.deepEqual(settled.map((s) => s.now), [{ kind: 'gone', id: 'eni-1' }]);
    const calls = ecs.calls.length;
    await clock.advanceAsync(5_000);
    assert.equal(ecs.calls.length, calls);
  });

  it('keeps polling through failed calls', async () => {
    const { clock, ecs, store, watch, settled } = setup();
    const detaching = eni('eni-1', { status: 'Detaching', instanceId: 'i-1' });
    ecs.add(detaching);
    store.mutate(detaching);
    watch.watch('eni-1', 'claim-1', 'Detaching', 'i-1');
    ecs.fail = new Error('Throttling');
    await clock.advanceAsync(2_100);
    ecs.fail = undefined;
    ecs.enis.set('eni-1', { ...detaching, status: 'Available', instanceId: undefined });
    await clock.advanceAsync(1_000);
    await flushMicrotasks();
    assert.equal(settled.length, 1);
    assert.equal(settled[0]?.instanceId, 'i-1');
  });
});

describe('InstanceSlots', () => {
  function slots(): { clock: FakeClock; ecs: FakeEcs; slots: InstanceSlots; woken: string[] } {
    const { clock, ecs, store } = setup();
    const woken: string[] = [];
    return { clock, ecs, woken, slots: new InstanceSlots({ port: ecs, store, clock, ttlMs: 30_000, wake: (k) => woken.push(k) }) };
  }

  it('counts the ENIs on an instance with one call shared by concurrent callers and kept for the TTL', async () => {
    const { clock, ecs, slots: s } = slots();
    ecs.add(eni('eni-p', { type: 'Primary', status: 'InUse', instanceId: 'i-1' }), eni('eni-1', { status: 'InUse', instanceId: 'i-1' }));
    assert.deepEqual(await Promise.all([s.count('i-1'), s.count('i-1'), s.count('i-1')]), [2, 2, 2]);
    assert.equal(ecs.calls.length, 1);
    clock.advance(29_000);
    await s.count('i-1');
    assert.equal(ecs.calls.length, 1);
    clock.advance(2_000);
    await s.count('i-1');
    assert.equal(ecs.calls.length, 2);
  });

  it('hands out the last slot once, and wakes the waiting claims when a slot frees up', async () => {
    const { ecs, slots: s, woken } = slots();
    ecs.add(eni('eni-p', { type: 'Primary', status: 'InUse', instanceId: 'i-1' }));
    await s.count('i-1');
    assert.equal(s.reserve('i-1', 'eni-1', 2), true);
    assert.equal(s.reserve('i-1', 'eni-1', 2), true, 'idempotent for the same ENI');
    assert.equal(s.reserve('i-1', 'eni-2', 2), false);
    s.waitForSlot('i-1', 'claim-2');
    s.release('i-1', 'eni-1');
    assert.deepEqual(woken, ['claim-2']);
    assert.equal(s.reserve('i-1', 'eni-2', 2), true);
  });

  it('keeps a fresh reservation counted when a recount does not show it yet', async () => {
    const { clock, ecs, slots: s } = slots();
    ecs.add(eni('eni-p', { type: 'Primary', status: 'InUse', instanceId: 'i-1' }));
    await s.count('i-1');
    s.reserve('i-1', 'eni-1', 3);
    s.invalidate('i-1');
    assert.equal(await s.count('i-1'), 2);
    clock.advance(31_000);
    assert.equal(await s.count('i-1'), 1, 'an old reservation ECS never showed is dropped');
  });
});
