import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { InvalidListenAddressError } from './errors.ts';
import { parseListenAddress, startHttpServer } from './health.ts';
import { createMetrics } from './metrics.ts';

interface Response {
  status: number;
  body: string;
  contentType: string | undefined;
}

function get(port: number, path: string, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves /metrics, /healthz and /readyz over real HTTP; readiness follows its check', async () => {
  const metrics = createMetrics('controller');
  metrics.forController('networkinterfaceclaim');
  let ready = false;
  const server = await startHttpServer({ address: '127.0.0.1:0', registry: metrics.registry, readiness: () => ready });
  try {
    assert.ok(server.port > 0);
    const scrape = await get(server.port, '/metrics');
    assert.equal(scrape.status, 200);
    assert.match(scrape.contentType ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(scrape.body, /^controller_runtime_reconcile_total\{controller="networkinterfaceclaim",result="success"\} 0$/m);
    assert.match(scrape.body, /^process_resident_memory_bytes \d+/m);

    assert.deepEqual(await get(server.port, '/healthz'), { status: 200, body: 'ok\n', contentType: 'text/plain; charset=utf-8' });
    const notReady = await get(server.port, '/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body, 'not ready\n');
    ready = true;
    assert.equal((await get(server.port, '/readyz?verbose')).status, 200);

    assert.equal((await get(server.port, '/nope')).status, 404);
    assert.equal((await get(server.port, '/healthz', 'POST')).status, 405);
    const head = await get(server.port, '/readyz', 'HEAD');
    assert.deepEqual([head.status, head.body], [200, '']);
  } finally {
    await server.close();
  }
  await assert.rejects(get(server.port, '/healthz'), /ECONNREFUSED/);
});

test('async checks: a rejected readiness check is 503 with its reason; a failing liveness check is 503', async () => {
  const { registry } = createMetrics('node-agent');
  const server = await startHttpServer({
    address: '127.0.0.1:0',
    registry,
    readiness: async () => {
      throw new Error('informer cache not synced');
    },
    liveness: async () => false,
  });
  try {
    assert.deepEqual(await get(server.port, '/readyz'), {
      status: 503,
      body: 'not ready: informer cache not synced\n',
      contentType: 'text/plain; charset=utf-8',
    });
    assert.equal((await get(server.port, '/healthz')).status, 503);
  } finally {
    await server.close();
  }
});

test('a port already in use is reported, not ignored', async () => {
  const { registry } = createMetrics('node-agent');
  const first = await startHttpServer({ address: '127.0.0.1:0', registry, readiness: () => true });
  try {
    await assert.rejects(
      startHttpServer({ address: `127.0.0.1:${first.port}`, registry, readiness: () => true }),
      /EADDRINUSE/,
    );
  } finally {
    await first.close();
  }
});

test('listen addresses', () => {
  assert.deepEqual(parseListenAddress(':8080'), { host: undefined, port: 8080 });
  assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenAddress('[::1]:9090'), { host: '::1', port: 9090 });
  assert.deepEqual(parseListenAddress('localhost:80'), { host: 'localhost', port: 80 });
  for (const bad of ['8080', ':70000', '::1:80', 'host:', 'a:b']) {
    assert.throws(() => parseListenAddress(bad), InvalidListenAddressError, bad);
  }
});
