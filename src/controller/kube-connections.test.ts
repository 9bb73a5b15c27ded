import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { reuseApiConnections } from './kube-connections.ts';

type Create = (cluster: { server: string } | null, options: Record<string, unknown>) => unknown;

describe('reuseApiConnections', () => {
  it('hands out one connection pool per TLS identity instead of one per request', () => {
    const kc = reuseApiConnections(new KubeConfig());
    const create = (kc as unknown as { createDispatcher: Create }).createDispatcher;
    const cluster = { server: 'https://127.0.0.1:6443' };
    const a = create(cluster, { ca: 'CA', cert: 'C1', key: 'K1' });
    const b = create(cluster, { ca: 'CA', cert: 'C1', key: 'K1' });
    const c = create(cluster, { ca: 'CA', cert: 'C2', key: 'K2' });
    assert.ok(a, 'a TLS identity gets a dispatcher');
    assert.equal(a, b);
    assert.notEqual(a, c, 'another client certificate is another pool');
    assert.notEqual(a, create({ server: 'https://10.0.0.1:6443' }, { ca: 'CA', cert: 'C1', key: 'K1' }));
  });

  it('is idempotent', () => {
    const kc = new KubeConfig();
    reuseApiConnections(kc);
    const first = (kc as unknown as { createDispatcher: Create }).createDispatcher;
    reuseApiConnections(kc);
    assert.equal((kc as unknown as { createDispatcher: Create }).createDispatcher, first);
  });
});
