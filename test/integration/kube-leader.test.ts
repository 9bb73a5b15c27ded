// Leader election on a real coordination.k8s.io/v1 Lease: two electors, exactly one leads; a
// leader that dies without a word is replaced once the lease runs out, one that releases at once.
// Timings are scaled down (lease 3 s, renew deadline 2 s, retry 0.5 s) to keep the test short.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { kubeLeaseStore, LeaderElector, leaderIdentity } from '../../src/kube/leader.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const NAMESPACE = 'ecs-eni-system';
const TIMINGS = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

interface Candidate {
  identity: string;
  elector: LeaderElector;
  startedAt?: number;
  stoppedAt?: number;
  gauge: number;
  done: Promise<void>;
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LeaderElector on a real Lease', () => {
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane();
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });
  after(async () => {
    await cp?.stop();
  });

  function candidate(lease: string, pod: string, timings: typeof TIMINGS = TIMINGS): Candidate {
    const c = { identity: leaderIdentity(pod), gauge: 0 } as Candidate;
    c.elector = new LeaderElector({
      ...timings,
      store: kubeLeaseStore(cp.kubeConfig, NAMESPACE, lease),
      identity: c.identity,
      name: lease,
      logger,
      onStartedLeading: () => {
        c.startedAt = Date.now();
      },
      onStoppedLeading: () => (c.stoppedAt = Date.now()),
      setLeaderGauge: (v) => (c.gauge = v),
    });
    c.done = c.elector.run();
    return c;
  }

  async function holder(lease: string): Promise<string | undefined> {
    return (await cp.kubeConfig.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: lease, namespace: NAMESPACE })).spec?.holderIdentity;
  }

  async function race(lease: string): Promise<[Candidate, Candidate]> {
    const a = candidate(lease, 'controller-a');
    const b = candidate(lease, 'controller-b');
    const leader = await waitFor('a leader', () => (a.elector.isLeader() ? a : b.elector.isLeader() ? b : undefined), 10_000);
    const follower = leader === a ? b : a;
    // Several lease periods: the follower never leads while the leader renews.
    await new Promise((r) => setTimeout(r, 2 * TIMINGS.leaseDurationMs));
    assert.equal(follower.startedAt, undefined, 'the follower never led');
    assert.equal(leader.elector.isLeader(), true);
    assert.equal(leader.gauge, 1);
    assert.equal(follower.gauge, 0);
    assert.equal(await holder(lease), leader.identity);
    return [leader, follower];
  }

  it('one of two leads; when it dies without releasing, the other takes over once the lease runs out', async () => {
    const [leader, follower] = await race('crash');
    const diedAt = Date.now();
    await leader.elector.stop(); // renewals stop; the Lease still names the old leader
    await waitFor('the follower to lead', () => follower.startedAt, 3 * TIMINGS.leaseDurationMs);
    const takeoverMs = (follower.startedAt as number) - diedAt;
    console.log(`# takeover without release: ${takeoverMs} ms (lease ${TIMINGS.leaseDurationMs} ms, retry ${TIMINGS.retryPeriodMs} ms)`);
    // Not before the lease could have run out, and within lease + one jittered retry of the last renewal.
    assert.ok(takeoverMs >= TIMINGS.leaseDurationMs - 2 * TIMINGS.retryPeriodMs, `took over after ${takeoverMs} ms`);
    assert.ok(takeoverMs <= TIMINGS.leaseDurationMs + 2.2 * TIMINGS.retryPeriodMs + 500, `took over after ${takeoverMs} ms`);
    assert.equal(await holder('crash'), follower.identity);
    await follower.elector.release();
    await Promise.all([leader.done, follower.done]);
  });

  it('one of two leads; when it releases, the other takes over at its next retry', async () => {
    const [leader, follower] = await race('release');
    const releasedAt = Date.now();
    await leader.elector.release();
    assert.ok(leader.stoppedAt, 'the old leader was told it stopped leading');
    assert.equal(leader.gauge, 0);
    await waitFor('the follower to lead', () => follower.startedAt, 3 * TIMINGS.leaseDurationMs);
    const takeoverMs = (follower.startedAt as number) - releasedAt;
    console.log(`# takeover after release: ${takeoverMs} ms`);
    assert.ok(takeoverMs <= 2.2 * TIMINGS.retryPeriodMs + 500, `took over after ${takeoverMs} ms, not a lease period`);
    await follower.elector.release();
    assert.equal(await holder('release'), '', 'released: no holder');
    await Promise.all([leader.done, follower.done]);
  });

  it('a leader that cannot reach the API server stops leading within the renew deadline', async () => {
    const fast = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 250 };
    const lone = candidate('cutoff', 'controller-c', fast);
    await waitFor('leading', () => lone.elector.isLeader(), 10_000);
    // The API server goes away for a few seconds (a restart takes ~4 s here), longer than the lease.
    const cutAt = Date.now();
    const restarted = cp.restartApiServer();
    await waitFor('stopped leading', () => lone.stoppedAt, 10_000);
    const lostMs = (lone.stoppedAt as number) - cutAt;
    await restarted;
    console.log(`# leader cut off stopped leading after ${lostMs} ms (renew deadline ${fast.renewDeadlineMs} ms); API server back after ${Date.now() - cutAt} ms`);
    assert.ok(lostMs <= fast.retryPeriodMs + fast.renewDeadlineMs + 500, `stopped after ${lostMs} ms`);
    assert.equal(lone.gauge, 0);
    await lone.done;
  });
});
