import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FaultSpecError, Faults, faultStatus } from './faults.ts';

describe('Faults', () => {
  it('hits matching actions only, `*` hitting all, first added first', () => {
    const faults = new Faults();
    const create = faults.add({ action: 'CreateNetworkInterface', errorCode: 'InternalError' });
    const any = faults.add({ action: '*', errorCode: 'ServiceUnavailable' });
    assert.equal(faults.pick('CreateNetworkInterface')?.id, create.id);
    assert.equal(faults.pick('DescribeInstances')?.id, any.id);
  });

  it('expires a fault once its count is spent', () => {
    const faults = new Faults();
    faults.add({ action: 'A', errorCode: 'InternalError', count: 2 });
    assert.equal(faults.pick('A')?.fired, 1);
    assert.equal(faults.pick('A')?.fired, 2);
    assert.equal(faults.pick('A'), undefined);
    assert.deepEqual(faults.list(), []);
  });

  it('hits with the given probability, drawing from the injected random source', () => {
    const draws = [0.1, 0.7, 0.29, 0.3];
    const faults = new Faults(() => draws.shift() as number);
    faults.add({ action: 'A', errorCode: 'InternalError', probability: 0.3 });
    assert.deepEqual([faults.pick('A'), faults.pick('A'), faults.pick('A'), faults.pick('A')].map((f) => f !== undefined), [true, false, true, false]);
    assert.equal(faults.list()[0]?.fired, 2);
  });

  it('lets a missed probabilistic fault fall through to the next one', () => {
    const faults = new Faults(() => 0.9);
    faults.add({ action: 'A', errorCode: 'InternalError', probability: 0.5 });
    const second = faults.add({ action: 'A', delayMs: 10 });
    assert.equal(faults.pick('A')?.id, second.id);
  });

  it('removes one fault or all', () => {
    const faults = new Faults();
    const a = faults.add({ action: 'A', delayMs: 1 });
    faults.add({ action: 'B', delayMs: 1 });
    assert.equal(faults.remove(a.id), true);
    assert.equal(faults.remove(a.id), false);
    faults.clear();
    assert.deepEqual(faults.list(), []);
  });

  it('rejects specs that could not do anything or contradict themselves', () => {
    const faults = new Faults();
    for (const spec of [
      { action: '' , errorCode: 'X' },
      { action: 'A' },
      { action: 'A', errorCode: 'X', dropConnection: 'afterCommit' as const },
      { action: 'A', errorCode: 'X', probability: 0 },
      { action: 'A', errorCode: 'X', count: 1.5 },
      { action: 'A', errorCode: 'X', httpStatus: 200 },
      { action: 'A', delayMs: -1 },
    ]) {
      assert.throws(() => faults.add(spec), FaultSpecError, JSON.stringify(spec));
    }
  });

  it('answers with the documented status of the code unless told otherwise', () => {
    const faults = new Faults();
    assert.equal(faultStatus(faults.add({ action: 'A', errorCode: 'EniPerInstanceLimitExceeded' })), 403);
    assert.equal(faultStatus(faults.add({ action: 'A', errorCode: 'Made.Up' })), 500);
    assert.equal(faultStatus(faults.add({ action: 'A', errorCode: 'InternalError', httpStatus: 503 })), 503);
  });
});
