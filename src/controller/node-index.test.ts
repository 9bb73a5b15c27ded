import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { NodeIndex, nodeFacts } from './node-index.ts';

function node(name: string, providerID?: string, ready?: { status: string; since: string }): V1Node {
  return {
    metadata: { name },
    spec: providerID ? { providerID } : {},
    status: ready ? { conditions: [{ type: 'Ready', status: ready.status, lastTransitionTime: new Date(ready.since) }] } : {},
  };
}

describe('nodeFacts', () => {
  it('reads the instance from the providerID', () => {
    assert.deepEqual(nodeFacts('a', node('a', 'alicloud://cn-hangzhou.i-abc')), {
      name: 'a', exists: true, providerId: 'alicloud://cn-hangzhou.i-abc', instanceId: 'i-abc', regionId: 'cn-hangzhou', ready: true, notReadySinceMs: undefined,
    });
  });

  it('tells a missing node, a missing providerID and an unreadable one apart', () => {
    assert.deepEqual(nodeFacts('a', undefined), { name: 'a', exists: false });
    const none = nodeFacts('a', node('a'));
    assert.ok(none.exists && none.providerId === undefined);
    const odd = nodeFacts('a', node('a', 'kind://docker/x'));
    assert.ok(odd.exists && odd.providerId === 'kind://docker/x' && odd.instanceId === undefined);
  });

  it('knows since when a node is NotReady (Unknown counts), and takes a node without conditions as Ready', () => {
    const since = '2026-01-01T00:00:00Z';
    const notReady = nodeFacts('a', node('a', 'cn-hangzhou.i-a', { status: 'Unknown', since }));
    assert.ok(notReady.exists && !notReady.ready && notReady.notReadySinceMs === Date.parse(since));
    const fresh = nodeFacts('a', node('a', 'cn-hangzhou.i-a'));
    assert.ok(fresh.exists && fresh.ready);
  });
});

describe('NodeIndex', () => {
  it('finds the node of an instance, following providerID changes and deletions', () => {
    const nodes = new Map<string, V1Node>([['a', node('a', 'cn-hangzhou.i-a')]]);
    const index = new NodeIndex({ get: (n) => nodes.get(n), list: () => [...nodes.values()] });
    assert.equal(index.holderOf('i-a')?.name, 'a');
    nodes.set('a', node('a', 'cn-hangzhou.i-new'));
    assert.equal(index.holderOf('i-a'), undefined, 'a stale index entry is not trusted');
    assert.equal(index.holderOf('i-new')?.name, 'a');
    const b = node('b', 'cn-hangzhou.i-b');
    nodes.set('b', b);
    index.observe(b);
    assert.equal(index.holderOf('i-b')?.name, 'b');
    nodes.delete('b');
    index.observe(b, true);
    assert.equal(index.holderOf('i-b'), undefined);
  });
});
