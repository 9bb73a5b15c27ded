// The lean REST client (src/kube/rest.ts, rest-config.ts) against a real kube-apiserver: the
// errors callers branch on, optimistic concurrency and server-side apply, one keep-alive pool,
// the watch stream (order, bookmarks, 410, abort), and token-file credentials that rotate.
// Exec plugins are refused by loadRestConfig: covered by src/kube/rest-config.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { openWatches, serviceAccountToken, startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { KubeApiError } from '../../src/errors.ts';
import { CONTENT_TYPE, KubeRest, type KubeRestOptions, type WatchEvent } from '../../src/kube/rest.ts';
import { loadRestConfig, type RestConfig } from '../../src/kube/rest-config.ts';
import { apiErrorMessage, isConflict, isNotFound } from '../../src/kube/api-errors.ts';
import { CLAIMS_PATH } from '../../src/kube/claims.ts';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { API_VERSION, KIND, PLURAL } from '../../src/api/names.ts';
import { waitFor } from '../support/sim-world.ts';

const TEST_FIELD_MANAGER = 'kube-rest-test';

interface Status {
  reason?: string;
  code?: number;
  message?: string;
}

interface ClaimList {
  metadata: { resourceVersion: string };
  items: NetworkInterfaceClaim[];
}

function manifest(name: string, securityGroupIds = ['sg-test1']) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name },
    spec: { nodeName: 'node-a', vSwitchId: 'vsw-test1', securityGroupIds },
  };
}

function claimPath(name: string, subresource = ''): string {
  return `${CLAIMS_PATH}/${name}${subresource}`;
}

async function apiErrorOf(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected a KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

/** A kubeconfig file (JSON, which is YAML) with one cluster and one user, as kubectl writes them. */
function writeKubeconfig(file: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  }));
  return file;
}

/**
 * A TCP relay in front of the API server that counts the connections clients open through it.
 * With `hangUpAfterIdleMs`, a connection that was idle that long is closed, unanswered and
 * unforwarded, when the client sends on it again: a server's idle close meeting a request.
 */
class CountingProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  accepted = 0;
  hungUp = 0;
  port = 0;

  constructor(target: URL, options: { hangUpAfterIdleMs?: number } = {}) {
    this.server = createServer((client) => {
      this.accepted++;
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
        socket.on('error', () => socket.destroy());
      }
      let lastActive = Date.now();
      client.on('data', (chunk: Buffer) => {
        if (options.hangUpAfterIdleMs !== undefined && Date.now() - lastActive >= options.hangUpAfterIdleMs) {
          this.hungUp++;
          client.destroy();
          return;
        }
        lastActive = Date.now();
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        lastActive = Date.now();
        client.write(chunk);
      });
    });
  }

  async listen(host: string): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

