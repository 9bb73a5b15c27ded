// The informer against a real kube-apiserver: what it delivers, that it holds exactly one watch and
// none after stop(), that its watchdog repairs a watch that went silent without closing, and that
// it comes back by itself after the API server restarts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { openWatches, startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { applyCrds } from '../support/crds.ts';
import { ClaimClient, claimInformer, CLAIMS_PATH } from '../../src/kube/claims.ts';
import { Informer, restSource, type RestartReason } from '../../src/kube/informer.ts';
import { kubeRestOf } from '../../src/kube/rest.ts';
import type { NetworkInterfaceClaim } from '../../src/api/claim.ts';
import { NODE_LABEL, PLURAL } from '../../src/api/names.ts';
import { waitFor } from '../support/sim-world.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function manifest(name: string, node: string) {
  return {
    metadata: { name, labels: { [NODE_LABEL]: node } },
    spec: { nodeName: node, vSwitchId: 'vsw-test1', securityGroupIds: ['sg-test1'] },
  };
}

/** What one informer delivered, in order: "add a", "update a", "delete a". */
function record(informer: Informer<NetworkInterfaceClaim>): string[] {
  const seen: string[] = [];
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, (c) => seen.push(`${event} ${c.metadata.name}`));
  return seen;
}

/** A TCP relay in front of the API server whose open connections can be frozen: bytes stop, sockets stay open. */
class FreezableProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  port = 0;

  constructor(target: URL) {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = (): void => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Every connection open now goes silent in both directions; new connections work. */
  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  kubeConfigFor(admin: KubeConfig): KubeConfig {
    const cluster = admin.getCurrentCluster();
    const user = admin.getCurrentUser();
    if (!cluster || !user) throw new Error('admin kubeconfig incomplete');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, server: `https://127.0.0.1:${this.port}` }],
      users: [user],
      contexts: [{ name: 'proxied', cluster: cluster.name, user: user.name }],
      currentContext: 'proxied',
    });
    return kc;
  }

  async close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }
}

