import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition, NetworkInterfaceClaim } from '../api/claim.ts';
import { ClaimEventFilter } from './claim-events.ts';

function claim(change: { generation?: number; finalizers?: string[]; deleting?: boolean; conditions?: Condition[]; phase?: 'Ready' | 'Attaching'; uid?: string } = {}): NetworkInterfaceClaim {
  return {
    apiVersion: 'ecseni.io/v1alpha1',
    kind: 'NetworkInterfaceClaim',
    metadata: {
      name: 'c', uid: change.uid ?? 'u1', generation: change.generation ?? 1, finalizers: change.finalizers ?? ['ecseni.io/eni'],
      ...(change.deleting ? { deletionTimestamp: new Date(0) } : {}),
    },
    spec: { nodeName: 'n' },
    status: { phase: change.phase ?? 'Attaching', conditions: change.conditions ?? [] },
  };
}

const configured = (status: 'True' | 'False', observedGeneration = 1): Condition => ({ type: 'Configured', status, reason: 'R', message: '', observedGeneration, lastTransitionTime: '' });

describe('ClaimEventFilter', () => {
  it("ignores the echo of the controller's own status writes, and passes what others change", () => {
    const filter = new ClaimEventFilter();
    assert.equal(filter.worthReconciling(claim(), 0), true, 'first sight');
    assert.equal(filter.worthReconciling(claim({ phase: 'Ready' }), 1), false, 'our own status write');
    const changes: [string, NetworkInterfaceClaim][] = [
      ['a new spec', claim({ generation: 2 })],
      ["the agent's finalizer", claim({ generation: 2, finalizers: ['ecseni.io/eni', 'ecseni.io/node-config'] })],
      ["the agent's Configured", claim({ generation: 2, finalizers: ['ecseni.io/eni', 'ecseni.io/node-config'], conditions: [configured('True', 2)] })],
      ['deletion', claim({ generation: 2, finalizers: ['ecseni.io/eni', 'ecseni.io/node-config'], conditions: [configured('True', 2)], deleting: true })],
      ['a claim re-created under the same name', claim({ uid: 'u2' })],
    ];
    for (const [what, next] of changes) assert.equal(filter.worthReconciling(next, 2), true, what);
  });

  it('lets an unchanged claim through again after a long while (the periodic resync)', () => {
    const filter = new ClaimEventFilter(1_000);
    filter.worthReconciling(claim(), 0);
    assert.equal(filter.worthReconciling(claim(), 999), false);
    assert.equal(filter.worthReconciling(claim(), 1_000), true);
    filter.forget('c');
    assert.equal(filter.worthReconciling(claim(), 1_001), true, 'forgotten: first sight again');
  });
});