describe('KubeRest against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;
  let adminConfig: RestConfig;
  let rest: KubeRest;
  let caFile: string;

  /**
   * A client of the API server through `proxy`, listening on 127.0.0.2: that address is not in the
   * serving certificate (IP:127.0.0.1, DNS:localhost), so the TLS handshake only succeeds because
   * tls-server-name is honoured, with the CA still checked.
   */
  async function throughProxy(proxy: CountingProxy, options: KubeRestOptions = {}): Promise<KubeRest> {
    await proxy.listen('127.0.0.2');
    const file = writeKubeconfig(
      join(dir, `proxied-${proxy.port}.kubeconfig`),
      { server: `https://127.0.0.2:${proxy.port}`, 'certificate-authority': caFile, 'tls-server-name': 'localhost' },
      JSON.parse(readFileSync(cp.kubeconfigPath, 'utf8')).users[0].user,
    );
    return new KubeRest(loadRestConfig(file, {}), options);
  }

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'ecseni-kube-rest-'));
    await applyCrds(cp.kubeConfig);
    adminConfig = loadRestConfig(cp.kubeconfigPath, {});
    rest = new KubeRest(adminConfig);
    caFile = JSON.parse(readFileSync(cp.kubeconfigPath, 'utf8')).clusters[0].cluster['certificate-authority'];
    // A new CRD's storage answers 429 "(re)initializing" for a moment after Established.
    await waitFor('claims to be served', () => rest.get(CLAIMS_PATH).then(() => true, () => false), 30_000);
  });
  after(async () => {
    rest?.close();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads /version and reports the API server\'s errors with their status and Status body', async () => {
    const version = await rest.get<{ major: string; gitVersion: string }>('/version');
    assert.equal(version.major, '1');
    assert.match(version.gitVersion, /^v1\.\d+\.\d+/);

    const missing = await apiErrorOf(rest.get(claimPath('missing')));
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.body as Status).reason, 'NotFound');
    assert.equal(missing.code, 'ECSENI_KUBE_API_ERROR');
    assert.ok(isNotFound(missing));
    assert.ok(!isConflict(missing));

    await rest.post(CLAIMS_PATH, manifest('taken'));
    const taken = await apiErrorOf(rest.post(CLAIMS_PATH, manifest('taken')));
    assert.equal(taken.statusCode, 409);
    assert.equal((taken.body as Status).reason, 'AlreadyExists');
    assert.ok(isConflict(taken));
    assert.ok(!isNotFound(taken));

    // The CRD's schema asks for 1 to 5 security groups.
    const invalid = await apiErrorOf(rest.post(CLAIMS_PATH, manifest('invalid', [])));
    assert.equal(invalid.statusCode, 422);
    assert.equal((invalid.body as Status).reason, 'Invalid');
    assert.match(apiErrorMessage(invalid), /spec\.securityGroupIds/);
    assert.ok(isNotFound(await apiErrorOf(rest.get(claimPath('invalid')))), 'nothing was stored');
  });

  it('refuses a merge patch from a stale resourceVersion (409) and applies status under a field manager', async () => {
    const created = await rest.post<NetworkInterfaceClaim>(CLAIMS_PATH, manifest('patched'));
    const stale = created.metadata.resourceVersion;
    const first = await rest.patch<NetworkInterfaceClaim>(
      claimPath('patched'), { metadata: { resourceVersion: stale, labels: { step: 'one' } } }, CONTENT_TYPE.mergePatch,
    );
    assert.equal(first.metadata.labels?.step, 'one');
    assert.notEqual(first.metadata.resourceVersion, stale);

    const conflict = await apiErrorOf(rest.patch(
      claimPath('patched'), { metadata: { resourceVersion: stale, labels: { step: 'two' } } }, CONTENT_TYPE.mergePatch,
    ));
    assert.equal(conflict.statusCode, 409);
    assert.ok(isConflict(conflict));
    assert.equal((await rest.get<NetworkInterfaceClaim>(claimPath('patched'))).metadata.labels?.step, 'one', 'the stale write changed nothing');

    const applied = await rest.patch<NetworkInterfaceClaim>(
      claimPath('patched', '/status'),
      { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'patched' }, status: { phase: 'Pending', nodeName: 'node-a' } },
      CONTENT_TYPE.apply,
      { fieldManager: TEST_FIELD_MANAGER, force: true },
    );
    assert.equal(applied.status?.phase, 'Pending');
    const stored = await rest.get<NetworkInterfaceClaim>(claimPath('patched'));
    assert.equal(stored.status?.nodeName, 'node-a');
    const entry = stored.metadata.managedFields?.find((f) => f.manager === TEST_FIELD_MANAGER);
    assert.ok(entry, `managedFields name ${TEST_FIELD_MANAGER}: ${JSON.stringify(stored.metadata.managedFields)}`);
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.subresource, 'status');
    assert.deepEqual(Object.keys((entry.fieldsV1 as { 'f:status': object })['f:status']).sort(), ['f:nodeName', 'f:phase']);
  });

  it('reuses its connections: sequential requests share one, a repeated burst opens none', async () => {
    const proxy = new CountingProxy(new URL(cp.server));
    const proxied = await throughProxy(proxy);
    try {
      const sequential = 30;
      for (let i = 0; i < sequential; i++) await proxied.get(CLAIMS_PATH);
      assert.equal(proxy.accepted, 1, `${sequential} sequential requests over one connection`);

      // HTTP/1.1: a burst of concurrent requests needs one connection each (client-go's HTTP/2
      // would multiplex them), but the pool keeps them and the next burst opens none.
      const burst = 20;
      await Promise.all(Array.from({ length: burst }, () => proxied.get('/version')));
      const afterFirstBurst = proxy.accepted;
      assert.ok(afterFirstBurst <= burst, `first burst: ${afterFirstBurst} connections`);
      await Promise.all(Array.from({ length: burst }, () => proxied.get('/version')));
      assert.equal(proxy.accepted, afterFirstBurst, 'the second burst reuses the pool');
      await proxied.get(CLAIMS_PATH);
      assert.equal(proxy.accepted, afterFirstBurst);
      // One connection per request would have made sequential + 2 × burst + 1 = 71.
      assert.ok(proxy.accepted <= burst + 1, `${proxy.accepted} connections for ${sequential + 2 * burst + 1} requests`);
    } finally {
      proxied.close();
      await proxy.close();
    }
  });

  it('holds at most maxConnections connections, watches included; the other requests wait for one', async () => {
    const proxy = new CountingProxy(new URL(cp.server));
    const limited = await throughProxy(proxy, { maxConnections: 2 });
    const controller = new AbortController();
    const watching = limited.watch(CLAIMS_PATH, {}, () => {}, controller.signal);
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, () => limited.get<{ major: string }>('/version')));
      assert.equal(answers.filter((a) => a.major !== '').length, 12, 'every request answered');
      assert.equal(proxy.accepted, 2, 'the watch on one connection, twelve requests in turn on the other');
    } finally {
      controller.abort();
      await watching;
      limited.close();
      await proxy.close();
    }
  });

  it('sends a request once more when the server hung up the kept-alive connection it went out on', async () => {
    const proxy = new CountingProxy(new URL(cp.server), { hangUpAfterIdleMs: 300 });
    const proxied = await throughProxy(proxy);
    try {
      await proxied.get(CLAIMS_PATH);
      await sleep(400);
      const created = await proxied.post<NetworkInterfaceClaim>(CLAIMS_PATH, manifest('after-hang-up'));
      assert.equal(created.metadata.name, 'after-hang-up');
      assert.deepEqual([proxy.hungUp, proxy.accepted], [1, 2], 'the POST met the hang-up, then went on a new connection');
      const again = await apiErrorOf(rest.post(CLAIMS_PATH, manifest('after-hang-up')));
      assert.equal(again.statusCode, 409, 'the claim exists: the retried POST reached the server');
    } finally {
      proxied.close();
      await proxy.close();
    }
  });

  it('watches: ADDED, MODIFIED and DELETED in order, from the list\'s resourceVersion', async () => {
    const from = (await rest.get<ClaimList>(CLAIMS_PATH)).metadata.resourceVersion;
    const seen: string[] = [];
    const versions: number[] = [];
    const controller = new AbortController();
    const watching = rest.watch<NetworkInterfaceClaim>(CLAIMS_PATH, { resourceVersion: from }, (event) => {
      seen.push(`${event.type} ${event.object.metadata.name ?? ''}`);
      versions.push(Number(event.object.metadata.resourceVersion));
    }, controller.signal);

    await rest.post(CLAIMS_PATH, manifest('watched'));
    await rest.patch(claimPath('watched'), { metadata: { labels: { touched: 'yes' } } }, CONTENT_TYPE.mergePatch);
    await rest.delete(claimPath('watched'));
    await waitFor('three events', () => seen.length >= 3, 10_000);
    controller.abort();
    await watching;
    assert.deepEqual(seen, ['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'in resourceVersion order');
  });

  it('delivers a BOOKMARK when the revision moved, and resolves when the server ends the watch', async () => {
    const from = (await rest.get<ClaimList>(CLAIMS_PATH)).metadata.resourceVersion;
    const events: WatchEvent<NetworkInterfaceClaim>[] = [];
    const started = Date.now();
    // kube-apiserver 1.36 sends a bookmark once a minute, or 2 s before the watch's timeout, and
    // only when its watch cache has moved past the watcher's revision: a 5 s watch, another
    // resource's write to move the revision, and a consistent list that makes the claims' watch
    // cache catch up (it asks etcd for a progress notification).
    const watching = rest.watch<NetworkInterfaceClaim>(
      CLAIMS_PATH, { resourceVersion: from, allowWatchBookmarks: true, timeoutSeconds: 5 }, (e) => events.push(e), new AbortController().signal,
    );
    await rest.post('/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'revision-' } });
    const moved = (await rest.get<ClaimList>(CLAIMS_PATH)).metadata.resourceVersion;
    assert.ok(Number(moved) > Number(from));
    await watching;
    assert.ok(Date.now() - started < 8_000, 'ended by the server\'s timeout');
    // Only bookmarks: no claim changed. The server may send more than one (its periodic bookmark can
    // fall inside the 5 s too, as it did once in CI); the last one carries the fresher revision.
    const types = events.map((e) => e.type);
    assert.ok(types.length >= 1 && types.every((type) => type === 'BOOKMARK'), `events: ${JSON.stringify(types)}`);
    const last = events.at(-1)!;
    assert.ok(Number(last.object.metadata.resourceVersion) >= Number(moved), 'the last bookmark carries the fresher revision');
    assert.ok(events.every((e) => e.object.kind === KIND));
  });

  it('reports a too-old resourceVersion as an ERROR event with 410 Expired, and a refused watch as a KubeApiError', async () => {
    // The watch cache answers 200 and then one ERROR event (the informer relists on its 410).
    const events: WatchEvent<Status>[] = [];
    await rest.watch<Status>(CLAIMS_PATH, { resourceVersion: '1' }, (e) => events.push(e), new AbortController().signal);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!.type, 'ERROR');
    assert.equal(events[0]!.object.code, 410);
    assert.equal(events[0]!.object.reason, 'Expired');

    const refused = await apiErrorOf(rest.watch(CLAIMS_PATH, { resourceVersion: 'not-a-number' }, () => {}, new AbortController().signal));
    assert.ok(refused.statusCode >= 400, String(refused.statusCode));
    assert.match(apiErrorMessage(refused), /not-a-number/);
  });

  it('ends a watch promptly on abort and leaves no request open on the server', async () => {
    const idle = await openWatches(cp.kubeConfig, PLURAL);
    const controller = new AbortController();
    let events = 0;
    const watching = rest.watch(CLAIMS_PATH, {}, () => events++, controller.signal);
    await waitFor('the watch to be open on the server', async () => (await openWatches(cp.kubeConfig, PLURAL)) === idle + 1, 10_000);
    const initial = events;
    const abortedAt = Date.now();
    controller.abort();
    await watching;
    assert.ok(Date.now() - abortedAt < 500, `resolved ${Date.now() - abortedAt} ms after abort`);
    await waitFor('the server to close the watch', async () => (await openWatches(cp.kubeConfig, PLURAL)) === idle, 10_000);
    await rest.post(CLAIMS_PATH, manifest('after-abort'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events, initial, 'no event after abort');

    let called = false;
    await rest.watch(CLAIMS_PATH, {}, () => (called = true), controller.signal);
    assert.equal(called, false, 'an aborted signal opens no watch');
  });

  it('authenticates with a token file and picks up a rotated token once its TTL has passed; a bad token is 401', async () => {
    const namespace = 'kube-rest';
    const [tokenA, tokenB] = [
      await serviceAccountToken(cp.kubeConfig, namespace, 'sa-a'),
      await serviceAccountToken(cp.kubeConfig, namespace, 'sa-b'),
    ];
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${tokenA}\n`);
    // tokenFile is relative to the kubeconfig, as kubectl resolves it.
    const config = loadRestConfig(writeKubeconfig(join(dir, 'token.kubeconfig'), { server: cp.server, 'certificate-authority': caFile }, { tokenFile: 'token' }), {});
    assert.equal(config.tokenFile, tokenFile);
    const ttlMs = 2_000;
    const client = new KubeRest({ ...config, tokenFileTtlMs: ttlMs });
    const whoAmI = async (): Promise<string> => {
      const review = await client.post<{ status: { userInfo: { username: string } } }>(
        '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      );
      return review.status.userInfo.username;
    };
    try {
      const firstRead = Date.now();
      assert.equal(await whoAmI(), `system:serviceaccount:${namespace}:sa-a`);
      writeFileSync(tokenFile, `${tokenB}\n`);
      assert.equal(await whoAmI(), `system:serviceaccount:${namespace}:sa-a`, 'within the TTL the cached token is used');
      const switched = await waitFor('the rotated token', async () => (await whoAmI()).endsWith(':sa-b') && Date.now(), ttlMs + 5_000);
      assert.ok(switched - firstRead >= ttlMs, `switched after ${switched - firstRead} ms`);
    } finally {
      client.close();
    }

    const forged = new KubeRest({ server: cp.server, ca: readFileSync(caFile), token: 'not-a-valid-token' });
    try {
      const unauthorized = await apiErrorOf(forged.get('/version'));
      assert.equal(unauthorized.statusCode, 401);
      assert.equal((unauthorized.body as Status).reason, 'Unauthorized');
    } finally {
      forged.close();
    }
  });
});
