import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { FakeClock } from './clock.ts';
import { correlationKey, EventRecorder, type EventBody, type EventSink } from './events.ts';

const logger = pino({ level: 'silent' });

class RecordingSink implements EventSink {
  created: Array<{ namespace: string; name: string; event: EventBody }> = [];
  series: Array<{ name: string; count: number; at: number }> = [];
  failCreates = 0;

  async create(namespace: string, event: EventBody): Promise<string> {
    if (this.failCreates > 0) {
      this.failCreates -= 1;
      throw new Error('API server unavailable');
    }
    const name = `e${this.created.length}`;
    this.created.push({ namespace, name, event });
    return name;
  }

  async updateSeries(_ns: string, name: string, s: { count: number; lastObservedTime: Date }): Promise<void> {
    this.series.push({ name, count: s.count, at: s.lastObservedTime.getTime() });
  }
}

const claim = (name: string, uid = `uid-${name}`) => ({
  apiVersion: 'ecseni.io/v1alpha1',
  kind: 'NetworkInterfaceClaim',
  metadata: { name, uid },
});

function recorder(sink: EventSink, clock: FakeClock): EventRecorder {
  return new EventRecorder({ sink, clock, logger, reportingController: 'ecseni.io/controller', reportingInstance: 'ctrl-0' });
}

describe('EventRecorder', () => {
  it('writes a cluster-scoped object\'s Event into default, with the reporter and a reference kubectl matches', async () => {
    const sink = new RecordingSink();
    const r = recorder(sink, new FakeClock(1_700_000_000_000));
    r.event(claim('a'), 'Warning', 'VSwitchNotFound', 'vSwitch vsw-x does not exist');
    await r.flush();
    assert.equal(sink.created.length, 1);
    const { namespace, event } = sink.created[0]!;
    assert.equal(namespace, 'default');
    assert.deepEqual(event.regarding, { apiVersion: 'ecseni.io/v1alpha1', kind: 'NetworkInterfaceClaim', name: 'a', namespace: undefined, uid: 'uid-a' });
    assert.equal(event.reportingController, 'ecseni.io/controller');
    assert.equal(event.reportingInstance, 'ctrl-0');
    assert.equal(event.action, 'VSwitchNotFound');
    assert.equal(event.eventTime.getTime(), 1_700_000_000_000);
  });

  it('turns repeats within 10 min into a series on one Event, and starts a new Event after', async () => {
    const sink = new RecordingSink();
    const clock = new FakeClock(0);
    const r = recorder(sink, clock);
    for (let i = 0; i < 3; i++) {
      r.event(claim('a'), 'Warning', 'Throttled', 'ECS throttled CreateNetworkInterface');
      clock.advance(60_000);
    }
    r.event(claim('a'), 'Warning', 'Throttled', 'a different message');
    r.event(claim('b'), 'Warning', 'Throttled', 'ECS throttled CreateNetworkInterface');
    await r.flush();
    assert.equal(sink.created.length, 3, 'one per distinct object+reason+message');
    assert.deepEqual(sink.series, [
      { name: 'e0', count: 2, at: 60_000 },
      { name: 'e0', count: 3, at: 120_000 },
    ]);
    clock.advance(600_001);
    r.event(claim('a'), 'Warning', 'Throttled', 'ECS throttled CreateNetworkInterface');
    await r.flush();
    assert.equal(sink.created.length, 4, 'after 10 min of quiet a repeat is a new Event');
  });

  it('serialises a burst of repeats: one create, then patches, never two creates', async () => {
    const sink = new RecordingSink();
    const r = recorder(sink, new FakeClock(0));
    for (let i = 0; i < 5; i++) r.event(claim('a'), 'Normal', 'Attached', 'attached eni-1');
    await r.flush();
    assert.equal(sink.created.length, 1);
    assert.deepEqual(sink.series.map((s) => s.count), [2, 3, 4, 5]);
  });

  it('limits each object to a burst of 25, then one per 300 s', async () => {
    const sink = new RecordingSink();
    const clock = new FakeClock(0);
    const r = recorder(sink, clock);
    for (let i = 0; i < 40; i++) r.event(claim('a'), 'Warning', 'Failed', `attempt ${i}`);
    r.event(claim('b'), 'Warning', 'Failed', 'other object');
    await r.flush();
    assert.equal(sink.created.filter((c) => c.event.regarding.name === 'a').length, 25);
    assert.equal(sink.created.filter((c) => c.event.regarding.name === 'b').length, 1, 'the limit is per object');
    clock.advance(299_000);
    r.event(claim('a'), 'Warning', 'Failed', 'too early');
    clock.advance(1_000);
    r.event(claim('a'), 'Warning', 'Failed', 'refilled');
    await r.flush();
    assert.deepEqual(sink.created.slice(-1).map((c) => c.event.note), ['refilled']);
    assert.equal(sink.created.length, 27);
  });

  it('never throws into the caller when the API server fails, and records again once it is back', async () => {
    const sink = new RecordingSink();
    sink.failCreates = 1;
    const r = recorder(sink, new FakeClock(0));
    assert.doesNotThrow(() => r.event(claim('a'), 'Normal', 'Created', 'created eni-1'));
    await r.flush();
    assert.equal(sink.created.length, 0);
    r.event(claim('a'), 'Normal', 'Created', 'created eni-1');
    await r.flush();
    assert.equal(sink.created.length, 1, 'a failed create is not patched later as if it existed');
  });

  it('keys correlation on object identity, type, reason, action and message', () => {
    const base = { regarding: claim('a'), type: 'Normal' as const, reason: 'R', action: 'R', message: 'm' };
    const keys = new Set([
      correlationKey(base),
      correlationKey({ ...base, regarding: claim('a', 'other-uid') }),
      correlationKey({ ...base, type: 'Warning' }),
      correlationKey({ ...base, reason: 'S' }),
      correlationKey({ ...base, message: 'n' }),
      correlationKey({ ...base, action: 'A' }),
    ]);
    assert.equal(keys.size, 6);
    assert.equal(correlationKey({ ...base }), correlationKey(base));
  });

  it('truncates the note to the API limit of 1 kB', async () => {
    const sink = new RecordingSink();
    const r = recorder(sink, new FakeClock(0));
    r.event(claim('a'), 'Warning', 'Failed', 'é'.repeat(2_000));
    await r.flush();
    assert.ok(Buffer.byteLength(sink.created[0]!.event.note) <= 1024);
  });

  it('writes one Event at a time, in the order recorded, and drops past 1,000 waiting', async () => {
    let inFlight = 0;
    let most = 0;
    const written: string[] = [];
    const slowSink: EventSink = {
      async create(_ns, event) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        written.push(event.regarding.name ?? '');
        return `e${written.length}`;
      },
      async updateSeries() {},
    };
    const r = recorder(slowSink, new FakeClock(0));
    for (let i = 0; i < 1_005; i++) r.event(claim(`c${i}`), 'Normal', 'Attached', 'attached');
    await r.flush();
    assert.equal(most, 1, 'never two writes at once');
    assert.equal(written.length, 1_000, 'the five past the bound are dropped');
    assert.deepEqual(written.slice(0, 3), ['c0', 'c1', 'c2']);
    assert.equal(written.at(-1), 'c999');
  });
});