describe('Informer against a real kube-apiserver', () => {
  let cp: ControlPlane;
  let claims: ClaimClient;

  before(async () => {
    cp = await startControlPlane();
    await applyCrds(cp.kubeConfig);
    claims = new ClaimClient(cp.kubeConfig);
    // A new CRD's storage answers 429 "(re)initializing" for a moment after Established.
    await waitFor('claims to be served', () => claims.list().then(() => true, () => false), 30_000);
  });
  after(async () => {
    await cp?.stop();
  });

  it('lists, then delivers add, update and delete for the claims its label selector matches', async () => {
    await claims.create(manifest('sel-before', 'node-a'));
    await claims.create(manifest('sel-other-node', 'node-b'));
    const informer = claimInformer(cp.kubeConfig, { logger, labelSelector: `${NODE_LABEL}=node-a` });
    const seen = record(informer);
    assert.equal(informer.hasSynced(), false);
    informer.start();
    assert.equal(await informer.waitForSync(10_000), true);
    assert.deepEqual(informer.list().map((c) => c.metadata.name), ['sel-before'], 'the cache holds the list once synced');

    await claims.create(manifest('sel-after', 'node-a'));
    await claims.setLabel('sel-before', 'team', 'storage');
    await claims.setLabel('sel-other-node', 'team', 'storage');
    await claims.delete('sel-after');
    await waitFor('the delete', () => seen.includes('delete sel-after'), 10_000);
    assert.deepEqual(seen, ['add sel-before', 'add sel-after', 'update sel-before', 'delete sel-after']);
    assert.equal(informer.get('sel-before')?.metadata.labels?.team, 'storage');
    assert.equal(informer.get('sel-other-node'), undefined);
    await informer.stop();
    await claims.delete('sel-before');
    await claims.delete('sel-other-node');
  });

  it('holds exactly one watch while running and none once stopped', async () => {
    const informers = [0, 1, 2].map(() => claimInformer(cp.kubeConfig, { logger }));
    for (const informer of informers) informer.start();
    await Promise.all(informers.map((i) => i.waitForSync(10_000)));
    await waitFor('three watches', async () => (await openWatches(cp.kubeConfig, PLURAL)) === 3, 10_000);
    await Promise.all(informers.map((i) => i.stop()));
    await waitFor('no watch', async () => (await openWatches(cp.kubeConfig, PLURAL)) === 0, 10_000);
  });

  it('relists when its watch goes silent without closing, within the watchdog period', async () => {
    const proxy = new FreezableProxy(new URL(cp.server));
    await proxy.listen();
    const restarts: RestartReason[] = [];
    // Watches go through the proxy, lists straight to the API server: only the watch stalls.
    const proxied = restSource<NetworkInterfaceClaim>(kubeRestOf(proxy.kubeConfigFor(cp.kubeConfig)), CLAIMS_PATH);
    const informer = new Informer<NetworkInterfaceClaim>({
      source: { list: (selectors) => claims.list(selectors), watch: proxied.watch },
      name: 'stall-test',
      logger,
      watchdogMs: 2_000,
      onRestart: (reason) => restarts.push(reason),
    });
    const seen = record(informer);
    informer.start();
    await informer.waitForSync(10_000);
    await claims.create(manifest('stall-a', 'node-a'));
    await waitFor('the add through the live watch', () => seen.includes('add stall-a'), 10_000);

    proxy.freeze();
    const frozenAt = Date.now();
    await claims.create(manifest('stall-b', 'node-a'));
    await waitFor('the add after the stall', () => seen.includes('add stall-b'), 15_000);
    const repairMs = Date.now() - frozenAt;
    console.log(`# stalled watch repaired after ${repairMs} ms (watchdog 2000 ms)`);
    assert.ok(repairMs < 10_000, `repaired after ${repairMs} ms`);
    assert.ok(restarts.includes('watchdog'));
    assert.ok(!restarts.includes('error'));

    // The new watch is live: a change arrives without another relist.
    const relists = restarts.length;
    await claims.setLabel('stall-a', 'x', 'y');
    await waitFor('an update through the new watch', () => seen.includes('update stall-a'), 1_500);
    assert.equal(restarts.length, relists);
    await informer.stop();
    await proxy.close();
    await claims.delete('stall-a');
    await claims.delete('stall-b');
  });

  it('re-emits update for every cached object at each resync', async () => {
    await claims.create(manifest('resync-a', 'node-a'));
    const informer = claimInformer(cp.kubeConfig, { logger, resyncMs: 500 });
    const seen = record(informer);
    informer.start();
    await informer.waitForSync(10_000);
    await waitFor('two resyncs', () => seen.filter((e) => e === 'update resync-a').length >= 2, 5_000);
    await informer.stop();
    await claims.delete('resync-a');
  });

  it('comes back by itself after the API server restarts, and delivers what changed meanwhile and after', async () => {
    await claims.create(manifest('restart-kept', 'node-a'));
    await claims.create(manifest('restart-deleted', 'node-a'));
    const restarts: RestartReason[] = [];
    const informer = claimInformer(cp.kubeConfig, { logger, onRestart: (r) => restarts.push(r) });
    const seen = record(informer);
    informer.start();
    await informer.waitForSync(10_000);

    const t0 = Date.now();
    await cp.restartApiServer();
    const upMs = Date.now() - t0;
    await claims.delete('restart-deleted');
    await claims.create(manifest('restart-new', 'node-a'));
    await waitFor('the add after the restart', () => seen.includes('add restart-new'), 60_000);
    await waitFor('the delete made while it was reconnecting', () => seen.includes('delete restart-deleted'), 10_000);
    console.log(`# API server back after ${upMs} ms; informer delivered after ${Date.now() - t0} ms, ${restarts.length} restarts`);
    assert.ok(restarts.length >= 1 && restarts.length <= 8, `${restarts.length} restarts: backoff, not a storm`);
    assert.deepEqual(informer.list().map((c) => c.metadata.name).sort(), ['restart-kept', 'restart-new']);
    assert.equal(await openWatches(cp.kubeConfig, PLURAL), 1, 'restarts leave no extra watch behind');
    await informer.stop();
    await waitFor('no watch', async () => (await openWatches(cp.kubeConfig, PLURAL)) === 0, 10_000);
  });
});
